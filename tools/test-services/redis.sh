#!/usr/bin/env bash
# Starts and stops a throwaway Redis test peer: Debian's redis-server on a free
# loopback port (or PORT), no persistence, state in STATE_DIR.
#
#   tools/test-services/redis.sh start STATE_DIR [PORT]  # prints redis://127.0.0.1:PORT; writes STATE_DIR/env
#   tools/test-services/redis.sh stop  STATE_DIR         # stops it by the PID in STATE_DIR/redis.pid
#   tools/test-services/redis.sh resume STATE_DIR        # starts it again on the port it had (empty: no
#                                                        # persistence); fault tests stop and resume it
#   tools/test-services/redis.sh logs  STATE_DIR         # prints its log
#
# STATE_DIR/env, for `source`: export BEACON_TEST_REDIS_URL=redis://127.0.0.1:PORT
# redis-server comes from `tools/install-deps.sh test`.
set -euo pipefail

usage() {
    echo "usage: $0 start STATE_DIR [PORT] | stop STATE_DIR | resume STATE_DIR | logs STATE_DIR" >&2
    exit 2
}

[[ $# -ge 2 ]] || usage
cmd="$1"
state="$2"
want_port="${3:-}"

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

alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1" 2>/dev/null)" 2>/dev/null; }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Our server answers on PORT: PING works and the server's pid is the one in
# our pid file (not another redis that already had the port).
answers() {
    [[ -s "$state/redis.pid" ]] || return 1
    local pid
    pid="$(redis-cli -h 127.0.0.1 -p "$1" info server 2>/dev/null | tr -d '\r' | sed -n 's/^process_id://p')"
    [[ -n "$pid" && "$pid" == "$(cat "$state/redis.pid")" ]] &&
        [[ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" == PONG ]]
}

# Started, or failed for good (it exited, or logged that it cannot listen).
started_or_gone() {
    answers "$1" || { [[ -f "$state/redis.pid" ]] && ! alive "$state/redis.pid"; } ||
        grep -q 'Could not create server TCP listening socket\|FATAL' "$state/redis.log" 2>/dev/null
}

stop() {
    local file="$state/redis.pid"
    if alive "$file"; then
        local pid
        pid="$(cat "$file")"
        kill "$pid" 2>/dev/null || true
        kill -CONT "$pid" 2>/dev/null || true # a frozen (SIGSTOP) server must run to exit
        wait_for 10 bash -c "! kill -0 $pid 2>/dev/null" || kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$file"
}

start() {
    command -v redis-server >/dev/null || {
        echo "redis.sh: redis-server not found; run tools/install-deps.sh test" >&2
        exit 1
    }
    mkdir -p "$state"
    state="$(cd "$state" && pwd)"
    if alive "$state/redis.pid"; then
        echo "redis.sh: already running (pid $(cat "$state/redis.pid")) in $state" >&2
        exit 1
    fi
    rm -f "$state/redis.pid"

    # A free port can be taken between the probe and the bind: try a few.
    local attempts=5 port
    [[ -n "$want_port" ]] && attempts=1
    for ((i = 0; i < attempts; i++)); do
        port="${want_port:-$(free_port)}"
        : >"$state/redis.log"
        redis-server --save '' --appendonly no --port "$port" --bind 127.0.0.1 \
            --daemonize yes --pidfile "$state/redis.pid" --dir "$state" \
            --logfile "$state/redis.log" >/dev/null
        if wait_for 10 started_or_gone "$port" && answers "$port"; then
            echo "$port" >"$state/port"
            echo "export BEACON_TEST_REDIS_URL=redis://127.0.0.1:$port" >"$state/env"
            echo "redis://127.0.0.1:$port"
            return 0
        fi
        stop
    done
    echo "redis.sh: redis-server did not start:" >&2
    tail -n 20 "$state/redis.log" >&2 || true
    exit 1
}

case "$cmd" in
    start) start ;;
    stop) stop ;;
    resume)
        [[ -s "$state/port" ]] || {
            echo "redis.sh: no port recorded in $state to resume on (run start first)" >&2
            exit 1
        }
        want_port="$(cat "$state/port")"
        start
        ;;
    logs)
        if [[ -f "$state/redis.log" ]]; then
            echo "----- redis log (last 200 lines) -----"
            tail -n 200 "$state/redis.log"
        fi
        ;;
    *) usage ;;
esac
