#!/usr/bin/env bash
# Soak benchmark: simulated phones (default 200) against the release server for a long
# while (default 10 minutes) on each backend. Each phone syncs a batch of 10, pulls changes,
# reads its event's yield and the channel report, then waits 0.5-1.5 s (benches/soak.rs).
# Asks: zero errors; the server's RSS at the end within 10 % of its RSS after the first
# minute; p99 per endpoint. Exits non-zero when an error was seen.
#
#   benches/soak.sh                       # both backends, 200 phones, 600 s each
#   benches/soak.sh sqlite                # or: postgres
#   PHONES=200 DURATION=600 benches/soak.sh
#   ALLOCATOR=system benches/soak.sh      # the server on glibc's malloc (no jemalloc), which
#                                         # heap profilers (heaptrack) can follow
#   JEMPUT_BIN=target/other/jemput benches/soak.sh   # a build of the server made elsewhere
set -euo pipefail
cd "$(dirname "$0")/.."

backends="${1:-sqlite postgres}"
PHONES="${PHONES:-200}"
SECONDS_EACH="${DURATION:-600}"
EVENTS="${EVENTS:-8}"

need=()
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
if [ -n "${JEMPUT_BIN:-}" ]; then
  BIN="$(realpath "$JEMPUT_BIN")"   # another build of the server, as benches/sync.sh takes
elif [ "${ALLOCATOR:-jemalloc}" = "system" ]; then
  # Kept apart, and the ordinary release binary put back (cargo keeps both builds).
  cargo build --release --locked --quiet --bin jemput --no-default-features
  mkdir -p target/system-alloc && cp target/release/jemput target/system-alloc/jemput
  cargo build --release --locked --quiet --bin jemput
  BIN="$PWD/target/system-alloc/jemput"
else
  cargo build --release --locked --quiet --bin jemput
  BIN="$PWD/target/release/jemput"
fi
cargo bench --locked --quiet --bench soak --no-run 2>/dev/null

work="$(mktemp -d /tmp/jemput-soak.XXXXXX)"
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

status=0
run_backend() {
  local name="$1" url="$2"
  local port; port="$(free_port)"
  local base="http://127.0.0.1:$port"
  DATABASE_URL="$url" JEMPUT_ADMIN_PASSWORD="soak-admin-password-1" "$BIN" init --admin-username soak >/dev/null
  # A token that outlives the run (the default is 15 minutes).
  DATABASE_URL="$url" JEMPUT_BIND="127.0.0.1:$port" JEMPUT_ACCESS_TOKEN_TTL=7200 \
    "$BIN" serve >"$work/$name-server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do curl -sf "$base/readyz" >/dev/null && break; sleep 0.1; done
  local token
  token="$(curl -sf "$base/api/v1/auth/login" -H 'content-type: application/json' \
    -d '{"username":"soak","password":"soak-admin-password-1"}' | jq -r .access_token)"
  local events=()
  for i in $(seq 1 "$EVENTS"); do
    events+=("$(curl -sf "$base/api/v1/events" -H 'content-type: application/json' -H "authorization: Bearer $token" \
      -d "{\"channel_key\":\"village_visit\",\"title\":\"Soak $i\",\"starts_at\":\"2024-03-18T08:00:00+08:00\",\"ends_at\":\"2024-03-18T17:00:00+08:00\"}" | jq -r .id)")
  done
  echo "=== $name: $PHONES phones for ${SECONDS_EACH}s ==="
  SOAK_TOKEN="$token" cargo bench --locked --quiet --bench soak -- "$base" "$server_pid" "$SECONDS_EACH" "$PHONES" "${events[@]}" \
    | tee "$work/$name-soak.txt" || status=1
  echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
  # What the server itself said went wrong (the log is removed with the work directory).
  local warnings
  warnings="$(grep -cE ' (WARN|ERROR) ' "$work/$name-server.log" || true)"
  echo "server warnings and errors logged: $warnings"
  grep -E ' (WARN|ERROR) ' "$work/$name-server.log" | sed -E 's/^[^ ]+ //' | sort | uniq -c | sort -rn | head -10 || true
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
}

for backend in $backends; do
  case "$backend" in
    sqlite) run_backend sqlite "$work/soak.db" ;;
    postgres)
      pg_dir="$(mktemp -d /tmp/jemput-soak-pg.XXXXXX)"
      pgport="$(free_port)"
      if [ "$(id -u)" = "0" ]; then chown postgres:postgres "$pg_dir"; as_pg=(runuser -u postgres --); fi
      "${as_pg[@]}" "$pgbin/initdb" -D "$pg_dir/data" -U postgres -A trust -E UTF8 >/dev/null
      "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
        -o "-p $pgport -k $pg_dir -c listen_addresses=127.0.0.1 -c max_connections=100" start \
        >/dev/null 9>&- 8>&- 7>&- 6>&- 5>&- 4>&- 3>&-
      run_backend postgres "postgres://postgres@127.0.0.1:$pgport/postgres"
      ;;
    *) echo "unknown backend $backend" >&2; exit 2 ;;
  esac
done
exit "$status"
