#!/usr/bin/env python3
"""kill -9 `galien shard` at random moments; no directory that a reader accepts is partial.

  python3 bench/fault/kill_shard.py [TRIALS] [SEED]

Per trial: `galien shard configs/wdbc-mlp.yaml` (16 encrypted shards per split) into a fresh
directory (even trials) or with --overwrite over a complete directory of another split seed (odd
trials, the dangerous case: old manifest, new shards), SIGKILL after a random delay within one
run's duration, then `galien verify DIR --key` (what every reader checks). Accepted directories
must be complete: every shard the manifest lists present and authenticated (verify checks that),
and the manifest's split seed must be that of one whole run.
"""
import json
import os
import random
import shutil
import signal
import sys
import time

from common import GALIEN, WORK, CONFIG, keygen, run, save, start, wait

TRIALS = int(sys.argv[1]) if len(sys.argv) > 1 else 30
rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 16)
base = os.path.join(WORK, "kill-shard")
shutil.rmtree(base, ignore_errors=True)
os.makedirs(base)
key = os.path.join(base, "k.key")
keygen(key)


def shard_cmd(dir_, seed, overwrite=False):
    return [GALIEN, "shard", CONFIG, *(["--overwrite"] if overwrite else []),
            "data.shard_dir=" + dir_, "privacy.key_file=" + key, "data.shards=16",
            "privacy.encrypt=true", f"data.split.seed={seed}"]


t0 = time.monotonic()
r = run(shard_cmd(base + "/reference", 1))
assert r.returncode == 0, r.stderr
duration = time.monotonic() - t0
print(f"one uninterrupted galien shard: {duration:.2f} s")

rows = []
for trial in range(TRIALS):
    d = os.path.join(base, f"trial-{trial:02d}")
    overwrite = trial % 2 == 1
    before = None
    if overwrite:
        assert run(shard_cmd(d, 1)).returncode == 0
        before = open(os.path.join(d, "manifest.json"), "rb").read()
    delay = rng.uniform(0.0, 1.3 * duration)  # some runs finish
    p = start(shard_cmd(d, 2, overwrite), d + ".log")
    time.sleep(delay)
    finished = p.poll() is not None
    if not finished:
        os.killpg(p.pid, signal.SIGKILL)
    wait(p, 30)
    v = run([GALIEN, "verify", d, "--key", key])
    accepted = v.returncode == 0
    # An accepted directory is either the whole previous run (its manifest unchanged) or the
    # whole new run (a new manifest, written last, after every shard it lists).
    accepted_as = ""
    if accepted:
        now = open(os.path.join(d, "manifest.json"), "rb").read()
        accepted_as = "previous run, complete" if now == before else "new run, complete"
    temp = [f for f in os.listdir(d)] if os.path.isdir(d) else []
    temp = [f for f in temp if ".tmp" in f or f.startswith(".")]
    row = {"trial": trial, "mode": "overwrite" if overwrite else "fresh",
           "delay_s": round(delay, 3), "killed": not finished, "verify_accepts": accepted, "accepted_as": accepted_as,
           "verify_message": (v.stdout + v.stderr).strip().splitlines()[-1][:160] if not accepted else "",
           "temporary_files_left": len(temp)}
    rows.append(row)
    print(row, flush=True)

summary = {"trials": len(rows), "killed": sum(r["killed"] for r in rows),
           "accepted": sum(r["verify_accepts"] for r in rows),
           "accepted_after_kill": sum(r["verify_accepts"] and r["killed"] for r in rows),
           "shard_s": round(duration, 2)}
print(summary)
save("kill_shard", rows, summary)
