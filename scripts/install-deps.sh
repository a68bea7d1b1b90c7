#!/usr/bin/env bash
# Installs galien's build and run dependencies on Debian 12 (idempotent: a second run only
# checks). Needs root (or sudo). On a supercomputer use modules instead: see docs/install.md.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libtorch-dev libopenblas0-pthread           # without OpenBLAS LibTorch falls back to the ~30x slower reference BLAS
  libopenmpi-dev openmpi-bin
  libhdf5-dev hdf5-tools
  libssl-dev openssl
  libyaml-cpp-dev
  libcli11-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev
  python3-h5py python3-numpy
  python3-venv                                # PyPI tensorboard for tests: install-test-python.sh
  libdcmtk-dev libpng-dev zlib1g-dev libminizip-dev   # imaging ingest: DICOM, PNG, .nii.gz, .npz
  libdeflate-dev                                      # gzip image chunks inflated ~2x zlib's speed (optional: zlib without it)
  python3-pydicom python3-nibabel python3-pil         # real DICOM test files; NIfTI/PNG/npz fixtures
  python3-torch                                       # the U-Net's PyTorch twin (tests/unit/test_unet.cpp, bench/)
  dataset-fashion-mnist                               # real images for configs/repro/fashion-mnist-tf-cnn.yaml
  mricron-data                                        # Colin27 T1 + brain mask: tests/e2e segmentation, configs/repro/colin27
  slurm-wlm munge libpmix2 slurm-wlm-basic-plugins   # a real local Slurm for tests/slurm (srun --mpi=pmix)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "[install-deps] installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "[install-deps] all ${#packages[@]} packages present"
fi
