#!/usr/bin/env bash
# Runs every test: formatting, lints, and the whole test suite against real SQLite, PostgreSQL and
# MariaDB (started by scripts/services.sh when they are down) and a real S3 store (SeaweedFS, started
# by scripts/s3.sh when nothing answers on 127.0.0.1:8333, and stopped again at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

scripts/services.sh

# S3 for the object-store tests. s3.sh prints `started` only when it launched SeaweedFS itself: then
# stop it when this run ends, however it ends; one that was already up is left alone. (Assigned
# first, so that set -e stops the run when s3.sh fails.)
s3_started=$(scripts/s3.sh start)
if [ "$s3_started" = started ]; then
  trap 'scripts/s3.sh stop' EXIT
fi
export HEARTH_TEST_S3_ENDPOINT="${HEARTH_TEST_S3_ENDPOINT:-http://127.0.0.1:8333}"
export HEARTH_TEST_S3_BUCKET="${HEARTH_TEST_S3_BUCKET:-hearth}"
export HEARTH_TEST_S3_ACCESS_KEY="${HEARTH_TEST_S3_ACCESS_KEY:-hearthkey}"
export HEARTH_TEST_S3_SECRET_KEY="${HEARTH_TEST_S3_SECRET_KEY:-hearthsecret}"

# Real Python clients of the public API (the official openai SDK, and tuspy for tus uploads), in a
# cached virtual environment; re-installed when one of them is missing.
VENV="${HEARTH_TEST_VENV:-$HOME/.cache/hearth/venv}"
if ! "$VENV/bin/python" -c "import openai, tusclient" >/dev/null 2>&1; then
  echo "== preparing $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q -r tests/python/requirements.txt
fi
export HEARTH_TEST_PYTHON="$VENV/bin/python"

echo "== cargo fmt"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked
else
  cargo test --workspace --locked
fi
