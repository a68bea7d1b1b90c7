#!/usr/bin/env bash
# GPU check: one script for a GPU machine with nothing prepared (issue 17, docs/BENCHMARKS.md
# "GPU check"). Under 8 minutes in all on one node: detects the GPUs, python3's CUDA PyTorch and
# its LibTorch, checks each build dependency (and says exactly which is missing and which .deb
# provides it), builds galien against that LibTorch for sm_90, runs the CUDA tests, then times
# ResNet-50 training on synthetic 224x224 images, bf16 autocast + channels-last, galien
# (bench_step_time) against PyTorch eager (bench/gpu_resnet_torch.py), same batch, Adam and
# loss, on one GPU; NCCL gradient sync on all GPUs present (bench_gradient_sync --backend nccl);
# peak memory of both. Writes results.json and results.md to the results folder.
#
#   bash bench/gpu_check.sh --dry-run                # print every step, do none (probes only)
#   bash bench/gpu_check.sh                          # on the GPU machine
#   bash bench/gpu_check.sh --fetch-debs .debs       # on a Debian 12 machine with apt: download
#                                                    # the dependency .debs for a machine without
#   bash bench/gpu_check.sh --debs .debs             # on the GPU machine: use them (dpkg -x into
#                                                    # a private prefix; nothing goes into /)
#
# Options: --out DIR (results; default $OUT when set, else bench/results/gpu-<UTC date>),
# --build-dir DIR (build-gpu), --batch N (128), --steps N (30), --warmup N (10), --jobs N,
# --skip-build (reuse --build-dir), --arch SM (90), --configure-only (stop after CMake's
# configure step; no GPU needed: how --debs is tested on a CPU machine).
# Environment: PYTHON (python3), TORCH_CMAKE_PREFIX (instead of torch.utils.cmake_prefix_path),
# EXTRA_CMAKE_ARGS (appended to the configure command, split on spaces).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
start_s=$(date +%s)

dry_run=0; fetch_debs=""; debs=""; skip_build=0; configure_only=0
out_dir=${OUT:-}
build_dir=build-gpu; batch=128; steps=30; warmup=10; arch=90
jobs=$(nproc 2>/dev/null || echo 4)
usage() { sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; }
while (($#)); do
  case "$1" in
    --dry-run) dry_run=1 ;;
    --fetch-debs) fetch_debs=${2:?--fetch-debs needs a folder}; shift ;;
    --debs) debs=${2:?--debs needs a folder}; shift ;;
    --out) out_dir=${2:?}; shift ;;
    --build-dir) build_dir=${2:?}; shift ;;
    --batch) batch=${2:?}; shift ;;
    --steps) steps=${2:?}; shift ;;
    --warmup) warmup=${2:?}; shift ;;
    --jobs) jobs=${2:?}; shift ;;
    --arch) arch=${2:?}; shift ;;
    --skip-build) skip_build=1 ;;
    --configure-only) configure_only=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "gpu_check: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$out_dir" ] || out_dir=bench/results/gpu-$(date -u +%Y%m%d-%H%M)

log() { echo "[gpu_check +$(($(date +%s) - start_s))s] $*"; }
step_no=0
step() { step_no=$((step_no + 1)); log "step $step_no: $*"; }
# A command of a step: printed always, run unless --dry-run.
run() {
  printf '    $'; printf ' %q' "$@"; printf '\n'
  ((dry_run)) || "$@"
}
# The same, stdout to a file.
run_to() {
  local file=$1; shift
  printf '    $'; printf ' %q' "$@"; printf ' > %q\n' "$file"
  ((dry_run)) || "$@" > "$file"
}
# A measuring step: bounded by `timeout`, and a failure is recorded (failures[]) instead of
# ending the script, so one broken part still leaves the others' figures on a lent machine.
failures=()
soft() {
  local name=$1 limit=$2; shift 2
  printf '    $ timeout %s' "$limit"; printf ' %q' "$@"; printf '\n'
  ((dry_run)) && return 0
  local rc=0
  timeout "$limit" "$@" || rc=$?
  if ((rc)); then failures+=("$name (exit $rc)"); log "FAILED: $name (exit $rc)"; fi
  return 0
}
soft_to() {
  local name=$1 limit=$2 file=$3; shift 3
  printf '    $ timeout %s' "$limit"; printf ' %q' "$@"; printf ' > %q\n' "$file"
  ((dry_run)) && return 0
  local rc=0
  timeout "$limit" "$@" > "$file" || rc=$?
  if ((rc)); then failures+=("$name (exit $rc)"); log "FAILED: $name (exit $rc)"; fi
  return 0
}
die() { echo "gpu_check: error: $*" >&2; exit 1; }

