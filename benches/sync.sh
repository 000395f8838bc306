#!/usr/bin/env bash
# Sync ingest benchmark: activations stored per second through POST /sync/activations
# (batches of 50 fresh items, 32 concurrent connections, 10 s, wrk with benches/sync.lua),
# beside the rate of the same rows inserted straight into the same database by
# benches/raw_insert.rs in 50-row transactions (1 thread on SQLite, 8 on PostgreSQL).
#
#   benches/sync.sh                # both backends
#   benches/sync.sh sqlite         # or: postgres
#   DURATION=10 CONNECTIONS=32 BATCH=50 benches/sync.sh
#   LIGHT_CONNECTIONS=8 benches/sync.sh   # the lighter-load latency run (0: skip it)
#   JEMPUT_BIN=target/system-alloc/jemput benches/sync.sh   # another build of the server
#
# The API rate counts rows actually in the database after the run (not requests sent).
# PostgreSQL runs on a throw-away PostgreSQL 15 cluster with its default durability
# (fsync and synchronous_commit on), as SQLite runs with synchronous=FULL: every
# acknowledged row is on disk in both columns.
set -euo pipefail
cd "$(dirname "$0")/.."

backends="${1:-sqlite postgres}"
DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-32}"
BATCH="${BATCH:-50}"
WARMUP="${WARMUP:-2}"
# After the main run, latency under a lighter load: a regency's phones rarely sync all at
# once, and with 32 clients waiting on each other the latency is mostly queueing.
LIGHT_CONNECTIONS="${LIGHT_CONNECTIONS:-8}"

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v jq >/dev/null || need+=(jq)
command -v curl >/dev/null || need+=(curl)
if [[ " $backends " == *" postgres "* ]] && [ ! -x "${PG_BIN:-/usr/lib/postgresql/15/bin}/initdb" ]; then
  need+=(postgresql-15)
fi
if [ "${#need[@]}" -gt 0 ]; then
  echo "installing: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

echo "building (release)..."
cargo build --release --locked --quiet --bin jemput
cargo bench --locked --quiet --bench raw_insert --no-run 2>/dev/null
BIN="${JEMPUT_BIN:-$PWD/target/release/jemput}"
raw() { cargo bench --locked --quiet --bench raw_insert -- "$@"; }

work="$(mktemp -d /tmp/jemput-bench.XXXXXX)"
pg_dir=""
server_pid=""
as_pg=()
pgbin="${PG_BIN:-/usr/lib/postgresql/15/bin}"
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  if [ -n "$pg_dir" ]; then
    "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
  fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# Sets pg_dir, as_pg and pg_url in this shell (not a subshell: cleanup and the CPU
# accounting need them). The cluster closes inherited descriptors (a `flock` around this
# script must not stay locked by the server).
start_postgres() {
  pg_dir="$(mktemp -d /tmp/jemput-bench-pg.XXXXXX)"
  local port; port="$(free_port)"
  if [ "$(id -u)" = "0" ]; then chown postgres:postgres "$pg_dir"; as_pg=(runuser -u postgres --); fi
  "${as_pg[@]}" "$pgbin/initdb" -D "$pg_dir/data" -U postgres -A trust -E UTF8 >/dev/null
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
    -o "-p $port -k $pg_dir -c listen_addresses=127.0.0.1 -c max_connections=100" start \
    >/dev/null 9>&- 8>&- 7>&- 6>&- 5>&- 4>&- 3>&-
  pg_url="postgres://postgres@127.0.0.1:$port/postgres"
}

results=()
cpu_rows=()
light_rows=()

# CPU time (user + system, in ms) used so far by the given processes and by their
# children that have exited (a PostgreSQL backend's time moves to the postmaster's
# cutime/cstime when its client disconnects).
cpu_ms() {
  local t=0 p v
  for p in "$@"; do
    # A backend may exit between the listing and the read: it then counts nothing here.
    v="$(awk '{print $14+$15+$16+$17}' "/proc/$p/stat" 2>/dev/null)" || v=""
    [ -n "$v" ] && t=$((t + v))
  done
  echo $((t * 1000 / $(getconf CLK_TCK)))
}
# The PostgreSQL server processes of the benchmark's own cluster (none for SQLite).
pg_pids() {
  if [ -n "$pg_dir" ] && [ -r "$pg_dir/data/postmaster.pid" ]; then
    local pm; pm="$(head -1 "$pg_dir/data/postmaster.pid")"
    echo "$pm" $(pgrep -P "$pm")
  fi
}

