#!/usr/bin/env bash
# Builds the release binaries, starts SeaweedFS (scripts/s3.sh) unless an S3 store already answers
# on 127.0.0.1:8333, and runs the benchmark; results go to bench/results/latest.{md,json}.
# Pass --only-hearth for a quick check, or any other hearth-bench flag (see `--help`).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
cargo build --release --locked -p hearth -p hearth-bench -p hearth-fakes

# S3 for the files scenario, PostgreSQL with pgvector for the knowledge and replicas scenarios; those
# this run starts are stopped when it ends (scripts/start-services.sh).
. scripts/start-services.sh
start_services s3 pgvector
export HEARTH_TEST_PGVECTOR_URL="${HEARTH_TEST_PGVECTOR_URL:-postgres://postgres@127.0.0.1:55432/postgres}"
# The reference system (Open WebUI), for the `reference` scenario (and `all`) unless --only-hearth.
case " $* " in
  *" --only-hearth "*) ;;
  *" --scenario "*) case " $* " in *" reference "*|*" all "*) want_reference=1 ;; esac ;;
  *) want_reference=1 ;;
esac
if [ "${want_reference:-0}" = 1 ]; then
  HEARTH_BENCH_OPEN_WEBUI=$(scripts/open-webui.sh)
  export HEARTH_BENCH_OPEN_WEBUI
  HEARTH_TEST_MODEL_DIR="${HEARTH_TEST_MODEL_DIR:-$(scripts/model.sh)}"
  export HEARTH_TEST_MODEL_DIR
fi
"$CARGO_TARGET_DIR/release/hearth-bench" "$@"
