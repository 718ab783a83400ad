# Cross-compiles edgegw for arm64 (Raspberry Pi OS 64-bit, Debian 12 arm64)
# with Debian's cross compiler (crossbuild-essential-arm64) against the
# sysroot that scripts/sysroot-arm64.sh unpacks.
#
#   cmake -S . -B build-arm64 -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-arm64.cmake \
#         -DEDGEGW_BUILD_TESTS=OFF        (scripts/deb.sh arm64 does all of it)
#
# EDGEGW_ARM64_SYSROOT overrides the sysroot (default: build-arm64/sysroot
# beside the sources).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

if(NOT EDGEGW_ARM64_SYSROOT)
  get_filename_component(EDGEGW_ARM64_SYSROOT "${CMAKE_CURRENT_LIST_DIR}/../build-arm64/sysroot" ABSOLUTE)
endif()
set(EDGEGW_ARM64_SYSROOT "${EDGEGW_ARM64_SYSROOT}" CACHE PATH "arm64 sysroot (scripts/sysroot-arm64.sh)")
if(NOT EXISTS "${EDGEGW_ARM64_SYSROOT}/usr/include")
  message(FATAL_ERROR "no arm64 sysroot at ${EDGEGW_ARM64_SYSROOT}: run scripts/sysroot-arm64.sh")
endif()
set(CMAKE_SYSROOT "${EDGEGW_ARM64_SYSROOT}")

# Libraries, headers and CMake packages from the sysroot only; programs
# (pkg-config, strip) from the host.
set(CMAKE_FIND_ROOT_PATH "${EDGEGW_ARM64_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config (re2, libsystemd) reads the sysroot's .pc files and prefixes
# their paths with it.
set(ENV{PKG_CONFIG_DIR} "")
set(ENV{PKG_CONFIG_LIBDIR} "${EDGEGW_ARM64_SYSROOT}/usr/lib/aarch64-linux-gnu/pkgconfig:${EDGEGW_ARM64_SYSROOT}/usr/share/pkgconfig:${EDGEGW_ARM64_SYSROOT}/usr/lib/pkgconfig")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${EDGEGW_ARM64_SYSROOT}")

