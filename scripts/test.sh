#!/usr/bin/env bash
# The test suite: installs dependencies (idempotent), builds, runs every test through ctest
# (unit, MPI with 2 ranks, end-to-end through the real executable).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
bash scripts/install-test-python.sh "${BUILD_DIR:-build}/.venv-test"  # real TensorBoard reader
cd "${BUILD_DIR:-build}"
ctest --output-on-failure --timeout 600
