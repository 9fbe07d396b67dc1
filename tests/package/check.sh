#!/usr/bin/env bash
# check.sh DEB: the Debian package, installed and removed on this machine (CI, as root).
#
# Installs DEB with dpkg -i and checks what docs/OPERATIONS.md promises: the files where
# they belong (the sample configuration a conffile), the system user and group fenghuo and
# /var/lib/fenghuo; the sample is refused by `fenghuod --check` as shipped and accepted once
# its <FILL IN> lines are filled in; the installed unit verifies (systemd-analyze); each
# man page renders (man -l) and is mandoc -Tlint clean; the completion offers the commands
# `fenghuo --help` lists and each command's options (both by docs.sh); a member of the group fenghuo runs the CLI against a daemon
# running as fenghuo on /var/lib/fenghuo without --state, and a non-member does not reach
# it; lintian finds no error. Then apt-get purge removes the package, the user and the
# state. Packages: tools/setup.sh deb. Exit 77 (skipped) unless run as root.
set -euo pipefail
deb=$(realpath "$1")
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: check.sh installs a package: run it as root"
	exit 77
fi
if dpkg-query -W -f='${Status}' fenghuo 2>/dev/null | grep "install ok installed" >/dev/null; then
	echo "FAIL: fenghuo is installed already; check.sh would remove it"
	exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fh-package.XXXXXX")
