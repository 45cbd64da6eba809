#!/usr/bin/env bash
# Brings up everything Comptoir needs on this machine and runs it: PostgreSQL, Redis, the SMTP
# sink and clamd (installed and started when missing), the `comptoir` database and its
# migrations, a superadmin, then the API and one worker in the background.
# Stop with: scripts/down.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RUN="$ROOT/var/run"
LOG="$ROOT/var/log"
mkdir -p "$RUN" "$LOG"

"$ROOT/scripts/services.sh" --with-clamd

export COMPTOIR_ENV="${COMPTOIR_ENV:-development}"
export COMPTOIR__DATABASE__URL="${COMPTOIR__DATABASE__URL:-postgres://postgres@127.0.0.1:5432/comptoir?sslmode=disable}"
DB_NAME="${COMPTOIR__DATABASE__URL##*/}"
DB_NAME="${DB_NAME%%\?*}"
if ! psql -h 127.0.0.1 -U postgres -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'" | grep -q 1; then
  echo "[up] creating database $DB_NAME"
  psql -q -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE \"$DB_NAME\""
fi

# The provider sandbox stands in for Stripe, CinetPay and PayGate (sandbox/README.md). The
# development configuration points at it; explicit COMPTOIR__PAYMENTS__* overrides still win.
SANDBOX="http://127.0.0.1:${SANDBOX_PORT:-8090}"
export SANDBOX_BIND="127.0.0.1:${SANDBOX_PORT:-8090}"
export SANDBOX_STRIPE_WEBHOOK_URL="${SANDBOX_STRIPE_WEBHOOK_URL:-http://127.0.0.1:8080/v1/webhooks/stripe}"
export SANDBOX_PAYGATE_CALLBACK_URL="${SANDBOX_PAYGATE_CALLBACK_URL:-http://127.0.0.1:8080/v1/webhooks/mobile-money/paygate}"
export COMPTOIR__PAYMENTS__STRIPE__API_BASE="${COMPTOIR__PAYMENTS__STRIPE__API_BASE:-$SANDBOX}"
export COMPTOIR__PAYMENTS__STRIPE__SECRET_KEY="${COMPTOIR__PAYMENTS__STRIPE__SECRET_KEY:-sk_test_sandbox}"
export COMPTOIR__PAYMENTS__STRIPE__WEBHOOK_SECRET="${COMPTOIR__PAYMENTS__STRIPE__WEBHOOK_SECRET:-whsec_sandbox}"
export COMPTOIR__PAYMENTS__CINETPAY__API_BASE="${COMPTOIR__PAYMENTS__CINETPAY__API_BASE:-$SANDBOX}"
export COMPTOIR__PAYMENTS__CINETPAY__API_KEY="${COMPTOIR__PAYMENTS__CINETPAY__API_KEY:-cinetpay-sandbox-apikey}"
export COMPTOIR__PAYMENTS__CINETPAY__SITE_ID="${COMPTOIR__PAYMENTS__CINETPAY__SITE_ID:-123456}"
export COMPTOIR__PAYMENTS__CINETPAY__SECRET_KEY="${COMPTOIR__PAYMENTS__CINETPAY__SECRET_KEY:-cinetpay-sandbox-secret}"
export COMPTOIR__PAYMENTS__PAYGATE__API_BASE="${COMPTOIR__PAYMENTS__PAYGATE__API_BASE:-$SANDBOX}"
export COMPTOIR__PAYMENTS__PAYGATE__AUTH_TOKEN="${COMPTOIR__PAYMENTS__PAYGATE__AUTH_TOKEN:-paygate-sandbox-token}"
# It also stands in for Twilio and Africa's Talking: Togolese numbers (+228) go to Africa's
# Talking, the rest to Twilio, and every text lands in the phone inbox at $SANDBOX/sandbox/phone.
# (Route keys hold + and *, which shell variables cannot: they are passed with env below.)
SMS_ROUTES=("COMPTOIR__SMS__ROUTES__+228=africastalking" "COMPTOIR__SMS__ROUTES__*=twilio")
export COMPTOIR__SMS__TWILIO__API_BASE="${COMPTOIR__SMS__TWILIO__API_BASE:-$SANDBOX}"
export COMPTOIR__SMS__TWILIO__ACCOUNT_SID="${COMPTOIR__SMS__TWILIO__ACCOUNT_SID:-ACsandbox00000000000000000000000000}"
export COMPTOIR__SMS__TWILIO__AUTH_TOKEN="${COMPTOIR__SMS__TWILIO__AUTH_TOKEN:-twilio-sandbox-token}"
export COMPTOIR__SMS__TWILIO__FROM="${COMPTOIR__SMS__TWILIO__FROM:-+15005550006}"
export COMPTOIR__SMS__AFRICASTALKING__API_BASE="${COMPTOIR__SMS__AFRICASTALKING__API_BASE:-$SANDBOX}"
export COMPTOIR__SMS__AFRICASTALKING__USERNAME="${COMPTOIR__SMS__AFRICASTALKING__USERNAME:-sandbox}"
export COMPTOIR__SMS__AFRICASTALKING__API_KEY="${COMPTOIR__SMS__AFRICASTALKING__API_KEY:-africastalking-sandbox-key}"
export SANDBOX_AFRICASTALKING_DLR_URL="${SANDBOX_AFRICASTALKING_DLR_URL:-http://127.0.0.1:8080/v1/webhooks/sms/africastalking}"
# The sandbox expects the credentials the API sends.
export SANDBOX_STRIPE_SECRET_KEY="$COMPTOIR__PAYMENTS__STRIPE__SECRET_KEY"
export SANDBOX_STRIPE_WEBHOOK_SECRET="$COMPTOIR__PAYMENTS__STRIPE__WEBHOOK_SECRET"
export SANDBOX_CINETPAY_API_KEY="$COMPTOIR__PAYMENTS__CINETPAY__API_KEY"
export SANDBOX_CINETPAY_SITE_ID="$COMPTOIR__PAYMENTS__CINETPAY__SITE_ID"
export SANDBOX_CINETPAY_SECRET_KEY="$COMPTOIR__PAYMENTS__CINETPAY__SECRET_KEY"
export SANDBOX_PAYGATE_AUTH_TOKEN="$COMPTOIR__PAYMENTS__PAYGATE__AUTH_TOKEN"
export SANDBOX_TWILIO_ACCOUNT_SID="$COMPTOIR__SMS__TWILIO__ACCOUNT_SID"
export SANDBOX_TWILIO_AUTH_TOKEN="$COMPTOIR__SMS__TWILIO__AUTH_TOKEN"
export SANDBOX_AFRICASTALKING_USERNAME="$COMPTOIR__SMS__AFRICASTALKING__USERNAME"
export SANDBOX_AFRICASTALKING_API_KEY="$COMPTOIR__SMS__AFRICASTALKING__API_KEY"