run_backend() {
  local name="$1" url="$2" raw_threads="$3"
  local port; port="$(free_port)"
  local base="http://127.0.0.1:$port/api/v1"
  echo "=== $name: setting up ==="
  DATABASE_URL="$url" JEMPUT_ADMIN_PASSWORD="bench-admin-password-1" \
    "$BIN" init --admin-username bench >/dev/null
  DATABASE_URL="$url" JEMPUT_BIND="127.0.0.1:$port" "$BIN" serve >"$work/$name-server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  local token
  token="$(curl -sf "$base/auth/login" -H 'content-type: application/json' \
    -d '{"username":"bench","password":"bench-admin-password-1"}' | jq -r .access_token)"
  local event
  event="$(curl -sf "$base/events" -H 'content-type: application/json' -H "authorization: Bearer $token" \
    -d '{"channel_key":"village_visit","title":"Benchmark","starts_at":"2024-03-18T08:00:00+08:00","ends_at":"2024-03-18T17:00:00+08:00"}')"
  local event_id office_id staff_id
  event_id="$(jq -r .id <<<"$event")"
  office_id="$(jq -r .office_id <<<"$event")"
  staff_id="$(jq -r .created_by <<<"$event")"

  echo "=== $name: API, $CONNECTIONS connections, batches of $BATCH, ${DURATION}s ==="
  wrk -t2 -c"$CONNECTIONS" -d"${WARMUP}s" -s benches/sync.lua "http://127.0.0.1:$port" \
    -- "$event_id" "$BATCH" "$token" >/dev/null
  local before after
  before="$(raw count "$url" | sed 's/count=//')"
  local cpu0; cpu0="$(cpu_ms "$server_pid" $(pg_pids))"
  wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s benches/sync.lua "http://127.0.0.1:$port" \
    -- "$event_id" "$BATCH" "$token" | tee "$work/$name-wrk.txt"
  local cpu1; cpu1="$(cpu_ms "$server_pid" $(pg_pids))"
  after="$(raw count "$url" | sed 's/count=//')"
  if [ "$LIGHT_CONNECTIONS" -gt 0 ]; then
    echo "=== $name: API, $LIGHT_CONNECTIONS connections, ${DURATION}s ==="
    wrk -t2 -c"$LIGHT_CONNECTIONS" -d"${DURATION}s" --latency -s benches/sync.lua \
      "http://127.0.0.1:$port" -- "$event_id" "$BATCH" "$token" | tee "$work/$name-light.txt"
    light_rows+=("$(printf '%-10s %12s %9s %9s' "$name" \
      "$(awk -v b="$BATCH" '/^Requests\/sec/ {printf "%.0f", $2*b}' "$work/$name-light.txt")" \
      "$(awk '$1=="50%" {print $2}' "$work/$name-light.txt")" \
      "$(awk '$1=="99%" {print $2}' "$work/$name-light.txt")")")
  fi
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
  local api_rate p99 p50 errors
  api_rate="$(awk -v a="$after" -v b="$before" -v d="$DURATION" 'BEGIN {printf "%.0f", (a-b)/d}')"
  p50="$(awk '$1=="50%" {print $2}' "$work/$name-wrk.txt")"
  p99="$(awk '$1=="99%" {print $2}' "$work/$name-wrk.txt")"
  errors="$(awk '/Non-2xx/ {print $NF}' "$work/$name-wrk.txt")"

  echo "=== $name: raw diesel inserts, $raw_threads thread(s), 50-row transactions, ${DURATION}s ==="
  local raw_out raw_rate raw_rows raw_cpu pg0 pg1
  pg0="$(cpu_ms $(pg_pids))"
  raw_out="$(raw insert "$url" "$event_id" "$office_id" "$staff_id" "$raw_threads" "$DURATION")"
  pg1="$(cpu_ms $(pg_pids))"
  echo "$raw_out"
  raw_rate="$(sed 's/.*rows_per_sec=//' <<<"$raw_out")"
  raw_rows="$(sed 's/^rows=\([0-9]*\).*/\1/' <<<"$raw_out")"
  raw_cpu="$(sed 's/.*cpu_ms=\([0-9]*\).*/\1/' <<<"$raw_out")"
  raw_cpu=$((raw_cpu + pg1 - pg0))
  # CPU per 1,000 stored rows (server + database processes; wrk not counted): what the
  # rates would compare as on an otherwise idle machine where CPU is the limit.
  local api_cpu_k raw_cpu_k
  api_cpu_k="$(awk -v c="$((cpu1 - cpu0))" -v n="$((after - before))" 'BEGIN {printf "%.0f", 1000*c/n}')"
  raw_cpu_k="$(awk -v c="$raw_cpu" -v n="$raw_rows" 'BEGIN {printf "%.0f", 1000*c/n}')"
  cpu_rows+=("$(printf '%-10s %16s %16s %10s' "$name" "$api_cpu_k" "$raw_cpu_k" \
    "$(awk -v a="$api_cpu_k" -v r="$raw_cpu_k" 'BEGIN {printf "%.0f%%", 100*r/a}')")")
  local ratio
  ratio="$(awk -v a="$api_rate" -v r="$raw_rate" 'BEGIN {printf "%.0f%%", 100*a/r}')"
  results+=("$(printf '%-10s %12s %9s %9s %14s %8s %10s' "$name" "$api_rate" "$p50" "$p99" "$raw_rate ($raw_threads)" "$ratio" "${errors:-0}")")
}

for backend in $backends; do
  case "$backend" in
    sqlite) run_backend sqlite "$work/bench.db" 1 ;;
    postgres)
      start_postgres
      run_backend postgres "$pg_url" 8
      ;;
    *) echo "unknown backend $backend" >&2; exit 2 ;;
  esac
done

echo
echo "sync ingest: $CONNECTIONS connections x batches of $BATCH for ${DURATION}s ($(nproc) cores)"
printf '%-10s %12s %9s %9s %14s %8s %10s\n' backend "api rows/s" "p50" "p99" "raw rows/s" ratio "non-2xx"
for r in "${results[@]}"; do echo "$r"; done
if [ "${#light_rows[@]}" -gt 0 ]; then
  echo
  echo "lighter load: $LIGHT_CONNECTIONS connections x batches of $BATCH (rows/s from requests answered)"
  printf '%-10s %12s %9s %9s\n' backend "api rows/s" "p50" "p99"
  for r in "${light_rows[@]}"; do echo "$r"; done
fi
echo
echo "CPU ms per 1,000 stored rows (server + database processes), load average $(cut -d' ' -f1 /proc/loadavg)"
printf '%-10s %16s %16s %10s\n' backend "api cpu ms/1k" "raw cpu ms/1k" "raw/api"
for r in "${cpu_rows[@]}"; do echo "$r"; done
