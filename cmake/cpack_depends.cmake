# cmake/cpack_depends.cmake — Depends for a cross-built package, at cpack
# time: dpkg-shlibdeps on the binary and its modules, with each arm64 library package
# unpacked with its control files (scripts/sysroot-arm64.sh, build-arm64/pkgs)
# given as a package build tree (-S), so their shlibs and symbols files give
# the versions, as the host's dpkg database does for a native build.
# Inputs (from the generated cpack_project.cmake): EDGEGW_DEPENDS_BINARY,
# EDGEGW_DEPENDS_PKGDIR, EDGEGW_DEPENDS_ARCH.
if(NOT CPACK_GENERATOR STREQUAL "DEB" OR DEFINED EDGEGW_DEPENDS_DONE)
  return()
endif()
set(EDGEGW_DEPENDS_DONE TRUE)
file(GLOB pkg_trees LIST_DIRECTORIES true "${EDGEGW_DEPENDS_PKGDIR}/*")
if(NOT pkg_trees)
  message(FATAL_ERROR "no library packages under ${EDGEGW_DEPENDS_PKGDIR}: run scripts/sysroot-arm64.sh")
endif()
list(TRANSFORM pkg_trees PREPEND "-S")
set(work "${CPACK_TOPLEVEL_DIRECTORY}/shlibdeps-${EDGEGW_DEPENDS_ARCH}")
file(MAKE_DIRECTORY "${work}/debian")
file(TOUCH "${work}/debian/control")  # dpkg-shlibdeps insists on one
execute_process(
  COMMAND ${CMAKE_COMMAND} -E env DEB_HOST_ARCH=${EDGEGW_DEPENDS_ARCH}
          dpkg-shlibdeps -O ${pkg_trees} -e ${EDGEGW_DEPENDS_BINARY}
  WORKING_DIRECTORY "${work}"
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT out MATCHES "shlibs:Depends=([^\n]*)")
  message(FATAL_ERROR "dpkg-shlibdeps for ${EDGEGW_DEPENDS_ARCH} failed (${rc}): ${err}")
endif()
set(CPACK_DEBIAN_PACKAGE_DEPENDS "${CMAKE_MATCH_1}")
message(STATUS "Depends (${EDGEGW_DEPENDS_ARCH}): ${CPACK_DEBIAN_PACKAGE_DEPENDS}")
