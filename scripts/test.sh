#!/usr/bin/env bash
# Run the whole test suite: on SQLite, then on PostgreSQL (a throwaway database on 127.0.0.1:5432,
# created and dropped by the run), both with the real Redis on 127.0.0.1:6379 for the tests that
# need a real worker. Installs Debian's chromium and the hash-pinned dev requirements first.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
# The dev lock: the runtime lock plus pytest, ruff and what the tests import, every package pinned with hashes.
.venv/bin/pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.txt

export MHC_TEST_REDIS_URL="${MHC_TEST_REDIS_URL:-redis://127.0.0.1:6379/0}"
PG_URL="${MHC_TEST_PG_URL:-postgresql://postgres@127.0.0.1:5432/test}"
# Two test processes (pytest-xdist): every test makes its own database, queue prefix and ports, so they
# run side by side. MHC_TEST_WORKERS=0 runs them in this one process.
WORKERS=(-n "${MHC_TEST_WORKERS:-2}")

echo "== pytest on SQLite"
.venv/bin/python -m pytest -p no:cacheprovider "${WORKERS[@]}" "$@"
echo "== pytest on PostgreSQL"
MHC_TEST_DATABASE_URL="$PG_URL" .venv/bin/python -m pytest -p no:cacheprovider "${WORKERS[@]}" "$@"
