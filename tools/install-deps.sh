#!/usr/bin/env bash
# Installs the Debian 12 packages Beacon needs to build, test and benchmark.
# Idempotent: does nothing when every package is present; runs `apt-get update`
# only when something is missing. Usage: tools/install-deps.sh [build|test|bench|check|fuzz]
set -euo pipefail

build_pkgs=(
  build-essential cmake pkg-config ninja-build
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsqlite3-dev libjwt-dev libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev
  zlib1g-dev libssl-dev libgtest-dev libgmock-dev libbenchmark-dev
  libpq-dev libhiredis-dev libcurl4-openssl-dev libzip-dev libplist-dev
  libhowardhinnant-date-dev libxxhash-dev libjemalloc-dev tzdata
)
# chromium: the console's browser suite (console/tests/browser.test.cjs, headless);
# fonts-wqy-microhei: CJK glyphs for its Chinese pages and screenshots.
test_pkgs=(curl python3 postgresql-15 redis-server aapt android-framework-res libplist-utils zip chromium fonts-wqy-microhei)
bench_pkgs=(nginx-light wrk valgrind)  # valgrind: bench/load/instructions.py (callgrind)
# The source checks: layering (python3), format and tidy (clang 14).
check_pkgs=(python3 clang-format-14 clang-tidy-14)
# The libFuzzer harnesses: clang 14 and its runtime (libFuzzer itself), and
# aapt / plistutil / python3 for the seed corpora.
fuzz_pkgs=(clang-14 libclang-rt-14-dev python3 aapt android-framework-res libplist-utils)

want=("${build_pkgs[@]}")
case "${1:-build}" in
  build) ;;
  test) want+=("${test_pkgs[@]}") ;;
  bench) want+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
  check) want+=("${check_pkgs[@]}") ;;
  fuzz) want+=("${fuzz_pkgs[@]}") ;;
  *) echo "usage: $0 [build|test|bench|check|fuzz]" >&2; exit 2 ;;
esac

# Node.js and npm (the web console's build, console/, and the S3 test peer)
# come from Debian only where the machine has none: a NodeSource nodejs
# already on the machine conflicts with Debian's npm. Every build needs them
# now (cmake/console.cmake); the source checks do not.
case "${1:-build}" in check) ;; *) command -v npm >/dev/null || want+=(nodejs npm) ;; esac

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
