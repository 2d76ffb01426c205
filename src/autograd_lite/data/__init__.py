"""Data: the bundled MNIST sample, MNIST and Fashion-MNIST (downloaded and verified), IDX files, batches.

>>> from autograd_lite.data import load_mnist_sample, train_val_split, batches
>>> ds = load_mnist_sample()
>>> train, val = train_val_split(ds.train, val_fraction=0.1, seed=0)
>>> len(train), len(val)
(3600, 400)
>>> xb, yb = next(batches(train.x, train.y, batch_size=64, rng=0))
>>> xb.shape, xb.dtype, yb.dtype
((64, 784), dtype('float32'), dtype('int64'))

Modules: ``idx`` (the IDX format), ``sources`` (mirrors and checksums),
``download`` (mirror fallback into the cache), ``datasets`` (the loaders),
``splits`` (``Split``, ``Dataset``, ``train_val_split``), ``loader`` (``batches``).
"""

from .datasets import (DATASET_NAMES, ENV_VAR, dataset_key, default_root, load_dataset,
                       load_fashion_mnist,
                       load_idx_dataset, load_idx_dir, load_mnist, load_mnist_sample)
from .download import DownloadError
from .idx import read_idx
from .loader import batches
from .sources import FASHION_MNIST, MNIST, ChecksumError, DatasetSource, FileSpec
from .splits import Dataset, Split, train_val_split

__all__ = [
    "Split", "Dataset", "load_mnist_sample", "load_mnist", "load_fashion_mnist", "load_dataset",
    "load_idx_dataset", "load_idx_dir", "train_val_split", "batches", "read_idx", "default_root",
    "DatasetSource", "FileSpec", "MNIST", "FASHION_MNIST", "DownloadError", "ChecksumError",
    "DATASET_NAMES", "ENV_VAR", "dataset_key",
]
