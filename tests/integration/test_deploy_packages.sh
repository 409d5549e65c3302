#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Debian packages as Debian and an operator meet them. deploy/build-debs.sh
# builds covmon-collector and covmon-agent (dpkg-buildpackage on a copy of
# the tree) and lintian must find no error and no warning; the packages hold
# what they should; then, in a throwaway root (an overlay over this
# machine's / in a mount namespace of the test's own: everything written
# goes to a tmpfs, the host is not touched), real dpkg with the real
# maintainer scripts: install (user covmon by systemd-sysusers, units
# registered, nothing enabled or started), systemd-analyze verify on the
# installed units, upgrade to a second build with a bumped Debian revision
# (the enabled service restarted, the operator's changes kept), remove
# (everything of the operator's kept) and purge (conffiles and the
# services' data gone; the operator's own files and the user kept).
# systemctl in the root is a stub that logs what the scripts ask of it.
# The build takes most of the time: it is done once, and the second
# version is made from the same compiled tree (dpkg-buildpackage -nc).

# The overlay and its mounts live in a mount namespace that ends with the
# test, whatever happens.
if [ -z "${COVMON_TEST_MNTNS:-}" ] && [ "$(id -u)" -eq 0 ] \
    && unshare -m --propagation private true 2>/dev/null; then
	COVMON_TEST_MNTNS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
TEST_LIMIT=${TEST_LIMIT:-570}
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
need dpkg-buildpackage dpkg-deb dpkg-parsechangelog lintian systemd-analyze

# ---- 1. Build, and lintian on both packages
"$COVMON_SRC/deploy/build-debs.sh" --workdir "$T/work" "$T/out" > "$T/build-debs.log" 2>&1 || {
	rc=$?
	# 3: built, but lintian found errors or warnings (counted below).
	[ $rc -eq 3 ] || { tail -n 40 "$T/build-debs.log"; fail "deploy/build-debs.sh failed (exit $rc)"; }
}
V1=$(dpkg-parsechangelog -l "$COVMON_SRC/deploy/debian/changelog" -S Version)
ARCH=$(dpkg-architecture -qDEB_HOST_ARCH)
COLL_DEB=$T/out/covmon-collector_${V1}_$ARCH.deb
AGENT_DEB=$T/out/covmon-agent_${V1}_$ARCH.deb
for f in "$COLL_DEB" "$AGENT_DEB" "$T/out/covmon-collector-dbgsym_${V1}_$ARCH.deb" \
    "$T/out/covmon-agent-dbgsym_${V1}_$ARCH.deb" "$T/out/covmon_${V1}_$ARCH.changes" \
    "$T/out/covmon_${V1}_$ARCH.buildinfo"; do
	[ -f "$f" ] || fail "build-debs.sh made no $(basename "$f") (in $T/out: $(cd "$T/out" && echo ./*))"
done
pass "build-debs.sh: $(cd "$T/out" && echo ./*.deb)"

grep -E '^[EWIPX]: ' "$T/build-debs.log" > "$T/lintian.txt" || true
sed 's/^/  lintian: /' "$T/lintian.txt"
for p in covmon-collector covmon-agent; do
	e=$(grep -c "^E: ${p}[: ]" "$T/lintian.txt" || true)
	w=$(grep -c "^W: ${p}[: ]" "$T/lintian.txt" || true)
	[ "$e" -eq 0 ] && [ "$w" -eq 0 ] || fail "lintian on $p: $e errors, $w warnings"
done
# The .changes covers every package: lintian said what it checked.
grep -q "^build-debs: lintian: no errors, no warnings" "$T/build-debs.log" || fail "build-debs.sh did not report lintian clean"
pass "lintian: 0 errors, 0 warnings on covmon-collector and covmon-agent ($(grep -c '^I: ' "$T/lintian.txt" || true) info tags)"

# ---- 2. What the packages hold
# expect DEB FILE...: each file is in the package.
expect() {
	local deb=$1; shift
	dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' > "$T/list"
	for f in "$@"; do
		grep -qx "$f" "$T/list" || fail "$(basename "$deb") lacks $f"
	done
}
expect "$AGENT_DEB" /usr/bin/covmon-agent /lib/systemd/system/covmon-agent.service \
	/etc/covmon/agent.conf.example /usr/share/man/man1/covmon-agent.1.gz \
	/usr/share/man/man5/covmon-agent.conf.5.gz /usr/lib/sysusers.d/covmon-agent.conf \
	/usr/share/doc/covmon-agent/copyright /usr/share/doc/covmon-agent/changelog.Debian.gz \
	/usr/share/doc/covmon-agent/technicians.md.gz
