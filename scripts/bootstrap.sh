#!/usr/bin/env bash
# Creates .venv and installs pemadanan with everything it needs, on a machine with only Python 3.11.
# Idempotent: a second call only checks that the install is current.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; assert sys.version_info[:2] in ((3, 11), (3, 12))' 2>/dev/null; then
  echo "pemadanan needs Python 3.11 or 3.12 (set PYTHON=/path/to/python3.11)" >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  if ! "$PYTHON" -m venv .venv 2>/dev/null; then
    # Debian/Ubuntu ship venv separately (python3-venv); install it if we are allowed to.
    rm -rf .venv
    pkg="python3-venv"
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq "$pkg"
    elif command -v sudo >/dev/null; then sudo apt-get update -qq && sudo apt-get install -y -qq "$pkg"
    else echo "cannot create a virtualenv: install $pkg (apt-get install $pkg) and retry" >&2; exit 1
    fi
    "$PYTHON" -m venv .venv
  fi
fi

stamp=.venv/.pemadanan-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev]' -c constraints.txt
  touch "$stamp"
fi
