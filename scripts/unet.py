"""A U-Net, cnnscope's reference encoder-decoder (used by torchvision_fixtures.py).

Variant: the common *padded* U-Net, not the paper's original.

- Every 3x3 convolution has padding 1 and no bias (a BatchNorm follows), so a
  double conv keeps the spatial size and every skip connection concatenates
  without cropping; the output has the input's height and width (which must be
  divisible by 16).
- double conv = (Conv2d 3x3 pad 1 -> BatchNorm2d -> ReLU) x 2.
- encoder: `inc` (3 -> 64) then `down1`..`down4`, each MaxPool2d(2) followed by
  a double conv: 64 -> 128 -> 256 -> 512 -> 1024.
- decoder: `up1`..`up4`, each ConvTranspose2d(C, C/2, kernel 2, stride 2, with
  bias) doubling the size, torch.cat([skip, upsampled], dim=1) (skip first),
  then a double conv C -> C/2: 1024 -> 512 -> 256 -> 128 -> 64.
- head: `outc`, Conv2d(64, n_classes, 1) with bias (logits, no activation).

The original U-Net (O. Ronneberger, P. Fischer, T. Brox, "U-Net: Convolutional
Networks for Biomedical Image Segmentation", MICCAI 2015, arXiv:1505.04597)
uses *unpadded* 3x3 convolutions without batch norm, crops the encoder feature
maps before concatenation and maps a 572x572 input to a 388x388 output.
"""

import torch
import torch.nn as nn


class DoubleConv(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.block = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
        )

    def forward(self, x):
        return self.block(x)


class Down(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.pool = nn.MaxPool2d(2)
        self.conv = DoubleConv(in_channels, out_channels)

    def forward(self, x):
        return self.conv(self.pool(x))


class Up(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.up = nn.ConvTranspose2d(in_channels, in_channels // 2, kernel_size=2, stride=2)
        self.conv = DoubleConv(in_channels, out_channels)

    def forward(self, x, skip):
        x = self.up(x)
        return self.conv(torch.cat([skip, x], dim=1))


class UNet(nn.Module):
    def __init__(self, in_channels=3, n_classes=2, widths=(64, 128, 256, 512, 1024)):
        super().__init__()
        w0, w1, w2, w3, w4 = widths
        self.inc = DoubleConv(in_channels, w0)
        self.down1 = Down(w0, w1)
        self.down2 = Down(w1, w2)
        self.down3 = Down(w2, w3)
        self.down4 = Down(w3, w4)
        self.up1 = Up(w4, w3)
        self.up2 = Up(w3, w2)
        self.up3 = Up(w2, w1)
        self.up4 = Up(w1, w0)
        self.outc = nn.Conv2d(w0, n_classes, kernel_size=1)

    def forward(self, x):
        x1 = self.inc(x)
        x2 = self.down1(x1)
        x3 = self.down2(x2)
        x4 = self.down3(x3)
        x5 = self.down4(x4)
        x = self.up1(x5, x4)
        x = self.up2(x, x3)
        x = self.up3(x, x2)
        x = self.up4(x, x1)
        return self.outc(x)
