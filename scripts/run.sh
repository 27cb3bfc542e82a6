#!/usr/bin/env bash
# Run the panel on http://127.0.0.1:5000 with the embedded defaults: SQLite under instance/,
# jobs through RQ on an in-process fakeredis with a worker thread (no Redis needed).
set -euo pipefail
cd "$(dirname "$0")/.."

[ -x .venv/bin/python ] || python3 -m venv .venv
# The runtime lock only (every package pinned with its hashes); tests and tooling are in requirements-dev.txt.
.venv/bin/pip install --quiet --disable-pip-version-check --require-hashes -r requirements.txt
export FLASK_APP=wsgi

.venv/bin/flask check-db
.venv/bin/flask db upgrade
.venv/bin/flask demo-data --persons "${MHC_DEMO_PERSONS:-500}" --if-empty
.venv/bin/flask users ensure-admin
echo "Serving the panel on http://127.0.0.1:5000 (Ctrl-C to stop)"
exec .venv/bin/flask run --host 127.0.0.1 --port 5000 --no-reload
