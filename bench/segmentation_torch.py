#!/usr/bin/python3
"""The PyTorch side of the segmentation benchmark (docs/BENCHMARKS.md, "Segmentation"): the
same U-Net step as bench/bench_segmentation_step.cpp, in a plain PyTorch loop.

Model: bench/unet_torch.py, the twin of galien's unet3d (same layers, same parameter count);
loss: Dice + cross entropy as MONAI's DiceCELoss(softmax=True, include_background=True);
optimiser: Adam (lr 1e-3). Ranks: torch.distributed gloo + DistributedDataParallel (default
25 MB buckets) started with torch.multiprocessing.spawn and a tcp:// rendezvous, each rank bound
to one core (as mpirun --bind-to core); one rank runs the model without DDP, as
bench/train_torch.py does. Patches: synthetic, in memory, drawn exactly as the galien side draws
them (same seeds, same LibTorch generator): a ball of class 1 in Gaussian noise; a pool of
--pool patches per rank reused in turn. No shard is read on either side.

Prints one JSON line (rank 0) and appends it to --out: per-step wall times after --warmup
steps, the median, and every rank's peak resident memory (resource.getrusage ru_maxrss).
"""
import argparse
import json
import os
import resource
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import unet_torch  # noqa: E402


def synthetic_patches(count, size, seed):
    """As synthetic_patches in bench/bench_segmentation_step.cpp, op for op."""
    torch.manual_seed(seed)
    d = torch.arange(size[0]).view(-1, 1, 1).float()
    h = torch.arange(size[1]).view(1, -1, 1).float()
    w = torch.arange(size[2]).view(1, 1, -1).float()
    side = float(min(size))
    labels = []
    for _ in range(count):
        u = torch.rand(4)
        cd = size[0] * (0.25 + 0.5 * u[0].item())
        ch = size[1] * (0.25 + 0.5 * u[1].item())
        cw = size[2] * (0.25 + 0.5 * u[2].item())
        r = side * (0.25 + 0.125 * u[3].item())
        labels.append(((d - cd).square() + (h - ch).square() + (w - cw).square() <= r * r).long())
    label = torch.stack(labels)
    image = (label.float() + 0.5 * torch.randn(label.shape)).unsqueeze(1).contiguous()
    return image, label


def load_average():
    return open("/proc/loadavg").read().split()[0]


def rss_now_mib():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return float(line.split()[1]) / 1024
    return -1.0


def run(args, rank, world):
    import torch.distributed as dist
    torch.set_num_threads(args.threads)
    local = args.batch // world
    torch.manual_seed(args.seed)
    model = unet_torch.UNet(3, 1, args.classes, args.levels or 4, args.base_channels or 32)
    parameters = sum(p.numel() for p in model.parameters())
    model.train()
    if world > 1:
        model = torch.nn.parallel.DistributedDataParallel(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    images, labels = synthetic_patches(args.pool * local, args.patch, args.seed * 1000 + rank)
    rss_setup = rss_now_mib()
    step_s, loss = [], None
    faults0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for s in range(args.warmup + args.steps):
        t0 = time.perf_counter()
        first = (s * local) % (args.pool * local)
        x, y = images[first:first + local], labels[first:first + local]
        optimizer.zero_grad()
        loss = unet_torch.dice_ce_loss(model(x), y)
        loss.backward()
        optimizer.step()
        value = loss.item()
        if s + 1 == args.warmup:
            faults0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        if s >= args.warmup:
            step_s.append(time.perf_counter() - t0)
    # The global mean loss of the last step, and every rank's memory, on every rank.
    stats = torch.zeros(3 * world + 1, dtype=torch.float64)
    stats[0] = value / world
    stats[1 + rank] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB
    stats[1 + world + rank] = rss_setup
    ordered = sorted(step_s)
    stats[1 + 2 * world + rank] = ordered[len(ordered) // 2]
    dist.all_reduce(stats)
    if rank == 0:
        median = ordered[len(ordered) // 2]
        result = {"side": "pytorch", "model": "unet3d twin (bench/unet_torch.py)",
                  "ranks": world, "threads": args.threads, "patch": args.patch,
                  "batch": args.batch, "classes": args.classes, "parameters": parameters,
                  "gradient_sync": "DDP gloo, 25 MB buckets" if world > 1 else "none (1 rank)",
                  "warmup": args.warmup, "step_s": step_s, "median_step_s": median,
                  "slowest_rank_median_step_s": float(stats[1 + 2 * world:].max()),
                  "samples_per_s": args.batch / median, "final_loss": float(stats[0]),
                  "rank0_image_sum": float(images.sum()),
                  "rank0_minor_page_faults_per_step":
                      (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults0) / max(1, args.steps),
                  "rank0_foreground_voxels": int(labels.sum()),
                  "peak_rss_mib_per_rank": [float(v) for v in stats[1:1 + world]],
                  "rss_after_setup_mib_per_rank": [float(v) for v in stats[1 + world:1 + 2 * world]],
                  "load_average": load_average(), "torch": torch.__version__}
        print(json.dumps(result), flush=True)
        if args.out:
            with open(args.out, "a") as f:
                f.write(json.dumps(result) + "\n")


def worker(rank, args):
    import torch.distributed as dist
    if args.world > 1:
        os.sched_setaffinity(0, {rank % os.cpu_count()})  # as mpirun --bind-to core
    dist.init_process_group("gloo", init_method="tcp://127.0.0.1:%d" % args.port, rank=rank,
                            world_size=args.world)
    run(args, rank, args.world)
    dist.destroy_process_group()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--world", type=int, default=1, help="ranks")
    p.add_argument("--threads", type=int, default=1, help="intra-op threads per rank")
    p.add_argument("--patch", type=lambda t: [int(v) for v in t.split(",")], default=[64, 64, 64])
    p.add_argument("--batch", type=int, default=2, help="global batch")
    p.add_argument("--classes", type=int, default=2)
    p.add_argument("--levels", type=int, default=0, help="0 = 4")
    p.add_argument("--base-channels", type=int, default=0, help="0 = 32")
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--pool", type=int, default=4)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--port", type=int, default=29633)
    p.add_argument("--out", default="")
    args = p.parse_args()
    if os.environ.get("OPENBLAS_NUM_THREADS") != str(args.threads):
        sys.exit("set OPENBLAS_NUM_THREADS=%d before starting: torch's thread setting does not "
                 "reach OpenBLAS" % args.threads)
    if len(args.patch) != 3 or args.batch % args.world:
        sys.exit("--patch needs D,H,W and --batch must split evenly over --world")
    if args.world == 1:
        worker(0, args)
    else:
        torch.multiprocessing.spawn(worker, args=(args,), nprocs=args.world)


if __name__ == "__main__":
    main()
