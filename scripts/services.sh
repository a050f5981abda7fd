#!/usr/bin/env bash
# Install (Debian packages) and start the PostgreSQL and Redis servers the
# integration tests use, when they are not already running. Idempotent.
# Prints the two URLs as shell exports on stdout; everything else goes to stderr.
set -euo pipefail

PG_PORT="${QL_TEST_PG_PORT:-5432}"
REDIS_PORT="${QL_TEST_REDIS_PORT:-6379}"
PG_DB="${QL_TEST_PG_DB:-quantumlayer_test}"
PG_PASSWORD="${QL_TEST_PG_PASSWORD:-quantumlayer}"

log() { echo "[services] $*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=0
need_pkg() {
  # need_pkg BINARY PACKAGE...
  local bin="$1"; shift
  if ! command -v "$bin" >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/"$bin" >/dev/null 2>&1; then
    if [ "$apt_updated" = 0 ]; then
      log "apt-get update"
      as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
      apt_updated=1
    fi
    log "installing $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
  fi
}

pg_ready() { pg_isready -h 127.0.0.1 -p "$PG_PORT" -q 2>/dev/null; }

start_postgres() {
  need_pkg pg_ctl postgresql
  if ! command -v pg_isready >/dev/null 2>&1; then need_pkg pg_isready postgresql-client; fi
  if pg_ready; then log "postgresql already running on $PG_PORT"; return; fi
  local version
  version="$(ls /usr/lib/postgresql/ | sort -V | tail -1)"
  if command -v pg_lsclusters >/dev/null 2>&1 && ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -q "^$version main$"; then
    log "creating cluster $version/main"
    as_root pg_createcluster "$version" main -p "$PG_PORT" >&2
  fi
  log "starting postgresql $version"
  as_root pg_ctlcluster "$version" main start >&2 || as_root service postgresql start >&2
  for _ in $(seq 1 60); do pg_ready && break; sleep 0.5; done
  pg_ready || { log "postgresql did not start"; exit 1; }
}

configure_postgres() {
  as_root su postgres -c "psql -q -p $PG_PORT -c \"ALTER USER postgres PASSWORD '$PG_PASSWORD'\"" >&2
  if ! as_root su postgres -c "psql -p $PG_PORT -tAc \"SELECT 1 FROM pg_database WHERE datname='$PG_DB'\"" | grep -q 1; then
    as_root su postgres -c "createdb -p $PG_PORT $PG_DB" >&2
  fi
}

start_redis() {
  need_pkg redis-server redis-server
  if redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then log "redis already running on $REDIS_PORT"; return; fi
  log "starting redis-server on $REDIS_PORT"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --save "" --appendonly no \
    --dir /tmp --logfile /tmp/quantumlayer-redis.log >&2
  for _ in $(seq 1 40); do redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.25; done
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 || { log "redis did not start"; exit 1; }
}

# The agents subgraph's sandbox for generated code (tests prove its isolation).
need_pkg bwrap bubblewrap
start_postgres
configure_postgres
start_redis
echo "export QL_TEST_DATABASE_URL=postgresql+asyncpg://postgres:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DB"
echo "export QL_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/15"
