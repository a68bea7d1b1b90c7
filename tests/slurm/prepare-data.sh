#!/usr/bin/env bash
# Key and shards for the Slurm tests (ctest fixture "slurm"): the WDBC demo table, as
# scripts/demo.sh prepares it, in a fresh folder. Usage: prepare-data.sh GALIEN DIR
set -euo pipefail
galien=$1
dir=$2
rm -rf "$dir"
mkdir -p "$dir"
"$galien" keygen "$dir/test.key"
"$galien" shard configs/wdbc-mlp.yaml privacy.key_file="$dir/test.key" data.shard_dir="$dir/shards"
# The cluster gets the data key of these shards, never the controller key (docs/clusters.md).
"$galien" keygen --data-key --from "$dir/test.key" --dataset "$dir/shards" "$dir/data.key"
