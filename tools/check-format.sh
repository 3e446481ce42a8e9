#!/usr/bin/env bash
# Checks that every C++ file under src/, tests/ and bench/ matches .clang-format
# (clang-format 14, the version the style was written for). Changes nothing:
# lists the files that differ and exits 1; `make format` rewrites them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
format=${CLANG_FORMAT:-clang-format-14}
if ! command -v "$format" >/dev/null; then
    echo "check-format: $format not found (apt-get install clang-format-14)" >&2
    exit 2
fi
mapfile -d '' files < <(find src tests bench fuzz -type f \( -name '*.cpp' -o -name '*.hpp' \) -print0 | sort -z)
bad=()
for f in "${files[@]}"; do
    if ! "$format" --dry-run --Werror "$f" >/dev/null 2>&1; then
        bad+=("$f")
    fi
done
if ((${#bad[@]})); then
    printf '%s\n' "${bad[@]}"
    echo "check-format: ${#bad[@]} of ${#files[@]} files do not match .clang-format (fix: make format)"
    exit 1
fi
echo "check-format: ok (${#files[@]} files)"
