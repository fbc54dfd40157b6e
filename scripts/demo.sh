#!/usr/bin/env bash
# README command 1: install, generate a sample kabupaten, run two semesters through Dagster, publish, summarise.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/pemadanan demo "$@"
