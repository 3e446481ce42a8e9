#!/usr/bin/env bash
# Starts and stops the S3 test peer: s3rver (npm, pinned in package-lock.json)
# on a free loopback port with its data in STATE_DIR, behind sigv4-proxy.mjs,
# which verifies every request's AWS Signature V4 (s3rver does not).
#
#   tools/test-services/s3.sh start STATE_DIR   # prints the endpoint; writes STATE_DIR/env
#   tools/test-services/s3.sh stop  STATE_DIR   # stops both, by the PIDs in STATE_DIR
#   tools/test-services/s3.sh resume STATE_DIR  # starts both again on the ports they had, same data
#                                               # (the soak: the S3 peer going away and back)
#   tools/test-services/s3.sh logs  STATE_DIR   # prints both logs
#
# STATE_DIR/env, for `source`:
#   BEACON_TEST_S3_ENDPOINT          the verifying proxy (what tests should use)
#   BEACON_TEST_S3_DIRECT_ENDPOINT   s3rver itself (only to show what the proxy catches)
#   BEACON_TEST_S3_BUCKET, _REGION, _ACCESS_KEY, _SECRET_KEY
#
# Node modules are installed with `npm ci` from the committed lockfile when
# missing or when the lockfile changed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bucket="beacon-test"

usage() {
    echo "usage: $0 start|stop|resume|logs STATE_DIR" >&2
    exit 2
}

[[ $# -eq 2 ]] || usage
cmd="$1"
state="$2"

ensure_node_modules() {
    local stamp="$here/node_modules/.beacon-lock-sha256"
    local want
    want="$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        return
    fi
    echo "s3.sh: installing test services with npm ci" >&2
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >&2)
    echo "$want" >"$stamp"
}

# wait_for SECONDS COMMAND...: polls COMMAND every 0.1 s.
wait_for() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        if ((SECONDS >= deadline)); then
            return 1
        fi
        sleep 0.1
    done
}

alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop_pid_file() {
    local file="$1"
    if alive "$file"; then
        local pid
        pid="$(cat "$file")"
        kill "$pid" 2>/dev/null || true
        wait_for 10 bash -c "! kill -0 $pid 2>/dev/null" || kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$file"
}

s3rver_port() { sed -n 's/^S3rver listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$state/s3rver.log" | head -n1; }
s3rver_ready() { [[ -n "$(s3rver_port)" ]] || ! alive "$state/s3rver.pid"; }
proxy_ready() { [[ -s "$state/proxy.port" ]] || ! alive "$state/proxy.pid"; }

# start [DIRECT_PORT PROXY_PORT]: any free ports, or these.
start() {
    local want_direct="${1:-0}" want_proxy="${2:-0}"
    mkdir -p "$state/data"
    ensure_node_modules

    node "$here/node_modules/s3rver/bin/s3rver.js" -d "$state/data" -a 127.0.0.1 -p "$want_direct" \
        --configure-bucket "$bucket" >"$state/s3rver.log" 2>&1 &
    echo $! >"$state/s3rver.pid"
    if ! wait_for 30 s3rver_ready || [[ -z "$(s3rver_port)" ]]; then
        echo "s3.sh: s3rver did not start:" >&2
        cat "$state/s3rver.log" >&2
        stop_pid_file "$state/s3rver.pid"
        exit 1
    fi
    local direct_port
    direct_port="$(s3rver_port)"

    rm -f "$state/proxy.port"
    node "$here/sigv4-proxy.mjs" --upstream "http://127.0.0.1:$direct_port" --port "$want_proxy" \
        --port-file "$state/proxy.port" --access-key S3RVER --secret-key S3RVER >"$state/proxy.log" 2>&1 &
    echo $! >"$state/proxy.pid"
    if ! wait_for 30 proxy_ready || [[ ! -s "$state/proxy.port" ]]; then
        echo "s3.sh: sigv4-proxy did not start:" >&2
        cat "$state/proxy.log" >&2
        stop_pid_file "$state/proxy.pid"
        stop_pid_file "$state/s3rver.pid"
        exit 1
    fi
    local proxy_port
    proxy_port="$(tr -d '[:space:]' <"$state/proxy.port")"

    cat >"$state/env" <<EOF
export BEACON_TEST_S3_ENDPOINT=http://127.0.0.1:$proxy_port
export BEACON_TEST_S3_DIRECT_ENDPOINT=http://127.0.0.1:$direct_port
export BEACON_TEST_S3_BUCKET=$bucket
export BEACON_TEST_S3_REGION=us-east-1
export BEACON_TEST_S3_ACCESS_KEY=S3RVER
export BEACON_TEST_S3_SECRET_KEY=S3RVER
EOF
    echo "http://127.0.0.1:$proxy_port"
}

case "$cmd" in
    start) start ;;
    resume)
        [[ -f "$state/env" ]] || { echo "s3.sh: $state was never started" >&2; exit 1; }
        start "$(sed -n 's/^export BEACON_TEST_S3_DIRECT_ENDPOINT=.*:\([0-9]*\)$/\1/p' "$state/env")" \
              "$(sed -n 's/^export BEACON_TEST_S3_ENDPOINT=.*:\([0-9]*\)$/\1/p' "$state/env")"
        ;;
    stop)
        stop_pid_file "$state/proxy.pid"
        stop_pid_file "$state/s3rver.pid"
        ;;
    logs)
        for log in proxy s3rver; do
            if [[ -f "$state/$log.log" ]]; then
                echo "----- $log log (last 200 lines) -----"
                tail -n 200 "$state/$log.log"
            fi
        done
        ;;
    *) usage ;;
esac
