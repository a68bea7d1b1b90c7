"""Shared helpers of the fault-injection scripts (bench/fault/, docs/RELIABILITY.md).

Run by hand from the repository root with Debian's python3; they drive the real `galien`
executable (GALIEN, default build/launcher/galien) and write under FAULT_DIR (default
/tmp/galien-fault). Results are printed as a table and written as JSON next to the runs.
"""
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GALIEN = os.path.abspath(os.environ.get("GALIEN", os.path.join(ROOT, "build/launcher/galien")))
WORK = os.environ.get("FAULT_DIR", "/tmp/galien-fault")
CONFIG = "configs/wdbc-mlp.yaml"


def run(cmd, **kw):
    """Runs `cmd` (a list) in the repository root; returns the CompletedProcess."""
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, **kw)


def keygen(path):
    if not os.path.exists(path):
        r = run([GALIEN, "keygen", path])
        assert r.returncode == 0, r.stderr


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def mpirun_prefix(ranks):
    root = ["--allow-run-as-root"] if os.geteuid() == 0 else []
    return ["mpirun", "-np", str(ranks), *root, "--bind-to", "none", "-x", "OMP_NUM_THREADS=1"]


def start(cmd, log_path):
    """Starts `cmd` in its own process group, output to log_path; returns the Popen."""
    log = open(log_path, "ab")
    return subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def wait(proc, timeout):
    """Exit code, or None after `timeout` seconds (the group is then killed)."""
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return None


def children(pid):
    r = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(x) for x in r.stdout.split()]


def save(name, rows, extra=None):
    os.makedirs(WORK, exist_ok=True)
    path = os.path.join(WORK, name + ".json")
    with open(path, "w") as f:
        json.dump({"date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                   "rows": rows, **(extra or {})}, f, indent=2)
    print("results:", path)
