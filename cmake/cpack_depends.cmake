# cmake/cpack_depends.cmake — Depends for a cross-built package, at cpack
# time: dpkg-shlibdeps on the binary with the sysroot's dpkg database as
# --admindir, the same computation CPack's SHLIBDEPS does natively.
# Inputs (from the generated cpack_project.cmake): EDGEGW_DEPENDS_BINARY,
# EDGEGW_DEPENDS_ADMINDIR, EDGEGW_DEPENDS_ARCH.
if(NOT CPACK_GENERATOR STREQUAL "DEB" OR DEFINED EDGEGW_DEPENDS_DONE)
  return()
endif()
set(EDGEGW_DEPENDS_DONE TRUE)
get_filename_component(sysroot "${EDGEGW_DEPENDS_ADMINDIR}/../../.." ABSOLUTE)
set(work "${CPACK_TOPLEVEL_DIRECTORY}/shlibdeps-${EDGEGW_DEPENDS_ARCH}")
file(MAKE_DIRECTORY "${work}/debian")
file(TOUCH "${work}/debian/control")  # dpkg-shlibdeps insists on one
execute_process(
  COMMAND ${CMAKE_COMMAND} -E env DEB_HOST_ARCH=${EDGEGW_DEPENDS_ARCH}
          dpkg-shlibdeps -O --admindir=${EDGEGW_DEPENDS_ADMINDIR}
          -l${sysroot}/lib/aarch64-linux-gnu -l${sysroot}/usr/lib/aarch64-linux-gnu
          -e ${EDGEGW_DEPENDS_BINARY}
  WORKING_DIRECTORY "${work}"
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT out MATCHES "shlibs:Depends=([^\n]*)")
  message(FATAL_ERROR "dpkg-shlibdeps for ${EDGEGW_DEPENDS_ARCH} failed (${rc}): ${err}")
endif()
set(CPACK_DEBIAN_PACKAGE_DEPENDS "${CMAKE_MATCH_1}")
message(STATUS "Depends (${EDGEGW_DEPENDS_ARCH}): ${CPACK_DEBIAN_PACKAGE_DEPENDS}")
