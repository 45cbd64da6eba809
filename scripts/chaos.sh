#!/usr/bin/env bash
# The chaos suite's long form: a mixed load on three worker processes while one of them is
# SIGKILLed every 1-3 s (100 times), Redis restarts twice and PostgreSQL stops for 10 s; then
# the figures table (jobs, kills, restarts, outages, lost, duplicated, longest recovery).
# The suite runs its own PostgreSQL cluster, Redis server and SMTP sink on free ports, so it
# never stops the machine's services; it needs the PostgreSQL and Redis server binaries, and the
# machine's PostgreSQL up for the harness's per-test settings (scripts/services.sh starts it).
#
#   scripts/chaos.sh                      # long form: CHAOS_KILLS=100, CHAOS_PINGS=100000
#   CHAOS_KILLS=10 CHAOS_PINGS=20000 scripts/chaos.sh   # the short form (CI runs it too)
#   CHAOS_SEED=<seed> scripts/chaos.sh    # replays a run's victims and pauses
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "chaos: the machine's PostgreSQL is not running; start it with scripts/services.sh" >&2
  exit 1
fi

export COMPTOIR_ENV=test
export CHAOS_KILLS="${CHAOS_KILLS:-100}"
export CHAOS_PINGS="${CHAOS_PINGS:-100000}"
echo "chaos: ${CHAOS_KILLS} kills, ${CHAOS_PINGS} pings${CHAOS_SEED:+, seed ${CHAOS_SEED}}"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run -p comptoir-worker --test chaos --profile chaos --no-capture "$@"
else
  cargo test -p comptoir-worker --test chaos "$@" -- --nocapture
fi
