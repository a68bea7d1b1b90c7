#!/usr/bin/python3
"""The PyTorch side of the training comparison (docs/BENCHMARKS.md, "Training throughput").

Trains the model galien trains, on the same galien shards, and times it the way
bench/run_all.sh times `galien train`: the wall time at the end of every epoch, samples/s over
the epochs after the warm-up ones. Two backends:

  ddp      torch.distributed (gloo, CPU) + DistributedDataParallel; ranks started with
           torch.multiprocessing.spawn and a tcp:// rendezvous (torchrun 1.13 crashes on
           Python 3.11 unless given log redirects; see shared/notes/peer-baseline.md)
  horovod  horovod.torch over MPI; ranks started by mpirun

Data: h5py reads the rank's shards (shard s belongs to rank s mod world, as in galien), and a
torch DataLoader batches them: tables are read whole (what galien does), images one sample per
__getitem__ from the HDF5 file (one chunk per sample, as written by galien shard). The DataLoader
gets one list of indices per batch (sampler=BatchSampler, batch_size=None), the fast idiom:
default per-sample collation costs more than an MLP step.

Model, loss, optimiser: the same as galien's (models/mlp.cpp, models/resnet_trunk.cpp; cross
entropy; Adam with the same learning rate and weight decay); global batch split evenly over the
ranks. Prints one JSON line (rank 0) and appends it to --out.
"""
import argparse
import json
import os
import sys
import time

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


# ------------------------------------------------------------------ models (as galien's)
def mlp(num_features, hidden, num_classes):
    layers, width = [], num_features
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    layers.append(nn.Linear(width, num_classes))
    return nn.Sequential(*layers)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, 0, bias=False),
                                            nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (x if self.downsample is None else self.downsample(x)))


