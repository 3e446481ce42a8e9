#!/usr/bin/env bash
# Runs the checks of docs/api/openapi.json, for CTest (tests/CMakeLists.txt):
#
#   tests/openapi/run.sh lint                  # two independent validators of the document
#   tests/openapi/run.sh conformance BINARY    # the real binary's responses against the document
#
# The npm packages (pinned in package-lock.json) are installed here with
# `npm ci` when node_modules is missing or was installed from another
# lockfile, under a lock so that tests running in parallel install once.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
doc="$root/docs/api/openapi.json"

usage() {
    echo "usage: $0 lint | conformance BINARY" >&2
    exit 2
}

ensure_node_modules() {
    local stamp="$here/node_modules/.beacon-lock-sha256"
    local want
    want="$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)"
    exec 9>"$here/.npm-ci.lock"
    flock 9
    if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
        echo "run.sh: installing the OpenAPI checkers with npm ci" >&2
        (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >&2)
        echo "$want" >"$stamp"
    fi
    flock -u 9
}

[[ $# -ge 1 ]] || usage
ensure_node_modules
case "$1" in
    lint)
        [[ $# -eq 1 ]] || usage
        # Redocly's recommended rules, warnings included (redocly.yaml); the
        # few that do not fit are listed one by one in .redocly.lint-ignore.yaml.
        (cd "$here" && REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
            node_modules/.bin/redocly lint --config redocly.yaml ../../docs/api/openapi.json)
        node "$here/validate.mjs" "$doc"
        ;;
    conformance)
        [[ $# -eq 2 ]] || usage
        BEACON_BINARY="$2" BEACON_SOURCE_DIR="$root" node --test --test-reporter=spec "$here/conformance.test.mjs"
        ;;
    *) usage ;;
esac
