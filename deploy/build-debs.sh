#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds covmon's Debian packages, covmon-collector and covmon-agent (and
# their -dbgsym packages), the Debian way: a copy of the tree with
# deploy/debian/ at its top as debian/, dpkg-buildpackage -b -us -uc on it,
# then lintian on the result (its findings are printed; any error or
# warning makes the exit status 3, the packages are in OUTDIR all the same).
#   deploy/build-debs.sh [--workdir DIR] OUTDIR
# --workdir DIR  build in DIR (made if needed, kept afterwards: a second
#                build with a bumped changelog can reuse its compiled tree
#                with dpkg-buildpackage -nc); default: a temp dir, removed.
# The copy is what git knows of the checkout: tracked files as they are in
# the working tree, and untracked ones that .gitignore does not exclude
# (a build tree is never copied). Build dependencies come from apt
# (debian/control's Build-Depends), installed when missing.
set -euo pipefail

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "build-debs: $*" >&2; exit 2; }

workdir=
while [ $# -gt 0 ]; do
	case $1 in
	--workdir) [ $# -ge 2 ] || die "$1 needs a value"; workdir=$2; shift 2 ;;
	-h|--help) usage; exit 0 ;;
	--) shift; break ;;
	-*) die "unknown option $1 (see --help)" ;;
	*) break ;;
	esac
done
[ $# -eq 1 ] || die "give the output directory (see --help)"
out=$1
src=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$src/deploy/debian/control" ] || die "$src/deploy/debian/control: not a covmon tree"
command -v dpkg-buildpackage >/dev/null 2>&1 || die "dpkg-buildpackage is not installed (apt-get install dpkg-dev, or deploy/install-deps.sh)"

if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo); fi

# Build dependencies: apt-get satisfy takes debian/control's Build-Depends
# as they are written (apt >= 2.1; Debian 12 has 2.6). dpkg-checkbuilddeps
# first, so that nothing is asked of apt when everything is there.
if ! dpkg-checkbuilddeps "$src/deploy/debian/control" >/dev/null 2>&1; then
	bdeps=$(sed -n '/^Build-Depends:/,/^[A-Z][A-Za-z-]*:/{/^Build-Depends:/{s/^Build-Depends://;p;d};/^[A-Z][A-Za-z-]*:/d;p}' \
		"$src/deploy/debian/control" | tr -d '\n' | tr -s ' \t' ' ')
	echo "build-debs: installing the build dependencies:$bdeps" >&2
	export DEBIAN_FRONTEND=noninteractive
	"${SUDO[@]}" apt-get update -q
	"${SUDO[@]}" apt-get satisfy -y -q --no-install-recommends "$bdeps lintian"
fi
command -v lintian >/dev/null 2>&1 || "${SUDO[@]}" apt-get install -y -q --no-install-recommends lintian

version=$(dpkg-parsechangelog -l "$src/deploy/debian/changelog" -S Version)
upstream=${version%-*}
mkdir -p "$out"
out=$(cd "$out" && pwd)
if [ -n "$workdir" ]; then
	mkdir -p "$workdir"
	work=$(cd "$workdir" && pwd)
else
	work=$(mktemp -d /tmp/covmon-debs.XXXXXX)
	trap 'rm -rf "$work"' EXIT
fi
tree=$work/covmon-$upstream
rm -rf "$tree"
mkdir -p "$tree"

# The copy: debian/ at its top, deploy/debian/ left where it is too (the
# CMake install rules live in it); files listed in git but deleted in the
# working tree are left out.
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
	(
		cd "$src"
		git ls-files -z --cached --others --exclude-standard |
			while IFS= read -r -d '' f; do
				if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
			done |
			tar --null --no-recursion -T - -cf -
	) | tar -xf - -C "$tree"
else
	(cd "$src" && tar --exclude='./build' --exclude='./build-*' -cf - .) | (cd "$tree" && tar -xf -)
fi
cp -a "$src/deploy/debian" "$tree/debian"

echo "build-debs: building covmon $version in $tree" >&2
(cd "$tree" && dpkg-buildpackage -b -us -uc) > "$work/build.log" 2>&1 || {
	tail -n 60 "$work/build.log" >&2
	die "dpkg-buildpackage failed (the whole log: $work/build.log${workdir:+, kept})"
}
changes=$work/covmon_${version}_$(dpkg-architecture -qDEB_HOST_ARCH).changes
[ -f "$changes" ] || die "dpkg-buildpackage made no $changes"

# Every file the .changes names (the .debs, -dbgsym .debs, .buildinfo), and
# the .changes itself.
files=$(sed -n '/^Files:/,/^[A-Z]/{/^ /{s/.* //;p}}' "$changes")
for f in $files; do
	cp "$work/$f" "$out/"
done
cp "$changes" "$out/"
echo "build-debs: in $out:" >&2
for f in $files "$(basename "$changes")"; do echo "  $f" >&2; done

# lintian as Debian's archive would run it, on the .changes (that is, on
# every package in it), with the explanation of every tag it prints.
echo "build-debs: lintian --info --display-info $(basename "$changes")" >&2
rc=0
lintian --info --display-info --fail-on error,warning "$out/$(basename "$changes")" || rc=$?
if [ $rc -ne 0 ]; then
	echo "build-debs: lintian found errors or warnings (exit $rc); the packages are in $out" >&2
	exit 3
fi
echo "build-debs: lintian: no errors, no warnings" >&2
