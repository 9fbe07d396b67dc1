#!/usr/bin/env bash
# systemd.sh FENGHUOD UNIT: the shipped unit file parses cleanly (systemd-analyze verify, with
# its daemon path pointed at the built binary; its man pages, named in Documentation=, need
# not be installed), it is Type=notify with a watchdog, and the
# command lines it runs are ones fenghuod accepts: the --check of ExecStartPre and of
# ExecReload on a good config says "configuration OK", and a reload ends with SIGHUP to the
# main process (which fenghuod takes as "read the configuration again"). Exit 77 (skipped)
# where systemd-analyze is not installed.
set -u
fenghuod=$1
unit=$2
dir=$(dirname "$0")
# The reload: a --check like ExecStartPre's, then SIGHUP to the daemon, in that order.
reloads=$(sed -n 's/^ExecReload=//p' "$unit")
# shellcheck disable=SC2016 # $MAINPID is systemd's, literally
[ "$(sed -n 2p <<<"$reloads")" = '/bin/kill -HUP $MAINPID' ] ||
	{ echo "FAIL: $unit: the last ExecReload is not /bin/kill -HUP \$MAINPID"; exit 1; }
[ "$(sed -n 1p <<<"$reloads")" = "$(sed -n 's/^ExecStartPre=//p' "$unit")" ] ||
	{ echo "FAIL: $unit: the first ExecReload is not the check of ExecStartPre"; exit 1; }
# Type=notify with a watchdog: fenghuod sends READY=1, STATUS= and WATCHDOG=1
# (tests/integration/sdnotify.sh).
grep -qx 'Type=notify' "$unit" && grep -qx 'NotifyAccess=main' "$unit" &&
	grep -Eqx 'WatchdogSec=[1-9][0-9]*' "$unit" ||
	{ echo "FAIL: $unit: not Type=notify with NotifyAccess=main and a WatchdogSec"; exit 1; }
if ! command -v systemd-analyze >/dev/null; then
	echo "SKIP: systemd-analyze is not installed (Debian package systemd)"
	exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fh-systemd.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
sed "s#/usr/local/sbin/fenghuod#$fenghuod#g" "$unit" >"$tmp/fenghuod.service"
grep -q "^ExecStart=$fenghuod -c " "$tmp/fenghuod.service" ||
	{ echo "FAIL: no ExecStart running fenghuod -c in $unit"; exit 1; }
out=$(cd "$tmp" && systemd-analyze verify --man=no fenghuod.service 2>&1)
rc=$?
if [ $rc -ne 0 ] || [ -n "$out" ]; then
	echo "FAIL: systemd-analyze verify $unit (exit $rc):"
	echo "$out"
	exit 1
fi
# The ExecStartPre line, with the config path swapped for a known-good file.
pre=$(sed -n 's/^ExecStartPre=//p' "$tmp/fenghuod.service")
pre=${pre//\/etc\/fenghuo\/fenghuod.conf/$dir/good/minimal.conf}
out=$($pre 2>&1)
rc=$?
if [ $rc -ne 0 ] || [ "$out" != "configuration OK" ]; then
	echo "FAIL: '$pre' exited $rc: $out"
	exit 1
fi
echo "ok: $unit verifies; its ExecStartPre check passes on a good config; reload is check + SIGHUP"