# The build's dependencies as Debian 12 packages: what `--fetch-debs` downloads, and what the
# dependency check names when a file is missing. Compilers, CMake, Ninja, the C library and
# python3 are taken from the GPU machine's image (it has them; docs/BENCHMARKS.md).
dev_packages=(libopenmpi-dev openmpi-bin openmpi-common libhdf5-dev libssl-dev libyaml-cpp-dev
              libcli11-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libgtest-dev libgmock-dev
              libdcmtk-dev libpng-dev zlib1g-dev libminizip-dev)

# ------------------------------------------------------------------ --fetch-debs (apt machine)
if [ -n "$fetch_debs" ]; then
  command -v apt-get >/dev/null || die "--fetch-debs needs apt-get (a Debian 12 machine)"
  step "resolve the runtime closure of ${#dev_packages[@]} dev packages (libraries only)"
  # Depends of each package, first alternative, virtual packages to their first provider; kept:
  # the dev packages above and the runtime libraries they need, not what any Linux with a
  # compiler has (C/C++ runtime, compilers, perl, python) nor Fortran (galien has none).
  mapfile -t closure < <(python3 - "${dev_packages[@]}" <<'PY'
import re, subprocess, sys
seeds = sys.argv[1:]
skip = re.compile(r"^(libc6(-dev)?|libc-dev-bin|libgcc-s1|libstdc\+\+6|libstdc\+\+-\d+-dev|"
                  r"libcrypt1|libcrypt-dev|gcc.*|g\+\+.*|cpp.*|.*fortran.*|flang.*|libllvm.*|"
                  r"libclang.*|perl.*|libperl.*|python3.*|libpython.*|libjs-.*|debconf.*|dpkg|"
                  r".*-base|libicu.*|libselinux1|libzstd1|liblzma5|libbz2-1.0|"
                  r"libsystemd0|libudev1|libgcrypt20|libgpg-error0|liblz4-1|libcap2|libkrb5.*|"
                  r"libgssapi.*|libk5crypto3|libcom-err2|libkeyutils1|libpcre.*|libmd0|libbsd0|"
                  r"libtirpc.*|libnsl.*|libaudit.*|libpam.*|libsemanage.*|libsepol.*|libacl1|"
                  r"libattr1|libdb5.3|libgmp10|libhogweed6|libnettle8|libidn2-0|libunistring2|"
                  r"libp11-kit0|libtasn1-6|libgnutls30|libffi8|libtinfo6|libncurses.*|"
                  r"linux-libc-dev|libcurl.*|libnghttp2.*|librtmp1|libssh2-1|libpsl5|libldap.*|"
                  r"libsasl2.*|libbrotli1|libjpeg-dev|libjpeg62-turbo-dev|libaec-dev|libibverbs-dev|libevent-dev|"
                  r"libhwloc-dev|libpmix-dev|libnl-.*-dev|libltdl-dev|libxml2-dev|libtiff-dev|"
                  r"libwrap0-dev|libicu-dev|libnuma-dev|libudev-dev|libssl-doc|sensible-utils|"
                  r"openssh-client|libpciaccess-dev)$")
def depends(pkg):
    out = subprocess.run(["apt-cache", "depends", "--no-recommends", "--no-suggests",
                          "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances",
                          pkg], capture_output=True, text=True).stdout.splitlines()
    deps, alt, pending_virtual = [], False, False
    for line in out[1:]:
        m = re.match(r"^\s*(\|?)(Pre)?Depends: (<?)([^>\s]+)>?", line)
        if m:
            bar, virtual, name = m.group(1), m.group(3), m.group(4)
            if not alt:
                if virtual: pending_virtual = True
                else: deps.append(name)
            alt = bool(bar)
            continue
        if pending_virtual and re.match(r"^\s{4}\S", line):  # first provider of a virtual
            deps.append(line.strip()); pending_virtual = False
    return deps
seen, queue = set(), list(seeds)
while queue:
    p = queue.pop()
    if p in seen: continue
    seen.add(p)
    for d in depends(p):
        if d in seen or skip.match(d): continue
        if d in seeds or (re.match(r"^z?lib", d) and not d.endswith("-dev")) or \
           d in ("openmpi-common", "libfmt-dev", "libgtest-dev", "libhdf5-dev"):
            queue.append(d)
print("\n".join(sorted(seen)))
PY
  )
  log "${#closure[@]} packages: ${closure[*]}"
  step "download them into $fetch_debs (apt-get download; apt-get update first if lists are empty)"
  run mkdir -p "$fetch_debs"
  if ! ((dry_run)); then
    if ! apt-cache show libhdf5-dev >/dev/null 2>&1; then
      SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
      $SUDO apt-get update -qq
    fi
    (cd "$fetch_debs" && apt-get download -q "${closure[@]}" 2>&1 | grep -v '^Get:' || true)
    {
      echo "fetched $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(. /etc/os-release; echo "$PRETTY_NAME")"
      echo "glibc $(ldd --version | head -1 | awk '{print $NF}')"
      echo "packages ${closure[*]}"
    } > "$fetch_debs/SOURCE"
    size=$(du -sm "$fetch_debs" | cut -f1)
    log "$(ls "$fetch_debs"/*.deb | wc -l) .deb files, ${size} MiB in $fetch_debs"
    ((size < 56)) || log "warning: ${size} MiB; the device tool carries at most 64 MiB with the tree"
  fi
  exit 0
