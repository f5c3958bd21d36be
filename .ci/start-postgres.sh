#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for the service tests and print the URL to use, e.g.
#   export CHARTCODER_TEST_POSTGRES_URL=$(bash .ci/start-postgres.sh)
# It listens on 127.0.0.1 only (a free port), trusts local connections, and holds a database
# `chartcoder_test`. Installs PostgreSQL with apt-get when it is missing and we are root.
# Stop it with: pg_ctl -D "$PGDATA" stop   (PGDATA is printed on stderr); with PG_STOP_SCRIPT=FILE set, the
# stop command (and the removal of the data folder) is also written to FILE, for a caller's exit trap.
set -euo pipefail

log() { echo "start-postgres: $*" >&2; }

find_bindir() {
    local dir
    for dir in /usr/lib/postgresql/*/bin; do
        [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
    done
    return 1
}

bindir=$(find_bindir || true)
if [ -z "$bindir" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        log "PostgreSQL is not installed and we are not root: apt-get install -y postgresql"
        exit 1
    fi
    log "installing PostgreSQL"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    bindir=$(find_bindir)
fi

# PostgreSQL refuses to run as root: run it as the postgres user when we are root.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
data=$(mktemp -d -t chartcoder-pg-XXXXXX)
if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$data"
fi
user=$(as_owner id -un)

as_owner "$bindir/initdb" -D "$data" -U "$user" --auth=trust --encoding=UTF8 --no-locale >/dev/null
as_owner "$bindir/pg_ctl" -D "$data" -l "$data/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$data -c fsync=on" start >/dev/null
as_owner "$bindir/createdb" -h 127.0.0.1 -p "$port" -U "$user" chartcoder_test

log "PGDATA=$data (stop: runuser -u $user -- $bindir/pg_ctl -D $data stop)"
if [ -n "${PG_STOP_SCRIPT:-}" ]; then
    stop="$bindir/pg_ctl -D $data -m fast -w stop >/dev/null"
    [ "$(id -u)" -eq 0 ] && stop="runuser -u postgres -- $stop"
    printf '%s\nrm -rf %q\n' "$stop" "$data" > "$PG_STOP_SCRIPT"
fi
echo "postgresql+psycopg://$user@127.0.0.1:$port/chartcoder_test"
