#!/usr/bin/env python3
"""Disk full during sharding and during a checkpoint, on small tmpfs mounts (needs root and
mount(2); docs/RELIABILITY.md).

  python3 bench/fault/disk_full.py

Sharding: shard_dir on a tmpfs too small for the shards: the run must fail with a clear message
and leave no directory that `galien verify` accepts. Checkpoints: run_dir on a tmpfs that holds
a few checkpoints of a bigger model, then fills: the run must fail with a clear message, and the
last checkpoint written must still load (after freeing space the run resumes from it to the end).
"""
import os
import shutil
import subprocess
import sys

from common import GALIEN, WORK, CONFIG, keygen, mpirun_prefix, run, save, start, wait

base = os.path.join(WORK, "disk-full")
shutil.rmtree(base, ignore_errors=True)
os.makedirs(base)
key = os.path.join(base, "k.key")
keygen(key)
rows = []


def mount(path, size):
    os.makedirs(path, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", path], check=True)


def umount(path):
    subprocess.run(["umount", path], check=False)


# 1. Sharding onto a full disk, for several sizes (the failure lands on different files).
for size in ["64k", "128k", "256k", "400k"]:
    m = os.path.join(base, f"shard-{size}")
    mount(m, size)
    try:
        d = os.path.join(m, "shards")
        r = run([GALIEN, "shard", CONFIG, "data.shard_dir=" + d, "privacy.key_file=" + key,
                 "data.shards=16", "privacy.encrypt=true"])
        v = run([GALIEN, "verify", d, "--key", key])
        rows.append({"case": f"shard, tmpfs {size}", "exit_code": r.returncode,
                     "message": (r.stderr.strip().splitlines() or [""])[-1][:220],
                     "verify_accepts": v.returncode == 0})
    finally:
        umount(m)
    print(rows[-1], flush=True)

# 2. A checkpoint write onto a full disk.
shards = os.path.join(base, "shards")
assert run([GALIEN, "shard", CONFIG, "data.shard_dir=" + shards, "privacy.key_file=" + key]).returncode == 0
m = os.path.join(base, "ckpt")
mount(m, "12m")
try:
    run_dir = os.path.join(m, "run")
    args = ["data.shard_dir=" + shards, "privacy.key_file=" + key, "trainer.epochs=3",
            "trainer.batch_size=16", "model.hidden=[512,512]", "trainer.checkpoint_every_steps=5",
            "trainer.keep_checkpoints=100"]
    p = start(mpirun_prefix(2) + [GALIEN, "train", CONFIG, *args, "trainer.run_dir=" + run_dir],
              os.path.join(base, "ckpt.log"))
    code = wait(p, 300)
    log = open(os.path.join(base, "ckpt.log")).read().strip().splitlines()
    errors = [l for l in log if "error" in l.lower() or "space" in l.lower()]
    kept = sorted(f for f in os.listdir(os.path.join(run_dir, "checkpoints")) if f.startswith("step-"))
    # Free space where the run is (the tmpfs grows, as when an admin cleans the disk) and resume
    # in place from the last checkpoint written. (Resuming a copy elsewhere is refused: the
    # config's SHA-256 covers trainer.run_dir; docs/RELIABILITY.md.)
    subprocess.run(["mount", "-o", "remount,size=256m", m], check=True)
    r = run(mpirun_prefix(2) + [GALIEN, "train", CONFIG, *args, "trainer.run_dir=" + run_dir])
    resumed = [l for l in (r.stdout + r.stderr).splitlines() if "resum" in l.lower()]
    rows.append({"case": "checkpoint, tmpfs 12m", "exit_code": code,
                 "message": (errors or log or [""])[0][:220], "checkpoints_left": len(kept),
                 "last_checkpoint": kept[-1] if kept else None,
                 "resume_after_freeing_space_exit_code": r.returncode,
                 "resume_line": (resumed or [""])[0][:200]})
finally:
    umount(m)
print(rows[-1], flush=True)
save("disk_full", rows)