fi

# ------------------------------------------------------------------ probes (also in --dry-run)
step "probe the machine: GPUs, python3's PyTorch, its LibTorch, compilers"
gpus=0; gpu_names=""
if command -v nvidia-smi >/dev/null; then
  gpu_names=$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || true)
  gpus=$(printf '%s\n' "$gpu_names" | grep -c . || true)
  log "nvidia-smi: $gpus GPU(s): $(printf '%s' "$gpu_names" | tr '\n' ';')"
else
  log "no nvidia-smi: no NVIDIA driver on this machine"
fi
python=${PYTHON:-python3}
torch_info=$("$python" - <<'PY' 2>/dev/null || true
import torch, torch.utils
ok = torch.cuda.is_available()
print(torch.__version__, torch.version.cuda, int(ok), torch.cuda.device_count() if ok else 0,
      torch.utils.cmake_prefix_path, int(getattr(torch._C, "_GLIBCXX_USE_CXX11_ABI", True)))
PY
)
if [ -z "$torch_info" ]; then
  log "python3 has no torch: the PyTorch peer and the LibTorch to build against are missing"
  torch_version=none; torch_cuda=none; torch_gpu=0; torch_gpus=0; torch_prefix=""; torch_abi=1
else
  read -r torch_version torch_cuda torch_gpu torch_gpus torch_prefix torch_abi <<<"$torch_info"
  log "torch $torch_version (CUDA $torch_cuda), cuda available: $torch_gpu, $torch_gpus device(s)"
  log "Torch_DIR=$torch_prefix/Torch, CXX11 ABI $torch_abi"
