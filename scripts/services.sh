#!/usr/bin/env bash
# Makes sure the services the tests talk to are up on 127.0.0.1: PostgreSQL (5432), MariaDB (3306)
# and Redis (6379). Starts each one that is down (installing it first on a bare Debian machine).
set -euo pipefail

log() { printf 'services: %s\n' "$*" >&2; }

wait_until() { # wait_until <what> <command…>: retries for up to 30 s
  local what=$1; shift
  for _ in $(seq 1 60); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  log "$what did not come up"; return 1
}

install_if_missing() { # install_if_missing <command> <package…>
  local cmd=$1; shift
  if ! command -v "$cmd" >/dev/null 2>&1; then
    log "installing $*"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  fi
}

postgres_up() { pg_isready -q -h 127.0.0.1 -p 5432; }
mariadb_up() { mysqladmin --host=127.0.0.1 --port=3306 --user=root ping >/dev/null 2>&1; }
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]; }

install_if_missing pg_isready postgresql
if ! postgres_up; then
  log "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  wait_until PostgreSQL postgres_up
fi

install_if_missing mysqladmin mariadb-server
if ! mariadb_up; then
  log "starting MariaDB"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  wait_until MariaDB mariadb_up
fi

install_if_missing redis-server redis-server
if ! redis_up; then
  log "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_until Redis redis_up
fi

log "PostgreSQL, MariaDB and Redis are up"
