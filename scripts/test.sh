#!/usr/bin/env bash
# The test suite: installs dependencies (idempotent), builds, runs every test through ctest
# (unit, MPI with 2 ranks, end-to-end through the real executable).
# SANITIZE=address,undefined: the same suite built with ASan + UBSan in build-asan/, run with the
# options and third-party suppressions of scripts/sanitizers/ (docs/RELIABILITY.md).
# CTEST_ARGS: more ctest arguments (e.g. "-R Csv -j 2"). With BUILD_TARGETS (scripts/build.sh)
# only those test binaries are built: pass CTEST_ARGS="-E _NOT_BUILT|_np" to run just them.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -n "${SANITIZE:-}" ]]; then
  export BUILD_DIR=${BUILD_DIR:-build-asan}
  source scripts/sanitizers/env.sh
fi
bash scripts/build.sh
bash scripts/install-test-python.sh "${BUILD_DIR:-build}/.venv-test"  # real TensorBoard reader
cd "${BUILD_DIR:-build}"
# shellcheck disable=SC2086
ctest --output-on-failure --timeout 600 ${CTEST_ARGS:-}