class ResNet2d(nn.Module):
    """galien's resnet2d (depth 18, small_input: 3x3 stride-1 stem, no max-pool)."""

    def __init__(self, in_channels, base, num_classes, blocks=(2, 2, 2, 2)):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_channels, base, 3, 1, 1, bias=False),
                                  nn.BatchNorm2d(base), nn.ReLU())
        stages, cin = [], base
        for s, n in enumerate(blocks):
            cout = base << s
            stages.append(nn.Sequential(*[BasicBlock(cin if b == 0 else cout, cout,
                                                     2 if s > 0 and b == 0 else 1)
                                          for b in range(n)]))
            cin = cout
        self.stages = nn.Sequential(*stages)
        self.fc = nn.Linear(cin, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        return self.fc(self.stages(self.stem(x)).flatten(2).mean(2))


# ------------------------------------------------------------------ data (h5py + DataLoader)
class TableShards(torch.utils.data.Dataset):
    def __init__(self, paths):
        feats, labels = [], []
        for p in paths:
            with h5py.File(p, "r") as f:
                feats.append(f["features"][()])
                labels.append(f["label"][()])
        self.x = torch.from_numpy(np.concatenate(feats)).float()
        self.y = torch.from_numpy(np.concatenate(labels)).long()

    def __len__(self):
        return len(self.y)

    def __getitem__(self, indices):
        return self.x[indices], self.y[indices]


class ImageShards(torch.utils.data.Dataset):
    """One h5py read per sample (its own chunk), uint8 -> float / 255."""

    def __init__(self, paths):
        self.paths, self.index, labels = paths, [], []
        for s, p in enumerate(paths):
            with h5py.File(p, "r") as f:
                n = f["label"].shape[0]
                labels.append(f["label"][()])
                self.shape = f["image"].shape[1:]
            self.index += [(s, i) for i in range(n)]
        self.y = torch.from_numpy(np.concatenate(labels)).long()
        self.files = None  # opened lazily, in the process that reads (DataLoader workers)

    def __len__(self):
        return len(self.index)

    def __getitem__(self, indices):
        if self.files is None:
            self.files = [h5py.File(p, "r")["image"] for p in self.paths]
        out = np.empty((len(indices),) + tuple(self.shape), dtype=np.uint8)
        for k, i in enumerate(indices):
            s, j = self.index[i]
            out[k] = self.files[s][j]
        return torch.from_numpy(out).float().div_(255), self.y[indices]


def rank_shards(shard_dir, world, rank, split="train"):
    manifest = json.load(open(os.path.join(shard_dir, "manifest.json")))
    shards = manifest["splits"].get(split, {}).get("shards", [])
    mine = [os.path.join(shard_dir, e["file"]) for s, e in enumerate(shards) if s % world == rank]
    total = manifest["splits"].get(split, {}).get("num_samples", 0)
    info = {"num_features": len(manifest.get("features", [])), "classes": len(manifest["classes"]),
            "images": manifest.get("images")}
    return mine, total, info


def validate(model, val, allreduce):
    """Loss and accuracy on the val split after every epoch, as galien train does: each rank
    its own val shards, sums over ranks."""
    sums = torch.zeros(3, dtype=torch.float64)
    if val is not None and len(val) > 0:
        model.eval()
        with torch.no_grad():
            x, y = val[list(range(len(val)))]
            logits = model(x)
            sums += torch.tensor([F.cross_entropy(logits, y, reduction="sum").item(),
                                  (logits.argmax(1) == y).sum().item(), len(y)],
                                 dtype=torch.float64)
        model.train()
    allreduce(sums)
    return sums


# ------------------------------------------------------------------ training
def run(args, rank, world, backend):
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    paths, total_samples, info = rank_shards(args.shard_dir, world, rank)
    make = ImageShards if args.model == "resnet" else TableShards
    dataset = make(paths)
    val_paths = rank_shards(args.shard_dir, world, rank, "val")[0]
    val = make(val_paths) if val_paths else None
    if args.model == "resnet":
        model = ResNet2d(dataset.shape[0], args.base_channels, info["classes"])
    else:
        model = mlp(dataset.x.shape[1], args.hidden, info["classes"])
    per_rank = args.batch // world
    sampler = torch.utils.data.BatchSampler(torch.utils.data.RandomSampler(dataset), per_rank,
                                            drop_last=False)
    loader = torch.utils.data.DataLoader(dataset, sampler=sampler, batch_size=None,
                                         num_workers=args.workers,
                                         persistent_workers=args.workers > 0)
    # Every rank takes the same number of steps (galien pads the smaller shares the same way).
    steps = torch.tensor([len(sampler)])
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    if backend == "ddp":
        import torch.distributed as dist
        dist.all_reduce(steps, op=dist.ReduceOp.MAX)
        if world > 1:
            # DDP's defaults: buffers (BatchNorm statistics) broadcast from rank 0 before every
            # forward, as galien does (trainers/distributed/buffer_sync.h); 25 MB buckets.
            model = nn.parallel.DistributedDataParallel(model)
        allreduce = lambda t: dist.all_reduce(t)
        sync_buffers = lambda: None
    else:
        import horovod.torch as hvd
        steps = hvd.allreduce(steps, op=hvd.Max)
        hvd.broadcast_parameters(model.state_dict(), root_rank=0)
        optimizer = hvd.DistributedOptimizer(optimizer, named_parameters=model.named_parameters())
        hvd.broadcast_optimizer_state(optimizer, root_rank=0)
        allreduce = lambda t: t.copy_(hvd.allreduce(t, op=hvd.Sum))
        buffers = [b for b in model.buffers()]

        def sync_buffers():
            # Horovod leaves buffers alone; galien and DDP broadcast them from rank 0 before
            # every step, so do the same here: packed in one tensor, one broadcast.
            if world > 1 and buffers:
                flat = torch.cat([b.detach().reshape(-1).double() for b in buffers])
                flat = hvd.broadcast(flat, root_rank=0, name="buffers")
                offset = 0
                for b in buffers:
                    b.copy_(flat[offset:offset + b.numel()].view_as(b))
                    offset += b.numel()
    steps = int(steps)
    model.train()
    epoch_end, start = [], time.perf_counter()
    for epoch in range(args.epochs):
        sampler.sampler.generator = torch.Generator().manual_seed(args.seed * 1000 + epoch)
        it, loss_sum = iter(loader), torch.zeros(2, dtype=torch.float64)
        for step in range(steps):
            try:
                x, y = next(it)
            except StopIteration:  # a smaller share: start its next pass (padding)
                it = iter(loader)
                x, y = next(it)
            optimizer.zero_grad()
            sync_buffers()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            loss_sum += torch.tensor([loss.item() * len(y), len(y)], dtype=torch.float64)
        allreduce(loss_sum)  # the epoch's train loss over every rank, as galien logs it
        val_sums = validate(model, val, allreduce)
        epoch_end.append(time.perf_counter() - start)
    if rank == 0:
        w = args.warmup_epochs
        steady = (args.epochs - w) * total_samples / (epoch_end[-1] - epoch_end[w - 1])
        result = {"side": backend, "model": args.model, "ranks": world, "threads": args.threads,
                  "batch": args.batch, "epochs": args.epochs, "warmup_epochs": w,
                  "train_samples": total_samples, "steps_per_epoch": steps,
                  "epoch_end_s": epoch_end, "samples_per_s": steady,
                  "final_train_loss": float(loss_sum[0] / loss_sum[1]),
                  "final_val_accuracy": float(val_sums[1] / max(1, val_sums[2]))}
        print(json.dumps(result), flush=True)
        if args.out:
            with open(args.out, "a") as f:
                f.write(json.dumps(result) + "\n")


def ddp_worker(rank, args):
    import torch.distributed as dist
    if args.world > 1:
        os.sched_setaffinity(0, {rank % os.cpu_count()})  # as mpirun --bind-to core
    dist.init_process_group("gloo", init_method="tcp://127.0.0.1:%d" % args.port, rank=rank,
                            world_size=args.world)
    run(args, rank, args.world, "ddp")
    dist.destroy_process_group()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backend", choices=["ddp", "horovod"], default="ddp")
    p.add_argument("--model", choices=["mlp", "resnet"], required=True)
    p.add_argument("--shard-dir", required=True)
    p.add_argument("--world", type=int, default=1, help="ranks (ddp; horovod: from mpirun)")
    p.add_argument("--threads", type=int, default=1, help="intra-op threads per rank")
    p.add_argument("--batch", type=int, default=64, help="global batch")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--warmup-epochs", type=int, default=1)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--weight-decay", type=float, default=1e-4)
    p.add_argument("--hidden", type=int, nargs="*", default=[256, 256])
    p.add_argument("--base-channels", type=int, default=16)
    p.add_argument("--workers", type=int, default=0, help="DataLoader worker processes")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--port", type=int, default=29533)
    p.add_argument("--out", default="")
    args = p.parse_args()
    if os.environ.get("OPENBLAS_NUM_THREADS") != str(args.threads):
        sys.exit("set OPENBLAS_NUM_THREADS=%d before starting: torch's thread setting does not "
                 "reach OpenBLAS" % args.threads)
    assert 0 < args.warmup_epochs < args.epochs
    if args.backend == "horovod":
        import horovod.torch as hvd
        hvd.init()
        if hvd.size() > 1:
            os.sched_setaffinity(0, {hvd.rank() % os.cpu_count()})
        run(args, hvd.rank(), hvd.size(), "horovod")
    elif args.world == 1:
        ddp_worker(0, args)
    else:
        torch.multiprocessing.spawn(ddp_worker, args=(args,), nprocs=args.world)


if __name__ == "__main__":
    main()
