#!/usr/bin/env python3
"""PyTorch eager peer of `bench_step_time --device cuda` (bench/gpu_check.sh).

The same step as galien's bench, on the same synthetic batch shape: torchvision's resnet50
(v1.5, the layout of galien's resnet2d depth 50), Adam(lr=1e-3, PyTorch's defaults otherwise),
loss = mean of the squared logits, forward under bf16 autocast, channels-last weights and
images, cudnn.benchmark on. Times one block of --steps steps after --warmup steps with one
synchronisation at the end, as the C++ bench does, and reports images/s and
torch.cuda.max_memory_allocated (the caching allocator's peak, the figure galien reports).
Prints one JSON object on stdout.

    python3 bench/gpu_resnet_torch.py --batch 128 --steps 30 --warmup 10
"""
import argparse
import json
import os
import sys
import time


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--depth", type=int, default=50, choices=[18, 34, 50, 101])
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--image", type=int, default=224, help="square side, 3 channels")
    ap.add_argument("--classes", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=30, help="timed steps")
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--precision", choices=["fp32", "bf16"], default="bf16")
    ap.add_argument("--channels-last", action="store_true")
    args = ap.parse_args()

    import torch
    import torchvision

    if not torch.cuda.is_available():
        print("gpu_resnet_torch: error: torch.cuda.is_available() is False", file=sys.stderr)
        return 2
    torch.manual_seed(0)
    torch.backends.cudnn.benchmark = True
    device = torch.device("cuda", 0)
    model = getattr(torchvision.models, f"resnet{args.depth}")(num_classes=args.classes)
    model = model.to(device)
    memory_format = torch.channels_last if args.channels_last else torch.contiguous_format
    model = model.to(memory_format=memory_format)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    images = torch.randn(args.batch, 3, args.image, args.image, device=device)
    images = images.contiguous(memory_format=memory_format)
    bf16 = args.precision == "bf16"

    def step():
        optimizer.zero_grad()
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=bf16):
            loss = model(images).float().square().mean()
        loss.backward()
        optimizer.step()

    for _ in range(args.warmup):
        step()
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats(device)
    t0 = time.perf_counter()
    c0 = time.process_time()
    for _ in range(args.steps):
        step()
    torch.cuda.synchronize()
    wall_ms = (time.perf_counter() - t0) * 1e3 / args.steps
    cpu_ms = (time.process_time() - c0) * 1e3 / args.steps
    parameters = sum(p.numel() for p in model.parameters())
    entry = {
        "name": f"resnet{args.depth}-torch-eager",
        "framework": "pytorch-eager",
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version(),
        "gpu": torch.cuda.get_device_name(device),
        "parameters": parameters,
        "batch": args.batch,
        "image": [3, args.image, args.image],
        "classes": args.classes,
        "precision": args.precision,
        "channels_last": args.channels_last,
        "warmup": args.warmup,
        "repeats": args.steps,
        "timing": "block of repeats steps, one sync",
        "wall_ms_per_step": wall_ms,
        "cpu_ms_per_step": cpu_ms,
        "samples_per_s": args.batch / (wall_ms * 1e-3),
        "cuda_peak_allocated_bytes": torch.cuda.max_memory_allocated(device),
        "optimizer": "Adam(lr=1e-3), foreach default",
        "threads": torch.get_num_threads(),
        "load_average": os.getloadavg()[0],
    }
    print(json.dumps(entry))
    return 0


if __name__ == "__main__":
    sys.exit(main())
