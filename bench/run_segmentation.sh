#!/usr/bin/env bash
# The segmentation benchmark of docs/BENCHMARKS.md ("Segmentation"): a 3D U-Net training step,
# galien (bench_segmentation_step, MPI) against PyTorch (bench/segmentation_torch.py, DDP gloo)
# on 1 and 2 ranks, step time and peak resident memory per rank; then rewrites that section of
# the generated block (only that section: the rest comes from bench/run_all.sh, which keeps it).
# Separate from run_all.sh because a 64^3 U-Net step takes seconds on one core: the default
# run (3 repeats, 2 layouts, 3 sides: galien, PyTorch and galien with glibc's default malloc,
# 7 steps each) took 16 min on the 2-vCPU VM (2026-12-06), plus the build.
#
#   bash bench/run_segmentation.sh            # patch 64^3, global batch 2, 3 repeats
#   QUICK=1 bash bench/run_segmentation.sh    # smoke test: 32^3, 1 repeat, docs left alone
#
# Environment: BUILD_DIR (build-bench), WORK (runs/bench), REPEATS (3), JOBS (2), PATCH
# (64,64,64), BATCH (2), STEPS (5), WARMUP (2), MAX_LOAD (1.5) and WAIT_MIN (10): wait until
# the 1-minute load average is below MAX_LOAD, at most WAIT_MIN minutes (the docs record it).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
BUILD_DIR=${BUILD_DIR:-build-bench}
WORK=${WORK:-runs/bench}
QUICK=${QUICK:-0}
REPEATS=${REPEATS:-3}
JOBS=${JOBS:-2}
PATCH=${PATCH:-64,64,64}
BATCH=${BATCH:-2}
STEPS=${STEPS:-5}
WARMUP=${WARMUP:-2}
MAX_LOAD=${MAX_LOAD:-1.5}
WAIT_MIN=${WAIT_MIN:-10}
py=/usr/bin/python3   # Debian's: its torch is the libtorch the C++ side links
log() { echo "[run_segmentation $(date -u +%H:%M:%S)] $*"; }
load1() { cut -d' ' -f1 /proc/loadavg; }
source bench/lib.sh

bash scripts/install-deps.sh
bench_install_packages python3-torch python3-numpy

log "building bench_segmentation_step in $BUILD_DIR"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" -j "$JOBS" --target bench_segmentation_step

if [ "$QUICK" = 1 ]; then
  REPEATS=1; PATCH=32,32,32; STEPS=2; WARMUP=1
fi
wait_for_quiet_machine

results=$WORK/segmentation/$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$results"
"$py" bench/report.py env "$results"
t0=$(date +%s.%N); l0=$(load1)
"$py" bench/segmentation_compare.py --bench "$root/$BUILD_DIR/bench/bench_segmentation_step" \
  --out "$results/segmentation.jsonl" --layouts 1x1,2x1 --repeats "$REPEATS" --patch "$PATCH" \
  --batch "$BATCH" --steps "$STEPS" --warmup "$WARMUP" --default-malloc
printf '{"phase": "segmentation", "start": %s, "end": %s, "load1_start": %s, "load1_end": %s}\n' \
  "$t0" "$(date +%s.%N)" "$l0" "$(load1)" >>"$results/phases.jsonl"

if [ "$QUICK" = 1 ]; then
  cp docs/BENCHMARKS.md "$results/BENCHMARKS.md"
  "$py" bench/report.py segmentation "$results" --doc "$results/BENCHMARKS.md"
else
  "$py" bench/report.py segmentation "$results"
fi
log "done; results in $results"
