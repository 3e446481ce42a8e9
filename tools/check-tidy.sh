#!/usr/bin/env bash
# Runs clang-tidy 14 (the checks of .clang-tidy, every finding an error) over
# the sources under src/, with the compile commands of the debug build
# (configured here if needed). Headers under src/ are checked through the
# sources that include them. `make tidy`; not part of .ci/run: 67 sources took
# 6 min of CPU (about 3 min on 2 idle cores, 13 min on a shared machine), on
# top of the debug and tsan builds that already fill most of the CI budget.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"
if [[ ! -f build/debug/compile_commands.json ]]; then
    cmake --preset debug >/dev/null
fi
# The debug build's flags are g++'s: clang does not know some warning options
# (-Wno-restrict), and without this -Werror would turn that into an error.
run-clang-tidy-14 -quiet -p build/debug -j "${JOBS:-$(nproc)}" \
    -clang-tidy-binary clang-tidy-14 \
    -extra-arg=-Wno-unknown-warning-option \
    "^$root/src/"
