#!/usr/bin/env bash
# Starts or stops a PostgreSQL 16 with the pgvector extension for the vector-store tests. Debian 12
# has no pgvector package, so this uses the PyPI wheel pgserver 0.1.4, which bundles PostgreSQL 16.2
# and pgvector 0.6.2 (HNSW and IVFFlat; no halfvec). It listens on 127.0.0.1:55432 only (beside the
# machine's PostgreSQL 15 on 5432), trust auth, user `postgres`, and has `CREATE EXTENSION vector`
# done in database `postgres`: postgresql://postgres@127.0.0.1:55432/postgres
#   scripts/pgvector.sh start   starts it unless something already answers on 55432; prints `started`
#                               on stdout only when this call launched it (so callers know to stop it)
#   scripts/pgvector.sh stop    stops the instance this script launched (by the PID in its
#                               postmaster.pid, with pg_ctl's fast shutdown)
# PostgreSQL refuses to run as root, so the server runs as the system user `hearthpg` (created here
# when missing). State (venv, data, run/pg.log) lives in ${HEARTH_PGVECTOR_DIR:-~/.cache/hearth/pgvector};
# the data directory is kept between runs (the tests create their own tables).
set -euo pipefail

DIR="${HEARTH_PGVECTOR_DIR:-$HOME/.cache/hearth/pgvector}"
HOST=127.0.0.1
PORT=55432
PG_USER=hearthpg
VERSION=0.1.4
MAX_CONNECTIONS=200
DATA="$DIR/data"
RUN="$DIR/run"
LOG_FILE="$RUN/pg.log"
URL="postgresql://postgres@$HOST:$PORT/postgres"

log() { printf 'pgvector: %s\n' "$*" >&2; }

# True when anything accepts a TCP connection on the port (whatever it is, it is left alone).
port_open() { (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; }

# The PostgreSQL installation inside the wheel (empty until it is installed).
pg_home() { compgen -G "$DIR/venv/lib/python3*/site-packages/pgserver/pginstall" | head -n1 || true; }

# True while <pid> runs; a zombie counts as gone.
alive() { case "$(ps -o stat= -p "$1" 2>/dev/null)" in '' | Z*) return 1 ;; esac; }

# Prints the postmaster's PID from data/postmaster.pid if it is a live `postgres` (so a stale file or
# a reused PID is never signalled).
our_pid() {
  [ -f "$DATA/postmaster.pid" ] || return 1
  local pid
  pid=$(head -n1 "$DATA/postmaster.pid")
  [ -n "$pid" ] && alive "$pid" && [ "$(ps -o comm= -p "$pid")" = postgres ] && echo "$pid"
}

as_pg() { runuser -u "$PG_USER" -- "$@"; }

# hearthpg must be able to reach the binaries and the data under $DIR. Under /root (mode 700) it
# cannot, so give "others" the search (x) bit, not read, on each directory in the way. The machine
# has no setfacl to grant it to hearthpg alone.
grant_traverse() {
  local d="" part parts
  IFS=/ read -ra parts <<<"$DIR"
  for part in "${parts[@]}"; do # top-down, so only the directories really in the way are changed
    [ -n "$part" ] || continue
    d="$d/$part"
    if ! as_pg test -x "$d" 2>/dev/null; then
      log "giving others the search bit on $d so that $PG_USER can reach $DIR"
      chmod o+x "$d"
    fi
  done
}

stop() {
  local pid pg
  pg=$(pg_home)
  if pid=$(our_pid); then
    log "stopping PostgreSQL (pid $pid)"
    if [ -n "$pg" ]; then
      as_pg "$pg/bin/pg_ctl" -D "$DATA" -m fast -w -t 30 stop >/dev/null || true
    fi
    # pg_ctl signals the same PID; make sure it is gone, forcing it after 30 s.
    for _ in $(seq 1 60); do
      alive "$pid" || break
      sleep 0.5
    done
    if alive "$pid"; then
      log "still running after 30 s, sending SIGQUIT"
      kill -QUIT "$pid" 2>/dev/null || true
    fi
  fi
}

start() {
  if port_open; then
    log "something already answers on $HOST:$PORT, leaving it alone"
    return 0
  fi
  mkdir -p "$DIR"
  local pg
  pg=$(pg_home)
  if [ -z "$pg" ] || ! [ -x "$pg/bin/postgres" ]; then
    log "installing pgserver==$VERSION into $DIR/venv"
    python3 -m venv "$DIR/venv"
    "$DIR/venv/bin/pip" install -q "pgserver==$VERSION"
    pg=$(pg_home)
  fi
  id -u "$PG_USER" >/dev/null 2>&1 ||
    useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER"
  mkdir -p "$DATA" "$RUN"
  chown "$PG_USER" "$DATA" "$RUN"
  chmod 700 "$DATA"
  grant_traverse
  if ! [ -f "$DATA/PG_VERSION" ]; then
    log "initialising $DATA"
    as_pg "$pg/bin/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --no-locale >"$RUN/initdb.log" 2>&1 || {
      tail -n 30 "$RUN/initdb.log" >&2
      return 1
    }
  fi
  # A crash can leave a postmaster.pid behind: PostgreSQL itself checks whether its PID still runs.
  # stdin/stdout are redirected so callers capturing our stdout do not wait for the server.
  if ! as_pg "$pg/bin/pg_ctl" -D "$DATA" -l "$LOG_FILE" -w -t 60 \
    -o "-c listen_addresses=$HOST -p $PORT -k $RUN -c max_connections=$MAX_CONNECTIONS" \
    start </dev/null >/dev/null 2>&1; then
    log "PostgreSQL did not come up on $HOST:$PORT; last lines of $LOG_FILE:"
    tail -n 30 "$LOG_FILE" >&2 || true
    stop
    return 1
  fi
  if ! PGOPTIONS="-c client_min_messages=warning" "$pg/bin/psql" -q -X -v ON_ERROR_STOP=1 "$URL" -c 'CREATE EXTENSION IF NOT EXISTS vector' >/dev/null; then
    log "CREATE EXTENSION vector failed"
    stop
    return 1
  fi
  log "PostgreSQL 16 + pgvector is up on $URL (pid $(our_pid), max_connections $MAX_CONNECTIONS)"
  echo started
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
