#!/usr/bin/python3
"""PyTorch twin of galien's unet2d / unet3d (models/unet.h) for the segmentation benchmark, and
the Dice + cross-entropy loss as MONAI's DiceCELoss(softmax=True, to_onehot_y=True,
include_background=True) computes it (MONAI is not packaged for Debian; the formula is written
out below and matches galien's dice_ce_loss, models/losses.h).

The architecture is nnU-Net's PlainConvUNet without deep supervision, layer for layer as galien
builds it: per level two (conv 3x3(x3), no bias -> instance norm (affine) -> LeakyReLU(0.01)),
the first conv of every level below the top with stride 2, widths base x 2^level capped at 320
(3D) / 512 (2D), transposed conv (kernel = stride = 2, bias) up, concatenation [upsampled, skip],
1x1(x1) head with bias; He-normal (a = 0.01, fan-in) weights, zero biases.

  unet_torch.py count 3,1,2,4,32 [2,1,2,7,32 ...]    (DIMS,CHANNELS,CLASSES,LEVELS,BASE)
prints the parameter count of each network (tests/unit/test_unet.cpp compares it with galien's).
"""
import argparse
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

MAX_WIDTH = {2: 512, 3: 320}


def widths(dims, levels, base):
    return [min(base << level, MAX_WIDTH[dims]) for level in range(levels)]


def conv_stage(dims, cin, cout, stride, dropout):
    conv = nn.Conv3d if dims == 3 else nn.Conv2d
    norm = nn.InstanceNorm3d if dims == 3 else nn.InstanceNorm2d
    drop = nn.Dropout3d if dims == 3 else nn.Dropout2d
    layers = []
    for k in range(2):
        layers.append(conv(cin if k == 0 else cout, cout, 3, stride if k == 0 else 1, 1,
                           bias=False))
        if dropout > 0:
            layers.append(drop(dropout))
        layers += [norm(cout, eps=1e-5, affine=True), nn.LeakyReLU(0.01, inplace=True)]
    return nn.Sequential(*layers)


class UNet(nn.Module):
    def __init__(self, dims, in_channels, classes, levels=4, base=32, dropout=0.0):
        super().__init__()
        assert dims in (2, 3) and levels >= 2
        self.widths = widths(dims, levels, base)
        self.encoder = nn.ModuleList()
        cin = in_channels
        for level, w in enumerate(self.widths):
            self.encoder.append(conv_stage(dims, cin, w, 1 if level == 0 else 2, dropout))
            cin = w
        up = nn.ConvTranspose3d if dims == 3 else nn.ConvTranspose2d
        self.up, self.decoder = nn.ModuleList(), nn.ModuleList()
        for level in range(levels - 2, -1, -1):
            below, w = self.widths[level + 1], self.widths[level]
            self.up.append(up(below, w, 2, 2, bias=True))
            self.decoder.append(conv_stage(dims, 2 * w, w, 1, dropout))
        self.head = (nn.Conv3d if dims == 3 else nn.Conv2d)(self.widths[0], classes, 1, 1, 0,
                                                             bias=True)
        for m in self.modules():  # nnU-Net's InitWeights_He(1e-2)
            if isinstance(m, (nn.Conv2d, nn.Conv3d, nn.ConvTranspose2d, nn.ConvTranspose3d)):
                nn.init.kaiming_normal_(m.weight, a=0.01)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x):
        skips = []
        for level, stage in enumerate(self.encoder):
            x = stage(x)
            if level + 1 < len(self.encoder):
                skips.append(x)
        for up, stage, skip in zip(self.up, self.decoder, reversed(skips)):
            x = stage(torch.cat((up(x), skip), 1))
        return self.head(x)


def dice_ce_loss(logits, labels, smooth=1e-5):
    """MONAI DiceCELoss(softmax=True, to_onehot_y=True, include_background=True, batch=False,
    smooth_nr=smooth_dr=1e-5, lambda_dice=lambda_ce=1): mean over samples and classes of
    1 - (2 |P G| + s) / (|P| + |G| + s), plus the cross entropy averaged over every voxel."""
    classes = logits.shape[1]
    probs = torch.softmax(logits, 1)
    truth = F.one_hot(labels, classes).movedim(-1, 1).to(probs.dtype)
    axes = tuple(range(2, logits.dim()))
    overlap = (probs * truth).sum(axes)
    total = probs.sum(axes) + truth.sum(axes)
    dice = 1 - (2 * overlap + smooth) / (total + smooth)
    return dice.mean() + F.cross_entropy(logits, labels)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("what", choices=["count"])
    p.add_argument("cases", nargs="+", metavar="DIMS,CHANNELS,CLASSES,LEVELS,BASE",
                   help="one network per argument; one parameter count per line")
    args = p.parse_args()
    for case in args.cases:
        dims, channels, classes, levels, base = (int(v) for v in case.split(","))
        model = UNet(dims, channels, classes, levels, base)
        print(sum(t.numel() for t in model.parameters()))


if __name__ == "__main__":
    sys.exit(main())
