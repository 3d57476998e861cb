#!/usr/bin/env bash
# Builds the probe twice (SeaORM 2, and sqlx 0.9 + sea-query 1.0), timing each clean release build,
# then runs both twice against SQLite, PostgreSQL (127.0.0.1:5432/test) and MariaDB (127.0.0.1:3306/test).
set -euo pipefail
cd "$(dirname "$0")"
for variant in seaorm rawsqlx; do
  rm -rf "/tmp/dblayer-$variant"
  start=$(date +%s)
  CARGO_TARGET_DIR="/tmp/dblayer-$variant" cargo build -q --release --features "$variant"
  echo "$variant: clean release build $(( $(date +%s) - start )) s"
done
for _ in 1 2; do
  /tmp/dblayer-seaorm/release/dblayer-probe
  /tmp/dblayer-rawsqlx/release/dblayer-probe
done