if grep -q "covmon-collector\|/usr/bin/covmon$" "$T/list"; then fail "the agent package carries the collector's files"; fi
n_agent=$(grep -vc '/$' "$T/list")
expect "$COLL_DEB" /usr/bin/covmon-collector /usr/bin/covmon /usr/bin/covmon-graph \
	/lib/systemd/system/covmon-collector.service /etc/covmon/collector.conf.example \
	/usr/sbin/covmon-enroll-agent /usr/sbin/covmon-make-ca \
	/usr/share/covmon/mosquitto/covmon.conf /usr/share/covmon/mosquitto/covmon.acl \
	/usr/share/covmon/rrdcached/rrdcached.default /usr/share/covmon/notify/sms-gammu \
	/usr/share/covmon/systemd/covmon-collector.service.d/rrdcached.conf \
	/usr/share/covmon/bridge/province-lao-cai.conf /usr/share/covmon/bridge/national.acl \
	/usr/share/covmon/nginx/covmon.conf /usr/share/covmon/prometheus/covmon-rules.yml \
	/usr/share/covmon/prometheus/prometheus.yml /usr/share/covmon/grafana/covmon.json \
	/usr/share/man/man1/covmon-collector.1.gz /usr/share/man/man1/covmon.1.gz \
	/usr/share/man/man1/covmon-graph.1.gz /usr/share/man/man5/covmon-collector.conf.5.gz \
	/usr/share/man/man8/covmon-make-ca.8.gz /usr/share/man/man8/covmon-enroll-agent.8.gz \
	/usr/lib/sysusers.d/covmon-collector.conf /usr/share/doc/covmon-collector/copyright \
	/usr/share/doc/covmon-collector/changelog.Debian.gz
