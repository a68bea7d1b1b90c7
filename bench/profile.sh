#!/usr/bin/env bash
# Profiles behind the findings of docs/BENCHMARKS.md (run by bench/run_all.sh after the timed
# part; nothing here is timed). perf record (cycles, call graphs) of short runs of each
# comparison, each report flattened to its top symbols in OUT/*.txt:
#   mlp-galien-1x1.txt      galien train, MLP, 1 rank x 1 thread (start-up not recorded)
#   mlp-torch-1x1.txt       train_torch.py, the same on the torch side
#   mlp-galien.<rank>.txt   galien train, MLP, 2 ranks x 1 thread
#   mlp-ddp.txt             train_torch.py DDP, MLP, 2 ranks x 1 thread (both ranks together)
#   gradsync.<rank>.txt     bench_gradient_sync at 1-4 MB (where galien trails MPI_Allreduce)
#   read.txt                bench_image_read on plain and encrypted image shards
#   page-faults.csv         perf stat of the ResNet at 1x1: galien, galien with glibc malloc
#                           tuned (GLIBC_TUNABLES), torch, and `import torch` alone
# Usage: bench/profile.sh OUT GALIEN BENCH_DIR WORK KEY
set -euo pipefail
out=$1 galien=$2 bench=$3 work=$4 key=$5
mkdir -p "$out"
command -v perf >/dev/null || { echo "perf not installed (apt-get install linux-perf)"; exit 1; }
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
mpi=(mpirun --bind-to core -x OMP_NUM_THREADS -x OPENBLAS_NUM_THREADS)
[ "$(id -u)" -ne 0 ] || mpi=(mpirun --allow-run-as-root --bind-to core -x OMP_NUM_THREADS -x OPENBLAS_NUM_THREADS)
rec=(perf record -F 1999 -g -q)

report() {  # DATA TXT: samples, then the flat profile by shared object, then by symbol
  { perf report -i "$1" --stdio 2>/dev/null | grep -m1 "^# Samples" || true
    perf report -i "$1" --no-children --sort dso --stdio -g none --percent-limit 0.5 \
      2>/dev/null | grep -E "^ +[0-9]" | sed -E 's/ +$//' | head -12
    echo
    perf report -i "$1" --no-children --sort dso,symbol --stdio -g none --percent-limit 0.7 \
      2>/dev/null | grep -E "^ +[0-9]" | sed -E 's/ +$//' | cut -c1-160 | head -40
  } >"$2" || true
}

# -D: start recording after start-up (dynamic linking, imports), in the training epochs.
"${rec[@]}" -D 1000 -o "$out/mlp-galien-1x1.data" -- "$galien" train bench/configs/wdbc-mlp.yaml \
  trainer.epochs=800 trainer.threads=1 "trainer.run_dir=$work/runs/profile-mlp-1x1" \
  "data.shard_dir=$work/shards/wdbc" "privacy.key_file=$key" >/dev/null 2>&1
report "$out/mlp-galien-1x1.data" "$out/mlp-galien-1x1.txt"
"${rec[@]}" -D 4000 -o "$out/mlp-torch-1x1.data" -- /usr/bin/python3 bench/train_torch.py \
  --model mlp --shard-dir "$work/shards/wdbc" --world 1 --threads 1 --epochs 2000 \
  --warmup-epochs 1 --batch 64 --port 29598 >/dev/null 2>&1
report "$out/mlp-torch-1x1.data" "$out/mlp-torch-1x1.txt"

"${mpi[@]}" -np 2 sh -c "exec ${rec[*]} -D 1500 -o $out/mlp-galien.\$OMPI_COMM_WORLD_RANK.data \
  $galien train bench/configs/wdbc-mlp.yaml trainer.epochs=1000 trainer.threads=1 \
  trainer.run_dir=$work/runs/profile-mlp data.shard_dir=$work/shards/wdbc privacy.key_file=$key" \
  >/dev/null 2>&1
for r in 0 1; do report "$out/mlp-galien.$r.data" "$out/mlp-galien.$r.txt"; done

"${rec[@]}" -D 6000 -o "$out/mlp-ddp.data" -- /usr/bin/python3 bench/train_torch.py --model mlp \
  --shard-dir "$work/shards/wdbc" --world 2 --threads 1 --epochs 400 --warmup-epochs 1 \
  --batch 64 --port 29599 >/dev/null 2>&1
report "$out/mlp-ddp.data" "$out/mlp-ddp.txt"

"${mpi[@]}" -np 2 sh -c "exec ${rec[*]} -o $out/gradsync.\$OMPI_COMM_WORLD_RANK.data \
  $bench/bench_gradient_sync --repeats 40 --max-mb 4" >/dev/null 2>&1
for r in 0 1; do report "$out/gradsync.$r.data" "$out/gradsync.$r.txt"; done

"${rec[@]}" -o "$out/read.data" -- "$bench/bench_image_read" --key "$key" --repeats 3 \
  "plain=$work/shards/read-plain" "encrypted=$work/shards/read-encrypted" >/dev/null 2>&1
report "$out/read.data" "$out/read.txt"

# Page faults of the ResNet at 1x1, galien (as is, and with glibc's malloc told to keep freed
# memory) vs torch: perf stat over 2 epochs, start-up included on both sides.
tunables=glibc.malloc.mmap_threshold=268435456:glibc.malloc.trim_threshold=1073741824
stat() {  # NAME COMMAND...: task-clock and page faults of one run
  local name=$1; shift
  perf stat -x, -e task-clock,page-faults,context-switches -o "$out/stat-$name.csv" -- "$@" \
    >/dev/null 2>&1 || true
}
stat resnet-galien-1x1 "$galien" train bench/configs/images-resnet.yaml trainer.epochs=2 \
  trainer.threads=1 "trainer.run_dir=$work/runs/profile-resnet" \
  "data.shard_dir=$work/shards/images-train" "privacy.key_file=$key"
stat resnet-galien-tuned-1x1 env GLIBC_TUNABLES=$tunables "$galien" train \
  bench/configs/images-resnet.yaml trainer.epochs=2 trainer.threads=1 \
  "trainer.run_dir=$work/runs/profile-resnet-tuned" "data.shard_dir=$work/shards/images-train" \
  "privacy.key_file=$key"
stat resnet-torch-1x1 /usr/bin/python3 bench/train_torch.py --model resnet \
  --shard-dir "$work/shards/images-train" --world 1 --threads 1 --epochs 2 --warmup-epochs 1 \
  --batch 32 --port 29597
stat torch-import /usr/bin/python3 -c "import torch, h5py"
{ echo "run,task-clock ms,page faults,context switches"
  for f in "$out"/stat-*.csv; do
    n=$(basename "$f" .csv); n=${n#stat-}
    awk -F, -v n="$n" '$3=="task-clock"{t=$1} $3=="page-faults"{p=$1} $3=="context-switches"{c=$1}
      END {printf "%s,%.0f,%s,%s\n", n, t, p, c}' "$f"
  done; } >"$out/page-faults.csv"
rm -f "$out"/stat-*.csv

rm -f "$out"/*.data "$out"/*.data.old
ls "$out"
