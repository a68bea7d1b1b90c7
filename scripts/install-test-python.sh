#!/usr/bin/env bash
# Creates the Python environment the tests read galien's output with (idempotent: a second run
# only checks): a venv holding the real `tensorboard` package, whose event reader must load
# galien's event files (tests/unit/test_tensorboard.cpp). Uses Debian's python3 and python3-venv
# (scripts/install-deps.sh) and PyPI, with the versions pinned in scripts/requirements-test.txt.
# Usage: scripts/install-test-python.sh [VENV_DIR]   (default: build/.venv-test)
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${1:-build/.venv-test}
requirements=scripts/requirements-test.txt

# The stamp holds the requirements it was made from, so changing a pin reinstalls.
stamp="$venv/.galien-requirements"
if [ -x "$venv/bin/python" ] && cmp -s "$requirements" "$stamp"; then
  echo "[install-test-python] $venv is up to date"
  exit 0
fi

# Debian's interpreter, not whichever python3 comes first on PATH (pyenv, conda, modules).
python=/usr/bin/python3
[ -x "$python" ] || python=$(command -v python3)
echo "[install-test-python] creating $venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
"$venv/bin/python" -c "import tensorboard.backend.event_processing.event_accumulator"
cp "$requirements" "$stamp"
echo "[install-test-python] $venv: tensorboard $("$venv/bin/python" -c \
  'import tensorboard; print(tensorboard.__version__)')"