echo "[up] building (release)"
cargo build --release --quiet -p comptoir-api -p comptoir-worker -p comptoir-sandbox
BIN="$ROOT/target/release"
"$BIN/comptoir-api" migrate

ADMIN_EMAIL="${COMPTOIR_ADMIN_EMAIL:-admin@comptoir.local}"
if ! psql -h 127.0.0.1 -U postgres -d "$DB_NAME" -Atc "SELECT 1 FROM users WHERE email = '$ADMIN_EMAIL'" | grep -q 1; then
  COMPTOIR_ADMIN_PASSWORD="${COMPTOIR_ADMIN_PASSWORD:-comptoir-admin-password}" \
    "$BIN/comptoir-api" create-admin --email "$ADMIN_EMAIL" --name "Administrator"
fi

start() { # start <name> <command...>
  local name=$1; shift
  if [ -f "$RUN/$name.pid" ] && kill -0 "$(cat "$RUN/$name.pid")" 2>/dev/null; then
    echo "[up] $name already running (pid $(cat "$RUN/$name.pid"))"; return
  fi
  nohup "$@" >"$LOG/$name.log" 2>&1 &
  echo $! >"$RUN/$name.pid"
}
start sandbox "$BIN/comptoir-sandbox"
start api env "${SMS_ROUTES[@]}" "$BIN/comptoir-api"
start worker env "${SMS_ROUTES[@]}" "$BIN/comptoir-worker"

for _ in $(seq 1 100); do
  curl -fsS http://127.0.0.1:8080/health/ready >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS http://127.0.0.1:8080/health/ready >/dev/null || { echo "[up] the API is not ready; see $LOG/api.log" >&2; exit 1; }

cat <<TXT

Comptoir is running.
  API            http://127.0.0.1:8080   (docs: http://127.0.0.1:8080/docs/)
  Metrics        http://127.0.0.1:9464/metrics
  Health         http://127.0.0.1:8080/health/ready
  Sandbox        $SANDBOX (Stripe, CinetPay, PayGate, Twilio and Africa's Talking stand-in)
  Phone inbox    $SANDBOX/sandbox/phone (every text sent, codes included)
  Superadmin     $ADMIN_EMAIL (password: \$COMPTOIR_ADMIN_PASSWORD, default comptoir-admin-password)
  Sent email     /var/tmp/comptoir/mail/new (SMTP sink on 127.0.0.1:1025)
  Logs           $LOG/api.log, $LOG/worker.log, $LOG/sandbox.log
  Stop           scripts/down.sh
TXT
