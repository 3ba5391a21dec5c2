#!/usr/bin/env bash
# Installs every dependency floe needs on a Debian machine. Idempotent: skips what is present.
# Usage: scripts/bootstrap.sh [--bench]   (--bench adds the peers the benchmarks compare against)
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(build-essential pkg-config libyaml-dev libsqlite3-dev sqlite3 libjansson-dev libsodium-dev
      libcurl4-openssl-dev libpq-dev postgresql zlib1g-dev libzstd-dev clang libclang-rt-14-dev
      python3 python3-avro)
if [ "${1:-}" = "--bench" ]; then PKGS+=(snakemake hyperfine); fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)   # nodesource builds ship npm inside nodejs
if [ "${#missing[@]}" -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq || true
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# npm-provided parts (DuckDB shared library + header), pinned by third_party/package-lock.json
if [ -f third_party/package.json ] && [ ! -d third_party/node_modules ]; then
  echo "bootstrap: installing npm packages (third_party/)" >&2
  (cd third_party && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
exit 0
