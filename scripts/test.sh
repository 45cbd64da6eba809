#!/usr/bin/env bash
# Runs the whole test suite against real services: PostgreSQL, Redis, an SMTP sink, moto (S3)
# and clamd (with the EICAR test signature), installed and started by services.sh when missing.
# Extra arguments go to the test runner.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

"$ROOT/scripts/services.sh" --with-clamd

# Leftovers of earlier runs: each test creates its own database and Redis namespace.
psql -q -h 127.0.0.1 -U postgres -d postgres -At \
  -c "SELECT format('DROP DATABASE IF EXISTS %I WITH (FORCE);', datname) FROM pg_database WHERE datname LIKE 'comptoir_test_%'" \
  | psql -q -h 127.0.0.1 -U postgres -d postgres >/dev/null
redis-cli -h 127.0.0.1 --scan --pattern 'ct_*' | xargs -r -n 500 redis-cli -h 127.0.0.1 del >/dev/null
# Object storage of earlier runs (each test has its own directory, or its own bucket on moto).
rm -rf "${TMPDIR:-/tmp}/comptoir-tests"
curl -sf -X POST "http://127.0.0.1:${COMPTOIR_MOTO_PORT:-5055}/moto-api/reset" >/dev/null

export COMPTOIR_ENV=test
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast "$@"
else
  cargo test --workspace --no-fail-fast "$@"
fi
