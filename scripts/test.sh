#!/usr/bin/env bash
# README command 2: install, then run the whole test suite (PostgreSQL is started by the tests themselves,
# or given by PEMADANAN_TEST_DATABASE_URL; headless Chromium is installed from Debian's packages if absent).
set -euo pipefail
cd "$(dirname "$0")/.."
PEMADANAN_WITH_BROWSER=1 bash scripts/bootstrap.sh
.venv/bin/ruff check .
.venv/bin/dagster definitions validate -w workspace.yaml
exec .venv/bin/python -m pytest "$@"
