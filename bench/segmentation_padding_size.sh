#!/usr/bin/env bash
# On-disk size of a segmentation dataset whose cases have different sizes (stored padded to the
# largest case, docs/imaging.md "Segmentation datasets"), with data.images.gzip 0, 1 and 4,
# against the bytes its cases hold without padding (sum over cases of D x H x W x (2 + 1):
# float16 image + uint8 mask). Prints one line per setting.
# Usage: bench/segmentation_padding_size.sh [BUILD_DIR] [--cases N]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
shift || true
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 bench/make_segmentation_nifti.py "$work/task" "$@"
"$BUILD/launcher/galien" keygen "$work/key.bin" >/dev/null
for gzip in 0 1 4; do
  cat >"$work/seg-$gzip.yaml" <<EOF
data:
  task: segmentation
  classes: [background, liver, tumour]
  shard_dir: $work/shards-$gzip
  shards: 2
  split: {val: 0.2, test: 0.2, seed: 1}
  images:
    format: nifti
    path: $work/task
    intensity: window
    window_center: 40
    window_width: 400
    dtype: float16
    gzip: $gzip
privacy:
  key_file: $work/key.bin
EOF
  "$BUILD/launcher/galien" shard "$work/seg-$gzip.yaml" >/dev/null 2>&1
  /usr/bin/python3 - "$work/shards-$gzip" "$gzip" <<'EOF'
import glob, os, sys, zlib
import h5py
import numpy as np
level = int(sys.argv[2])

def stored(array):
    """Bytes of one chunk as HDF5 stores it: byte shuffle + deflate at `level` (or raw)."""
    raw = np.ascontiguousarray(array).view(np.uint8).reshape(-1, array.dtype.itemsize)
    shuffled = raw.T.tobytes()
    return len(zlib.compress(shuffled, level)) if level else len(shuffled)

files = sorted(glob.glob(os.path.join(sys.argv[1], "*.h5")))
on_disk = sum(os.path.getsize(f) for f in files)
real = padded = cases = alone = 0
for f in files:
    with h5py.File(f, "r") as h:
        d, hh, w = h["image"].shape[2:]
        for i, (ed, eh, ew) in enumerate(h["extent"][:]):
            real += int(ed * eh * ew) * 3
            padded += d * hh * w * 3
            cases += 1
            # The same case without its padding, through the same filters.
            alone += stored(h["image"][i, :, :ed, :eh, :ew]) + stored(h["mask"][i, :ed, :eh, :ew])
print("gzip %d: %d cases, stored shape %s: on disk %.2f MB (unpadded cases through the same "
      "filters: %.2f MB); uncompressed voxels %.2f MB padded, %.2f MB unpadded"
      % (level, cases, (d, hh, w), on_disk / 1e6, alone / 1e6, padded / 1e6, real / 1e6))
EOF
done
