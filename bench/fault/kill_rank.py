#!/usr/bin/env python3
"""kill -9 one rank of a 2-rank training at random moments (docs/RELIABILITY.md).

  python3 bench/fault/kill_rank.py [TRIALS] [SEED]

Per trial: `mpirun -np 2 galien train configs/wdbc-mlp.yaml` with a checkpoint every few steps;
after a random delay (anywhere from start-up to the end: a step, an allreduce, evaluation or a
checkpoint write) SIGKILL one rank at random; measure the seconds until mpirun exits and its exit
code. Then resume (same command, trainer.resume=auto) to the end and compare the final model
(summary.json's parameters_sha256 and every metric) with an uninterrupted run of the same config.
"""
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time

from common import GALIEN, WORK, CONFIG, keygen, mpirun_prefix, run, save, sha256_file, start, \
    wait, children

TRIALS = int(sys.argv[1]) if len(sys.argv) > 1 else 20
rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 16)
base = os.path.join(WORK, "kill-rank")
shutil.rmtree(base, ignore_errors=True)
os.makedirs(base)
key = os.path.join(base, "k.key")
keygen(key)
common = ["data.shard_dir=" + base + "/shards", "privacy.key_file=" + key]
r = run([GALIEN, "shard", CONFIG, *common])
assert r.returncode == 0, r.stderr
# Dropout on, so that the RNG state must be restored for an exact resume; a checkpoint every 3
# steps so kills land during writes too.
train_args = common + ["trainer.epochs=20", "trainer.batch_size=16", "model.dropout=0.1",
                       "trainer.checkpoint_every_steps=3", "trainer.collective_timeout_s=30",
                       # Evaluation of the train split too, every epoch: long enough for kills
                       # to land in evaluation as well.
                       "trainer.eval_splits=[train, val, test]"]


def train(run_dir, log):
    return start(mpirun_prefix(2) + [GALIEN, "train", CONFIG, *train_args,
                                     "trainer.run_dir=" + run_dir], log)


# galien frames (trainers/loop/trainer.cpp, checkpoint.h, evaluate.h) -> phase, first match wins.
PHASES = [("checkpoint write", ("save_checkpoint", "serialize_checkpoint", "write_file_atomic",
                                "write_pending_best", "save_model_checkpoint")),
          ("evaluation", ("evaluate_split", "end_of_epoch")),
          ("MPI finalize (end of the run)", ("~MpiSession",)),
          ("start-up", ("MpiSession::MpiSession", "set_up", "resume_if_asked", "RankShards",
                        "load_shard", "ompi_mpi_init", "load_config", "check_ranks_agree")),
          ("training step", ("train_epoch",)),
          ("finish", ("Run::finish", "write_predictions", "append_final_metrics"))]


def phase_of(stack):
    """The phase a main-thread stack is in, plus ", in MPI_Allreduce" (or another MPI call)."""
    phase = next((name for name, marks in PHASES if any(m in stack for m in marks)), "other")
    if phase == "other" and "galien::" not in stack and " main " not in stack:
        phase = "start-up (loading libraries, before main)"
    for mpi in ("PMPI_Allreduce", "PMPI_Bcast", "PMPI_Barrier", "PMPI_Allgather", "PMPI_"):
        if mpi in stack:
            phase += ", in " + mpi[1:].rstrip("_") if mpi != "PMPI_" else ", in MPI"
            break
    return phase


def mpi_rank_of(pid):
    """OMPI_COMM_WORLD_RANK from the process's environment, or None."""
    try:
        env = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
    except OSError:
        return None
    for entry in env:
        if entry.startswith(b"OMPI_COMM_WORLD_RANK="):
            return int(entry.split(b"=", 1)[1])
    return None


def galien_frames(stack, most=4):
    """The first `most` distinct galien functions of a gdb backtrace, innermost first (names only:
    arguments, which may hold paths, are dropped)."""
    names = []
    for line in stack.splitlines():
        at = line.find(" galien::")
        if at < 0:
            continue
        name = line[at + 1:].split(" (")[0]
        if name not in names:
            names.append(name)
    return names[:most]


