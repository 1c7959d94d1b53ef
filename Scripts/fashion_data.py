"""FashionMNIST for the PyTorch anchors, with torch alone (no torchvision): the IDX reader, the whole
data set as tensors, and batched augmentation. Shared by pytorch_reference.py, optuna_anchor.py and
optuna_objectives_anchor.py.
"""
import gzip
import math
import os

import numpy as np
import torch
from torch.nn import functional as F


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def load():
    d = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
    xtr = torch.from_numpy(idx(f"{d}/train-images-idx3-ubyte.gz").copy()).float().div(255).unsqueeze(1)
    ytr = torch.from_numpy(idx(f"{d}/train-labels-idx1-ubyte.gz").astype(np.int64))
    xte = torch.from_numpy(idx(f"{d}/t10k-images-idx3-ubyte.gz").copy()).float().div(255).unsqueeze(1)
    yte = torch.from_numpy(idx(f"{d}/t10k-labels-idx1-ubyte.gz").astype(np.int64))
    return xtr, ytr, xte, yte


def augment(xb, kind):
    """torchvision's RandomRotation(10) (nearest) and RandomHorizontalFlip, on a whole batch at once."""
    if kind == "rotate_flip":
        angles = (torch.rand(len(xb)) * 20 - 10) * math.pi / 180
        cos, sin = torch.cos(angles), torch.sin(angles)
        theta = torch.stack([torch.stack([cos, -sin, torch.zeros_like(cos)], 1),
                             torch.stack([sin, cos, torch.zeros_like(cos)], 1)], 1)
        grid = F.affine_grid(theta, xb.shape, align_corners=False)
        xb = F.grid_sample(xb, grid, mode="nearest", align_corners=False)
    if kind in ("flip", "rotate_flip"):
        flip = torch.rand(len(xb)) < 0.5
        xb = torch.where(flip[:, None, None, None], xb.flip(-1), xb)
    return xb
