#!/usr/bin/env bash
# Installs dependencies (idempotent), configures and builds galien into build/.
# Environment: BUILD_DIR (default build), BUILD_TYPE (default RelWithDebInfo), JOBS,
# CMAKE_EXTRA_ARGS (more -D options, e.g. "-DGALIEN_BUILD_TRAINING=OFF"),
# SANITIZE (e.g. address,undefined: a sanitizer build with gcc's -fsanitize=..., in build-asan/
# unless BUILD_DIR says otherwise; docs/RELIABILITY.md). The plain build is unchanged without it.
# BUILD_TARGETS: build only these targets (e.g. a sanitizer run of part of the suite).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
sanitize_args=()
if [[ -n "${SANITIZE:-}" ]]; then
  BUILD_DIR=${BUILD_DIR:-build-asan}
  flags="-fsanitize=${SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
  sanitize_args=(-DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags"
                 -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=${SANITIZE}"
                 -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=${SANITIZE}")
fi
BUILD_DIR=${BUILD_DIR:-build}
# shellcheck disable=SC2086  # CMAKE_EXTRA_ARGS is a list of words
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" \
  "${sanitize_args[@]}" ${CMAKE_EXTRA_ARGS:-} >/dev/null
# shellcheck disable=SC2086  # BUILD_TARGETS is a list of words
cmake --build "$BUILD_DIR" -j "${JOBS:-$(nproc)}" ${BUILD_TARGETS:+--target $BUILD_TARGETS}
