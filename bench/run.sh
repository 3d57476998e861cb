#!/usr/bin/env bash
# Builds the release binaries and runs the benchmark; results go to bench/results/latest.{md,json}.
# Pass --only-hearth for a quick check, or any other hearth-bench flag (see `--help`).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
cargo build --release --locked -p hearth -p hearth-bench -p hearth-fakes
"$CARGO_TARGET_DIR/release/hearth-bench" "$@"
