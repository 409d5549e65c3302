# SPDX-License-Identifier: GPL-2.0-or-later
# Cross-building covmon-agent with Debian's cross compilers against a sysroot
# of Debian's packages for the target (deploy/cross/build.sh makes both):
#   cmake -DCMAKE_TOOLCHAIN_FILE=deploy/cross/toolchain.cmake \
#         -DCOVMON_CROSS_ARCH=mipsel -DCOVMON_SYSROOT=/path/to/sysroot ...
# COVMON_CROSS_ARCH is a Debian architecture: armhf, arm64, mipsel, s390x.
# Tests (COVMON_TESTS=ON) run under qemu-user with the sysroot's loader and
# libraries (CMAKE_CROSSCOMPILING_EMULATOR).

# try_compile projects read this file again: hand them the two settings.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES COVMON_CROSS_ARCH COVMON_SYSROOT)

if(NOT COVMON_CROSS_ARCH OR NOT COVMON_SYSROOT)
  message(FATAL_ERROR "toolchain.cmake: set COVMON_CROSS_ARCH (armhf, arm64, mipsel, s390x) and COVMON_SYSROOT")
endif()

if(COVMON_CROSS_ARCH STREQUAL "armhf")
  set(covmon_triplet arm-linux-gnueabihf)
  set(CMAKE_SYSTEM_PROCESSOR arm)
  set(covmon_qemu qemu-arm-static)
elseif(COVMON_CROSS_ARCH STREQUAL "arm64")
  set(covmon_triplet aarch64-linux-gnu)
  set(CMAKE_SYSTEM_PROCESSOR aarch64)
  set(covmon_qemu qemu-aarch64-static)
elseif(COVMON_CROSS_ARCH STREQUAL "mipsel")
  set(covmon_triplet mipsel-linux-gnu)
  set(CMAKE_SYSTEM_PROCESSOR mipsel)
  set(covmon_qemu qemu-mipsel-static)
elseif(COVMON_CROSS_ARCH STREQUAL "s390x")
  set(covmon_triplet s390x-linux-gnu)
  set(CMAKE_SYSTEM_PROCESSOR s390x)
  set(covmon_qemu qemu-s390x-static)
else()
  message(FATAL_ERROR "toolchain.cmake: unknown COVMON_CROSS_ARCH '${COVMON_CROSS_ARCH}' (armhf, arm64, mipsel, s390x)")
endif()

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_C_COMPILER ${covmon_triplet}-gcc)
set(CMAKE_STRIP ${covmon_triplet}-strip)
set(CMAKE_SYSROOT ${COVMON_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config reads the target's .pc files and prefixes their paths.
set(ENV{PKG_CONFIG_SYSROOT_DIR} ${COVMON_SYSROOT})
set(ENV{PKG_CONFIG_LIBDIR}
    "${COVMON_SYSROOT}/usr/lib/${covmon_triplet}/pkgconfig:${COVMON_SYSROOT}/usr/share/pkgconfig")
unset(ENV{PKG_CONFIG_PATH})

set(CMAKE_CROSSCOMPILING_EMULATOR ${covmon_qemu} -L ${COVMON_SYSROOT})
