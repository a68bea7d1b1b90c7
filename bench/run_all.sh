#!/usr/bin/env bash
# Every benchmark of docs/BENCHMARKS.md in one run: installs what it needs (idempotent), builds
# galien and the benchmarks, generates and shards the data, measures training throughput against
# PyTorch DDP (and Horovod when it builds), gradient sync and the image data path, with repeats
# and medians, then rewrites the generated block of docs/BENCHMARKS.md and docs/img/bench-*.png.
#
#   bash bench/run_all.sh            # ~20-25 min on the 2-vCPU build VM
#   QUICK=1 bash bench/run_all.sh    # smoke test: tiny sizes, 1 repeat, docs left alone
#
# Environment: BUILD_DIR (build-bench), WORK (runs/bench), REPEATS (3), JOBS (2),
# MAX_LOAD (1.5: wait until the 1-minute load average is below it, up to WAIT_MIN=20 minutes),
# SKIP_HOROVOD=1, HOROVOD_RETRY=1 (try a failed Horovod build again), PROFILE=0 (skip perf).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
BUILD_DIR=${BUILD_DIR:-build-bench}
WORK=${WORK:-runs/bench}
QUICK=${QUICK:-0}
REPEATS=${REPEATS:-3}
JOBS=${JOBS:-2}
MAX_LOAD=${MAX_LOAD:-1.5}
WAIT_MIN=${WAIT_MIN:-20}
PROFILE=${PROFILE:-1}
py=/usr/bin/python3   # Debian's: its torch is the libtorch the C++ side links
start_s=$(date +%s)
log() { echo "[run_all $(date -u +%H:%M:%S)] $*"; }
load1() { cut -d' ' -f1 /proc/loadavg; }

# ---------------------------------------------------------------- install (idempotent)
bash scripts/install-deps.sh
source bench/lib.sh
bench_packages=(python3-torch python3-h5py python3-numpy python3-matplotlib python3-cryptography
                python3-venv python3-dev linux-perf)
bench_install_packages "${bench_packages[@]}"

# ---------------------------------------------------------------- build
log "building galien and the benchmarks in $BUILD_DIR"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" -j "$JOBS" --target galien bench_gradient_sync bench_shard_read \
  bench_image_read
galien=$root/$BUILD_DIR/launcher/galien
bench=$root/$BUILD_DIR/bench

if [ "${SKIP_HOROVOD:-0}" != 1 ]; then bash bench/install_horovod.sh "$WORK"; fi
horovod_python=""
if [ "${SKIP_HOROVOD:-0}" != 1 ] && grep -q '"ok"' "$WORK/horovod-status.json" 2>/dev/null; then
  horovod_python=$root/$WORK/venv-horovod/bin/python
fi

# ---------------------------------------------------------------- data
if [ "$QUICK" = 1 ]; then
  REPEATS=1; n_images=256; n_read=2048; mlp_epochs=30; mlp_warmup=5; max_mb=4; resnet_epochs=2
  mlp_layouts=1x1,2x1; resnet_layouts=1x1,2x1
else
  n_images=512; n_read=16384; mlp_epochs=300; mlp_warmup=20; max_mb=256; resnet_epochs=3
  # 1x2 only for the CNN: two threads on this MLP's tiny matrices are slower than one and
  # very noisy (shared/notes/peer-baseline.md).
  mlp_layouts=1x1,2x1; resnet_layouts=1x1,1x2,2x1
fi
mkdir -p "$WORK/keys" "$WORK/data" && chmod 700 "$WORK/keys"
key=$WORK/keys/bench.key
[ -f "$key" ] || "$galien" keygen "$key"
log "sharding WDBC and synthetic 64x64 images"
"$galien" shard bench/configs/wdbc-mlp.yaml --overwrite "data.shard_dir=$WORK/shards/wdbc" \
  "privacy.key_file=$key" >/dev/null
