#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/) with clang 14 into build-fuzz/ and runs each for
# SECONDS_PER_TARGET seconds (default 60), one after the other. Prints, per target, libFuzzer's
# final figures: executions, executions per second, coverage (cov: edges, ft: features) and the
# corpus size. A crash, leak, sanitizer report, timeout or out-of-memory writes the input to
# build-fuzz/crashes/TARGET/ and makes the script exit 1 (after running the other targets).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]
#   FUZZ_TARGETS="csv idx" scripts/fuzz.sh 30    # only these (names without fuzz_)
#   FUZZ_BUILD_ONLY=1 scripts/fuzz.sh            # build, replay the checked-in inputs, no fuzzing
#
# Environment: BUILD_DIR (default build-fuzz), JOBS, FUZZ_TARGETS, FUZZ_RSS_MB (default 2048),
# FUZZ_HDF5_MALLOC_MB (largest single malloc for shard/encrypted, default 16384),
# FUZZ_TIMEOUT_S (one input, default 10). Seeds: tests/fuzz/corpus/TARGET/ (checked in, small);
# the growing corpus is build-fuzz/corpus/TARGET/ and is kept between runs. Every input under
# tests/fuzz/regressions/TARGET/ (past findings) is replayed first. docs/RELIABILITY.md has the
# figures of the last recorded run.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-60}
BUILD_DIR=${BUILD_DIR:-build-fuzz}
ALL_TARGETS="config csv manifest shard encrypted nifti dicom png npz idx audit_log slurm_profile"
TARGETS=${FUZZ_TARGETS:-$ALL_TARGETS}

for tool in clang-14 clang++-14; do
  command -v "$tool" >/dev/null || { echo "fuzz.sh: $tool not found (apt-get install clang-14)" >&2; exit 2; }
done
bash scripts/install-deps.sh
CC=clang-14 CXX=clang++-14 cmake -S . -B "$BUILD_DIR" -G Ninja -DGALIEN_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
build_targets=()
for t in $TARGETS; do build_targets+=("fuzz_$t"); done
cmake --build "$BUILD_DIR" -j "${JOBS:-$(nproc)}" --target "${build_targets[@]}"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=1:suppressions=$PWD/scripts/sanitizers/asan.supp}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Third-party leaks only, each justified there (HDF5's H5LTopen_file_image record).
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/scripts/sanitizers/lsan.supp:print_suppressions=0}
# The targets write their input to a per-process folder here (tests/fuzz/fuzz_support.h).
export GALIEN_FUZZ_TMP=${GALIEN_FUZZ_TMP:-/dev/shm}
mkdir -p "$BUILD_DIR/logs"
failed=()
printf '%-14s %12s %10s %8s %8s %8s  %s\n' target execs exec/s cov ft corpus result
for t in $TARGETS; do
  bin="$BUILD_DIR/tests/fuzz/fuzz_$t"
  seeds="tests/fuzz/corpus/$t"
  work="$BUILD_DIR/corpus/$t"
  crashes="$BUILD_DIR/crashes/$t"
  log="$BUILD_DIR/logs/$t.log"
  mkdir -p "$work" "$crashes"
  # HDF5 1.10.8 mallocs an object header of the size the file claims before checking it
  # against the file (2 and 8 GB seen, H5C_protect under H5Fopen; docs/RELIABILITY.md, third
  # party): never touched, so no memory is used, but libFuzzer calls any single malloc above
  # -malloc_limit_mb (default: the RSS limit) out-of-memory. The two targets that open HDF5
  # images may malloc up to FUZZ_HDF5_MALLOC_MB; their RSS stays limited as for the others.
  malloc_limit=${FUZZ_RSS_MB:-2048}
  [[ $t == shard || $t == encrypted ]] && malloc_limit=${FUZZ_HDF5_MALLOC_MB:-16384}
  common=(-rss_limit_mb="${FUZZ_RSS_MB:-2048}" -malloc_limit_mb="$malloc_limit"
          -timeout="${FUZZ_TIMEOUT_S:-10}" -artifact_prefix="$crashes/")
  # Past findings first: each must now pass.
  if compgen -G "tests/fuzz/regressions/$t/*" >/dev/null; then
    if ! "$bin" "${common[@]}" tests/fuzz/regressions/"$t"/* >"$BUILD_DIR/logs/$t.regressions.log" 2>&1; then
      echo "fuzz_$t: a checked-in regression input fails again: $BUILD_DIR/logs/$t.regressions.log" >&2
      failed+=("$t")
      continue
    fi
  fi
  [[ -n "${FUZZ_BUILD_ONLY:-}" ]] && continue
  rc=0
  "$bin" "${common[@]}" -max_total_time="$SECONDS_PER_TARGET" -print_final_stats=1 \
    "$work" "$seeds" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$last")
  result=ok
  if [[ $rc -ne 0 ]] || compgen -G "$crashes/*" >/dev/null; then
    result="FAILED (rc $rc; inputs in $crashes/, log $log)"
    failed+=("$t")
  fi
  printf '%-14s %12s %10s %8s %8s %8s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" \
    "${ft:-?}" "${corp:-?}" "$result"
done
rm -rf "$GALIEN_FUZZ_TMP"/galien-fuzz-* 2>/dev/null || true
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz.sh: findings in: ${failed[*]}" >&2
  exit 1
fi
[[ -n "${FUZZ_BUILD_ONLY:-}" ]] && { echo "fuzz.sh: built; checked-in regression inputs pass"; exit 0; }
echo "fuzz.sh: no crash in ${TARGETS// /, } (${SECONDS_PER_TARGET}s each)"
