#!/usr/bin/env python3
"""Loads a sweep model (.safetensors) with the safetensors and numpy packages only, runs the
FashionMNIST test set through it in numpy, and prints {"test_loss": …, "test_accuracy": …} as JSON.

The network is nn.Sequential(Linear, ReLU, Dropout, Linear, ReLU, Dropout, …, Linear): tensors
"0.weight", "0.bias", "3.weight", … with weights [out, in]. Inputs are pixels / 255 in float32, as
sweep trains on; the loss is the mean negative log-likelihood of the log-softmax.

Usage: check_model.py MODEL.safetensors FASHION_MNIST_DIR [TEST_LIMIT]
"""
import gzip
import json
import sys

import numpy as np
from safetensors.numpy import load_file


def idx(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def main():
    model, data = sys.argv[1], sys.argv[2]
    limit = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3] else None
    images = idx(f"{data}/t10k-images-idx3-ubyte.gz", 16).reshape(-1, 784)
    labels = idx(f"{data}/t10k-labels-idx1-ubyte.gz", 8)
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    tensors = load_file(model)
    layers = sorted({int(name.split(".")[0]) for name in tensors})
    x = images.astype(np.float32) * np.float32(1 / 255)
    for position, module in enumerate(layers):
        weight, bias = tensors[f"{module}.weight"], tensors[f"{module}.bias"]
        assert weight.dtype == np.float32 and weight.shape[1] == x.shape[1], (module, weight.shape)
        x = x @ weight.T + bias
        if position < len(layers) - 1:
            x = np.maximum(x, np.float32(0))
    logits = x.astype(np.float64)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probabilities = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probabilities[np.arange(len(labels)), labels].mean()
    accuracy = (logits.argmax(axis=1) == labels).mean()
    print(json.dumps({"test_loss": float(loss), "test_accuracy": float(accuracy), "images": int(len(labels))}))


if __name__ == "__main__":
    main()