"$py" bench/make_images_npz.py "$WORK/data/images-train.npz" --train "$n_images" --val 32 --test 32 --seed 1
"$galien" shard bench/configs/images-resnet.yaml --overwrite "data.shard_dir=$WORK/shards/images-train" \
  "data.images.path=$WORK/data/images-train.npz" "privacy.key_file=$key" >/dev/null
shard_read_variants "$galien" "$key" "$WORK" "$n_read"

# ---------------------------------------------------------------- wait for a quiet machine
wait_for_quiet_machine

results=$WORK/results/$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$results"
cp "$WORK/horovod-status.json" "$results/" 2>/dev/null || true
"$py" bench/report.py env "$results"
phase_start() { phase=$1; phase_t0=$(date +%s.%N); phase_l0=$(load1); log "$phase (load $phase_l0)"; }
phase_end() {
  printf '{"phase": "%s", "start": %s, "end": %s, "load1_start": %s, "load1_end": %s}\n' \
    "$phase" "$phase_t0" "$(date +%s.%N)" "$phase_l0" "$(load1)" >>"$results/phases.jsonl"
}
total_t0=$(date +%s.%N); total_l0=$(load1)
mpirun_=(mpirun --bind-to core -x OMP_NUM_THREADS=1 -x OPENBLAS_NUM_THREADS=1)
[ "$(id -u)" -ne 0 ] || mpirun_=(mpirun --allow-run-as-root --bind-to core -x OMP_NUM_THREADS=1 -x OPENBLAS_NUM_THREADS=1)

# ---------------------------------------------------------------- gradient sync
phase_start gradsync
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "${mpirun_[@]}" -np 2 "$bench/bench_gradient_sync" \
  --repeats 9 --max-mb "$max_mb" --min-loop-mb 1 >"$results/gradsync.jsonl"
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$py" bench/allreduce_gloo.py --repeats 9 --min-loop-mb 1 \
  --max-mb "$max_mb" >"$results/gloo.jsonl"
phase_end

# ---------------------------------------------------------------- data path
phase_start datapath
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$bench/bench_image_read" --key "$key" --repeats 7 --ranks-dataset plain \
  "${read_specs[@]}" >"$results/read_galien.jsonl"
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$py" bench/read_torch.py --key "$key" --repeats 7 \
  "${read_specs[@]}" >"$results/read_torch.jsonl"
phase_end

# ---------------------------------------------------------------- training
for model in mlp resnet; do
  phase_start "train-$model"
  layouts=${model}_layouts
  # The MLP also without the fused optimiser (optim.fused=false), the step it replaced.
  unfused=(); [ "$model" != mlp ] || unfused=(--unfused)
  "$py" bench/train_compare.py --galien "$galien" --work "$WORK" --key "$key" --tuned "${unfused[@]}" \
    --out "$results/train.jsonl" --models "$model" --layouts "${!layouts}" --repeats "$REPEATS" \
    --mlp-shards "$WORK/shards/wdbc" --mlp-epochs "$mlp_epochs" --mlp-warmup "$mlp_warmup" \
    --resnet-shards "$WORK/shards/images-train" --resnet-epochs "$resnet_epochs" \
    --resnet-warmup 1 ${horovod_python:+--horovod-python "$horovod_python"}
  phase_end
done
printf '{"phase": "total", "start": %s, "end": %s, "load1_start": %s, "load1_end": %s}\n' \
  "$total_t0" "$(date +%s.%N)" "$total_l0" "$(load1)" >>"$results/phases.jsonl"

# ---------------------------------------------------------------- profiles (not timed)
if [ "$PROFILE" = 1 ] && [ "$QUICK" != 1 ]; then
  log "profiles under $results/profile"
  bash bench/profile.sh "$results/profile" "$galien" "$bench" "$WORK" "$key" || \
    log "profiling failed (perf may be unavailable in this VM); the measurements stand"
fi

# ---------------------------------------------------------------- report
if [ "$QUICK" = 1 ]; then
  "$py" bench/report.py write "$results" --doc "$results/BENCHMARKS.md" --img "$results/img"
else
  "$py" bench/report.py write "$results"
fi
log "done in $(( ($(date +%s) - start_s) / 60 )) min; results in $results"
