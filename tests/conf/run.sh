#!/usr/bin/env bash
# run.sh FENGHUOD DIR: `fenghuod -c F --check` on every tests/conf file.
# good/*.conf must print "configuration OK" and exit 0. bad/*.conf must exit EX_CONFIG (78)
# and print, for each "# expect: LINE: TEXT" line in the file, an error naming FILE:LINE:
# that contains TEXT.
set -u
fenghuod=$1
dir=$2
fail=0
n=0

for f in "$dir"/good/*.conf; do
	n=$((n + 1))
	out=$("$fenghuod" -c "$f" --check 2>&1)
	rc=$?
	if [ $rc -ne 0 ] || [ "$out" != "configuration OK" ]; then
		echo "FAIL $f: exit $rc, expected 0 and 'configuration OK':"
		echo "$out" | sed 's/^/    /'
		fail=1
	fi
done

for f in "$dir"/bad/*.conf; do
	n=$((n + 1))
	out=$("$fenghuod" -c "$f" --check 2>&1)
	rc=$?
	if [ $rc -ne 78 ]; then
		echo "FAIL $f: exit $rc, expected 78 (EX_CONFIG)"
		fail=1
	fi
	if ! grep -q '^# expect: ' "$f"; then
		echo "FAIL $f: no '# expect: LINE: TEXT' line in the test file"
		fail=1
	fi
	while IFS= read -r exp; do
		line=${exp%%: *}
		text=${exp#*: }
		if ! printf '%s\n' "$out" | grep -aF -- "$f:$line: " | grep -aqF -- "$text"; then
			echo "FAIL $f: no error '$f:$line: ...$text...' in:"
			echo "$out" | sed 's/^/    /'
			fail=1
		fi
	done < <(sed -n 's/^# expect: //p' "$f")
done

# A missing file is an error too (no line to name, but the file).
out=$("$fenghuod" -c "$dir/no-such-file.conf" --check 2>&1)
if [ $? -ne 78 ] || ! printf '%s\n' "$out" | grep -qF "no-such-file.conf: "; then
	echo "FAIL missing file: $out"
	fail=1
fi

[ $fail -eq 0 ] && echo "ok: $n configuration files"
exit $fail
