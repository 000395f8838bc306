#!/usr/bin/env bash
# Runs the whole test suite twice: on embedded SQLite, then on a throw-away PostgreSQL 15
# cluster this script starts in a temp dir on a free port (as the `postgres` user when run
# as root, since initdb refuses root) and removes afterwards.
#
#   tests/run.sh                 # both backends
#   tests/run.sh -- some_filter  # both backends, only tests matching the filter
#   JEMPUT_TEST_BACKENDS=sqlite tests/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."

filter=()
if [ "${1:-}" = "--" ]; then shift; filter=("$@"); fi
backends="${JEMPUT_TEST_BACKENDS:-sqlite postgres}"

# Build once; both runs use the same test binaries. No doc-tests: the crate has none to run.
targets=(--lib --bins --tests)
cargo test --locked "${targets[@]}" --no-run --quiet
log="$(mktemp /tmp/jemput-test-log.XXXXXX)"
run_suite() { cargo test --locked "${targets[@]}" -- "${filter[@]}" 2>&1 | tee -a "$log"; }

for backend in $backends; do
  case "$backend" in
    sqlite)
      echo "=== test suite on SQLite ==="
      (unset TEST_DATABASE_URL; run_suite)
      ;;
    postgres)
      if [ -n "${TEST_DATABASE_URL:-}" ]; then
        echo "=== test suite on PostgreSQL (TEST_DATABASE_URL) ==="
        run_suite
        continue
      fi
      pgbin="${PG_BIN:-/usr/lib/postgresql/15/bin}"
      [ -x "$pgbin/initdb" ] || { echo "PostgreSQL binaries not found in $pgbin (set PG_BIN)" >&2; exit 1; }
      dir="$(mktemp -d /tmp/jemput-pg.XXXXXX)"
      port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
      as_pg=()
      if [ "$(id -u)" = "0" ]; then
        chown postgres:postgres "$dir"
        as_pg=(runuser -u postgres --)
      fi
      cleanup() {
        "${as_pg[@]}" "$pgbin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
        rm -rf "$dir"
      }
      trap cleanup EXIT
      "${as_pg[@]}" "$pgbin/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 >/dev/null
      # The test cluster is disposable: durability off makes the suite fast.
      "${as_pg[@]}" "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400" start >/dev/null
      echo "=== test suite on PostgreSQL 15 (port $port) ==="
      TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres" run_suite
      cleanup
      trap - EXIT
      ;;
    *) echo "unknown backend $backend" >&2; exit 2 ;;
  esac
done

passed=$(grep -oE '[0-9]+ passed' "$log" | awk '{s+=$1} END {print s+0}')
failed=$(grep -oE '[0-9]+ failed' "$log" | awk '{s+=$1} END {print s+0}')
rm -f "$log"
echo "backends: $backends"
echo "total: $passed passed, $failed failed"
