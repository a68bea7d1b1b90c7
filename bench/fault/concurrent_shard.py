#!/usr/bin/env python3
"""Two `galien shard` runs into one directory at once (docs/RELIABILITY.md).

  python3 bench/fault/concurrent_shard.py [TRIALS]

Per trial: two runs of configs/wdbc-mlp.yaml with different split seeds, started together into
one empty directory. Wanted: one wins, the other is refused with a clear message, and the
directory verifies as the winner's. Records both exit codes, the loser's message and whether
`galien verify --key` accepts the result.
"""
import os
import shutil
import sys
import time

from common import GALIEN, WORK, CONFIG, keygen, run, save, start, wait

TRIALS = int(sys.argv[1]) if len(sys.argv) > 1 else 10
base = os.path.join(WORK, "concurrent-shard")
shutil.rmtree(base, ignore_errors=True)
os.makedirs(base)
key = os.path.join(base, "k.key")
keygen(key)

rows = []
for trial in range(TRIALS):
    d = os.path.join(base, f"trial-{trial:02d}")
    procs = [start([GALIEN, "shard", CONFIG, "data.shard_dir=" + d, "privacy.key_file=" + key,
                    "data.shards=16", "privacy.encrypt=true", f"data.split.seed={seed}"],
                   f"{d}.{seed}.log") for seed in (1, 2)]
    codes = [wait(p, 120) for p in procs]
    logs = [open(f"{d}.{seed}.log").read().strip().splitlines() for seed in (1, 2)]
    v = run([GALIEN, "verify", d, "--key", key])
    refused = [i for i, c in enumerate(codes) if c != 0]
    row = {"trial": trial, "exit_codes": codes, "verify_accepts": v.returncode == 0,
           "refused_message": logs[refused[0]][-1][:200] if refused else "",
           "verify_message": "" if v.returncode == 0 else (v.stdout + v.stderr).strip().splitlines()[-1][:200]}
    rows.append(row)
    print(row, flush=True)

summary = {"trials": TRIALS,
           "one_won_one_refused": sum(sorted(r["exit_codes"])[0] == 0 and sorted(r["exit_codes"])[1] != 0 for r in rows),
           "both_exit_0": sum(r["exit_codes"] == [0, 0] for r in rows),
           "verify_accepts": sum(r["verify_accepts"] for r in rows)}
print(summary)
save("concurrent_shard", rows, summary)
