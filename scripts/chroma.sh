#!/usr/bin/env bash
# Starts or stops a real Chroma server (the PyPI package chromadb, pinned below) for the vector-store
# tests: http://127.0.0.1:8011, v2 routes (the server reports API version 1.0.0), no auth, no
# telemetry. Each start gets a fresh, empty data directory (the tests create their own collections);
# stop removes it.
#   scripts/chroma.sh start   starts it unless something already answers on 8011; prints `started` on
#                             stdout only when this call launched it (so callers know to stop it)
#   scripts/chroma.sh stop    stops the instance this script launched (by the PID in chroma.pid)
# State (venv, data.*, chroma.log, chroma.pid) lives in ${HEARTH_CHROMA_DIR:-~/.cache/hearth}: the
# venv is chroma-venv (≈45 s and ≈520 MB to install the first time), the rest under chroma/.
set -euo pipefail

BASE="${HEARTH_CHROMA_DIR:-$HOME/.cache/hearth}"
VENV="$BASE/chroma-venv"
DIR="$BASE/chroma"
VERSION=1.5.9 # chromadb; the version pip gave when this script was written
HOST=127.0.0.1
PORT=8011
ENDPOINT="http://$HOST:$PORT"
PID_FILE="$DIR/chroma.pid"
DATA_FILE="$DIR/data.path" # which data directory the running instance uses
LOG_FILE="$DIR/chroma.log"

log() { printf 'chroma: %s\n' "$*" >&2; }

# Prints the HTTP status of a GET of the heartbeat, or 000 when nothing listens.
http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$ENDPOINT/api/v2/heartbeat" || true; }

# True while <pid> runs; a zombie counts as gone.
alive() { case "$(ps -o stat= -p "$1" 2>/dev/null)" in '' | Z*) return 1 ;; esac; }

# Prints the PID in chroma.pid if it is a live `chroma` (so a stale file or a reused PID is never
# killed).
our_pid() {
  [ -f "$PID_FILE" ] || return 1
  local pid
  pid=$(cat "$PID_FILE")
  [ -n "$pid" ] && alive "$pid" && [ "$(ps -o comm= -p "$pid")" = chroma ] && echo "$pid"
}

stop() {
  local pid
  if pid=$(our_pid); then
    log "stopping Chroma (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do
      alive "$pid" || break
      sleep 0.5
    done
    if alive "$pid"; then
      log "still running after 20 s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$PID_FILE"
  if [ -f "$DATA_FILE" ]; then
    local data
    data=$(cat "$DATA_FILE")
    case "$data" in "$DIR"/data.*) rm -rf "$data" ;; esac
    rm -f "$DATA_FILE"
  fi
}

start() {
  if [ "$(http_code)" != 000 ]; then
    log "something already answers on $ENDPOINT, leaving it alone"
    return 0
  fi
  if ! [ -x "$VENV/bin/chroma" ] ||
    [ "$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("chromadb"))' 2>/dev/null)" != "$VERSION" ]; then
    log "installing chromadb==$VERSION into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q "chromadb==$VERSION"
  fi
  mkdir -p "$DIR"
  stop # a data directory left by an instance that was not stopped goes now
  local data
  data=$(mktemp -d "$DIR/data.XXXXXX")
  echo "$data" >"$DATA_FILE"
  # stdin/stdout/stderr are redirected so callers capturing our stdout do not wait for Chroma.
  ANONYMIZED_TELEMETRY=False nohup "$VENV/bin/chroma" run --host "$HOST" --port "$PORT" --path "$data" \
    </dev/null >"$LOG_FILE" 2>&1 &
  echo $! >"$PID_FILE"
  for _ in $(seq 1 120); do
    if [ "$(http_code)" = 200 ]; then
      log "Chroma is up on $ENDPOINT (pid $(cat "$PID_FILE"), data $data)"
      echo started
      return 0
    fi
    alive "$(cat "$PID_FILE")" || break # it exited: no point waiting
    sleep 0.5
  done
  log "Chroma did not come up on $ENDPOINT; last lines of $LOG_FILE:"
  tail -n 30 "$LOG_FILE" >&2 || true
  stop
  return 1
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
