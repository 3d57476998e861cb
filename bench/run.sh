#!/usr/bin/env bash
# The benchmark suite's one command: builds the release binaries, prepares what the chosen scenarios
# need (services, the local model, ONNX Runtime's library, the reference system) and runs them;
# results go to bench/results/latest.{md,json} (or --out). With no --scenario every scenario runs,
# Open WebUI's side included; --only-hearth skips the reference system for a quick check. Any other
# hearth-bench flag passes through (see `--help`). A first run installs Open WebUI (~7 min, 7 GB);
# later runs reuse it.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

scenario=all only_hearth=0
previous=
for arg in "$@"; do
  case "$arg" in
    --only-hearth) only_hearth=1 ;;
    --scenario=*) scenario="${arg#--scenario=}" ;;
  esac
  if [ "$previous" = --scenario ]; then scenario="$arg"; fi
  previous="$arg"
done
wants() { [ "$scenario" = all ] || [ "$scenario" = "$1" ]; }

cargo build --release --locked -p hearth -p hearth-bench -p hearth-fakes

# Services: S3 for the files scenario, PostgreSQL with pgvector for knowledge and replicas, Chroma for
# knowledge; those this run starts are stopped when it ends (scripts/start-services.sh).
. scripts/start-services.sh
services=()
if wants files || wants replicas; then services+=(s3); fi
if wants knowledge || wants replicas; then services+=(pgvector); fi
if wants knowledge; then services+=(chroma); fi
if [ ${#services[@]} -gt 0 ]; then start_services "${services[@]}"; fi
export HEARTH_TEST_PGVECTOR_URL="${HEARTH_TEST_PGVECTOR_URL:-postgres://postgres@127.0.0.1:55432/postgres}"

# The local MiniLM model (with its ONNX graph) and ONNX Runtime's library: Hearth embeds on ONNX
# Runtime in the knowledge and reference scenarios (`RAG_EMBEDDING_ONNX_RUNTIME`).
if wants knowledge || wants reference; then
  HEARTH_TEST_MODEL_DIR="${HEARTH_TEST_MODEL_DIR:-$(scripts/model.sh)}"
  export HEARTH_TEST_MODEL_DIR
  HEARTH_TEST_ONNX_RUNTIME="${HEARTH_TEST_ONNX_RUNTIME:-$(scripts/onnxruntime.sh)}"
  export HEARTH_TEST_ONNX_RUNTIME
fi

# The reference system, Open WebUI, for the reference scenario; its venv's sentence-transformers on
# PyTorch (what Open WebUI embeds with) is also the knowledge scenario's embedding baseline.
if { wants reference && [ "$only_hearth" = 0 ]; } || { wants knowledge && [ -z "${HEARTH_ST_VENV:-}" ]; }; then
  HEARTH_BENCH_OPEN_WEBUI=$(scripts/open-webui.sh)
  export HEARTH_BENCH_OPEN_WEBUI
  HEARTH_ST_VENV="${HEARTH_ST_VENV:-$(dirname "$(dirname "$HEARTH_BENCH_OPEN_WEBUI")")}"
  export HEARTH_ST_VENV
fi
"$CARGO_TARGET_DIR/release/hearth-bench" "$@"