chmod 0755 "$tmp"
daemon=""
cleanup() {
	local rc=$?
	[ -z "$daemon" ] || { kill -TERM "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null || true; }
	if dpkg-query -W -f='${Status}' fenghuo 2>/dev/null | grep installed >/dev/null; then
		DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq fenghuo >/dev/null 2>&1 || true
	fi
	for u in fhmember fhother; do
		getent passwd "$u" >/dev/null && userdel "$u"
	done
	[ "$rc" -eq 0 ] || { echo "---- daemon log"; cat "$tmp/fenghuod.log" 2>/dev/null || true; }
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	exit 1
}

# Before installing: with the pages installed but not indexed, mandoc says so on every run.
echo "== mandoc -Tlint of the package's man pages"
dpkg-deb -x "$deb" "$tmp/root"
mkdir "$tmp/man"
for page in man1/fenghuo.1 man1/fenghuo-linksim.1 man8/fenghuod.8 man5/fenghuod.conf.5; do
	gzip -dc "$tmp/root/usr/share/man/$page.gz" >"$tmp/man/${page#*/}"
done
bash "$(dirname "$0")/docs.sh" --man "$tmp/man"

echo "== dpkg -i $(basename "$deb")"
dpkg -i "$deb" >/dev/null

echo "== files"
for f in /usr/bin/fenghuo /usr/bin/fenghuo-linksim /usr/sbin/fenghuod /lib/systemd/system/fenghuod.service \
	/etc/fenghuo/fenghuod.conf /usr/share/man/man1/fenghuo.1.gz /usr/share/man/man1/fenghuo-linksim.1.gz \
	/usr/share/man/man8/fenghuod.8.gz /usr/share/man/man5/fenghuod.conf.5.gz \
	/usr/share/bash-completion/completions/fenghuo /usr/share/fenghuo/regions/streets.csv \
	/usr/share/doc/fenghuo/copyright /usr/share/doc/fenghuo/changelog.gz \
	/usr/share/doc/fenghuo/OPERATIONS.md; do
	[ -f "$f" ] || fail "$f is not installed"
done
[ -x /usr/bin/fenghuo ] && [ -x /usr/sbin/fenghuod ] || fail "the binaries are not executable"
dpkg-query -W -f='${Conffiles}\n' fenghuo | grep '^ /etc/fenghuo/fenghuod.conf ' >/dev/null ||
	fail "/etc/fenghuo/fenghuod.conf is not a conffile"
/usr/sbin/fenghuod --version | grep '^fenghuod ' >/dev/null || fail "fenghuod --version"

echo "== user, group, state directory"
getent group fenghuo >/dev/null || fail "no group fenghuo"
IFS=: read -r _ _ uid gid _ home shell < <(getent passwd fenghuo) || fail "no user fenghuo"
[ "$uid" -lt 1000 ] || fail "fenghuo is not a system user (uid $uid)"
[ "$gid" = "$(getent group fenghuo | cut -d: -f3)" ] || fail "fenghuo's group is not fenghuo"
[ "$home" = /var/lib/fenghuo ] && [ "$shell" = /usr/sbin/nologin ] ||
	fail "fenghuo's home/shell: $home $shell"
[ "$(stat -c '%U:%G %a' /var/lib/fenghuo)" = "fenghuo:fenghuo 750" ] ||
	fail "/var/lib/fenghuo is $(stat -c '%U:%G %a' /var/lib/fenghuo)"

echo "== fenghuod --check on the sample configuration"
if out=$(/usr/sbin/fenghuod -c /etc/fenghuo/fenghuod.conf --check 2>&1); then
	fail "the sample as shipped passes --check: $out"
fi
grep -q "fenghuod.conf:[0-9]*: " <<<"$out" || fail "no file:line errors for the sample: $out"
root=$(/usr/bin/fenghuo --state "$tmp/keys" keygen | grep -Eo '[0-9a-f]{64}' | head -1)
# What its comments say to fill in: the three <FILL IN> lines, nothing else.
[ "$(grep -c '^[a-z]* = <FILL IN>$' /etc/fenghuo/fenghuod.conf)" = 3 ] || fail "the sample has not 3 <FILL IN> lines"
sed -e 's/^name = <FILL IN>$/name = qingshan-township/' \
	-e 's/^region = <FILL IN>$/region = 330110101/' \
	-e "s/^anchors = <FILL IN>$/anchors = $root/" \
	/etc/fenghuo/fenghuod.conf >"$tmp/fenghuod.conf"
out=$(/usr/sbin/fenghuod -c "$tmp/fenghuod.conf" --check 2>&1) ||
	fail "the filled-in sample fails --check: $out"
[ "$out" = "configuration OK" ] || fail "--check says: $out"
if command -v systemd-analyze >/dev/null; then
	out=$(systemd-analyze verify /lib/systemd/system/fenghuod.service 2>&1) ||
		fail "systemd-analyze verify: $out"
	[ -z "$out" ] || fail "systemd-analyze verify: $out"
fi

echo "== man pages"
for page in man1/fenghuo.1 man1/fenghuo-linksim.1 man8/fenghuod.8 man5/fenghuod.conf.5; do
	lines=$(MANWIDTH=80 man -l "/usr/share/man/$page.gz" 2>"$tmp/man.err" | grep -c .) ||
		fail "man -l $page: $(cat "$tmp/man.err")"
	[ "$lines" -gt 20 ] && [ ! -s "$tmp/man.err" ] ||
		fail "man -l $page: $lines lines; $(cat "$tmp/man.err")"
done

if [ -f /usr/share/bash-completion/bash_completion ]; then
	bash "$(dirname "$0")/docs.sh" --completion /usr/share/bash-completion/completions/fenghuo \
		/usr/bin/fenghuo
else
	echo "(bash-completion is not installed: completion skipped)"
fi

echo "== a member of the group fenghuo reaches the system daemon without --state"
useradd --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin -G fenghuo fhmember
useradd --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin fhother
# No listen endpoint: nothing on the CI machine's network.
sed -i '/^listen = /d' "$tmp/fenghuod.conf"
# As the unit runs it: user fenghuo, umask 0007 (the store and socket for the group).
(umask 0007; exec setpriv --reuid=fenghuo --regid=fenghuo --init-groups \
	/usr/sbin/fenghuod -c "$tmp/fenghuod.conf") >"$tmp/fenghuod.log" 2>&1 &
daemon=$!
for ((i = 0; i < 300; i++)); do
	runuser -u fhmember -- env HOME=/nonexistent /usr/bin/fenghuo status --json \
		>"$tmp/status" 2>/dev/null && break
	kill -0 "$daemon" 2>/dev/null || fail "fenghuod exited"
	sleep 0.1
done
grep -q '"running":true' "$tmp/status" || fail "fhmember's fenghuo status: $(cat "$tmp/status")"
grep -q '"name":"qingshan-township"' "$tmp/status" || fail "not the system node: $(cat "$tmp/status")"
runuser -u fhmember -- env HOME=/nonexistent /usr/bin/fenghuo list >/dev/null ||
	fail "fhmember cannot read the store"
rc=0
runuser -u fhother -- env HOME=/nonexistent /usr/bin/fenghuo status >/dev/null 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "a user outside the group reached the system daemon"
kill -TERM "$daemon"
wait "$daemon" || fail "fenghuod did not stop cleanly"
daemon=""

echo "== lintian"
command -v lintian >/dev/null || fail "lintian is not installed (tools/setup.sh deb installs it)"
# Errors fail; warnings and notes are shown (lintian -I: none but notes today).
out=$(lintian --fail-on error --tag-display-limit 0 "$deb" 2>&1) || fail "lintian: $out"
grep -v 'root privileges' <<<"$out" || true

echo "== apt-get purge"
# The group is removed only when no officer is left in it.
userdel fhmember
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq fenghuo >/dev/null
for f in /usr/bin/fenghuo /usr/sbin/fenghuod /etc/fenghuo /var/lib/fenghuo \
	/lib/systemd/system/fenghuod.service; do
	[ ! -e "$f" ] || fail "$f is left after purge"
done
! getent passwd fenghuo >/dev/null || fail "the user fenghuo is left after purge"
! getent group fenghuo >/dev/null || fail "the group fenghuo is left after purge"
echo "ok: $(basename "$deb") installs, works for the group fenghuo, passes lintian and purges"