def kill_and_name_phase(pid):
    """SIGKILLs `pid` where it stands; returns (phase, galien frames) (see the docstring)."""
    if shutil.which("gdb"):
        r = subprocess.run(["gdb", "-batch", "-nx", "-p", str(pid), "-ex", "thread 1",
                            "-ex", "bt 60", "-ex", "kill"], capture_output=True, text=True,
                           timeout=120)
        stack = "\n".join(l for l in r.stdout.splitlines() if l.startswith("#"))
        if os.path.exists(f"/proc/{pid}") and open(f"/proc/{pid}/stat").read().split()[2] != "Z":
            os.kill(pid, signal.SIGKILL)  # gdb could not attach: plain kill
            return "unknown (gdb did not attach)", []
        if not stack:
            return "none (the rank had exited before gdb attached)", []
        return phase_of(stack), galien_frames(stack)
    os.kill(pid, signal.SIGKILL)
    return "unknown", []


def seconds_until_gone(pids, limit=10.0):
    """Seconds until none of `pids` is running (zombies count as gone), or None after `limit`."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        alive = [p for p in pids if os.path.exists(f"/proc/{p}")
                 and open(f"/proc/{p}/stat").read().split()[2] != "Z"]
        if not alive:
            return round(time.monotonic() - t0, 2)
        time.sleep(0.05)
    return None


def final_state(run_dir):
    # parameters_sha256: SHA-256 over every parameter's bytes (trainers/run summary).
    summary = json.load(open(os.path.join(run_dir, "summary.json")))
    return summary["parameters_sha256"], summary["metrics"]


t0 = time.monotonic()
ref_dir = os.path.join(base, "reference")
p = train(ref_dir, ref_dir + ".log")
code = wait(p, 600)
assert code == 0, open(ref_dir + ".log").read()[-3000:]
duration = time.monotonic() - t0
ref_sha, ref_metrics = final_state(ref_dir)
print(f"uninterrupted run: {duration:.1f} s, parameters {ref_sha[:16]}")

rows = []
for trial in range(TRIALS):
    run_dir = os.path.join(base, f"trial-{trial:02d}")
    log = run_dir + ".log"
    # gdb takes a second or more to attach (the rank stops then): aim before the last third.
    delay = rng.uniform(0.5, duration * 0.65)
    started = time.monotonic()
    p = train(run_dir, log)
    time.sleep(delay)
    ranks = children(p.pid)
    if p.poll() is not None or not ranks:
        rows.append({"trial": trial, "delay_s": round(delay, 2), "note": "finished before the kill"})
        continue
    victim = rng.choice(ranks)
    victim_rank = mpi_rank_of(victim)
    phase, frames = kill_and_name_phase(victim)
    killed = time.monotonic()  # gdb stopped the rank when it attached, up to a few s earlier
    code = wait(p, 120)
    exit_s = time.monotonic() - killed
    gone_s = seconds_until_gone(ranks)  # after mpirun's exit
    # Resume to the end with the same command.
    had_checkpoint = os.path.exists(os.path.join(run_dir, "checkpoints/last.pt"))
    p2 = train(run_dir, log)
    code2 = wait(p2, 600)
    same = None
    if code2 == 0:
        sha, metrics = final_state(run_dir)
        same = sha == ref_sha and metrics == ref_metrics
    row = {"trial": trial, "delay_s": round(delay, 2), "killed_by_s": round(killed - started, 2), "victim_rank": victim_rank,
           "phase": phase, "frames": frames, "exit_code": code,
           "seconds_to_exit": None if code is None else round(exit_s, 2),
           "ranks_gone_s_after_mpirun": gone_s, "checkpoint_before_kill": had_checkpoint,
           "resume_exit_code": code2, "final_equal_to_uninterrupted": same}
    rows.append(row)
    print(row, flush=True)

done = [r for r in rows if "exit_code" in r]
worst = max((r["seconds_to_exit"] or 1e9) for r in done) if done else None
phases = {}
for r in done:
    phases[r["phase"]] = phases.get(r["phase"], 0) + 1
summary = {"trials": len(done), "worst_seconds_to_exit": worst, "phases": phases,
           "killed": sum(1 for r in done if r["exit_code"] != 0),
           "all_ranks_gone": all(r["ranks_gone_s_after_mpirun"] is not None for r in done),
           "all_resumed_equal": all(r["final_equal_to_uninterrupted"] for r in done),
           "uninterrupted_s": round(duration, 1)}
print(summary)
save("kill_rank", rows, summary)
