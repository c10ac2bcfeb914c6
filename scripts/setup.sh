#!/usr/bin/env bash
# Set up everything the project needs on a fresh Debian machine with Python 3.11:
# the Debian packages listed in scripts/apt-packages.txt, then .venv with the project and its dev extras.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

want=()
while read -r pkg; do
  pkg="${pkg%%#*}"; pkg="$(echo "$pkg" | xargs)"
  [ -z "$pkg" ] && continue
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || want+=("$pkg")
done < scripts/apt-packages.txt
if [ ${#want[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${want[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
fi

PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null 2>&1 || PY=python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
  .venv/bin/pip install -q -U pip wheel
fi
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/pip install -q -e '.[dev]'
  touch "$stamp"
fi
for hook in scripts/setup.d/*.sh; do
  [ -e "$hook" ] && bash "$hook"
done
echo "setup: ready (.venv)"
