#!/usr/bin/python3
"""Colin27 brain extraction as a segmentation dataset (MSD layout) from Debian's mricron-data.

The Colin27 single-subject T1 (ch2.nii.gz, 181 x 217 x 181, 1 mm, RAS) and its skull-stripped
version (ch2bet.nii.gz) ship in /usr/share/mricron/templates. The brain mask is ch2bet > 0. One
head is not a dataset of patients: this script cuts it into axial slabs (each a "case" with its
own affine, so it lines up with the original), optionally downsampled by a stride. Training on
some slabs and testing on others measures whether galien's pipeline learns a real anatomical
boundary from real MR intensities; it is NOT a published benchmark and the slabs of one head are
not independent patients (docs/REPRODUCTIONS.md says so).

usage: prepare_slabs.py OUT [--stride 2] [--slabs 22] [--source /usr/share/mricron/templates]
writes OUT/imagesTr/slab_NN.nii.gz (float32 T1) and OUT/labelsTr/slab_NN.nii.gz (uint8 0/1).
"""
import argparse
import os
import sys

import nibabel as nib
import numpy as np


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--stride", type=int, default=2, help="keep every N-th voxel per axis")
    parser.add_argument("--slabs", type=int, default=22, help="axial slabs (cases)")
    parser.add_argument("--source", default="/usr/share/mricron/templates")
    args = parser.parse_args()
    t1_path = os.path.join(args.source, "ch2.nii.gz")
    bet_path = os.path.join(args.source, "ch2bet.nii.gz")
    for path in (t1_path, bet_path):
        if not os.path.exists(path):
            sys.exit("%s is missing: install Debian's mricron-data (scripts/install-deps.sh)" % path)
    t1, bet = nib.load(t1_path), nib.load(bet_path)
    s = args.stride
    image = np.asarray(t1.dataobj, dtype=np.float32)[::s, ::s, ::s]
    mask = (np.asarray(bet.dataobj) > 0).astype(np.uint8)[::s, ::s, ::s]
    affine = t1.affine.copy()
    affine[:3, :3] = affine[:3, :3] * s  # voxel size times the stride
    depth = image.shape[2]
    bounds = np.linspace(0, depth, args.slabs + 1).round().astype(int)
    for folder in ("imagesTr", "labelsTr"):
        os.makedirs(os.path.join(args.out, folder), exist_ok=True)
    for k in range(args.slabs):
        z0, z1 = bounds[k], bounds[k + 1]
        slab_affine = affine.copy()
        slab_affine[:3, 3] = affine[:3, :3] @ np.array([0, 0, z0]) + affine[:3, 3]
        name = "slab_%02d.nii.gz" % k
        nib.save(nib.Nifti1Image(image[:, :, z0:z1], slab_affine),
                 os.path.join(args.out, "imagesTr", name))
        nib.save(nib.Nifti1Image(mask[:, :, z0:z1], slab_affine),
                 os.path.join(args.out, "labelsTr", name))
    print("%d slabs of %s voxels (%.0f mm) -> %s" % (args.slabs, image.shape[:2] + (depth // args.slabs,),
                                                     s, args.out))


if __name__ == "__main__":
    main()
