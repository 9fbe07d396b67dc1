#!/usr/bin/env bash
# tests/fuzz/run.sh [SECONDS]: build every fuzz target with clang, libFuzzer, ASan and UBSan,
# and run each for SECONDS (default 30). Exits non-zero when any target finds a crash, a
# leak, a sanitizer error, a broken invariant or a timeout.
#
# Environment:
#   BUILD_DIR   build directory (default build-fuzz, relative to the repository root)
#   FUZZ_CC     the compiler (default clang)
#   FUZZ_ONLY   space-separated target names to run (default: every target built)
#   FUZZ_JOBS   parallel build jobs (default 2)
#
# Each target starts from its seed corpus (tests/fuzz/corpus/NAME) and its regression inputs
# (tests/fuzz/regress/NAME), read-only; what it discovers goes to BUILD_DIR/fuzz-work/NAME,
# kept between runs so that coverage accumulates, and never into the source tree. A crashing
# input is written to BUILD_DIR/fuzz-artifacts/NAME/; once its cause is fixed, copy it to
# tests/fuzz/regress/NAME/ so that ctest replays it from then on (tests/fuzz/README.md).
set -euo pipefail

secs=${1:-30}
case $secs in
'' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 64 ;;
esac
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-build-fuzz}
case $build in
/*) ;;
*) build=$root/$build ;;
esac
fuzzsrc=$root/tests/fuzz

echo "== building fuzz targets in $build"
CC=${FUZZ_CC:-clang} cmake -S "$root" -B "$build" -DFH_FUZZ=ON -DFH_SANITIZE=ON \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target fuzz -j "${FUZZ_JOBS:-2}" >/dev/null

# The largest input each target gets: a little beyond the limit the code under test
# enforces, so that the "too big" paths are reached too, and not much more (larger inputs
# only make every run slower).
max_len() {
	case $1 in
	envelope) echo 66000 ;;
	config) echo 16384 ;;
	*) echo 131072 ;;
	esac
}

targets=${FUZZ_ONLY:-}
if [ -z "$targets" ]; then
	for bin in "$build"/tests/fuzz/fuzz_*; do
		[ -f "$bin" ] && [ -x "$bin" ] || continue
		targets="$targets ${bin##*/fuzz_}"
	done
fi

# The targets' temporary stores live under one directory that goes when this script does
# (a crash or a killed run skips the targets' own clean-up); tmpfs when there is one.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	FH_FUZZ_TMP=$(mktemp -d /dev/shm/fh-fuzz-run.XXXXXX)
else
	FH_FUZZ_TMP=$(mktemp -d)
fi
export FH_FUZZ_TMP
trap 'rm -rf "$FH_FUZZ_TMP"' EXIT

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=
for t in $targets; do
	bin=$build/tests/fuzz/fuzz_$t
	work=$build/fuzz-work/$t
	art=$build/fuzz-artifacts/$t
	mkdir -p "$work" "$art"
	dirs=("$work" "$fuzzsrc/corpus/$t")
	[ -d "$fuzzsrc/regress/$t" ] && dirs+=("$fuzzsrc/regress/$t")
	echo "== fuzz_$t for ${secs}s"
	touch "$build/fuzz-$t.start"	# to tell this run's crash inputs from older ones
	rc=0
	"$bin" -max_total_time="$secs" -max_len="$(max_len "$t")" -timeout=20 \
		-rss_limit_mb=2048 -error_exitcode=77 -artifact_prefix="$art/" \
		-print_final_stats=1 "${dirs[@]}" >"$build/fuzz-$t.log" 2>&1 || rc=$?
	# (libFuzzer prints its final stats again when it dies at exit, e.g. on a leak.)
	grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added)' \
		"$build/fuzz-$t.log" | awk '!seen[$0]++' || true
	if [ "$rc" -ne 0 ]; then
		echo "!! fuzz_$t failed (exit $rc); log $build/fuzz-$t.log; input(s):"
		find "$art" -type f -newer "$build/fuzz-$t.start" -print || true
		grep -E 'ERROR|SUMMARY|invariant|runtime error' "$build/fuzz-$t.log" | head -20 || true
		failed="$failed $t"
	fi
done
if [ -n "$failed" ]; then
	echo "== FAILED:$failed"
	exit 1
fi
echo "== all fuzz targets ran ${secs}s without a finding"
