#!/usr/bin/python3
"""Segmentation step time and memory, galien vs PyTorch, side by side in one run
(docs/BENCHMARKS.md, "Segmentation"). Called by bench/run_segmentation.sh.

For each layout RANKSxTHREADS (1x1: one rank on one core; 2x1: two ranks, one core each) and
each repeat, runs both sides once, alternating the order between repeats so that slow drift on
a shared machine favours neither:
  galien   mpirun -np N [--bind-to core] bench_segmentation_step (MPI, bucketed gradient sync)
  galien-default-malloc  the same with --malloc default: glibc's own mmap/trim thresholds
           instead of the trainer's keep_freed_memory (informative, not the ratio)
  pytorch  bench/segmentation_torch.py --world N (DDP over gloo for N > 1)
Both: the same 3D U-Net (galien's unet3d and its twin bench/unet_torch.py: the parameter counts
are compared and a mismatch stops the run), the same synthetic patches, global batch, Dice + CE
loss, Adam, warm-up and timed steps; OPENBLAS_NUM_THREADS = OMP_NUM_THREADS = intra-op threads.
One JSON line per run is appended to --out.
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE) + os.sep


def shown(cmd):
    """The command as recorded for the docs: paths relative to the repository root."""
    return " ".join(c[len(ROOT):] if c.startswith(ROOT) else c for c in cmd)


def env_for(threads):
    env = dict(os.environ)
    env.update(OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    return env


def mpirun(ranks):
    cmd = ["mpirun", "-np", str(ranks), "--bind-to", "core" if ranks > 1 else "none", "-x",
           "OPENBLAS_NUM_THREADS", "-x", "OMP_NUM_THREADS"]
    if os.geteuid() == 0:
        cmd.insert(1, "--allow-run-as-root")
    return cmd


def common_args(args, threads):
    return ["--threads", str(threads), "--patch", args.patch, "--batch", str(args.batch),
            "--classes", str(args.classes), "--levels", str(args.levels), "--base-channels",
            str(args.base_channels), "--steps", str(args.steps), "--warmup", str(args.warmup)]


def run_side(args, side, ranks, threads, port):
    if side.startswith("galien"):
        cmd = mpirun(ranks) + [args.bench] + common_args(args, threads)
        if side == "galien-default-malloc":
            cmd += ["--malloc", "default"]
    else:
        cmd = ["/usr/bin/python3", os.path.join(HERE, "segmentation_torch.py"), "--world",
               str(ranks), "--port", str(port)] + common_args(args, threads)
    p = subprocess.run(cmd, env=env_for(threads), capture_output=True, text=True)
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    if p.returncode != 0 or not lines:
        tail = ((p.stderr + p.stdout).strip().splitlines() or ["exit %d" % p.returncode])[-1]
        return {"status": "failed", "reason": tail[:300], "command": shown(cmd)}
    result = json.loads(lines[-1])
    result.update(status="ok", command=shown(cmd))
    return result


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bench", required=True, help="build-bench/bench/bench_segmentation_step")
    p.add_argument("--out", required=True)
    p.add_argument("--layouts", default="1x1,2x1")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--patch", default="64,64,64")
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--classes", type=int, default=2)
    p.add_argument("--levels", type=int, default=0)
    p.add_argument("--base-channels", type=int, default=0)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--default-malloc", action="store_true",
                   help="also galien with glibc's default malloc thresholds")
    args = p.parse_args()
    sides = ["galien", "pytorch"] + (["galien-default-malloc"] if args.default_malloc else [])
    port, failed = 29700, {}
    for layout in args.layouts.split(","):
        ranks, threads = (int(x) for x in layout.split("x"))
        for repeat in range(args.repeats):
            order = sides if repeat % 2 == 0 else list(reversed(sides))
            counts = {}
            for side in order:
                base = {"side": side, "layout": layout, "repeat": repeat}
                if side in failed:
                    result = {"status": "skipped", "reason": failed[side]}
                else:
                    port += 1
                    load_before, t0 = os.getloadavg()[0], time.time()
                    result = run_side(args, side, ranks, threads, port)
                    result.update(load1_before=load_before, load1_after=os.getloadavg()[0],
                                  wall_s=time.time() - t0)
                    if result["status"] == "failed":
                        failed[side] = result["reason"]
                    else:
                        counts[side] = result["parameters"]
                record = dict(result, **base)  # the side as run, not as the tool names itself
                with open(args.out, "a") as f:
                    f.write(json.dumps(record) + "\n")
                text = ("%.2f s/step, peak RSS %s MiB" % (
                    record["median_step_s"],
                    "/".join("%.0f" % v for v in record["peak_rss_mib_per_rank"]))
                    if record["status"] == "ok" else record["status"] + ": " +
                    record.get("reason", ""))
                print("[segmentation] %-21s %s repeat %d: %s" % (side, layout, repeat, text),
                      flush=True)
            if len(set(counts.values())) > 1:
                sys.exit("the two U-Nets differ: %s parameters" % counts)


if __name__ == "__main__":
    sys.exit(main())
