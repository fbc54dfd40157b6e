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

# Installs a Debian package if we are allowed to (root, or sudo); otherwise says what to install.
apt_install() {
  local as=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "cannot install $1: run apt-get install $1 as root and retry" >&2; return 1; }
    as=sudo
  fi
  $as apt-get install -y -qq "$1" >/dev/null || { $as apt-get update -qq && $as apt-get install -y -qq "$1" >/dev/null; }
}

if [ ! -x .venv/bin/python ]; then
  if ! "$PYTHON" -m venv .venv 2>/dev/null; then
    rm -rf .venv
    apt_install python3-venv  # Debian/Ubuntu ship venv separately
    "$PYTHON" -m venv .venv
  fi
fi

# Headless Chromium for the browser tests (tests/test_ui.py), Debian's package; only the test command asks for it.
if [ "${PEMADANAN_WITH_BROWSER:-}" = 1 ] && [ -z "${PEMADANAN_CHROMIUM:-}" ] && ! command -v chromium >/dev/null; then
  echo "installing Debian's chromium for the browser tests"
  apt_install chromium
fi

stamp=.venv/.pemadanan-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev,k8s]' -c constraints.txt
  touch "$stamp"
fi
