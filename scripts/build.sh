#!/usr/bin/env bash
# Installs dependencies (idempotent), configures and builds galien into build/.
# Environment: BUILD_DIR (default build), BUILD_TYPE (default RelWithDebInfo), JOBS.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" >/dev/null
cmake --build "$BUILD_DIR" -j "${JOBS:-$(nproc)}"
