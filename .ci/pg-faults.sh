#!/usr/bin/env bash
# PostgreSQL fault suite: two `jemput serve` on one PostgreSQL 15 cluster; under sync load
# the cluster is restarted, then stopped and started (tests/faults/pg_faults.py says what
# is checked). Runs on a throw-away cluster in a temp dir; about a minute.
#
#   bash .ci/pg-faults.sh          # from a checkout; builds the debug binary if needed
#   JEMPUT_BIN=path/to/jemput bash .ci/pg-faults.sh
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql-15)
command -v python3 >/dev/null || need+=(python3)
command -v curl >/dev/null || need+=(curl)
if [ "${#need[@]}" -gt 0 ]; then
  echo "installing: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

echo "=== PostgreSQL fault suite ==="
# JEMPUT_BIN: another build to try (e.g. an older one, to see the suite fail).
BIN="${JEMPUT_BIN:-}"
if [ -z "$BIN" ]; then
  cargo build --locked --quiet --bin jemput
  BIN="$PWD/target/debug/jemput"
fi
pgbin="${PG_BIN:-/usr/lib/postgresql/15/bin}"
work="$(mktemp -d /tmp/jemput-faults.XXXXXX)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

as_pg=()
if [ "$(id -u)" = "0" ]; then chown postgres:postgres "$work"; as_pg=(runuser -u postgres --); fi
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

port="$(free_port)"
pg_opts="-p $port -k $work -c listen_addresses=127.0.0.1 -c max_connections=100"
"${as_pg[@]}" "$pgbin/initdb" -D "$work/data" -U postgres -A trust -E UTF8 >/dev/null
# Descriptors closed: the cluster must not keep a CI log pipe open after the script ends.
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/data" -l "$work/pg.log" -w -o "$pg_opts" start \
  >/dev/null 9>&- 8>&- 7>&- 6>&- 5>&- 4>&- 3>&-
url="postgres://postgres@127.0.0.1:$port/postgres"
password="fault-suite-admin-password-1"
DATABASE_URL="$url" JEMPUT_ADMIN_PASSWORD="$password" "$BIN" init --admin-username faults >/dev/null

servers=()
for n in 1 2; do
  p="$(free_port)"
  DATABASE_URL="$url" JEMPUT_BIND="127.0.0.1:$p" JEMPUT_LOG_FORMAT=json \
    "$BIN" serve >"$work/server-$n.log" 2>&1 &
  pids+=("$!")
  servers+=(--server "http://127.0.0.1:$p" --pid "$!")
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$p/readyz" >/dev/null && break; sleep 0.1; done
done

status=0
python3 tests/faults/pg_faults.py "${servers[@]}" --pg-bin "$pgbin" --pg-data "$work/data" \
  --pg-url "$url" --pg-opts "$pg_opts" --pg-log "$work/pg.log" --as-pg "${as_pg[*]}" \
  --username faults --password "$password" || status=$?
if [ "$status" -ne 0 ]; then
  for n in 1 2; do
    echo "--- server $n: errors and warnings (last 10) ---"
    grep -E '"level":"(ERROR|WARN)"' "$work/server-$n.log" | tail -10 | cut -c1-300 || true
  done
fi
exit "$status"