if grep -q "covmon-agent" "$T/list"; then fail "the collector package carries the agent's files"; fi
# Every docs/*.md, which the man pages' SEE ALSO names, is installed.
for d in "$COVMON_SRC"/docs/*.md; do
	b=$(basename "$d")
	grep -qx "/usr/share/doc/covmon-collector/$b\(\.gz\)\?" "$T/list" || fail "covmon-collector lacks /usr/share/doc/covmon-collector/$b"
done
n_coll=$(grep -vc '/$' "$T/list")
pass "dpkg-deb -c: agent $n_agent files, collector $n_coll files: binaries, units, sysusers, example configs, man pages (8 with covmon-make-ca.8, covmon-enroll-agent.8), docs, copyright"

for deb in "$COLL_DEB" "$AGENT_DEB"; do
	name=$(dpkg-deb -f "$deb" Package)
	dpkg-deb -e "$deb" "$T/ctl-$name"
	grep -qx "/etc/covmon/${name#covmon-}.conf.example" "$T/ctl-$name/conffiles" || fail "$name: conffiles: $(cat "$T/ctl-$name/conffiles")"
	deps=$(dpkg-deb -f "$deb" Depends)
	case $deps in *systemd-standalone-sysusers*libmosquitto1*) ;; *) fail "$name Depends: $deps" ;; esac
	maint=$(dpkg-deb -f "$deb" Maintainer)
	case $maint in *@localhost*|"") fail "$name Maintainer: $maint" ;; esac
	# Stripped: the debug symbols are in the -dbgsym package.
	dpkg-deb -x "$deb" "$T/x-$name"
	for b in "$T/x-$name"/usr/bin/*; do
		readelf -h "$b" > /dev/null 2>&1 || continue
		if readelf -S "$b" | grep -q '\.debug_info'; then fail "$name: $(basename "$b") is not stripped"; fi
	done
	echo "  $name $(dpkg-deb -f "$deb" Version): Depends: $deps"
done
grep -q "Recommends: .*mosquitto.*rrdcached" <(dpkg-deb -f "$COLL_DEB") || fail "covmon-collector does not recommend mosquitto and rrdcached"
pass "control: conffiles, Depends from dh_shlibdeps and sysusers, a real Maintainer, stripped binaries"

# ---- 3. The second version, from the same compiled tree
tree=$(echo "$T"/work/covmon-*/)
tree=${tree%/}
V2=${V1%-*}-$(( ${V1##*-} + 1 ))
dpkg --compare-versions "$V2" gt "$V1" || fail "$V2 is not above $V1"
{
	printf 'covmon (%s) unstable; urgency=medium\n\n  * Upgrade test.\n\n' "$V2"
	printf ' -- covmon developers <covmon@lists.covmon.org>  %s\n\n' "$(date -R)"
	cat "$tree/debian/changelog"
} > "$T/changelog" && mv "$T/changelog" "$tree/debian/changelog"
rm -f "$tree"/debian/*.debhelper.log
(cd "$tree" && dpkg-buildpackage -b -us -uc -nc) > "$T/build2.log" 2>&1 || { tail -n 30 "$T/build2.log"; fail "the second build ($V2) failed"; }
COLL_DEB2=$T/work/covmon-collector_${V2}_$ARCH.deb
AGENT_DEB2=$T/work/covmon-agent_${V2}_$ARCH.deb
[ -f "$COLL_DEB2" ] && [ -f "$AGENT_DEB2" ] || fail "the second build made no $V2 packages"
pass "second build $V2 (dpkg-buildpackage -nc on the compiled tree)"

# ---- 4. Install, upgrade, remove, purge in a throwaway root
if [ -z "${COVMON_TEST_MNTNS:-}" ]; then
	skip "not root (or no unshare -m): the packages were built and checked, not installed"
fi
OV=$(mktemp -d /tmp/covmon-root.XXXXXX)
# Unmounted before lib.sh removes $T; rmdir, not rm -r: if anything is
# still mounted there, it stays rather than being walked into.
CLEANUPS+=("umount -R -l '$OV' 2>/dev/null; rmdir '$OV/u' '$OV/w' '$OV/m' 2>/dev/null; umount '$OV' 2>/dev/null; rmdir '$OV'")
mount -t tmpfs -o size=2g,mode=0755 covmon-root "$OV"
mkdir -p "$OV/u" "$OV/w" "$OV/m"
mount -t overlay covmon-root -o "lowerdir=/,upperdir=$OV/u,workdir=$OV/w" "$OV/m" \
	|| fail "overlayfs over / is not available here"
R=$OV/m
mount -t proc proc "$R/proc"
mount --bind /dev "$R/dev"
mount -t tmpfs tmp "$R/tmp"
mount -t tmpfs run "$R/run"
# Inside: a systemd that is "running" as far as the scripts can tell, and
# a systemctl that logs what it is asked. No man-db trigger (slow, useless).
mkdir -p "$R/run/systemd/system" "$R/usr/local/sbin" "$R/debs"
cat > "$R/usr/local/sbin/systemctl" <<'SH'
#!/bin/sh
echo "systemctl $*" >> /var/log/systemctl.log
for a; do unit=$a; done
case " $* " in
*" is-enabled "*)
	if ls /etc/systemd/system/*.wants/"$unit" >/dev/null 2>&1; then echo enabled; exit 0; fi
	echo disabled; exit 1 ;;
*" is-active "*) exit 3 ;;
esac
exit 0
SH
chmod 755 "$R/usr/local/sbin/systemctl"
# A container's policy-rc.d (exit 101: start nothing) would keep
# deb-systemd-invoke from asking systemctl anything.
rm -f "$R/var/lib/man-db/auto-update" "$R/var/log/systemctl.log" "$R/usr/sbin/policy-rc.d"
cp "$COLL_DEB" "$AGENT_DEB" "$COLL_DEB2" "$AGENT_DEB2" "$R/debs/"
inroot() {
	chroot "$R" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive HOME=/root "$@"
}
# A clean slate if this machine has covmon installed or the user made.
inroot dpkg --purge covmon-collector covmon-agent > /dev/null 2>&1 || true
if inroot getent passwd covmon > /dev/null; then inroot userdel covmon; fi
if inroot getent group covmon > /dev/null; then inroot groupdel covmon; fi
# shellcheck disable=SC2016 # dpkg-query's format, not the shell's
status() { inroot dpkg-query -W -f='${db:Status-Abbrev}${Version}' "$1" 2>/dev/null || true; }
sysctl_log() { cat "$R/var/log/systemctl.log" 2>/dev/null; : > "$R/var/log/systemctl.log"; }

# Install.
inroot dpkg -i "/debs/$(basename "$COLL_DEB")" "/debs/$(basename "$AGENT_DEB")" < /dev/null > "$T/install.log" 2>&1 \
	|| { cat "$T/install.log"; fail "dpkg -i $V1 failed"; }
for p in covmon-collector covmon-agent; do
	[ "$(status $p)" = "ii $V1" ] || fail "$p after install: '$(status $p)'"
done
u=$(inroot getent passwd covmon) || fail "no user covmon after install"
echo "  user: $u"
IFS=: read -r _ _ uid gid _ home shell <<< "$u"
[ "$uid" -lt 1000 ] && [ "$home" = /nonexistent ] && [ "$shell" = /usr/sbin/nologin ] \
	|| fail "covmon is not a system user without home and shell: $u"
[ "$(inroot getent group covmon | cut -d: -f3)" = "$gid" ] || fail "covmon's group is not covmon"
# (stat in the root: the names are the root's.)
perm=$(inroot stat -c '%U:%G %a' /etc/covmon)
[ "$perm" = "root:covmon 750" ] || fail "/etc/covmon is $perm"
for b in covmon-agent covmon-collector covmon covmon-graph; do
	v=$(inroot "/usr/bin/$b" --version) || fail "$b --version failed in the root"
done
inroot covmon-make-ca --help > /dev/null || fail "covmon-make-ca --help"
inroot covmon-enroll-agent --help > /dev/null || fail "covmon-enroll-agent --help"
if ls "$R"/etc/systemd/system/*.wants/covmon-* > /dev/null 2>&1; then fail "a service was enabled on install"; fi
sysctl_log > "$T/sysctl.log"
if grep -E " (start|restart) .*covmon" "$T/sysctl.log"; then fail "a service was started on install"; fi
grep -q "daemon-reload" "$T/sysctl.log" || fail "postinst did not reload systemd: $(cat "$T/sysctl.log")"
pass "dpkg -i $V1: user covmon (uid $uid, /nonexistent, nologin) by systemd-sysusers, /etc/covmon root:covmon 750, 4 binaries run ($v), units registered, none enabled or started"

# The man pages as installed render without a warning.
for m in "$R"/usr/share/man/man*/covmon*.gz; do
	out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$m" 2>&1 >/dev/null) || fail "man $m failed"
	[ -z "$out" ] || fail "man $(basename "$m"): $out"
done
# The example configs pass --check-config once their files exist (as
# enroll-agent makes them).
: > "$R/etc/covmon/ca.pem"
echo pw > "$R/etc/covmon/agent.secret"
echo pw > "$R/etc/covmon/collector.secret"
inroot covmon-agent -c /etc/covmon/agent.conf.example --check-config > "$T/check.log" 2>&1 \
	|| fail "the installed agent.conf.example is refused: $(tail -1 "$T/check.log")"
inroot covmon-collector -c /etc/covmon/collector.conf.example --check-config > "$T/check.log" 2>&1 \
	|| fail "the installed collector.conf.example is refused: $(tail -1 "$T/check.log")"
inroot systemd-analyze verify --man=no /lib/systemd/system/covmon-collector.service \
	/lib/systemd/system/covmon-agent.service > "$T/verify.log" 2>&1 || { cat "$T/verify.log"; fail "systemd-analyze verify"; }
if [ -s "$T/verify.log" ]; then cat "$T/verify.log"; fail "systemd-analyze verify has remarks"; fi
for s in covmon-agent covmon-collector; do
	if inroot systemd-analyze security --offline=true "/lib/systemd/system/$s.service" > "$T/sec-$s.log" 2>&1; then
		score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p' "$T/sec-$s.log")
		awk -v s="${score%% *}" 'BEGIN { exit !(s <= 2.0) }' || fail "$s exposure $score is above 2.0"
		echo "  systemd-analyze security $s: exposure $score"
	fi
done
mans=("$R"/usr/share/man/man*/covmon*.gz)
pass "installed: ${#mans[@]} man pages render, the example configs pass --check-config, systemd-analyze verify clean on both units"

# The operator: enables the collector, writes its config, edits an
# example; the services have written data.
# (systemctl enable covmon-collector, as the stub cannot do it.)
mkdir -p "$R/etc/systemd/system/multi-user.target.wants"
ln -sf /lib/systemd/system/covmon-collector.service "$R/etc/systemd/system/multi-user.target.wants/covmon-collector.service"
cp "$R/etc/covmon/collector.conf.example" "$R/etc/covmon/collector.conf"
echo "# edited by the operator" >> "$R/etc/covmon/collector.conf.example"
mkdir -p "$R/etc/covmon/pki" "$R/var/lib/covmon/rrd" "$R/var/lib/covmon-agent"
echo key > "$R/etc/covmon/pki/ca.key"
echo db > "$R/var/lib/covmon/state.db"
echo spool > "$R/var/lib/covmon-agent/spool"
sysctl_log > /dev/null

# Upgrade.
inroot dpkg -i "/debs/$(basename "$COLL_DEB2")" "/debs/$(basename "$AGENT_DEB2")" < /dev/null > "$T/upgrade.log" 2>&1 \
	|| { cat "$T/upgrade.log"; fail "dpkg -i $V2 (upgrade) failed"; }
for p in covmon-collector covmon-agent; do
	[ "$(status $p)" = "ii $V2" ] || fail "$p after upgrade: '$(status $p)'"
done
sysctl_log > "$T/sysctl.log"
grep -q "restart covmon-collector.service" "$T/sysctl.log" || fail "the enabled collector was not restarted on upgrade: $(cat "$T/sysctl.log")"
if grep -E " (start|restart) .*covmon-agent" "$T/sysctl.log"; then fail "the agent, never enabled, was started on upgrade"; fi
if grep -E " stop " "$T/sysctl.log"; then fail "a service was stopped before the upgrade (restart after it is enough)"; fi
grep -q "^# edited by the operator" "$R/etc/covmon/collector.conf.example" || fail "the operator's edit of a conffile was lost on upgrade"
# -L: the link points into the root, not into this machine.
WANTS=$R/etc/systemd/system/multi-user.target.wants/covmon-collector.service
[ -L "$WANTS" ] || fail "the collector is no longer enabled after the upgrade"
pass "upgrade to $V2: the enabled collector restarted after its files were in place, the agent left alone, the edited conffile and the enablement kept"

# Remove.
inroot dpkg -r covmon-collector covmon-agent < /dev/null > "$T/remove.log" 2>&1 || { cat "$T/remove.log"; fail "dpkg -r failed"; }
for p in covmon-collector covmon-agent; do
	[ "$(status $p)" = "rc $V2" ] || fail "$p after remove: '$(status $p)' (expected rc: config files kept)"
done
sysctl_log > "$T/sysctl.log"
grep -q "stop covmon-collector.service" "$T/sysctl.log" || fail "remove did not stop the collector: $(cat "$T/sysctl.log")"
for f in /usr/bin/covmon-collector /usr/bin/covmon-agent /lib/systemd/system/covmon-collector.service; do
	[ ! -e "$R$f" ] || fail "$f is still there after remove"
done
for f in /etc/covmon/collector.conf.example /etc/covmon/agent.conf.example /etc/covmon/collector.conf \
    /etc/covmon/pki/ca.key /var/lib/covmon/state.db /var/lib/covmon-agent/spool; do
	[ -e "$R$f" ] || fail "$f is gone after remove"
done
inroot getent passwd covmon > /dev/null || fail "remove deleted the user covmon"
pass "remove: the services stopped, programs and units gone; conffiles, the operator's config and CA, /var/lib/covmon and /var/lib/covmon-agent, the user kept"

# Purge.
inroot dpkg -P covmon-collector covmon-agent < /dev/null > "$T/purge.log" 2>&1 || { cat "$T/purge.log"; fail "dpkg -P failed"; }
for p in covmon-collector covmon-agent; do
	case $(status $p) in ""|"pn "*|"un "*) ;; *) fail "$p after purge: '$(status $p)'" ;; esac
done
for f in /etc/covmon/collector.conf.example /etc/covmon/agent.conf.example /var/lib/covmon /var/lib/covmon-agent \
    /usr/lib/sysusers.d/covmon-collector.conf; do
	[ ! -e "$R$f" ] || fail "$f is still there after purge"
done
[ ! -L "$WANTS" ] || fail "purge left the collector enabled ($WANTS)"
for f in /etc/covmon/collector.conf /etc/covmon/pki/ca.key; do
	[ -e "$R$f" ] || fail "purge deleted the operator's $f"
done
inroot getent passwd covmon > /dev/null || fail "purge deleted the user covmon"
pass "purge: conffiles, the services' data and the enablement gone; the operator's own files (collector.conf, the CA key) and the user kept"
