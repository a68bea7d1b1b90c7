#!/usr/bin/env bash
# Horovod (PyPI) for the third column of the training comparison, built against Debian's
# python3-torch and Open MPI: a venv with --system-site-packages (so `import torch` is Debian's,
# the libtorch_cpu galien links) and `pip install horovod` with HOROVOD_WITH_PYTORCH=1
# HOROVOD_WITH_MPI=1 (pybind11-dev first: Debian's torch headers include it). Idempotent: a
# venv where `import horovod.torch` works is kept; a failed build is not retried (it takes ~20
# minutes) unless HOROVOD_RETRY=1. Either way it writes
# $WORK/horovod-status.json: {"status": "ok"|"failed", "version"|"reason", "log"}.
# Usage: bench/install_horovod.sh WORK_DIR
set -uo pipefail
work=${1:?WORK_DIR}
venv=$work/venv-horovod
status=$work/horovod-status.json
log=$work/horovod-install.log
mkdir -p "$work"

if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import horovod.torch" 2>/dev/null; then
  version=$("$venv/bin/python" -c "import horovod; print(horovod.__version__)")
  printf '{"status": "ok", "version": "%s", "python": "%s", "log": "%s"}\n' \
    "$version" "$venv/bin/python" "$log" >"$status"
  echo "[horovod] $version already installed in $venv"
  exit 0
fi
if [ -f "$status" ] && grep -q '"failed"' "$status" && [ "${HOROVOD_RETRY:-0}" != 1 ]; then
  echo "[horovod] an earlier build failed (see $status, $log); HOROVOD_RETRY=1 tries again"
  exit 0
fi

# Debian's torch headers include pybind11 (torch/csrc/Exceptions.h): without pybind11-dev the
# extension fails with "fatal error: pybind11/pybind11.h: No such file or directory".
if ! dpkg-query -W -f='${Status}' pybind11-dev 2>/dev/null | grep -q "install ok installed"; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends pybind11-dev \
    >/dev/null || echo "[horovod] could not install pybind11-dev"
fi
echo "[horovod] building horovod from PyPI in $venv (~20 min on 2 busy cores; log: $log)"
rm -rf "$venv"
/usr/bin/python3 -m venv --system-site-packages "$venv"
# One compile job at a time, lowest priority: the machine's two cores are shared.
env HOROVOD_WITH_PYTORCH=1 HOROVOD_WITH_MPI=1 HOROVOD_WITHOUT_TENSORFLOW=1 \
  HOROVOD_WITHOUT_MXNET=1 HOROVOD_CPU_OPERATIONS=MPI MAKEFLAGS=-j1 CMAKE_BUILD_PARALLEL_LEVEL=1 \
  nice -n 19 "$venv/bin/pip" install --no-cache-dir --no-binary horovod horovod >"$log" 2>&1
rc=$?
if [ $rc -eq 0 ] && "$venv/bin/python" -c "import horovod.torch" >>"$log" 2>&1; then
  version=$("$venv/bin/python" -c "import horovod; print(horovod.__version__)")
  printf '{"status": "ok", "version": "%s", "python": "%s", "log": "%s"}\n' \
    "$version" "$venv/bin/python" "$log" >"$status"
  echo "[horovod] installed $version"
else
  # The first compiler/CMake/linker/import error is the reason; else the last lines of pip's.
  reason=""
  for pattern in "fatal error:" "CMake Error" "undefined reference|undefined symbol" \
                 "ImportError|ModuleNotFoundError" " error: " "error:"; do
    reason=$(grep -m1 -E "$pattern" "$log" | sed -E 's/^ +//' | cut -c1-400)
    [ -z "$reason" ] || break
  done
  [ -n "$reason" ] || reason=$(tail -n 3 "$log" | tr '\n' ' ' | cut -c1-400)
  /usr/bin/python3 - "$status" "$reason" "$log" "$rc" <<'PY'
import json, sys
path, reason, log, rc = sys.argv[1:]
json.dump({"status": "failed", "reason": reason, "log": log, "pip_exit": int(rc)}, open(path, "w"))
PY
  echo "[horovod] build failed: $reason"
fi
exit 0
