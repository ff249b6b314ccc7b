#!/usr/bin/env bash
# Throw-away PostgreSQL server for tests and CI.
#
#   scripts/pg-test-server.sh [start]   start a server on 127.0.0.1, print its DATABASE_URL on stdout
#   scripts/pg-test-server.sh stop      stop it and delete its data directory
#   scripts/pg-test-server.sh status    exit 0 and print the URL if it is running, else exit 1
#
#   export DATABASE_URL="$(scripts/pg-test-server.sh)"
#
# The cluster lives in a fresh temporary directory, listens on 127.0.0.1 only (first free port
# from PG_PORT, default 54329), trusts every local connection (user `postgres`, no password)
# and runs with fsync=off: fast, and never to be used for data you want to keep.
# If no PostgreSQL server binaries are found under /usr/lib/postgresql/*/bin, Debian's
# `postgresql` package is installed with apt-get (needs root or sudo).
# PostgreSQL refuses to run as root: as root the server runs as the `postgres` system user
# (created if missing), otherwise as the calling user.
#
# Environment: PG_PORT (first port to try), PG_BIN (directory with initdb/pg_ctl),
#              PG_TEST_STATE (state file, default ${TMPDIR:-/tmp}/cyclecrm-pg-test.state),
#              PG_DB (database to create, default cyclecrm).
set -euo pipefail

STATE_FILE="${PG_TEST_STATE:-${TMPDIR:-/tmp}/cyclecrm-pg-test.state}"
START_PORT="${PG_PORT:-54329}"
DB_NAME="${PG_DB:-cyclecrm}"

log() { echo "pg-test-server: $*" >&2; }
die() { log "error: $*"; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

find_bin() {
    if [ -n "${PG_BIN:-}" ]; then
        [ -x "$PG_BIN/initdb" ] || die "PG_BIN=$PG_BIN has no initdb"
        echo "$PG_BIN"
        return
    fi
    local initdb
    initdb="$(printf '%s\n' /usr/lib/postgresql/*/bin/initdb | grep -v '\*' | sort -V | tail -n 1)" \
        || true
    if [ -n "$initdb" ]; then dirname "$initdb"; fi
}

ensure_installed() {
    local bin
    bin="$(find_bin)"
    if [ -z "$bin" ]; then
        log "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin: installing Debian's postgresql"
        as_root apt-get update -qq >&2
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            postgresql >&2
        bin="$(find_bin)"
        [ -n "$bin" ] || die "postgresql installed but no initdb found under /usr/lib/postgresql/*/bin"
    fi
    echo "$bin"
}

# The OS user that owns and runs the cluster.
server_user() {
    if [ "$(id -u)" -ne 0 ]; then
        id -un
    elif id postgres >/dev/null 2>&1; then
        echo postgres
    elif useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
        postgres >/dev/null 2>&1; then
        echo postgres
    else
        echo nobody
    fi
}

run_as() {
    local user="$1"; shift
    if [ "$(id -un)" = "$user" ]; then
        "$@"
    else
        runuser -u "$user" -- "$@"
    fi
}

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

free_port() {
    local port="$START_PORT" last=$((START_PORT + 100))
    while [ "$port" -le "$last" ]; do
        if ! port_in_use "$port"; then echo "$port"; return; fi
        port=$((port + 1))
    done
    die "no free port in $START_PORT..$last"
}

load_state() {
    [ -f "$STATE_FILE" ] || return 1
    # shellcheck disable=SC1090
    . "$STATE_FILE"
}

is_running() {
    load_state || return 1
    [ -d "$PGDATA" ] || return 1
    (cd / && run_as "$PGUSER_OS" "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1)
}

url() { echo "postgres://postgres@127.0.0.1:$PGPORT/$DB_NAME"; }

cmd_start() {
    if is_running; then
        log "already running (data dir $PGDATA)"
        url
        return
    fi
    [ -f "$STATE_FILE" ] && cmd_stop

    PGBIN="$(ensure_installed)"
    PGUSER_OS="$(server_user)"
    PGPORT="$(free_port)"
    ROOT="$(mktemp -d "${TMPDIR:-/tmp}/cyclecrm-pg.XXXXXX")"
    PGDATA="$ROOT/data"
    chmod 755 "$ROOT"
    mkdir -m 700 "$PGDATA"
    if [ "$(id -u)" -eq 0 ]; then chown "$PGUSER_OS" "$ROOT" "$PGDATA"; fi

    cat >"$STATE_FILE" <<EOF
PGBIN='$PGBIN'
PGUSER_OS='$PGUSER_OS'
PGPORT='$PGPORT'
PGDATA='$PGDATA'
ROOT='$ROOT'
EOF

    log "initdb ($("$PGBIN/postgres" --version), user $PGUSER_OS) in $PGDATA"
    (cd "$ROOT" && run_as "$PGUSER_OS" "$PGBIN/initdb" --pgdata="$PGDATA" --username=postgres \
        --auth=trust --encoding=UTF8 --no-locale --no-sync >"$ROOT/initdb.log" 2>&1) \
        || { cat "$ROOT/initdb.log" >&2; die "initdb failed"; }

    cat >>"$PGDATA/postgresql.conf" <<EOF

# --- throw-away test server (scripts/pg-test-server.sh) ---
listen_addresses = '127.0.0.1'
port = $PGPORT
unix_socket_directories = '$ROOT'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
EOF

    log "starting on 127.0.0.1:$PGPORT"
    if ! (cd "$ROOT" && run_as "$PGUSER_OS" "$PGBIN/pg_ctl" -D "$PGDATA" -l "$ROOT/server.log" \
        -w -t 60 start >/dev/null); then
        cat "$ROOT/server.log" >&2 || true
        die "server did not start"
    fi
    local i
    for i in $(seq 1 60); do
        if "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT" -U postgres; then break; fi
        [ "$i" -eq 60 ] && die "server not ready after 30s"
        sleep 0.5
    done
    "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres "$DB_NAME"
    log "ready; stop with: $0 stop"
    url
}

cmd_stop() {
    if ! load_state; then
        log "not running (no $STATE_FILE)"
        return 0
    fi
    if [ -d "$PGDATA" ]; then
        (cd / && run_as "$PGUSER_OS" "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate -w -t 30 stop \
            >/dev/null 2>&1) || true
    fi
    case "$ROOT" in
        "${TMPDIR:-/tmp}"/cyclecrm-pg.*) rm -rf "$ROOT" ;;
        *) log "not deleting unexpected directory $ROOT" ;;
    esac
    rm -f "$STATE_FILE"
    log "stopped"
}

cmd_status() {
    if is_running; then url; else log "not running"; return 1; fi
}

case "${1:-start}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    -h | --help | help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' ;;
    *) die "unknown command '$1' (start|stop|status)" ;;
esac
