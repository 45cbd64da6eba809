#!/usr/bin/env bash
# Makes sure the services Comptoir needs on this machine are installed and running:
# PostgreSQL and Redis (started if stopped), an SMTP sink (aiosmtpd writing a maildir), moto's
# S3 server (for the storage tests' S3 backend) and, with --with-clamd, a ClamAV daemon loaded
# with the project's offline signature file.
# Also the report tools: the PDF fonts (fonts-dejavu-core, fonts-droid-fallback), pdftotext and
# pdftoppm (poppler-utils, tests) and Python XlsxWriter (the report benchmark's peer),
# Schemathesis for the OpenAPI tests, promtool for the Prometheus alert rules, and Chromium
# with its WebDriver for the console's browser test.
# Idempotent: run it as often as you like. Sourced variables: see the exports at the end.
set -euo pipefail

# Machine-wide state, shared by every checkout: a sink started from one clone serves the next.
STATE="${COMPTOIR_STATE_DIR:-/var/tmp/comptoir}"
MAILDIR="$STATE/mail"
SMTP_PORT="${COMPTOIR_SMTP_PORT:-1025}"
MOTO_PORT="${COMPTOIR_MOTO_PORT:-5055}"
MOTO_VERSION=5.2.5
SCHEMATHESIS_VERSION=4.32.5
WITH_CLAMD=0
for arg in "$@"; do
  case "$arg" in
    --with-clamd) WITH_CLAMD=1 ;;
    *) echo "services.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done
mkdir -p "$STATE/log" "$MAILDIR/tmp" "$MAILDIR/new" "$MAILDIR/cur"

log() { printf '[services] %s\n' "$*"; }

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

wait_for() { # wait_for <what> <seconds> <command...>
  local what=$1 seconds=$2; shift 2
  for _ in $(seq 1 $((seconds * 10))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  log "$what did not come up in ${seconds}s" >&2; return 1
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Reports and shipping documents: the TrueType fonts embedded in PDFs (reports.pdf_font_path,
# and reports.pdf_fallback_font_path for Chinese, Japanese and Korean), pdftotext and pdftoppm
# to read PDFs back in tests, and XlsxWriter for the benchmark's comparison.
apt_install fonts-dejavu-core fonts-droid-fallback poppler-utils python3-xlsxwriter

# promtool (in Debian's prometheus package): the metrics test checks the alert rules and the
# example scrape config in deploy/prometheus/ and runs the rules' unit tests. Only the tool is
# used; no Prometheus server is started here.
command -v promtool >/dev/null || apt_install prometheus

# The web console's browser test (worker/tests/console_browser.rs) drives headless Chromium
# through chromedriver (/usr/bin/chromium, /usr/bin/chromedriver).
apt_install chromium chromium-driver

# PostgreSQL
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if ! command -v pg_ctlcluster >/dev/null; then apt_install postgresql; fi
  log "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  wait_for PostgreSQL 30 pg_isready -q -h 127.0.0.1 -p 5432
fi

# Redis
if ! port_open 6379; then
  command -v redis-server >/dev/null || apt_install redis-server
  log "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --logfile "$STATE/log/redis.log"
  wait_for Redis 10 port_open 6379
fi

# SMTP sink: every message lands as one file in $MAILDIR/new (a maildir). A sink on the port
# that writes elsewhere (started with other settings) is replaced.
if port_open "$SMTP_PORT" && ! pgrep -f "aiosmtpd -n -l 127.0.0.1:$SMTP_PORT -c aiosmtpd.handlers.Mailbox $MAILDIR\$" >/dev/null; then
  log "replacing the SMTP sink on port $SMTP_PORT"
  pkill -f "aiosmtpd -n -l 127.0.0.1:$SMTP_PORT " || true
  sleep 0.5
fi
if ! port_open "$SMTP_PORT"; then
  apt_install python3-aiosmtpd
  log "starting the SMTP sink on 127.0.0.1:$SMTP_PORT (maildir $MAILDIR)"
  nohup /usr/bin/python3 -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" -c aiosmtpd.handlers.Mailbox "$MAILDIR" \
    >"$STATE/log/smtp.log" 2>&1 &
  wait_for "SMTP sink" 15 port_open "$SMTP_PORT"
fi

# python_tool <venv name> <pinned pip requirement>: a Python tool in its own virtualenv of the
# state directory, installed once per version.
python_tool() {
  local venv="$STATE/$1" requirement=$2
  [ -f "$venv/installed-$requirement" ] && return 0
  apt_install python3-venv
  log "installing $requirement in $venv"
  rm -rf "$venv"
  /usr/bin/python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "$requirement"
  touch "$venv/installed-$requirement"
}

# Schemathesis: the API tests fuzz the served OpenAPI document with it (`st`).
python_tool schemathesis "schemathesis==$SCHEMATHESIS_VERSION"

# moto: an in-memory S3 (any credentials accepted) that the storage tests run their S3 backend
# against.
if ! port_open "$MOTO_PORT"; then
  python_tool moto "moto[server]==$MOTO_VERSION"
  log "starting moto (S3) on 127.0.0.1:$MOTO_PORT"
  nohup "$STATE/moto/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" >"$STATE/log/moto.log" 2>&1 &
  command -v curl >/dev/null || apt_install curl
  wait_for moto 30 curl -sf -o /dev/null "http://127.0.0.1:$MOTO_PORT/"
fi

# ClamAV: offline, with a custom signature file (the EICAR test signature) instead of the
# official database, which this network cannot download.
if [ "$WITH_CLAMD" = 1 ] && ! port_open 3310; then
  apt_install clamav-daemon
  CLAM="$STATE/clamav"
  mkdir -p "$CLAM/db"
  printf '44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test-Signature\n' >"$CLAM/db/test.hdb"
  cat >"$CLAM/clamd.conf" <<CONF
DatabaseDirectory $CLAM/db
TCPSocket 3310
TCPAddr 127.0.0.1
Foreground false
LogFile $STATE/log/clamd.log
PidFile $CLAM/clamd.pid
StreamMaxLength 64M
MaxFileSize 64M
MaxScanSize 128M
User root
CONF
  log "starting clamd on 127.0.0.1:3310"
  clamd --config-file="$CLAM/clamd.conf"
  wait_for clamd 60 port_open 3310
fi

log "ready: postgres 127.0.0.1:5432, redis 127.0.0.1:6379, smtp 127.0.0.1:$SMTP_PORT (mail in $MAILDIR/new), s3 (moto) http://127.0.0.1:$MOTO_PORT"
