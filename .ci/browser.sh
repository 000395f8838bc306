#!/usr/bin/env bash
# Real-browser tests of the web app (tests/browser/): headless Debian Chromium driven by
# Python Playwright, which uses that system browser (`playwright install` is never run).
# Starts `jemput serve` on a temporary data directory loaded with the demo data, runs the
# tests, stops the server. The field app's tests (test_field.py) start a second server of
# the same build themselves (JEMPUT_BIN), with short access tokens and restarts. Takes about
# three minutes after the build.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v chromium >/dev/null || need+=(chromium)
command -v python3 >/dev/null || need+=(python3)
python3 -c 'import ensurepip, venv' 2>/dev/null || need+=(python3-venv)
if [ "${#need[@]}" -gt 0 ]; then
  echo "installing: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

venv=target/browser-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check -r tests/browser/requirements.txt

cargo build --locked --bin jemput
bin=target/debug/jemput

data=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

JEMPUT_DATA_DIR="$data" "$bin" seed demo >/dev/null
JEMPUT_DATA_DIR="$data" JEMPUT_BIND="127.0.0.1:$port" "$bin" serve >"$data/server.log" 2>&1 &
server=$!
for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null || { cat "$data/server.log"; exit 1; }

JEMPUT_URL="http://127.0.0.1:$port" JEMPUT_BIN="$bin" timeout 600 "$venv/bin/python" -m pytest -q tests/browser "$@"
