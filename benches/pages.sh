#!/usr/bin/env bash
# The web app's pages at the nation's scope, on SQLite and on PostgreSQL 15 (a throw-away
# cluster started here), over the report benchmark's data (benches/reports.rs generates it).
#
#   benches/pages.sh                   # 1,000,000 activations, both backends
#   ACTIVATIONS=10000000 BACKENDS=postgres benches/pages.sh
#   KEEP_DIR=/var/tmp/jemput-bench ACTIVATIONS=10000000 benches/pages.sh   # reports.sh's kept data
#
# For each backend: generates the activations into a fresh database (or reuses the one
# KEEP_DIR holds, as benches/reports.sh does), signs the national
# admin in through /app/login, prints p50/p99 of every page and the bytes of a first load.
# The data, the cluster and the runs are benches/reports.sh's; only the benchmark differs.
set -euo pipefail
BENCH=pages ITERATIONS="${ITERATIONS:-20}" exec "$(dirname "$0")/reports.sh" "$@"
