#!/usr/bin/python3
"""torch.distributed (gloo, CPU) allreduce of the same bytes as bench_gradient_sync, for the
gradient sync table (docs/BENCHMARKS.md): what PyTorch DDP's communication costs per call on
this machine. Two ranks, spawned with a tcp:// rendezvous, each bound to one core (as mpirun
--bind-to core); fp32 tensors 1 KB .. --max-mb, --min-loop-mb moved per timed sample at least, median
over --repeats of the slower rank's time per call. One JSON object per size (rank 0).
"""
import argparse
import json
import math
import os
import statistics
import time

import torch
import torch.distributed as dist


def worker(rank, args):
    os.sched_setaffinity(0, {rank % os.cpu_count()})
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method="tcp://127.0.0.1:%d" % args.port, rank=rank,
                            world_size=args.world)
    size = 1024
    while size <= args.max_mb * 1024 * 1024:
        t = torch.ones(size // 4)
        loop = max(1, math.ceil(args.min_loop_mb * 1024 * 1024 / size))
        dist.all_reduce(t)  # warm-up
        times = []
        for _ in range(args.repeats):
            dist.barrier()
            start = time.perf_counter()
            for _ in range(loop):
                dist.all_reduce(t)
            elapsed = torch.tensor([(time.perf_counter() - start) / loop], dtype=torch.float64)
            dist.all_reduce(elapsed, op=dist.ReduceOp.MAX)
            times.append(float(elapsed))
        seconds = statistics.median(times)
        bus = 2 * (args.world - 1) / args.world * size
        if rank == 0:
            print(json.dumps({"bytes": size, "ranks": args.world, "repeats": args.repeats,
                              "loop": loop, "gloo_s": seconds, "gloo_bus_GBps": bus / seconds / 1e9}),
                  flush=True)
        size *= 4
    dist.destroy_process_group()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=9)
    p.add_argument("--max-mb", type=float, default=256)
    p.add_argument("--min-loop-mb", type=float, default=1, help="bytes per timed sample, at least")
    p.add_argument("--world", type=int, default=2)
    p.add_argument("--port", type=int, default=29544)
    args = p.parse_args()
    torch.multiprocessing.spawn(worker, args=(args,), nprocs=args.world)


if __name__ == "__main__":
    main()
