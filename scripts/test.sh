#!/usr/bin/env bash
# The whole test suite: SQLite (with the browser tests in Chromium), then PostgreSQL.
# Installs Chromium and starts PostgreSQL when they are missing. Fails if any test is
# skipped (see tests/conftest.py). Extra arguments go to both pytest runs.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${VENV:-.venv}/bin"
PG_URL="${MOVILIDAD_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres}"

bash scripts/ensure-chromium.sh
bash scripts/ensure-java.sh
bash scripts/ensure-postgres.sh

echo "== Test suite on SQLite (with browser tests in Chromium) =="
env -u MOVILIDAD_TEST_DATABASE_URL "$BIN/pytest" -p no:cacheprovider "$@"

echo "== Test suite on PostgreSQL =="
MOVILIDAD_TEST_DATABASE_URL="$PG_URL" "$BIN/pytest" -p no:cacheprovider -m "not browser" "$@"
