#!/usr/bin/env bash
# The benchmark suite's quick form, Hearth only, small sizes, on the debug build: run by CI
# (scripts/test.sh) so that no scenario rots. Every scenario still checks its own answers (whole
# streams, stored chats read back, ingested facts found) and fails the run when they are wrong; the
# figures are not results (debug build) and go to a temporary directory.
# Expects SeaweedFS on 127.0.0.1:8333 (the files scenario) and the local model
# (HEARTH_TEST_MODEL_DIR), as scripts/test.sh provides.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
cargo build --locked -p hearth -p hearth-bench -p hearth-fakes --bins
bench="$CARGO_TARGET_DIR/debug/hearth-bench"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
quick=(--only-hearth --duration 1 --warmup 0 --starts 1 --connections 8)
"$bench" --scenario basics "${quick[@]}" --out "$out/basics"
"$bench" --scenario streaming "${quick[@]}" --max-streams 200 --out "$out/streaming"
"$bench" --scenario files "${quick[@]}" --file-mb 8 --out "$out/files"
"$bench" --scenario reference "${quick[@]}" --stream-levels 10 --held-streams 50 \
  --writers 5 --writing-secs 2 --ingest-files 3 --out "$out/reference"
echo "bench quick form: every scenario ran and checked its answers"
