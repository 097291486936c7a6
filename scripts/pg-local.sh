#!/usr/bin/env bash
# A PostgreSQL 15 server of its own in a directory, for tests, benchmarks and
# scripts/cluster.sh (Debian's postgresql-15; nothing is installed or changed
# outside DIR).
#
#   scripts/pg-local.sh start DIR   initdb DIR/pgdata when it is missing, start
#                                   the server with its Unix socket in DIR (no
#                                   TCP), wait until it accepts connections and
#                                   print the conninfo (a postgresql:// URI)
#   scripts/pg-local.sh stop DIR    stop it (fast shutdown) when it runs
#   scripts/pg-local.sh uri DIR     print the conninfo
#
# DIR must be a directory the unprivileged user can enter: when run as root,
# initdb and the server run as `postgres` (initdb refuses root), so DIR is
# handed to that user; use a directory of its own under /tmp (mktemp -d).
# Extra server settings may be passed in PG_LOCAL_SETTINGS ("-c name=value ...").
set -euo pipefail

usage() { echo "usage: $0 start|stop|uri DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
action=$1
dir=$(cd "$2" 2>/dev/null && pwd) || { echo "pg-local: no directory $2" >&2; exit 2; }

bindir=$(pg_config --bindir 2>/dev/null || true)
[ -x "$bindir/initdb" ] || bindir=/usr/lib/postgresql/15/bin
[ -x "$bindir/initdb" ] || { echo "pg-local: PostgreSQL 15 is not installed (scripts/install-deps.sh)" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

uri() { echo "postgresql:///postgres?host=$dir&user=postgres"; }

case "$action" in
  start)
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir"; chmod 700 "$dir"; fi
    if [ ! -f "$dir/pgdata/PG_VERSION" ]; then
      as_owner "$bindir/initdb" -D "$dir/pgdata" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    if ! as_owner "$bindir/pg_ctl" -D "$dir/pgdata" status >/dev/null 2>&1; then
      # Unix socket only, in DIR; enough connections for three nodes and the
      # tests' own; every other setting is PostgreSQL's default
      # (synchronous_commit = on, fsync = on).
      as_owner "$bindir/pg_ctl" -D "$dir/pgdata" -l "$dir/server.log" -w -t 60 start \
        -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c max_connections=300 ${PG_LOCAL_SETTINGS:-}" \
        >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    fi
    uri
    ;;
  stop)
    if [ -f "$dir/pgdata/PG_VERSION" ] && as_owner "$bindir/pg_ctl" -D "$dir/pgdata" status >/dev/null 2>&1; then
      as_owner "$bindir/pg_ctl" -D "$dir/pgdata" -m fast -w -t 60 stop >/dev/null
    fi
    ;;
  uri) uri ;;
  *) usage ;;
esac
