#!/usr/bin/env bash
# Report latency at scale, on SQLite and on PostgreSQL 15 (a throw-away cluster started here).
#
#   benches/reports.sh                 # 1,000,000 activations, both backends
#   ACTIVATIONS=10000000 BACKENDS=postgres benches/reports.sh
#
# For each backend: generates the activations (514 regencies, 11 channels, a year) into a
# fresh database, then prints p50/p99 of every report endpoint through HTTP for one regency
# and for the nation, beside one hand-written SQL query over the raw rows.
# BENCH=pages runs the web pages' benchmark (benches/pages.rs) over the same data instead.
set -euo pipefail
cd "$(dirname "$0")/.."
activations="${ACTIVATIONS:-1000000}"
iterations="${ITERATIONS:-30}"
bench_name="${BENCH:-reports}"
backends="${BACKENDS:-sqlite postgres}"

cargo build --release --bench "$bench_name" --quiet
bench="$(ls -t target/release/deps/"$bench_name"-* | grep -v '\.d$' | head -1)"

for backend in $backends; do
  case "$backend" in
    sqlite)
      "$bench" --activations "$activations" --iterations "$iterations"
      ;;
    postgres)
      pgbin="${PG_BIN:-/usr/lib/postgresql/15/bin}"
      dir="$(mktemp -d /tmp/jemput-bench-pg.XXXXXX)"
      port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
      as_pg=()
      if [ "$(id -u)" = "0" ]; then chown postgres:postgres "$dir"; as_pg=(runuser -u postgres --); fi
      cleanup() { "${as_pg[@]}" "$pgbin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true; rm -rf "$dir"; }
      trap cleanup EXIT
      "${as_pg[@]}" "$pgbin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 >/dev/null
      # Stock settings but for memory a small server would have.
      "${as_pg[@]}" "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c shared_buffers=1GB -c work_mem=64MB -c max_wal_size=4GB" start >/dev/null
      "$bench" --activations "$activations" --iterations "$iterations" \
        --database-url "postgres://postgres@127.0.0.1:$port/postgres"
      cleanup
      trap - EXIT
      ;;
  esac
done
