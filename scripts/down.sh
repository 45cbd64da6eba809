#!/usr/bin/env bash
# Stops the API, worker and provider sandbox started by scripts/up.sh (SIGTERM: in-flight jobs finish).
# The shared services (PostgreSQL, Redis, SMTP sink, clamd) keep running.
set -euo pipefail
RUN="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/var/run"
for name in worker api sandbox; do
  if [ -f "$RUN/$name.pid" ]; then
    kill -TERM "$(cat "$RUN/$name.pid")" 2>/dev/null && echo "stopped $name" || true
    rm -f "$RUN/$name.pid"
  fi
done
