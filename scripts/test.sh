#!/usr/bin/env bash
# Runs every test: formatting, lints, and the whole test suite against real SQLite, PostgreSQL and
# MariaDB (started by scripts/services.sh when they are down).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

scripts/services.sh

# Real Python clients of the public API (the official openai SDK), in a cached virtual environment.
VENV="${HEARTH_TEST_VENV:-$HOME/.cache/hearth/venv}"
if ! "$VENV/bin/python" -c "import openai" >/dev/null 2>&1; then
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
