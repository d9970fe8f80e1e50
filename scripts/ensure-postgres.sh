#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on 127.0.0.1:5432; start the local cluster with
# pg_ctlcluster when it is down. Exits non-zero with a clear message when it cannot.
set -euo pipefail
ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
if ready; then exit 0; fi
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "PostgreSQL is not running on 127.0.0.1:5432 and pg_ctlcluster is not installed." >&2
  echo "Install PostgreSQL or set MOVILIDAD_TEST_POSTGRES_URL to a server you can use." >&2
  exit 1
fi
version=$(ls /etc/postgresql | sort -V | tail -n 1)
echo "Starting PostgreSQL $version…"
pg_ctlcluster --skip-systemctl-redirect "$version" main start
for _ in $(seq 1 30); do ready && exit 0; sleep 1; done
echo "PostgreSQL did not come up on 127.0.0.1:5432." >&2
exit 1
