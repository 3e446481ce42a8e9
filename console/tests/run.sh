#!/usr/bin/env bash
# The console's checks, for CTest (tests/CMakeLists.txt). NODE_MODULES is the
# build tree's `npm ci` of console/package-lock.json (cmake/console.cmake).
#
#   console/tests/run.sh typecheck NODE_MODULES
#   console/tests/run.sh catalogs
#   console/tests/run.sh browser NODE_MODULES BINARY SCREENSHOT_DIR DIST_DIR
#
# browser exits 77 (a CTest skip) when Debian's chromium is not installed
# (tools/install-deps.sh test installs it).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
console="$(cd "$here/.." && pwd)"

case "${1:-}" in
    typecheck)
        modules="$2"
        # tsc looks for packages beside the sources; the packages are in the
        # build tree, so a tsconfig there maps them.
        cfg="$(dirname "$modules")/tsconfig.check.json"
        cat >"$cfg" <<JSON
{
  "extends": "$console/tsconfig.json",
  "compilerOptions": {
    "baseUrl": "$modules",
    "paths": { "preact": ["preact"], "preact/*": ["preact/*"] },
    "typeRoots": ["$modules/@types"],
    "types": []
  },
  "include": ["$console/src"]
}
JSON
        exec node "$modules/typescript/bin/tsc" --noEmit -p "$cfg"
        ;;
    catalogs)
        exec node "$here/catalogs.test.cjs"
        ;;
    browser)
        modules="$2" binary="$3" shots="$4" dist="$5"
        chromium="${BEACON_CHROMIUM:-/usr/bin/chromium}"
        if [[ ! -x "$chromium" ]]; then
            echo "console_browser: skipped: no $chromium (tools/install-deps.sh test installs chromium)"
            exit 77
        fi
        NODE_PATH="$modules" exec node "$here/browser.test.cjs" "$binary" "$shots" "$dist"
        ;;
    *)
        echo "usage: $0 typecheck NODE_MODULES | catalogs | browser NODE_MODULES BINARY SCREENSHOT_DIR DIST_DIR" >&2
        exit 2
        ;;
esac
