#!/usr/bin/env bash
# Starts and stops the PostgreSQL test peer: a throwaway cluster (initdb) in
# STATE_DIR on a free loopback port, with fsync on, and a database beacon_test.
#
#   tools/test-services/postgres.sh start STATE_DIR  # prints the postgres:// URL; writes
#                                                    # STATE_DIR/postgres.pid and STATE_DIR/env
#   tools/test-services/postgres.sh stop  STATE_DIR  # pg_ctl stop -m fast, by the PID in postgres.pid;
#                                                    # the cluster's data stays in STATE_DIR
#   tools/test-services/postgres.sh resume STATE_DIR # starts the stopped cluster again, same data and
#                                                    # port (fault tests: PostgreSQL going away and back)
#   tools/test-services/postgres.sh logs  STATE_DIR  # prints the server log
#
# STATE_DIR/env, for `source`: export BEACON_TEST_PG_URL=postgres://beacon:<pw>@127.0.0.1:<port>/beacon_test
#
# PostgreSQL refuses to run as root. As root the script creates a system user
# `beacon-pg` (once) and runs initdb/pg_ctl as that user; STATE_DIR is made
# traversable (o+x) so that user can reach STATE_DIR/pg, which it owns. As any
# other user it runs them as that user. TCP logins use a password (SCRAM),
# random per cluster; the unix socket (inside STATE_DIR/pg) trusts local users.
set -euo pipefail

pg_bin="${BEACON_PG_BIN:-/usr/lib/postgresql/15/bin}"
pg_user="beacon-pg"
db_name="beacon_test"
db_role="beacon"

usage() {
    echo "usage: $0 start|stop|resume|logs STATE_DIR" >&2
    exit 2
}

[[ $# -eq 2 ]] || usage
cmd="$1"
mkdir -p "$2"
state="$(cd "$2" && pwd)"
pg_dir="$state/pg"
data="$pg_dir/pgdata"
log="$pg_dir/postgres.log"
pid_file="$state/postgres.pid"
port_file="$state/postgres.port"

# as_pg CMD...: runs CMD as the cluster's owner.
as_pg() {
    if [[ "$(id -u)" -eq 0 ]]; then
        runuser -u "$pg_user" -- "$@"
    else
        "$@"
    fi
}

ensure_user() {
    [[ "$(id -u)" -eq 0 ]] || return 0
    if ! id -u "$pg_user" >/dev/null 2>&1; then
        useradd --system --user-group --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$pg_user" 2>/dev/null || id -u "$pg_user" >/dev/null
    fi
}

free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

alive() { [[ -f "$pid_file" ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null; }

# pg_start PORT: starts the cluster in $data on PORT; false when it did not.
pg_start() {
    as_pg "$pg_bin/pg_ctl" start -D "$data" -l "$log" -w -t 60 -o \
        "-c listen_addresses=127.0.0.1 -c port=$1 -c unix_socket_directories='$pg_dir' -c fsync=on -c max_connections=200" \
        >/dev/null 2>&1
}

start() {
    if alive; then
        echo "postgres.sh: already running in $state (pid $(cat "$pid_file"))" >&2
        exit 1
    fi
    [[ -x "$pg_bin/initdb" ]] || {
        echo "postgres.sh: $pg_bin/initdb not found (tools/install-deps.sh test installs postgresql-15)" >&2
        exit 1
    }
    ensure_user
    rm -rf "$pg_dir"
    mkdir -p "$pg_dir"
    if [[ "$(id -u)" -eq 0 ]]; then
        chmod o+x "$state"
        chown "$pg_user:" "$pg_dir"
        chmod 0700 "$pg_dir"
        if ! as_pg test -w "$pg_dir"; then
            echo "postgres.sh: user $pg_user cannot reach $pg_dir (a parent directory is not o+x)" >&2
            exit 1
        fi
    fi

    local password
    password="$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
    as_pg bash -c "umask 077 && printf '%s\n' '$password' > '$pg_dir/pwfile'"
    as_pg "$pg_bin/initdb" -D "$data" -U "$db_role" --pwfile="$pg_dir/pwfile" \
        --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 \
        --no-instructions >"$pg_dir/initdb.log" 2>&1 || {
        echo "postgres.sh: initdb failed:" >&2
        cat "$pg_dir/initdb.log" >&2
        exit 1
    }
    rm -f "$pg_dir/pwfile"

    # A free port can be taken between finding and binding it: try a few.
    local port="" attempt
    for attempt in 1 2 3 4 5; do
        port="$(free_port)"
        if pg_start "$port"; then
            break
        fi
        port=""
        if ! grep -q "could not bind\|Address already in use" "$log" 2>/dev/null; then
            break
        fi
    done
    if [[ -z "$port" ]]; then
        echo "postgres.sh: postgres did not start:" >&2
        tail -n 50 "$log" >&2 || true
        exit 1
    fi
    head -n1 "$data/postmaster.pid" >"$pid_file"
    echo "$port" >"$port_file"

    as_pg "$pg_bin/psql" -h "$pg_dir" -p "$port" -U "$db_role" -d postgres -v ON_ERROR_STOP=1 -qAt \
        -c "CREATE DATABASE $db_name" >/dev/null

    local url="postgres://$db_role:$password@127.0.0.1:$port/$db_name"
    umask 077
    printf 'export BEACON_TEST_PG_URL=%s\n' "$url" >"$state/env"
    echo "$url"
}

stop() {
    if [[ ! -f "$pid_file" ]]; then
        return 0
    fi
    local pid
    pid="$(cat "$pid_file")"
    if kill -0 "$pid" 2>/dev/null; then
        # pg_ctl signals the postmaster of $data, which is $pid.
        if [[ -f "$data/postmaster.pid" && "$(head -n1 "$data/postmaster.pid")" == "$pid" ]]; then
            as_pg "$pg_bin/pg_ctl" stop -D "$data" -m fast -w -t 30 >/dev/null 2>&1 || true
        fi
        if kill -0 "$pid" 2>/dev/null; then
            kill -INT "$pid" 2>/dev/null || true  # fast shutdown
            for _ in $(seq 100); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            kill -0 "$pid" 2>/dev/null && kill -QUIT "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$pid_file"
}

# Starts again what stop() left: the same data dir on the same port (the
# clients' URL stays valid). Fails when the port has been taken meanwhile.
resume() {
    if alive; then
        echo "postgres.sh: already running in $state (pid $(cat "$pid_file"))" >&2
        exit 1
    fi
    if [[ ! -f "$data/PG_VERSION" || ! -s "$port_file" ]]; then
        echo "postgres.sh: no stopped cluster in $state to resume (run start first)" >&2
        exit 1
    fi
    local port
    port="$(cat "$port_file")"
    if ! pg_start "$port"; then
        echo "postgres.sh: postgres did not restart on port $port:" >&2
        tail -n 50 "$log" >&2 || true
        exit 1
    fi
    head -n1 "$data/postmaster.pid" >"$pid_file"
}

case "$cmd" in
    start) start ;;
    stop) stop ;;
    resume) resume ;;
    logs)
        if [[ -f "$log" ]]; then
            echo "----- postgres log (last 200 lines) -----"
            tail -n 200 "$log"
        fi
        ;;
    *) usage ;;
esac
