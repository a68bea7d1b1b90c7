#!/usr/bin/env bash
# The image data path of docs/BENCHMARKS.md ("Data path: image shards") alone: shards the same
# synthetic 64x64 images as bench/run_all.sh (plain, gzip, encrypted; 4 shards), measures
# galien's two read paths (bench_image_read: chunk index and hdf5, per-rank whole shards vs
# ranges) and h5py + DataLoader (bench/read_torch.py), then rewrites only that section of the
# generated block and docs/img/bench-data-path.png (run_all.sh, which measures the same, rewrites
# everything). ~2 min here once built.
#
#   bash bench/run_datapath.sh            # 16384 images, 7 repeats
#   QUICK=1 bash bench/run_datapath.sh    # smoke test: 2048 images, 1 repeat, docs left alone
#
# Environment: BUILD_DIR (build-bench), WORK (runs/bench), JOBS (2), REPEATS (7), MAX_LOAD (1.5)
# and WAIT_MIN (10): wait until the 1-minute load average is below MAX_LOAD, at most WAIT_MIN
# minutes (the docs record it).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
BUILD_DIR=${BUILD_DIR:-build-bench}
WORK=${WORK:-runs/bench}
QUICK=${QUICK:-0}
JOBS=${JOBS:-2}
REPEATS=${REPEATS:-7}
MAX_LOAD=${MAX_LOAD:-1.5}
WAIT_MIN=${WAIT_MIN:-10}
py=/usr/bin/python3   # Debian's, with h5py and torch (bench/run_all.sh installs them)
log() { echo "[run_datapath $(date -u +%H:%M:%S)] $*"; }
load1() { cut -d' ' -f1 /proc/loadavg; }

bash scripts/install-deps.sh
source bench/lib.sh
bench_install_packages python3-torch python3-h5py python3-numpy python3-matplotlib \
  python3-cryptography

log "building galien and bench_image_read in $BUILD_DIR"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" -j "$JOBS" --target galien bench_image_read
galien=$root/$BUILD_DIR/launcher/galien

n_read=16384
if [ "$QUICK" = 1 ]; then REPEATS=1; n_read=2048; fi
mkdir -p "$WORK/keys" "$WORK/data" && chmod 700 "$WORK/keys"
key=$WORK/keys/bench.key
[ -f "$key" ] || "$galien" keygen "$key"
log "sharding $n_read synthetic 64x64 images: plain, gzip, encrypted"
shard_read_variants "$galien" "$key" "$WORK" "$n_read"
wait_for_quiet_machine

results=$WORK/datapath/$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$results"
"$py" bench/report.py env "$results"
t0=$(date +%s.%N); l0=$(load1)
log "measuring (load $l0)"
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$root/$BUILD_DIR/bench/bench_image_read" --key "$key" \
  --repeats "$REPEATS" --ranks-dataset plain "${read_specs[@]}" >"$results/read_galien.jsonl"
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$py" bench/read_torch.py --key "$key" --repeats "$REPEATS" \
  "${read_specs[@]}" >"$results/read_torch.jsonl"
printf '{"phase": "datapath", "start": %s, "end": %s, "load1_start": %s, "load1_end": %s}\n' \
  "$t0" "$(date +%s.%N)" "$l0" "$(load1)" >>"$results/phases.jsonl"

if [ "$QUICK" = 1 ]; then
  cp docs/BENCHMARKS.md "$results/BENCHMARKS.md"
  "$py" bench/report.py datapath "$results" --doc "$results/BENCHMARKS.md" --img "$results/img"
else
  "$py" bench/report.py datapath "$results"
fi
log "done; results in $results"
