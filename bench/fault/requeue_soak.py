#!/usr/bin/env python3
"""Requeue soak: SIGUSR1 + restart at a fixed interval, as Slurm's time limit and requeue do,
then compare with an uninterrupted run (docs/RELIABILITY.md).

  python3 bench/fault/requeue_soak.py [EPOCHS] [INTERVAL_S]

The issue's full soak is a 10-minute run with a restart every minute; EPOCHS sets the length
(wdbc-mlp: about 25 optimiser steps per epoch on 2 ranks). A checkpoint every 20 steps. Per
cycle: start (trainer.resume=auto), wait INTERVAL_S, send SIGUSR1 to mpirun (it forwards to the
ranks), which must stop every rank at one step boundary with a checkpoint and exit code 75.
Repeat until a cycle ends with 0; then the final parameters (summary.json parameters_sha256)
must equal an uninterrupted run's.
"""
import json
import os
import shutil
import signal
import sys
import time

from common import GALIEN, WORK, CONFIG, keygen, mpirun_prefix, run, save, start, wait

EPOCHS = int(sys.argv[1]) if len(sys.argv) > 1 else 60
INTERVAL = float(sys.argv[2]) if len(sys.argv) > 2 else 20.0
base = os.path.join(WORK, "requeue-soak")
shutil.rmtree(base, ignore_errors=True)
os.makedirs(base)
key = os.path.join(base, "k.key")
keygen(key)
common = ["data.shard_dir=" + base + "/shards", "privacy.key_file=" + key]
assert run([GALIEN, "shard", CONFIG, *common]).returncode == 0
args = common + [f"trainer.epochs={EPOCHS}", "trainer.batch_size=16", "model.dropout=0.1",
                 "trainer.checkpoint_every_steps=20"]


def train(run_dir):
    return start(mpirun_prefix(2) + [GALIEN, "train", CONFIG, *args, "trainer.run_dir=" + run_dir],
                 run_dir + ".log")


t0 = time.monotonic()
ref = os.path.join(base, "reference")
assert wait(train(ref), 3600) == 0
ref_s = time.monotonic() - t0
ref_sha = json.load(open(ref + "/summary.json"))["parameters_sha256"]
print(f"uninterrupted: {ref_s:.1f} s")

soak = os.path.join(base, "soak")
cycles = []
t0 = time.monotonic()
while True:
    p = train(soak)
    try:
        code = p.wait(timeout=INTERVAL)
    except Exception:
        os.kill(p.pid, signal.SIGUSR1)
        sent = time.monotonic()
        code = wait(p, 120)
        cycles.append({"cycle": len(cycles), "exit_code": code,
                       "seconds_signal_to_exit": round(time.monotonic() - sent, 2)})
        print(cycles[-1], flush=True)
        if code not in (75, 0) or len(cycles) > 200:
            break
        continue
    cycles.append({"cycle": len(cycles), "exit_code": code, "seconds_signal_to_exit": None})
    break
soak_s = time.monotonic() - t0
summary = json.load(open(soak + "/summary.json"))
result = {"epochs": EPOCHS, "interval_s": INTERVAL, "uninterrupted_s": round(ref_s, 1),
          "soak_s": round(soak_s, 1), "stops": sum(c["exit_code"] == 75 for c in cycles),
          "final_status": summary.get("status"),
          "parameters_equal": summary.get("parameters_sha256") == ref_sha}
print(result)
save("requeue_soak", cycles, result)
