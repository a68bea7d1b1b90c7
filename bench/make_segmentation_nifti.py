#!/usr/bin/python3
"""Synthetic CT-like segmentation cases in the Medical Segmentation Decathlon layout
(OUT/imagesTr/case_NNN.nii.gz + OUT/labelsTr/case_NNN.nii.gz), of different sizes, stored as a
DICOM-derived volume usually is (LPS axes, anisotropic spacing 0.8 x 0.8 x 2.5 mm), for
`galien shard` with data.task: segmentation (docs/imaging.md, "Segmentation datasets").

Each case: air (-1000 HU) around a body ellipse (soft tissue ~40 HU with noise of 20 HU), a liver
ellipsoid (~60 HU, label 1) and a tumour sphere inside it (~20 HU, label 2). The noise makes the
image compress like a real scan rather than like a flat phantom.

Usage: make_segmentation_nifti.py OUT [--cases 12] [--seed 0]
       [--min-size 24 64 64] [--max-size 48 112 112]   (slices, rows, columns)
"""
import argparse
import os

import numpy as np


def case(rng, size):
    d, h, w = size
    z, y, x = np.meshgrid(np.linspace(-1, 1, d), np.linspace(-1, 1, h), np.linspace(-1, 1, w),
                          indexing="ij")
    image = np.full(size, -1000.0, dtype=np.float32)
    body = (x / 0.9) ** 2 + (y / 0.75) ** 2 < 1
    image[body] = rng.normal(40, 20, body.sum())
    cx, cy, cz = rng.uniform(-0.3, 0.3, 3)
    liver = ((x - cx) / 0.45) ** 2 + ((y - cy) / 0.35) ** 2 + ((z - cz) / 0.6) ** 2 < 1
    image[liver] = rng.normal(60, 20, liver.sum())
    tumour = (x - cx - 0.1) ** 2 + (y - cy) ** 2 + ((z - cz) * 0.5) ** 2 < 0.12 ** 2
    image[tumour] = rng.normal(20, 20, tumour.sum())
    mask = np.zeros(size, dtype=np.uint8)
    mask[liver] = 1
    mask[tumour] = 2
    return image.astype(np.int16), mask


def main():
    import nibabel as nib
    from nibabel.orientations import axcodes2ornt, ornt_transform

    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--cases", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--min-size", type=int, nargs=3, default=[24, 64, 64])
    parser.add_argument("--max-size", type=int, nargs=3, default=[48, 112, 112])
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    for folder in ("imagesTr", "labelsTr"):
        os.makedirs(os.path.join(args.out, folder), exist_ok=True)
    affine = np.diag([0.8, 0.8, 2.5, 1.0])  # RAS: x (columns), y (rows), z (slices)
    to_lps = ornt_transform(axcodes2ornt(("R", "A", "S")), axcodes2ornt(("L", "P", "S")))
    total = 0
    for c in range(args.cases):
        size = tuple(int(rng.integers(lo, hi + 1)) for lo, hi in zip(args.min_size, args.max_size))
        image, mask = case(rng, size)
        total += image.size
        name = "case_%03d.nii.gz" % c
        for folder, data in (("imagesTr", image), ("labelsTr", mask)):
            ras = nib.Nifti1Image(np.ascontiguousarray(data.transpose(2, 1, 0)), affine)  # x, y, z
            stored = ras.as_reoriented(to_lps)
            nib.save(nib.Nifti1Image(np.asarray(stored.dataobj), stored.affine),
                     os.path.join(args.out, folder, name))
    print("%d cases, %d voxels in all" % (args.cases, total))


if __name__ == "__main__":
    main()
