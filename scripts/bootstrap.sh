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

# npm-provided parts, pinned by committed lockfiles: third_party/ (DuckDB shared library + header) and
# tests/interop/ (independent Parquet/Iceberg readers). Reinstalled only when the lockfile changed.
for d in third_party tests/interop; do
  [ -f "$d/package-lock.json" ] || continue
  if ! cmp -s "$d/package-lock.json" "$d/node_modules/.package-lock.json" 2>/dev/null && \
     ! [ "$d/node_modules/.floe-installed" -nt "$d/package-lock.json" ]; then
    echo "bootstrap: installing npm packages ($d/)" >&2
    # npm ci refuses a lockfile lacking optional per-platform packages the registry mirror does not carry;
    # npm install then installs the same locked versions (package.json pins exact versions too).
    (cd "$d" && { npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2 2>/dev/null ||
                  npm install --ignore-scripts --no-save --no-audit --no-fund --loglevel=error >&2; } &&
                touch node_modules/.floe-installed)
  fi
done
exit 0
