# shellcheck shell=bash disable=SC2034 # TRIPLET, QEMU: read by the sourcing scripts
# SPDX-License-Identifier: GPL-2.0-or-later
# The CPUs deploy/cross builds for, once (sourced by build.sh, the cross
# tests and the footprint bench; toolchain.cmake has its CMake twin):
#   cross_arch ARCH   sets TRIPLET and QEMU, or returns 1 for an unknown ARCH.
cross_arch() {
	case $1 in
		armhf) TRIPLET=arm-linux-gnueabihf QEMU=qemu-arm-static ;;
		arm64) TRIPLET=aarch64-linux-gnu QEMU=qemu-aarch64-static ;;
		mipsel) TRIPLET=mipsel-linux-gnu QEMU=qemu-mipsel-static ;;
		s390x) TRIPLET=s390x-linux-gnu QEMU=qemu-s390x-static ;;
		*) return 1 ;;
	esac
}
