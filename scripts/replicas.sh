#!/usr/bin/env bash
# Starts a scaled-out Hearth to try by hand: three `hearth serve` replicas and one `hearth worker` on
# PostgreSQL with pgvector (scripts/pgvector.sh), a Redis of their own and S3 (scripts/s3.sh), each on
# its own port — the deployment crates/hearth/tests/replicas.rs proves in CI. Prints the addresses and
# holds until Ctrl-C; services this script started are stopped again.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
cargo build -q -p hearth -p hearth-testkit --example replicas
. scripts/start-services.sh
start_services s3 pgvector
export HEARTH_TEST_PGVECTOR_URL="${HEARTH_TEST_PGVECTOR_URL:-postgres://postgres@127.0.0.1:55432/postgres}"
"$CARGO_TARGET_DIR/debug/examples/replicas" "$CARGO_TARGET_DIR/debug/hearth"
