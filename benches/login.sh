#!/usr/bin/env bash
# Login throughput, and the latency of other endpoints while logins flood the server.
#
# Builds the release binary, starts it on a throw-away SQLite database with a known admin
# (`jemput init`), then runs wrk:
#   1. GET /api/v1/me alone (the baseline latency),
#   2. POST /api/v1/auth/login alone at LOGIN_CONNS connections (the login ceiling),
#   3. both at once: the login flood and GET /api/v1/me at ME_CONNS connections (the
#      latency other endpoints keep under a login flood).
# Prints successful logins per second and /me's p50/p99 in each phase.
#
#   benches/login.sh
#   DURATION=20s LOGIN_CONNS=32 benches/login.sh
#
# wrk shares the machine with the server: on 2 cores the figures are a floor.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-10s}"
LOGIN_CONNS="${LOGIN_CONNS:-16}"
ME_CONNS="${ME_CONNS:-4}"
USERNAME=bench
PASSWORD="bench-password-$(date +%s)"

if ! command -v wrk >/dev/null; then
  echo "installing wrk" >&2
  sudo=(); [ "$(id -u)" = "0" ] || sudo=(sudo)
  "${sudo[@]}" apt-get install -y -qq wrk >/dev/null || {
    "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq wrk >/dev/null
  }
fi

cargo build --release --locked --quiet
bin="$PWD/target/release/jemput"

dir="$(mktemp -d /tmp/jemput-bench.XXXXXX)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
base="http://127.0.0.1:$port"
export DATABASE_URL="$dir/jemput.db" JEMPUT_BIND="127.0.0.1:$port"
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT

JEMPUT_ADMIN_PASSWORD="$PASSWORD" "$bin" init --admin-username "$USERNAME" >/dev/null
"$bin" serve >"$dir/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
  curl -fsS "$base/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "$base/readyz" >/dev/null

login_body="{\"username\":\"$USERNAME\",\"password\":\"$PASSWORD\"}"
token="$(curl -fsS -H 'Content-Type: application/json' -d "$login_body" "$base/api/v1/auth/login" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"

# Each script prints one machine-readable line from wrk's done() hook.
cat >"$dir/login.lua" <<LUA
wrk.method = "POST"
wrk.body = '$login_body'
wrk.headers["Content-Type"] = "application/json"
function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local bad = summary.errors.status + summary.errors.connect + summary.errors.read
            + summary.errors.write + summary.errors.timeout
  io.write(string.format("LOGIN requests=%d failed=%d ok_per_sec=%.1f p50_ms=%.1f p99_ms=%.1f\n",
    summary.requests, bad, (summary.requests - bad) / secs,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
LUA
cat >"$dir/me.lua" <<'LUA'
function done(summary, latency, requests)
  local bad = summary.errors.status + summary.errors.connect + summary.errors.read
            + summary.errors.write + summary.errors.timeout
  io.write(string.format("ME requests=%d failed=%d per_sec=%.1f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
    summary.requests, bad, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
LUA

me() { wrk -t1 -c"$ME_CONNS" -d"$DURATION" --latency -H "Authorization: Bearer $token" -s "$dir/me.lua" "$base/api/v1/me"; }

echo "== GET /api/v1/me alone ($ME_CONNS connections, $DURATION)"
idle="$(me | tee "$dir/idle.txt" | grep '^ME ')"

echo "== POST /api/v1/auth/login alone ($LOGIN_CONNS connections, $DURATION)"
alone="$(wrk -t1 -c"$LOGIN_CONNS" -d"$DURATION" -s "$dir/login.lua" "$base/api/v1/auth/login" | grep '^LOGIN ')"

echo "== POST /api/v1/auth/login ($LOGIN_CONNS connections) with GET /api/v1/me ($ME_CONNS connections), $DURATION"
wrk -t1 -c"$LOGIN_CONNS" -d"$DURATION" -s "$dir/login.lua" "$base/api/v1/auth/login" >"$dir/login.txt" &
flood=$!
loaded="$(me | tee "$dir/loaded.txt" | grep '^ME ')"
wait "$flood"
logins="$(grep '^LOGIN ' "$dir/login.txt")"

# Successful logins never count against the throttle: every login must have answered 200.
statuses="$(curl -fsS "$base/metrics" | grep '^http_requests_total{method="POST",route="/api/v1/auth/login"' |
  sed -E 's/.*status="([0-9]+)"} ([0-9]+)/\1:\2/' | tr '\n' ' ')"

echo
echo "server: $(nproc) cores, release build, SQLite (WAL, synchronous=FULL), argon2id m=19456 KiB t=2 p=1"
echo "logins alone:   $alone"
echo "logins + /me:  $logins"
echo "/me alone:     $idle"
echo "/me + logins:  $loaded"
echo "login answers by status: $statuses"
