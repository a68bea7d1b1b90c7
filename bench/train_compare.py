#!/usr/bin/python3
"""Training throughput, galien vs PyTorch DDP (gloo) [vs Horovod], side by side in one run
(docs/BENCHMARKS.md, "Training throughput"). Called by bench/run_all.sh.

For each model (mlp: WDBC table; resnet: 64x64 images), each layout RANKSxTHREADS (1x1: one
core; 1x2: one rank on both cores; 2x1: two ranks, one core each) and each repeat, runs every
side once, alternating the order between repeats so slow drift on a shared machine favours no
side:
  galien   mpirun -np N galien train CONFIG trainer.threads=T
  galien-tuned  the same with GLIBC_TUNABLES raising glibc malloc's mmap and trim thresholds
           (freed tensor memory is kept for reuse instead of returned to the kernel and
           page-faulted back in; docs/BENCHMARKS.md, findings): informative, not the ratio
  galien-unfused  the same with optim.fused=false (LibTorch's per-parameter optimiser instead
           of the fused flat one, docs/training.md): informative, not the ratio
  ddp      bench/train_torch.py --backend ddp (torch.multiprocessing.spawn, gloo)
  horovod  mpirun -np N VENV/bin/python bench/train_torch.py --backend horovod
Every side: OPENBLAS_NUM_THREADS = OMP_NUM_THREADS = intra-op threads = T; with N = 2, rank r
bound to core r (mpirun --bind-to core; sched_setaffinity under spawn); the same global batch,
epochs and warm-up epochs. 2-rank efficiency = samples/s(2x1) / (2 x samples/s(1x1)).

Samples/s is measured the same way on every side: from the wall time at the end of each epoch
(galien: metrics.jsonl time_s; torch: the same point, after the epoch's loss reduction and
validation), over the epochs after the first --warmup epochs:
    (epochs - warmup) x train samples / (t_end[epochs] - t_end[warmup]).
One JSON line per run is appended to --out; a side that fails is recorded with its reason and
not run again for that model.
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = {
    # config, torch args, epochs, warm-up epochs
    "mlp": ("bench/configs/wdbc-mlp.yaml", ["--model", "mlp", "--hidden", "256", "256",
                                            "--batch", "64"]),
    "resnet": ("bench/configs/images-resnet.yaml", ["--model", "resnet", "--base-channels", "16",
                                                    "--batch", "32"]),
}


def load1():
    return os.getloadavg()[0]


def env_for(threads):
    env = dict(os.environ)
    env.update(OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    return env


def mpirun(ranks):
    bind = "core" if ranks > 1 else "none"
    cmd = ["mpirun", "-np", str(ranks), "--bind-to", bind, "-x", "OPENBLAS_NUM_THREADS", "-x",
           "OMP_NUM_THREADS"]
    if os.geteuid() == 0:
        cmd.insert(1, "--allow-run-as-root")
    return cmd


def steady(epoch_end, epochs, warmup, samples):
    return (epochs - warmup) * samples / (epoch_end[epochs - 1] - epoch_end[warmup - 1])


TUNABLES = "glibc.malloc.mmap_threshold=268435456:glibc.malloc.trim_threshold=1073741824"


def run_galien(args, model, ranks, threads, epochs, warmup, shard_dir, tag, tuned=False,
               unfused=False):
    config = MODELS[model][0]
    env = env_for(threads)
    launcher = mpirun(ranks)
    if tuned:
        env["GLIBC_TUNABLES"] = TUNABLES
        launcher += ["-x", "GLIBC_TUNABLES"]
    run_dir = os.path.join(args.work, "runs", tag)
    subprocess.run(["rm", "-rf", run_dir], check=True)
    cmd = launcher + [args.galien, "train", config, "trainer.epochs=%d" % epochs,
                           "trainer.threads=%d" % threads, "trainer.run_dir=" + run_dir,
                           "data.shard_dir=" + shard_dir, "privacy.key_file=" + args.key]
    if unfused:
        cmd.append("optim.fused=false")
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        lines = [l for l in (p.stderr + p.stdout).splitlines() if "error" in l.lower()]
        reason = (lines[0] if lines else (p.stderr.strip().splitlines() or ["?"])[-1])[:300]
        return {"status": "failed", "reason": reason, "command": " ".join(cmd)}
    # One record per epoch; the last record of a completed run, marked "final", holds the final
    # model's test/train metrics (docs/training.md) and no timing.
    records = [r for r in (json.loads(l) for l in open(os.path.join(run_dir, "metrics.jsonl")))
               if not r.get("final")]
    summary = json.load(open(os.path.join(run_dir, "summary.json")))
    manifest = json.load(open(os.path.join(shard_dir, "manifest.json")))
    samples = manifest["splits"]["train"]["num_samples"]
    epoch_end = [r["time_s"] for r in records]
    return {"status": "ok", "threads": threads, "train_samples": samples,
            "steps_per_epoch": summary["steps"] // epochs, "epoch_end_s": epoch_end,
            "samples_per_s": steady(epoch_end, epochs, warmup, samples),
            "timings_ms_per_step": summary.get("timings_ms_per_step"),
            "final_train_loss": records[-1].get("train/loss"),
            "final_val_accuracy": records[-1].get("val/accuracy"),
            "command": ("GLIBC_TUNABLES=%s " % TUNABLES if tuned else "") + " ".join(cmd)}


def run_torch(args, model, ranks, threads, epochs, warmup, shard_dir, backend, port):
    out = os.path.join(args.work, "torch-result.jsonl")
    if os.path.exists(out):
        os.remove(out)
    script = os.path.join(HERE, "train_torch.py")
    common = [script, "--backend", backend, "--shard-dir", shard_dir, "--threads", str(threads),
              "--epochs", str(epochs), "--warmup-epochs", str(warmup), "--out", out]
    common += MODELS[model][1]
    if backend == "ddp":
        cmd = ["/usr/bin/python3"] + common + ["--world", str(ranks), "--port", str(port)]
    else:
        cmd = mpirun(ranks) + [args.horovod_python] + common
    p = subprocess.run(cmd, env=env_for(threads), capture_output=True, text=True)
    if p.returncode != 0 or not os.path.exists(out):
        tail = (p.stderr.strip().splitlines() or ["exit %d" % p.returncode])[-1][:300]
        return {"status": "failed", "reason": tail, "command": " ".join(cmd)}
    result = json.loads(open(out).read().splitlines()[-1])
    result.update(status="ok", command=" ".join(cmd))
    for key in ("side", "model", "ranks", "threads", "epochs", "warmup_epochs", "batch"):
        result.pop(key, None)
    return result


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--galien", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--models", default="mlp,resnet")
    p.add_argument("--layouts", default="1x1,1x2,2x1", help="RANKSxTHREADS, comma-separated")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--mlp-shards", required=True)
    p.add_argument("--mlp-epochs", type=int, default=300)
    p.add_argument("--mlp-warmup", type=int, default=20)
    p.add_argument("--resnet-shards", required=True)
    p.add_argument("--resnet-epochs", type=int, default=3)
    p.add_argument("--resnet-warmup", type=int, default=1)
    p.add_argument("--horovod-python", default="", help="venv python with horovod.torch")
    p.add_argument("--tuned", action="store_true", help="also galien with glibc malloc tuned")
    p.add_argument("--unfused", action="store_true",
                   help="also galien with optim.fused=false (LibTorch's optimiser)")
    args = p.parse_args()
    sides = ["galien", "ddp"] + (["horovod"] if args.horovod_python else [])
    if args.tuned:
        sides.insert(1, "galien-tuned")
    if args.unfused:
        sides.insert(1, "galien-unfused")
    failed = {}
    port = 29600
    for model in args.models.split(","):
        epochs = getattr(args, model + "_epochs")
        warmup = getattr(args, model + "_warmup")
        shard_dir = getattr(args, model + "_shards")
        for layout in args.layouts.split(","):
            ranks, threads = (int(x) for x in layout.split("x"))
            for repeat in range(args.repeats):
                order = sides if repeat % 2 == 0 else list(reversed(sides))
                for side in order:
                    base = {"side": side, "model": model, "ranks": ranks, "threads": threads,
                            "layout": layout, "repeat": repeat,
                            "epochs": epochs, "warmup_epochs": warmup,
                            "batch": int(MODELS[model][1][-1])}
                    if (side, model) in failed:
                        result = {"status": "skipped", "reason": failed[(side, model)]}
                    else:
                        load_before, t0 = load1(), time.time()
                        port += 1
                        if side.startswith("galien"):
                            result = run_galien(args, model, ranks, threads, epochs, warmup,
                                                shard_dir, "%s-%s-%s-%d" % (side, model, layout,
                                                                            repeat),
                                                tuned=side == "galien-tuned",
                                                unfused=side == "galien-unfused")
                        else:
                            result = run_torch(args, model, ranks, threads, epochs, warmup,
                                               shard_dir, side, port)
                        result.update(load1_before=load_before, load1_after=load1(),
                                      wall_s=time.time() - t0)
                        if result["status"] == "failed":
                            failed[(side, model)] = result["reason"]
                    record = dict(base, **result)
                    with open(args.out, "a") as f:
                        f.write(json.dumps(record) + "\n")
                    shown = ("%.1f samples/s" % record["samples_per_s"]
                             if record["status"] == "ok" else record["status"] + ": " +
                             record.get("reason", ""))
                    print("[train] %-7s %-6s %s repeat %d: %s" %
                          (side, model, layout, repeat, shown), flush=True)


if __name__ == "__main__":
    sys.exit(main())
