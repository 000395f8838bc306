#!/usr/bin/env bash
# Report latency at scale, on SQLite and on PostgreSQL 15 (a throw-away cluster started here).
#
#   benches/reports.sh                 # 1,000,000 activations, both backends
#   ACTIVATIONS=10000000 BACKENDS=postgres benches/reports.sh
#   KEEP_DIR=/var/tmp/jemput-bench ACTIVATIONS=10000000 benches/reports.sh
#
# For each backend: generates the activations (514 regencies, 11 channels, a year) into a
# fresh database, then prints p50/p99 of every report endpoint through HTTP for one regency
# and for the nation, beside one hand-written SQL query over the raw rows.
# KEEP_DIR keeps the generated databases there (a SQLite file, a PostgreSQL cluster left
# stopped) and reuses them on the next run: generate 10M once, measure after every change.
# A kept database is migrated first; REBUILD=1 recounts its roll-ups. Extra arguments of the
# bench (--only channels,staff --raw-runs 1 --iterations 10) go in BENCH_ARGS.
# BENCH=pages runs the web pages' benchmark (benches/pages.rs) over the same data instead.
set -euo pipefail
cd "$(dirname "$0")/.."
activations="${ACTIVATIONS:-1000000}"
iterations="${ITERATIONS:-30}"
bench_name="${BENCH:-reports}"
backends="${BACKENDS:-sqlite postgres}"
keep_dir="${KEEP_DIR:-}"
read -r -a extra <<<"${BENCH_ARGS:-}"
[ "${REBUILD:-0}" = "1" ] && extra+=(--rebuild)

cargo build --release --bench "$bench_name" --quiet
bench="$(ls -t target/release/deps/"$bench_name"-* | grep -v '\.d$' | head -1)"
[ -n "$keep_dir" ] && mkdir -p "$keep_dir"

for backend in $backends; do
  case "$backend" in
    sqlite)
      keep=()
      [ -n "$keep_dir" ] && keep=(--keep "$keep_dir/sqlite-$activations.db")
      "$bench" --activations "$activations" --iterations "$iterations" "${keep[@]}" "${extra[@]}"
      ;;
    postgres)
      pgbin="${PG_BIN:-/usr/lib/postgresql/15/bin}"
      if [ -n "$keep_dir" ]; then dir="$keep_dir/pg"; mkdir -p "$dir"; else dir="$(mktemp -d /tmp/jemput-bench-pg.XXXXXX)"; fi
      port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
      as_pg=()
      if [ "$(id -u)" = "0" ]; then chown postgres:postgres "$dir"; as_pg=(runuser -u postgres --); fi
      cleanup() {
        "${as_pg[@]}" "$pgbin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
        [ -n "$keep_dir" ] || rm -rf "$dir"
      }
      trap cleanup EXIT
      [ -e "$dir/data/PG_VERSION" ] || "${as_pg[@]}" "$pgbin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 >/dev/null
      # Stock settings but for memory a small server would have.
      "${as_pg[@]}" "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c shared_buffers=1GB -c work_mem=64MB -c max_wal_size=4GB" start >/dev/null
      keep=()
      [ -n "$keep_dir" ] && keep=(--keep "jemput_bench_$activations")
      "$bench" --activations "$activations" --iterations "$iterations" \
        --database-url "postgres://postgres@127.0.0.1:$port/postgres" "${keep[@]}" "${extra[@]}"
      cleanup
      trap - EXIT
      ;;
  esac
done
