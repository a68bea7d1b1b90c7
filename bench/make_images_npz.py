#!/usr/bin/python3
"""A synthetic labelled image set in MedMNIST's .npz layout (train_images, train_labels, val_*,
test_*; uint8 N x H x W, labels N x 1), for `galien shard` with data.images.format: medmnist.

Each class is a smooth pattern (a Gaussian blob at a class-dependent place, with a random
offset, radius and contrast) plus mild noise, inside a round field of view with a black
surround as in CT or MR slices, so the set is learnable and gzip compresses it about as much as
real grey-level scans (~1.5x at level 1), not like noise (1x) or a flat image (100x).

Usage: make_images_npz.py OUT.npz --train N --val N --test N [--size 64] [--classes 4] [--seed 0]
"""
import argparse

import numpy as np


def images(rng, n, size, classes):
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    field_of_view = (xx - 0.5) ** 2 + (yy - 0.5) ** 2 < 0.45 ** 2
    labels = np.arange(n) % classes
    rng.shuffle(labels)
    out = np.empty((n, size, size), dtype=np.uint8)
    for i, label in enumerate(labels):
        angle = 2 * np.pi * label / classes
        cx = 0.5 + 0.25 * np.cos(angle) + rng.normal(0, 0.05)
        cy = 0.5 + 0.25 * np.sin(angle) + rng.normal(0, 0.05)
        radius = rng.uniform(0.08, 0.16)
        blob = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * radius ** 2))
        background = 0.3 + 0.1 * np.sin(2 * np.pi * (xx * rng.uniform(0.5, 2) + yy))
        image = background + rng.uniform(0.4, 0.7) * blob + rng.normal(0, 0.02, blob.shape)
        out[i] = np.clip(255 * image * field_of_view, 0, 255).astype(np.uint8)
    return out, labels.reshape(n, 1).astype(np.uint8)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--train", type=int, required=True)
    parser.add_argument("--val", type=int, default=0)
    parser.add_argument("--test", type=int, default=0)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--classes", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    arrays = {}
    for split in ("train", "val", "test"):
        n = getattr(args, split)
        if n > 0:
            arrays[split + "_images"], arrays[split + "_labels"] = images(rng, n, args.size,
                                                                          args.classes)
    np.savez(args.out, **arrays)  # stored, not deflated: galien reads both


if __name__ == "__main__":
    main()
