#!/usr/bin/env bash
# Installs the peer benchmarks' npm dependencies (BullMQ, graphile-worker, ...)
# exactly as pinned in package-lock.json. Idempotent: runs `npm ci` only when
# node_modules is missing or older than package-lock.json. Installs nothing
# else (Node and npm must already be on PATH).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

# npm writes node_modules/.package-lock.json on every install; use it as the
# stamp of the last install.
stamp=node_modules/.package-lock.json

if [[ -d node_modules && -f $stamp && ! package-lock.json -nt $stamp ]]; then
  echo "bench/peers: node_modules up to date" >&2
  exit 0
fi

echo "bench/peers: npm ci" >&2
npm ci --no-audit --no-fund >&2
touch "$stamp"
