#!/usr/bin/env bash
# setup.sh: set a fresh Debian 12 machine up for fenghuo, build it, and run the demo or tests.
#
#   bash tools/setup.sh demo   # packages + build + a 6-node mesh on 127.0.0.1 (README, 1st line)
#   bash tools/setup.sh test   # packages + build + every test (README, 2nd line)
#   bash tools/setup.sh build  # packages + build only
#   bash tools/setup.sh fuzz [SECONDS]  # packages (with clang) + every libFuzzer target
#   bash tools/setup.sh deb    # packages + the Debian package build-deb/fenghuo_VERSION_amd64.deb
#
# Environment: BUILD_DIR (default ./build), CMAKE_ARGS (extra cmake arguments, e.g.
# -DFH_SANITIZE=ON), JOBS (default: number of cores). Packages are installed only when one is
# missing, so a second run costs nothing; installing needs root (or sudo).
set -euo pipefail

mode=${1:-test}
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
targets=()
if [ "$mode" = deb ]; then
	# Its own build directory, prefix /usr, only what the package holds (cmake/package.cmake).
	build=${BUILD_DIR:-$top/build-deb}
	CMAKE_ARGS="${CMAKE_ARGS:-} -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON"
	targets=(--target fenghuo fenghuod fenghuo-linksim fh_package_files)
fi
jobs=${JOBS:-$(nproc)}

# Why each package is here: README.md, "Dependencies".
packages=(build-essential cmake pkg-config
	libsodium-dev libzmq3-dev liblmdb-dev libprotobuf-c-dev protobuf-c-compiler
	libjansson-dev libinih-dev libcmocka-dev libxml2-dev libxml2-utils zlib1g-dev libmicrohttpd-dev
	libcmark-gfm-dev libcmark-gfm-extensions-dev
	libsystemd-dev python3 python3-zmq python3-prometheus-client faketime espeak-ng curl gnuplot-nox graphviz)
[ "$mode" = fuzz ] && packages+=(clang libclang-rt-14-dev)
[ "$mode" = test ] && packages+=(chromium firefox-esr)
[ "$mode" = deb ] && packages+=(dpkg-dev mandoc lintian bash-completion man-db)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null
fi

# A package is built with Debian's hardening flags (read by cmake when it first configures).
if [ "$mode" = deb ]; then
	CFLAGS="$(dpkg-buildflags --get CFLAGS) $(dpkg-buildflags --get CPPFLAGS)"
	LDFLAGS=$(dpkg-buildflags --get LDFLAGS)
	export CFLAGS LDFLAGS
fi
# shellcheck disable=SC2086
cmake -S "$top" -B "$build" ${CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j "$jobs" "${targets[@]}"

case "$mode" in
build) ;;
fuzz)
	exec bash "$top/tests/fuzz/run.sh" "${2:-30}"
	;;
demo)
	exec bash "$top/tools/demo.sh" "$build"
	;;
test)
	cd "$build"
	exec ctest --output-on-failure -j "$jobs"
	;;
deb)
	cd "$build"
	cpack -G DEB >/dev/null
	ls "$build"/fenghuo_*.deb
	;;
*)
	echo "usage: setup.sh demo|test|build|fuzz [SECONDS]|deb" >&2
	exit 64
	;;
esac
