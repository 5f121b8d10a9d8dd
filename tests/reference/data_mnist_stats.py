# Reference statistics of the real MNIST / Fashion-MNIST IDX files for tests/test_data.cpp, read with
# numpy independently of the C++ reader. Run after scripts/fetch-data.sh --all:
#   /usr/bin/python3 tests/reference/data_mnist_stats.py
import pathlib

import numpy as np

data = pathlib.Path(__file__).resolve().parents[2] / "data"
for name in ["mnist", "fashion-mnist"]:
    for split in ["train", "t10k"]:
        labels = np.fromfile(data / name / f"{split}-labels-idx1-ubyte", dtype=np.uint8)[8:]
        images = np.fromfile(data / name / f"{split}-images-idx3-ubyte", dtype=np.uint8)[16:]
        print(f"{name} {split}: {labels.size} labels, histogram {np.bincount(labels, minlength=10).tolist()}, "
              f"first {labels[:10].tolist()}, pixels min {images.min()} max {images.max()} "
              f"sum {images.astype(np.int64).sum()} mean/255 {images.mean() / 255:.6f}")
