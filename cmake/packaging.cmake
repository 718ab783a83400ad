# cmake/packaging.cmake — the Debian package (CPack DEB), for amd64 natively
# and for arm64 with cmake/toolchain-arm64.cmake. `scripts/deb.sh` builds
# both; docs/install.md says what goes where:
#
#   /usr/bin/edgegw                      stripped
#   /usr/lib/edgegw/                     the HTTP modules, the private libpaho-mqtt3as.so.1 (gateway/mqtt/paho_c)
#   /etc/edgegw/gateway.yaml             conffile (config/gateway.yaml)
#   /etc/edgegw/rules.d/*.yaml           conffiles (examples, enabled: false)
#   /lib/systemd/system/edgegw.service
#   /usr/lib/sysusers.d/edgegw.conf      the edgegw system user
#   /usr/lib/tmpfiles.d/edgegw.conf      /var/lib/edgegw, 0700 edgegw
#   /usr/share/doc/edgegw/               README, every docs/ page it links, status-page.png, performance-results.json
#
# Depends: dpkg-shlibdeps on the binary. Natively CPack runs it
# (CPACK_DEBIAN_PACKAGE_SHLIBDEPS); for arm64 cmake/cpack_depends.cmake runs
# it at packaging time with the arm64 library packages that
# scripts/sysroot-arm64.sh unpacked, since the host's dpkg database knows no
# arm64 libraries.

# `cpack` must not build every target (the tests) first: scripts/deb.sh
# builds the edgegw target, then packages it.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

# /etc is absolute on purpose: the package's conffiles live there whatever
# the prefix (CPack installs under /usr).
set(EDGEGW_SYSCONFDIR /etc/edgegw)
# Every example under config/rules.d; test_package.sh fails if one is missing here.
set(EDGEGW_RULE_EXAMPLES
  battery-low.yaml energy-sampling.yaml freezer-too-warm.yaml
  leaving-home.yaml motion-light.yaml water-leak.yaml)

install(FILES config/gateway.yaml DESTINATION ${EDGEGW_SYSCONFDIR})
set(EDGEGW_CONFFILES "${EDGEGW_SYSCONFDIR}/gateway.yaml\n")
foreach(example IN LISTS EDGEGW_RULE_EXAMPLES)
  install(FILES config/rules.d/${example} DESTINATION ${EDGEGW_SYSCONFDIR}/rules.d)
  string(APPEND EDGEGW_CONFFILES "${EDGEGW_SYSCONFDIR}/rules.d/${example}\n")
endforeach()
install(FILES systemd/edgegw.service DESTINATION /lib/systemd/system)
install(FILES systemd/edgegw.sysusers DESTINATION lib/sysusers.d RENAME edgegw.conf)
install(FILES systemd/edgegw.tmpfiles DESTINATION lib/tmpfiles.d RENAME edgegw.conf)
# Every page README.md links, and the two files those pages link to.
install(FILES README.md docs/getting-started.md docs/configuration.md docs/rules.md docs/devices.md
              docs/observability.md docs/status-page.png docs/delivery.md docs/reliability.md
              docs/testing.md docs/performance.md docs/performance-results.json docs/architecture.md
              docs/install.md
        DESTINATION share/doc/edgegw)

file(WRITE ${CMAKE_BINARY_DIR}/debian/conffiles "${EDGEGW_CONFFILES}")
foreach(script postinst prerm postrm)
  configure_file(cmake/debian/${script} ${CMAKE_BINARY_DIR}/debian/${script} COPYONLY)
endforeach()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME edgegw)
set(CPACK_PACKAGE_VENDOR edgegw)
set(CPACK_PACKAGE_CONTACT "edgegw maintainers <edgegw@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "MQTT edge gateway with a persistent outbox and rules")
set(CPACK_PACKAGE_DESCRIPTION
    "edgegw runs next to a local MQTT broker (Mosquitto) on a Raspberry-Pi-class\n\
device: it journals what the devices publish, runs routes and rules, and\n\
forwards to an upstream broker through an outbox that survives outages,\n\
crashes and power loss.")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS mosquitto)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS mosquitto-clients)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_BINARY_DIR}/debian/conffiles ${CMAKE_BINARY_DIR}/debian/postinst
    ${CMAKE_BINARY_DIR}/debian/prerm ${CMAKE_BINARY_DIR}/debian/postrm)

if(CMAKE_CROSSCOMPILING)
  if(NOT CMAKE_SYSTEM_PROCESSOR STREQUAL "aarch64")
    message(FATAL_ERROR "packaging: cross builds are set up for aarch64 (arm64) only")
  endif()
  set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE arm64)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS OFF)
  file(GENERATE OUTPUT ${CMAKE_BINARY_DIR}/cpack_project.cmake CONTENT
"set(EDGEGW_DEPENDS_BINARY \"$<TARGET_FILE:edgegw>;$<TARGET_FILE:edgegw_webhook>;$<TARGET_FILE:edgegw_http_server>\")
set(EDGEGW_DEPENDS_PKGDIR \"${CMAKE_SYSROOT}/../pkgs\")
set(EDGEGW_DEPENDS_ARCH arm64)
include(\"${PROJECT_SOURCE_DIR}/cmake/cpack_depends.cmake\")
")
  set(CPACK_PROJECT_CONFIG_FILE ${CMAKE_BINARY_DIR}/cpack_project.cmake)
else()
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
endif()

include(CPack)
