#!/usr/bin/env bash
# A PostgreSQL of its own for trying Gatehouse on PostgreSQL, from Debian's package
# (apt-get install postgresql): initdb into a data directory of its own, pg_ctl to run it.
#
#   scripts/postgres-local.sh start   # prints the GATEHOUSE_DATABASE_URL to use
#   scripts/postgres-local.sh stop | status
#
# GATEHOUSE_PG_DIR: the data directory (default ./.postgres, as root /var/lib/postgresql/gatehouse-local); GATEHOUSE_PG_PORT: the port
# (default 5433, beside a system server on 5432). It listens on 127.0.0.1 only, trust auth
# for the user postgres: for trying things out, not for production.
set -euo pipefail
# As root the server runs as the postgres user, who must reach the directory.
DEFAULT_DIR=$([ "$(id -u)" = 0 ] && echo /var/lib/postgresql/gatehouse-local || echo .postgres)
DIR="$(realpath -m "${GATEHOUSE_PG_DIR:-$DEFAULT_DIR}")"
PORT="${GATEHOUSE_PG_PORT:-5433}"
BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
[ -x "$BIN/pg_ctl" ] || { echo "no PostgreSQL binaries under /usr/lib/postgresql: apt-get install postgresql" >&2; exit 1; }
# PostgreSQL refuses to run as root: run it as the postgres user then.
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "${1:-}" in
  start)
    if [ ! -f "$DIR/PG_VERSION" ]; then
      mkdir -p "$DIR"
      [ "$(id -u)" = 0 ] && chown postgres: "$DIR"
      chmod 700 "$DIR"
      as_owner "$BIN/initdb" -D "$DIR" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    fi
    as_owner "$BIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -o "-c listen_addresses=127.0.0.1 -p $PORT -k /tmp" -w start >/dev/null
    echo "PostgreSQL is running from $DIR on 127.0.0.1:$PORT"
    echo "export GATEHOUSE_DATABASE_URL=postgres://postgres@127.0.0.1:$PORT/postgres"
    ;;
  stop) as_owner "$BIN/pg_ctl" -D "$DIR" -m fast -w stop ;;
  status) as_owner "$BIN/pg_ctl" -D "$DIR" status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
