#!/usr/bin/env bash
# schemathesis (pinned 4.x) against the served OpenAPI document, authenticated, on SQLite and
# on a throw-away PostgreSQL 15 cluster. Checks: not_a_server_error, status_code_conformance,
# response_schema_conformance, negative_data_rejection, ignored_auth. Fixed seed, a bounded
# number of examples per operation and a time cap per backend. Zero failures or it fails.
#
#   bash .ci/schemathesis.sh                  # both backends
#   bash .ci/schemathesis.sh sqlite           # or: postgres
#   MAX_EXAMPLES=50 MAX_TIME=300 SEED=16 bash .ci/schemathesis.sh
#   JEMPUT_BIN=target/release/jemput bash .ci/schemathesis.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ST_VERSION="4.32.5"
backends="${1:-sqlite postgres}"
SEED="${SEED:-16}"
MAX_EXAMPLES="${MAX_EXAMPLES:-25}"
MAX_TIME="${MAX_TIME:-240}"
# The checks are chosen in .ci/schemathesis.toml (with its one documented exception).

need=()
command -v python3 >/dev/null || need+=(python3)
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
command -v curl >/dev/null || need+=(curl)
command -v jq >/dev/null || need+=(jq)
if [[ " $backends " == *" postgres "* ]] && [ ! -x "${PG_BIN:-/usr/lib/postgresql/15/bin}/initdb" ]; then
  need+=(postgresql-15)
fi
if [ "${#need[@]}" -gt 0 ]; then
  echo "installing: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# A venv of its own (outside the checkout), reused while the pinned version matches.
venv="${SCHEMATHESIS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/jemput-schemathesis-$ST_VERSION}"
if [ ! -x "$venv/bin/st" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$ST_VERSION"
fi

BIN="${JEMPUT_BIN:-}"
if [ -z "$BIN" ]; then
  cargo build --locked --quiet --bin jemput
  BIN="$PWD/target/debug/jemput"
fi
pgbin="${PG_BIN:-/usr/lib/postgresql/15/bin}"
work="$(mktemp -d /tmp/jemput-st.XXXXXX)"
pg="$(mktemp -d /tmp/jemput-st-pg.XXXXXX)"
as_pg=()
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && { kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; } || true
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pg/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work" "$pg"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

password="schemathesis-admin-password-1"
status=0
run_backend() {
  local name="$1" url="$2"
  local port; port="$(free_port)"
  local base="http://127.0.0.1:$port"
  DATABASE_URL="$url" JEMPUT_ADMIN_PASSWORD="$password" "$BIN" init --admin-username schemathesis >/dev/null
  DATABASE_URL="$url" JEMPUT_BIND="127.0.0.1:$port" JEMPUT_LOG_FORMAT=json \
    "$BIN" serve >"$work/$name-server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do curl -sf "$base/readyz" >/dev/null && break; sleep 0.1; done
  # A long-lived token: schemathesis' cases run for minutes, longer than the default 15.
  local token
  token="$(curl -sf "$base/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"username\":\"schemathesis\",\"password\":\"$password\"}" | jq -r .access_token)"
  echo "=== schemathesis $ST_VERSION on $name (seed $SEED, $MAX_EXAMPLES examples, ${MAX_TIME}s cap) ==="
  local rc=0
  "$venv/bin/st" --config-file .ci/schemathesis.toml run "$base/api-docs/openapi.json" \
    --header "Authorization: Bearer $token" \
    --seed "$SEED" --max-examples "$MAX_EXAMPLES" --max-time "$MAX_TIME" \
    --phases examples,coverage,fuzzing \
    --exclude-path /api/v1/auth/logout \
    --request-timeout 30 --workers 1 --no-color \
    --suppress-health-check all \
    --report junit --report-dir "${ST_REPORT_DIR:-$work/report-$name}" ${ST_ARGS:-} || rc=$?
  if grep -q '"level":"ERROR"' "$work/$name-server.log"; then
    echo "--- $name server errors (last 10) ---"
    grep '"level":"ERROR"' "$work/$name-server.log" | tail -10 | cut -c1-400
  fi
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
  [ "$rc" -eq 0 ] || status=1
}

for backend in $backends; do
  case "$backend" in
    sqlite) run_backend sqlite "$work/st.db" ;;
    postgres)
      if [ "$(id -u)" = "0" ]; then chown postgres:postgres "$pg"; as_pg=(runuser -u postgres --); fi
      pgport="$(free_port)"
      "${as_pg[@]}" "$pgbin/initdb" -D "$pg/data" -U postgres -A trust --no-sync -E UTF8 >/dev/null
      "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pg/data" -l "$pg/log" -w \
        -o "-p $pgport -k $pg -c listen_addresses=127.0.0.1 -c fsync=off" start \
        >/dev/null 9>&- 8>&- 7>&- 6>&- 5>&- 4>&- 3>&-
      run_backend postgres "postgres://postgres@127.0.0.1:$pgport/postgres"
      ;;
    *) echo "unknown backend $backend" >&2; exit 2 ;;
  esac
done
exit "$status"
