#!/bin/bash
# The Debian packages and the systemd units, as an installer would meet
# them: CPack builds covmon-collector and covmon-agent from the build tree,
# each lists the files it should (and the maintainer scripts and conffiles),
# they unpack into a scratch root (dpkg -x, then dpkg --root --unpack with
# its own package database), the unpacked binaries run, the unpacked example
# configs pass --check-config, the man pages render, and systemd-analyze
# verifies the unpacked units and reports their exposure.
. "$(dirname "$0")/../lib.sh"
need cpack dpkg dpkg-deb dpkg-shlibdeps
[ -f "$COVMON_BUILD/CPackConfig.cmake" ] || skip "no CPackConfig.cmake in $COVMON_BUILD (configure with cmake first)"
for b in covmon-agent covmon-collector covmon covmon-graph; do
	[ -x "$COVMON_BUILD/$b" ] || skip "$COVMON_BUILD/$b not built"
done

# cpack installs the build tree into its own staging dir under -B; the
# build directory itself is left as it is.
(cd "$COVMON_BUILD" && cpack -G DEB -B "$T/pkg") > "$T/cpack.log" 2>&1 || fail "cpack -G DEB failed"
AGENT_DEB=$(ls "$T"/pkg/covmon-agent_*.deb)
COLL_DEB=$(ls "$T"/pkg/covmon-collector_*.deb)
pass "cpack built $(basename "$AGENT_DEB") ($(stat -c %s "$AGENT_DEB") bytes) and $(basename "$COLL_DEB") ($(stat -c %s "$COLL_DEB") bytes)"

# expect DEB FILE...: each file is in the package.
expect() {
	local deb=$1; shift
	dpkg -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' > "$T/list"
	for f in "$@"; do
		grep -qx "$f" "$T/list" || fail "$(basename "$deb") lacks $f"
	done
}
expect "$AGENT_DEB" /usr/bin/covmon-agent /usr/lib/systemd/system/covmon-agent.service \
	/etc/covmon/agent.conf.example /usr/share/man/man1/covmon-agent.1.gz \
	/usr/share/man/man5/covmon-agent.conf.5.gz
grep -q "covmon-collector\|/usr/bin/covmon$" "$T/list" && fail "the agent package carries the collector's files"
n_agent=$(grep -vc '/$' "$T/list")
expect "$COLL_DEB" /usr/bin/covmon-collector /usr/bin/covmon /usr/bin/covmon-graph \
	/usr/lib/systemd/system/covmon-collector.service /etc/covmon/collector.conf.example \
	/usr/sbin/covmon-enroll-agent /usr/sbin/covmon-make-ca \
	/usr/share/covmon/mosquitto/covmon.conf /usr/share/covmon/mosquitto/covmon.acl \
	/usr/share/covmon/rrdcached/rrdcached.default \
	/usr/share/covmon/systemd/covmon-collector.service.d/rrdcached.conf \
	/usr/share/covmon/bridge/province-lao-cai.conf /usr/share/covmon/bridge/national.acl \
	/usr/share/man/man1/covmon-collector.1.gz /usr/share/man/man1/covmon.1.gz \
	/usr/share/man/man1/covmon-graph.1.gz /usr/share/man/man5/covmon-collector.conf.5.gz
grep -q "covmon-agent" "$T/list" && fail "the collector package carries the agent's files"
n_coll=$(grep -vc '/$' "$T/list")
pass "dpkg -c: agent package $n_agent files, collector package $n_coll files, each with its binaries, unit, example config, man pages"

for deb in "$AGENT_DEB" "$COLL_DEB"; do
	name=$(dpkg-deb -f "$deb" Package)
	dpkg-deb -e "$deb" "$T/ctl-$name"
	for s in postinst prerm postrm conffiles; do
		[ -f "$T/ctl-$name/$s" ] || fail "$name has no $s"
	done
	for s in postinst prerm postrm; do sh -n "$T/ctl-$name/$s" || fail "$name $s: syntax"; done
	grep -q "adduser --system" "$T/ctl-$name/postinst" || fail "$name postinst does not create the user"
	grep -qx "/etc/covmon/${name#covmon-}.conf.example" "$T/ctl-$name/conffiles" || fail "$name conffiles"
	deps=$(dpkg-deb -f "$deb" Depends)
	case $deps in *adduser*libmosquitto*) ;; *) fail "$name Depends: $deps" ;; esac
	echo "  $name Depends: $deps"
done
pass "maintainer scripts (postinst adduser --system), conffiles, Depends from dpkg-shlibdeps"

# Unpacked into a scratch root: the binaries run from there.
R=$T/root
dpkg -x "$AGENT_DEB" "$R"
dpkg -x "$COLL_DEB" "$R"
for b in covmon-agent covmon-collector covmon covmon-graph; do
	v=$("$R/usr/bin/$b" --version) || fail "$R/usr/bin/$b --version failed"
	echo "  $b --version: $v"
done
# --check-config opens the [mqtt] files (CA, password): made here as
# enroll-agent makes them, the examples' /etc/covmon/ pointed at them.
mkdir -p "$T/etc-covmon"; : > "$T/etc-covmon/ca.pem"
echo pw > "$T/etc-covmon/agent.secret"; echo pw > "$T/etc-covmon/collector.secret"
for c in agent collector; do
	sed "s|/etc/covmon/|$T/etc-covmon/|" "$R/etc/covmon/$c.conf.example" > "$T/$c.conf"
