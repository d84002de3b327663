#!/usr/bin/env bash
# A throw-away PostgreSQL 15 cluster for tests.
#
#   tools/pg-test-cluster.sh start DIR   create and start a cluster in DIR (which must not
#                                       hold anything else) and print its URI on stdout:
#                                       postgresql://mxauth_test@127.0.0.1:PORT/postgres
#   tools/pg-test-cluster.sh stop DIR    stop it and remove DIR
#
# Both are idempotent: `start` on a running cluster prints its URI again; `stop` on a missing
# or stopped cluster just removes what is left. The cluster listens on 127.0.0.1 only, on a
# free port, with fsync off (data need not survive a crash), and trusts local connections:
# it is for tests on this machine and nothing else. PG_TEST_DURABLE=1 keeps PostgreSQL's
# durable defaults (fsync, synchronous commit, full-page writes) instead: benchmarks use it.
# initdb refuses to run as root, so as root the cluster belongs to the `postgres` system user.
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
ROLE=mxauth_test

usage() {
  echo "usage: $0 start|stop DIR" >&2
  exit 2
}

die() {
  echo "pg-test-cluster: $*" >&2
  exit 1
}

[[ $# -eq 2 ]] || usage
command=$1
dir=$2
[[ -n "$dir" && "$dir" != "/" ]] || die "refusing to use '$dir' as the cluster directory"

# Runs a PostgreSQL program as the cluster's owner.
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

data_dir() { echo "$dir/data"; }

is_running() {
  [[ -f "$(data_dir)/postmaster.pid" ]] && as_owner "$PG_BIN/pg_ctl" -D "$(data_dir)" status >/dev/null 2>&1
}

print_uri() {
  echo "postgresql://$ROLE@127.0.0.1:$(cat "$dir/port")/postgres"
}

start() {
  [[ -x "$PG_BIN/initdb" ]] || die "no PostgreSQL 15 at $PG_BIN (apt-get install postgresql-15)"
  if [[ -f "$dir/port" ]] && is_running; then
    print_uri
    return
  fi
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [[ $(id -u) -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' system user"
    chown postgres: "$dir"
    # The owner must be able to reach DIR through its parents.
    local parent=$dir
    while [[ "$parent" != "/" ]]; do
      parent=$(dirname "$parent")
      runuser -u postgres -- test -x "$parent" ||
        die "the postgres user cannot enter $parent; choose a DIR under a world-searchable directory such as /tmp"
    done
  fi
  if [[ ! -f "$(data_dir)/PG_VERSION" ]]; then
    as_owner "$PG_BIN/initdb" -D "$(data_dir)" -U postgres --auth=trust --encoding=UTF8 \
      --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
      cat "$dir/initdb.log" >&2
      die "initdb failed"
    }
  fi
  local port
  port=$(free_port)
  local durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  [[ "${PG_TEST_DURABLE:-0}" == 1 ]] && durability=""
  as_owner "$PG_BIN/pg_ctl" -D "$(data_dir)" -l "$dir/server.log" -w -t 60 \
    -o "-k $dir -p $port -c listen_addresses=127.0.0.1 $durability -c max_connections=200" \
    start >/dev/null || {
    cat "$dir/server.log" >&2
    die "the server did not start"
  }
  echo "$port" >"$dir/port"
  as_owner "$PG_BIN/psql" -h "$dir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -q \
    -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE') THEN CREATE ROLE $ROLE LOGIN SUPERUSER; END IF; END \$\$;" \
    >/dev/null
  print_uri
}

stop() {
  if [[ -d "$(data_dir)" ]] && is_running; then
    as_owner "$PG_BIN/pg_ctl" -D "$(data_dir)" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

case "$command" in
  start) start ;;
  stop) stop ;;
  *) usage ;;
esac