fi
tools_missing=()
for t in cmake ninja g++; do command -v "$t" >/dev/null || tools_missing+=("$t"); done
command -v nvcc >/dev/null || [ -x /usr/local/cuda/bin/nvcc ] || tools_missing+=(nvcc)
((${#tools_missing[@]} == 0)) || log "missing tools: ${tools_missing[*]} (the GPU image has them)"
cuda_root=""
if command -v nvcc >/dev/null; then cuda_root=$(dirname "$(dirname "$(command -v nvcc)")")
elif [ -x /usr/local/cuda/bin/nvcc ]; then cuda_root=/usr/local/cuda; fi
# NCCL: the toolkit's, else pip's nvidia-nccl (what torch loads).
nccl_inc=""; nccl_lib=""
for d in "$cuda_root/include" /usr/include; do [ -f "$d/nccl.h" ] && nccl_inc=$d && break; done
if [ -z "$nccl_inc" ]; then
  nccl_root=$("$python" -c 'import nvidia.nccl, os; print(os.path.dirname(nvidia.nccl.__file__) if nvidia.nccl.__file__ else list(nvidia.nccl.__path__)[0])' 2>/dev/null || true)
  [ -n "$nccl_root" ] && [ -f "$nccl_root/include/nccl.h" ] && nccl_inc=$nccl_root/include
  [ -n "$nccl_root" ] && nccl_lib=$(ls "$nccl_root"/lib/libnccl.so* 2>/dev/null | head -1 || true)
fi
log "CUDA toolkit: ${cuda_root:-none}; NCCL header: ${nccl_inc:-none} ${nccl_lib:+(lib $nccl_lib)}"

# ------------------------------------------------------------------ --debs: private prefix
prefix=""
if [ -n "$debs" ]; then
  prefix=$root/$build_dir/deps
  step "extract the .debs of $debs into $prefix (dpkg -x; nothing is written outside it)"
  [ -d "$debs" ] || ((dry_run)) || die "--debs $debs: no such folder (make it with --fetch-debs)"
  [ -f "$debs/SOURCE" ] && sed 's/^/    /' "$debs/SOURCE" | head -2
  if ((dry_run)); then
    echo "    \$ for f in $debs/*.deb; do dpkg -x \"\$f\" $prefix; done"
  else
    mkdir -p "$prefix"
    n=0
    for f in "$debs"/*.deb; do dpkg -x "$f" "$prefix"; n=$((n + 1)); done
    log "extracted $n packages"
    # Debian's dev symlinks may be absolute (libz.so -> /lib/.../libz.so.1.2.13): point them into
    # the prefix, where the library they name was unpacked.
    while IFS= read -r link; do
      target=$(readlink "$link")
      if [ -e "$prefix$target" ]; then ln -sfn "$prefix$target" "$link"; fi
    done < <(find "$prefix" -type l -lname '/*')
    # dpkg -x runs no maintainer script: make the links update-alternatives would (mpirun ->
    # mpirun.openmpi, ...).
    for f in "$prefix"/usr/bin/*.openmpi; do
      [ -e "$f" ] && [ ! -e "${f%.openmpi}" ] && ln -s "$(basename "$f")" "${f%.openmpi}"
    done
    # Exported CMake targets (DCMTK's) name libraries by absolute path (/usr/lib/<triplet>/
    # libtiff.so): point each at the copy in the prefix when there is one, so the link does not
    # depend on this machine having the same -dev packages.
    python3 - "$prefix" <<'PY'
import glob, os, re, sys
prefix = sys.argv[1]
pattern = re.compile(r"(?<![\w/])(/usr)?/lib/x86_64-linux-gnu/(lib[\w+.-]*?\.so)(?![\w.])")
def local(m):
    path = m.group(0)
    if os.path.exists(prefix + path):
        return prefix + path
    for d in ("usr/lib/x86_64-linux-gnu", "lib/x86_64-linux-gnu"):
        hits = sorted(glob.glob(os.path.join(prefix, d, m.group(2) + ".*")))
        if hits:
            return hits[0]
    return path
changed = 0
for f in glob.glob(os.path.join(prefix, "usr/lib/x86_64-linux-gnu/cmake/**/*.cmake"), recursive=True):
    text = open(f).read()
    new = pattern.sub(local, text)
    if new != text:
        open(f, "w").write(new)
        changed += 1
print(f"    {changed} CMake file(s) pointed at the prefix's libraries")
PY
    # Debian's packages were built against glibc $src; a newer glibc here runs them, an older
    # one does not.
    src=$(awk '/^glibc/{print $2}' "$debs/SOURCE" 2>/dev/null || true)
    here=$(ldd --version | head -1 | awk '{print $NF}')
    if [ -n "$src" ] && [ "$(printf '%s\n%s\n' "$src" "$here" | sort -V | head -1)" != "$src" ]; then
      die "the .debs need glibc >= $src, this machine has $here"
    fi
  fi
fi
if [ -n "${TORCH_CMAKE_PREFIX:-}" ]; then
  torch_prefix=$TORCH_CMAKE_PREFIX
  log "Torch_DIR from TORCH_CMAKE_PREFIX: $torch_prefix/Torch"
fi
ml=x86_64-linux-gnu
roots=(/usr /usr/local)
[ -n "$prefix" ] && roots=("$prefix/usr" "${roots[@]}")

# ------------------------------------------------------------------ dependency check
step "check each build dependency (file looked for -> Debian 12 package)"
missing=()
# have NAME PACKAGE PATTERN...: found when one of the glob patterns (relative to a root) exists.
have() {
  local name=$1 pkg=$2; shift 2
  local r p f
  for r in "${roots[@]}"; do
    for p in "$@"; do
      for f in $r/$p; do
        if [ -e "$f" ]; then printf '    %-14s ok   %s\n' "$name" "$f"; return 0; fi
      done
    done
  done
  printf '    %-14s MISSING (%s) -> package %s\n' "$name" "$*" "$pkg"
  missing+=("$pkg")
  return 0
}
have MPI          "libopenmpi-dev openmpi-bin" "lib/$ml/openmpi/include/mpi.h" "include/mpi.h" "include/openmpi/mpi.h"
have mpirun       openmpi-bin    "bin/mpirun"
have HDF5         libhdf5-dev    "include/hdf5/serial/hdf5.h" "include/hdf5.h"
have HDF5_HL      libhdf5-dev    "lib/$ml/hdf5/serial/libhdf5_hl.so" "lib/$ml/libhdf5_hl.so" "lib/libhdf5_hl.so"
have yaml-cpp     libyaml-cpp-dev "lib/$ml/cmake/yaml-cpp/yaml-cpp-config.cmake" "share/cmake/yaml-cpp/yaml-cpp-config.cmake" "lib/cmake/yaml-cpp/yaml-cpp-config.cmake"
have CLI11        libcli11-dev   "include/CLI/CLI.hpp"
have nlohmann-json nlohmann-json3-dev "include/nlohmann/json.hpp"
have spdlog       libspdlog-dev  "lib/$ml/cmake/spdlog/spdlogConfig.cmake" "lib/cmake/spdlog/spdlogConfig.cmake"
have fmt          libfmt-dev     "lib/$ml/cmake/fmt/fmt-config.cmake" "lib/cmake/fmt/fmt-config.cmake"
have OpenSSL      libssl-dev     "include/openssl/evp.h"
have GTest        "libgtest-dev libgmock-dev" "lib/$ml/cmake/GTest/GTestConfig.cmake" "lib/cmake/GTest/GTestConfig.cmake"
have DCMTK        libdcmtk-dev   "lib/$ml/cmake/dcmtk/DCMTKConfig.cmake" "lib/cmake/dcmtk/DCMTKConfig.cmake"
have PNG          libpng-dev     "include/png.h"
have zlib         zlib1g-dev     "include/zlib.h"
have minizip      libminizip-dev "lib/$ml/libminizip.so" "lib/libminizip.so"
[ -n "$torch_prefix" ] && printf '    %-14s ok   %s\n' LibTorch "$torch_prefix/Torch" || { printf '    %-14s MISSING -> pip torch (CUDA build)\n' LibTorch; missing+=(torch); }
[ -n "$cuda_root" ] && printf '    %-14s ok   %s\n' CUDA "$cuda_root" || { printf '    %-14s MISSING -> nvcc + headers (CUDA toolkit 13)\n' CUDA; missing+=(cuda-toolkit); }
[ -n "$nccl_inc" ] && printf '    %-14s ok   %s\n' NCCL "$nccl_inc/nccl.h" || { printf '    %-14s MISSING -> nccl.h (pip nvidia-nccl-cu13 or libnccl-dev)\n' NCCL; missing+=(nccl); }
if ((${#missing[@]})); then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | tr ' ' '\n' | sort -u)
  log "missing: ${missing[*]}"
  if ((!dry_run)); then
    die "cannot build: missing ${missing[*]}. On a Debian 12 machine with apt run
    bash bench/gpu_check.sh --fetch-debs .debs
  carry .debs to this machine, then: bash bench/gpu_check.sh --debs .debs"
  fi
fi
if ((!dry_run && !configure_only)); then
  ((gpus > 0)) || die "no GPU (nvidia-smi found none)"
  [ "$torch_gpu" = 1 ] || die "python3's torch ($torch_version) sees no CUDA device"
fi

# ------------------------------------------------------------------ build
cmake_args=(-S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release
            "-DTorch_DIR=${torch_prefix:-<torch.utils.cmake_prefix_path>}/Torch"
            "-DCMAKE_CUDA_ARCHITECTURES=$arch" "-DTORCH_CUDA_ARCH_LIST=${arch:0:1}.${arch:1}"
            -DGALIEN_BUILD_TESTS=ON -DGALIEN_BUILD_BENCH=ON)
[ -n "$cuda_root" ] && cmake_args+=("-DCUDAToolkit_ROOT=$cuda_root")
[ -n "$nccl_inc" ] && cmake_args+=("-DNCCL_INCLUDE_DIR=$nccl_inc")
[ -n "$nccl_lib" ] && cmake_args+=("-DNCCL_LIBRARY=$nccl_lib")
if [ -n "$prefix" ]; then
  # Debian's layout inside the prefix: MPI by its files (its mpicc wrapper names /usr paths),
  # HDF5 through its serial folder, the rest through their CMake config files.
  mpi_dir=$prefix/usr/lib/$ml/openmpi
  cmake_args+=("-DCMAKE_PREFIX_PATH=$prefix/usr;$prefix/usr/lib/$ml/cmake"
               -DMPI_SKIP_COMPILER_WRAPPER=ON -DMPI_C_COMPILER=MPI_C_COMPILER-NOTFOUND
               "-DMPI_C_HEADER_DIR=$mpi_dir/include" -DMPI_C_LIB_NAMES=mpi
               "-DMPI_mpi_LIBRARY=$mpi_dir/lib/libmpi.so"
               "-DMPIEXEC_EXECUTABLE=$prefix/usr/bin/mpirun"
               "-DHDF5_ROOT=$prefix/usr/lib/$ml/hdf5/serial" -DHDF5_NO_FIND_PACKAGE_CONFIG_FILE=ON
               "-DHDF5_C_COMPILER_EXECUTABLE=HDF5_C_COMPILER_EXECUTABLE-NOTFOUND"
               "-DCMAKE_INCLUDE_PATH=$prefix/usr/include;$prefix/usr/include/hdf5/serial"
               "-DCMAKE_LIBRARY_PATH=$prefix/usr/lib/$ml;$prefix/lib/$ml;$prefix/usr/lib/$ml/hdf5/serial"
               "-DCMAKE_BUILD_RPATH=$prefix/usr/lib/$ml;$prefix/lib/$ml;$mpi_dir/lib;$prefix/usr/lib/$ml/hdf5/serial")
  # Open MPI found where it was unpacked, not where Debian installed it.
  export OPAL_PREFIX=$prefix/usr OPAL_LIBDIR=$mpi_dir/lib OPAL_BINDIR=$prefix/usr/bin
  export OPAL_DATADIR=$prefix/usr/share/openmpi OPAL_PKGDATADIR=$prefix/usr/share/openmpi
  export OPAL_SYSCONFDIR=$prefix/etc/openmpi PMIX_INSTALL_PREFIX=$prefix/usr
  export PATH=$prefix/usr/bin:$PATH
  export LD_LIBRARY_PATH=$prefix/usr/lib/$ml:$prefix/lib/$ml:$mpi_dir/lib:$prefix/usr/lib/$ml/hdf5/serial:$prefix/usr/lib/$ml/pmix2/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
bench_bin=$build_dir/bench
if ((skip_build)); then
  step "reuse the build in $build_dir (--skip-build)"
else
  step "configure galien against python3's LibTorch, CUDA and NCCL (sm_$arch)"
  # shellcheck disable=SC2206
  extra=(${EXTRA_CMAKE_ARGS:-})
  run cmake "${cmake_args[@]}" "${extra[@]}"
  if ((configure_only)); then log "configured $build_dir (--configure-only)"; exit 0; fi
  step "build galien, the benchmarks and the CUDA tests ($jobs jobs)"
  run cmake --build "$build_dir" -j "$jobs" --target galien bench_step_time bench_gradient_sync \
    test_cuda test_nccl_mpi test_models test_device
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

# ------------------------------------------------------------------ CUDA tests
step "run the CUDA tests (tests/cuda; a skip on a GPU machine is a failure)"
run mkdir -p "$out_dir"
soft test_cuda 180 "$build_dir/tests/test_cuda" "--gtest_output=json:$out_dir/test_cuda.json"
ngpu=$((gpus > 0 ? gpus : 1))
soft test_nccl_mpi 120 mpirun -np "$ngpu" --bind-to none "$build_dir/tests/test_nccl_mpi"
soft test_models_resnet 120 "$build_dir/tests/test_models" --gtest_filter='*ResNet*'
if ((!dry_run)) && [ -f "$out_dir/test_cuda.json" ]; then
  skipped=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(1 for s in d["testsuites"] for t in s["testsuite"] if t.get("result")=="SKIPPED"))' "$out_dir/test_cuda.json")
  ((skipped == 0)) || failures+=("test_cuda: $skipped test(s) skipped on a GPU machine")
fi

# ------------------------------------------------------------------ ResNet-50, 1 GPU
common=(--batch "$batch" --warmup "$warmup")
step "ResNet-50 bf16 channels-last 224x224, batch $batch: galien (bench_step_time)"
soft_to bench_step_time 240 "$out_dir/galien.json" env CUDA_VISIBLE_DEVICES=0 "$bench_bin/bench_step_time" \
  bench/configs/images-resnet.yaml model.depth=50 model.small_input=false model.base_channels=64 \
  --name resnet50-galien --image 3,224,224 --classes 1000 --repeats "$steps" "${common[@]}" \
  --device cuda --precision bf16 --channels-last --threads 4
step "the same step in PyTorch eager (bench/gpu_resnet_torch.py)"
soft_to gpu_resnet_torch 240 "$out_dir/torch.json" env CUDA_VISIBLE_DEVICES=0 "$python" bench/gpu_resnet_torch.py \
  --depth 50 --steps "$steps" "${common[@]}" --precision bf16 --channels-last

# ------------------------------------------------------------------ NCCL gradient sync
step "NCCL gradient sync on all $ngpu GPU(s): raw NCCL allreduce vs galien's bucketed sync"
soft_to bench_gradient_sync 180 "$out_dir/nccl.jsonl" mpirun -np "$ngpu" --bind-to none "$bench_bin/bench_gradient_sync" \
  --backend nccl --max-mb 256 --repeats 5

# ------------------------------------------------------------------ report
step "write $out_dir/results.json and results.md"
if ((dry_run)); then
  echo "    (python3: merge galien.json, torch.json, nccl.jsonl; ratio = galien/torch images/s)"
  log "dry run: nothing was built or run"
  exit 0
fi
python3 - "$out_dir" "$gpu_names" "$torch_version" "$torch_cuda" "$(($(date +%s) - start_s))" \
  "$(printf '%s\n' "${failures[@]+"${failures[@]}"}")" <<'PY'
import datetime, json, os, sys
out, gpus, torch_v, cuda_v, seconds, failed = sys.argv[1:7]
def load(name):
    try:
        return json.load(open(os.path.join(out, name)))
    except (OSError, ValueError):
        return None
g, t = load("galien.json"), load("torch.json")
try:
    sync = [json.loads(l) for l in open(os.path.join(out, "nccl.jsonl")) if l.strip()]
except (OSError, ValueError):
    sync = []
ratio = g["samples_per_s"] / t["samples_per_s"] if g and t else None
result = {"date": datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
          "gpus": [l for l in gpus.splitlines() if l], "torch": torch_v, "cuda": cuda_v,
          "galien": g, "pytorch_eager": t, "galien_over_torch": ratio, "goal": 1.0,
          "nccl_sync": sync, "failures": [l for l in failed.splitlines() if l],
          "seconds": int(seconds)}
json.dump(result, open(os.path.join(out, "results.json"), "w"), indent=1)
mib = lambda b: "%.0f" % (b / 2**20) if b and b > 0 else "n/a"
bs = (g or t or {}).get("batch", 0)
lines = [f"GPU check, {result['date']}: {'; '.join(result['gpus'])}; torch {torch_v}, CUDA {cuda_v}",
         "", "| ResNet-50, bf16, channels-last, 224x224, batch %d | images/s | ms/step | peak MiB |" % bs,
         "| --- | --- | --- | --- |"]
for name, e in (("galien (LibTorch C++)", g), ("PyTorch eager", t)):
    if e:
        lines.append(f"| {name} | {e['samples_per_s']:.0f} | {e['wall_ms_per_step']:.1f} | {mib(e.get('cuda_peak_allocated_bytes'))} |")
    else:
        lines.append(f"| {name} | failed | | |")
if ratio is not None:
    lines.append(f"| galien / PyTorch | **{ratio:.2f}x** (goal >= 1.0x) | | |")
# One GPU: no link to cross (bus bandwidth 0 by definition); the times are the sync's own cost.
lines += ["", f"| NCCL sync, {sync[0]['ranks'] if sync else 0} GPU(s), MiB | NCCL ms | galien ms | NCCL bus GB/s | galien bus GB/s | galien/NCCL |",
          "| --- | --- | --- | --- | --- | --- |"]
for s in sync:
    if s["bytes"] >= 1 << 20:
        lines.append(f"| {s['bytes'] / 2**20:.0f} | {s['nccl_s'] * 1e3:.3f} | {s['galien_s'] * 1e3:.3f} | {s['nccl_bus_GBps']:.1f} | {s['galien_bus_GBps']:.1f} | {s['galien_over_nccl']:.2f} |")
if result["failures"]:
    lines += ["", "Failed steps: " + "; ".join(result["failures"])]
open(os.path.join(out, "results.md"), "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
log "done in $(($(date +%s) - start_s)) s; results in $out_dir"
if ((${#failures[@]})); then log "failed: ${failures[*]}"; exit 1; fi