done
"$R/usr/bin/covmon-agent" -c "$T/agent.conf" --check-config > "$T/check.log" 2>&1 \
	|| fail "the packaged agent.conf.example is refused: $(tail -1 "$T/check.log")"
"$R/usr/bin/covmon-collector" -c "$T/collector.conf" --check-config > "$T/check.log" 2>&1 \
	|| fail "the packaged collector.conf.example is refused: $(tail -1 "$T/check.log")"
"$R/usr/sbin/covmon-enroll-agent" --help > /dev/null || fail "covmon-enroll-agent --help"
"$R/usr/sbin/covmon-make-ca" --help > /dev/null || fail "covmon-make-ca --help"
if command -v man > /dev/null; then
	for m in "$R"/usr/share/man/man*/*.gz; do
		out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$m" 2>&1 >/dev/null) || fail "man $m failed"
		[ -z "$out" ] || fail "man $(basename "$m"): $out"
	done
	pass "dpkg -x: 4 binaries run --version, both example configs pass --check-config, $(ls "$R"/usr/share/man/man*/*.gz | wc -l) man pages render without warnings"
else
	pass "dpkg -x: 4 binaries run --version, both example configs pass --check-config (man not installed)"
fi

# dpkg --root: a package database of its own, unpack only (configure would
# run postinst, i.e. adduser, in a root without a system).
D=$T/dpkgroot
mkdir -p "$D/var/lib/dpkg/info" "$D/var/lib/dpkg/updates" "$D/var/lib/dpkg/triggers"
: > "$D/var/lib/dpkg/status"
: > "$D/var/lib/dpkg/available"
if dpkg --root="$D" --force-depends --unpack "$AGENT_DEB" "$COLL_DEB" > "$T/dpkg-root.log" 2>&1; then
	st=$(dpkg --root="$D" -l 'covmon-*' 2>/dev/null | awk '/^[a-zA-Z][a-zA-Z] +covmon/ { print $1 " " $2 }' | tr '\n' ' ')
	[ -x "$D/usr/bin/covmon-collector" ] && [ -f "$D/usr/lib/systemd/system/covmon-agent.service" ] \
		|| fail "dpkg --root --unpack left no files"
	pass "dpkg --root --unpack into an empty package database: $st"
else
	echo "  dpkg --root --unpack did not work here: $(tail -1 "$T/dpkg-root.log")"
fi

# The maintainer scripts for real, in a mount namespace of their own over a
# copy of /etc: the host's users are not touched.
if [ "$(id -u)" -eq 0 ] && command -v unshare > /dev/null && unshare -m true 2>/dev/null; then
	cat > "$T/postinst.sh" <<SH
set -e
cp -a /etc "$T/etc"
mount --bind "$T/etc" /etc
mkdir -p /etc/covmon
sh "$T/ctl-covmon-collector/postinst" configure
sh "$T/ctl-covmon-agent/postinst" configure
sh "$T/ctl-covmon-agent/postinst" configure
echo "user: \$(getent passwd covmon)"
echo "group: \$(getent group covmon)"
echo "etc: \$(stat -c '%U:%G %a' /etc/covmon)"
sh "$T/ctl-covmon-agent/prerm" remove
sh "$T/ctl-covmon-agent/postrm" remove
SH
	unshare -m bash "$T/postinst.sh" > "$T/postinst.log" 2>&1 || { cat "$T/postinst.log"; fail "the maintainer scripts failed"; }
	sed 's/^/  /' "$T/postinst.log"
	grep -q "^user: covmon:x:[0-9]*:[0-9]*::/nonexistent:/usr/sbin/nologin$" "$T/postinst.log" || fail "postinst made no system user covmon"
	grep -q "^etc: root:covmon 750$" "$T/postinst.log" || fail "postinst left /etc/covmon readable by others"
	pass "postinst (run twice) creates the system user covmon and closes /etc/covmon to others; prerm/postrm run"
else
	echo "  (not root or no unshare: the maintainer scripts were only syntax-checked)"
fi

# The units as unpacked, pointed at the unpacked binaries.
if ! command -v systemd-analyze > /dev/null; then
	echo "SKIP part: systemd-analyze is not installed: units not verified"
	exit 0
fi
U=$T/units
mkdir -p "$U"
for s in covmon-agent covmon-collector; do
	sed "s|^ExecStart=/usr/bin/|ExecStart=$R/usr/bin/|" "$R/usr/lib/systemd/system/$s.service" > "$U/$s.service"
done
if ! systemd-analyze verify --man=no "$U/covmon-agent.service" "$U/covmon-collector.service" > "$T/verify.log" 2>&1; then
	cat "$T/verify.log"
	fail "systemd-analyze verify found problems in the units"
fi
[ -s "$T/verify.log" ] && cat "$T/verify.log"
pass "systemd-analyze verify: both units clean"
for s in covmon-agent covmon-collector; do
	if systemd-analyze security --offline=true "$U/$s.service" > "$T/sec-$s.log" 2>&1; then
		score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p' "$T/sec-$s.log")
		echo "  systemd-analyze security $s: exposure $score"
		awk -v s="${score%% *}" 'BEGIN { exit !(s <= 2.0) }' || fail "$s exposure $score is above 2.0"
	else
		echo "  systemd-analyze security --offline is not available here: $(tail -1 "$T/sec-$s.log")"
	fi
done
pass "units hardened (exposure at most 2.0)"
