"""Where MNIST and Fashion-MNIST come from, and how a good copy of each file is recognised.

A ``FileSpec`` names one IDX file and the facts that identify it: the sha256
of its *decompressed* IDX payload (so any gzip of the right data verifies,
such as Debian's re-compressed ``dataset-fashion-mnist`` files), upstream's
md5 and byte size of the ``.gz`` (checked only where no sha256 is known, and
reported in errors), and the array's shape. A ``DatasetSource`` bundles the
four files of a dataset with its mirror list; ``dataclasses.replace`` gives a
variant (other mirrors, other hashes), which is how the tests inject theirs.
A ``ChecksumError`` carries the sha256 of the decompressed data it found, so
a caller can tell whose file it is (``datasets`` does: "this is
Fashion-MNIST's train-images").

>>> MNIST.train_images.shape, MNIST.test_labels.raw_name
((60000, 28, 28), 't10k-labels-idx1-ubyte')
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

import numpy as np

from .idx import GZIP_MAGIC, decode_idx, decompress

__all__ = ["FileSpec", "DatasetSource", "ChecksumError", "load_verified", "MNIST",
           "FASHION_MNIST"]


class ChecksumError(ValueError):
    """A file's content is not the one its ``FileSpec`` describes.

    ``sha256`` is the sha256 of the file's decompressed data when it was
    computed (None otherwise).
    """

    def __init__(self, message: str, sha256: str | None = None) -> None:
        super().__init__(message)
        self.sha256 = sha256


@dataclass(frozen=True)
class FileSpec:
    """One IDX file of a dataset: its canonical ``.gz`` name and how to recognise it.

    >>> FileSpec("train-labels-idx1-ubyte.gz", shape=(60000,)).raw_name
    'train-labels-idx1-ubyte'
    """

    name: str
    """Canonical file name, ending in ``.gz``; the raw IDX file drops that suffix."""
    shape: tuple[int, ...] | None = None
    """Dimensions the IDX header must give (None: any)."""
    sha256: str | None = None
    """sha256 of the decompressed IDX payload (None: unknown)."""
    md5: str | None = None
    """md5 of upstream's ``.gz``, byte for byte (None: unknown)."""
    size: int | None = None
    """Byte size of upstream's ``.gz`` (None: unknown)."""

    @property
    def raw_name(self) -> str:
        """The file's name when stored uncompressed."""
        return self.name.removesuffix(".gz")


@dataclass(frozen=True)
class DatasetSource:
    """A dataset's four IDX files and the mirrors that serve them (``mirror + file name``).

    >>> [spec.name for spec in FASHION_MNIST.files][:2]
    ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz']
    """

    name: str
    """Dataset name; also the sub-directory of the cache that holds its files."""
    mirrors: tuple[str, ...]
    train_images: FileSpec
    train_labels: FileSpec
    test_images: FileSpec
    test_labels: FileSpec
    note: str = ""
    title: str = ""
    """How to call the dataset in messages ("Fashion-MNIST"); empty: ``name``."""

    @property
    def label(self) -> str:
        """``title``, or ``name`` when there is none."""
        return self.title or self.name

    @property
    def files(self) -> tuple[FileSpec, FileSpec, FileSpec, FileSpec]:
        """Train images, train labels, test images, test labels."""
        return (self.train_images, self.train_labels, self.test_images, self.test_labels)


def _hex(algorithm: str, data: bytes) -> str:
    return hashlib.new(algorithm, data).hexdigest()


def _check_upstream_gz(data: bytes, payload: bytes, spec: FileSpec, source: str) -> None:
    """Without a payload sha256, only upstream's exact ``.gz`` (md5 and size) verifies."""
    if not data.startswith(GZIP_MAGIC):
        raise ChecksumError(f"{source}: no sha256 of the decompressed data is known for "
                            f"{spec.name}, so only upstream's original .gz can be verified, and "
                            "this file is not gzip-compressed; use the original .gz",
                            _hex("sha256", payload))
    if spec.size is not None and len(data) != spec.size:
        raise ChecksumError(f"{source}: size mismatch: {len(data)} bytes, upstream's "
                            f"{spec.name} has {spec.size}; the file is damaged or another file",
                            _hex("sha256", payload))
    if spec.md5 is not None and _hex("md5", data) != spec.md5:
        raise ChecksumError(f"{source}: checksum mismatch: md5 {_hex('md5', data)}, upstream's "
                            f"{spec.name} has {spec.md5}; the file is damaged or another file",
                            _hex("sha256", payload))


def load_verified(path: str | os.PathLike[str], spec: FileSpec,
                  source: str | None = None) -> np.ndarray:
    """The IDX array in ``path`` after checking it against ``spec``; ``source`` names it in errors.

    >>> import gzip, os, tempfile
    >>> payload = bytes([0, 0, 0x08, 1, 0, 0, 0, 2, 4, 2])
    >>> path = os.path.join(tempfile.mkdtemp(), "labels.gz")
    >>> with open(path, "wb") as f:
    ...     _ = f.write(gzip.compress(payload))
    >>> good = FileSpec("labels.gz", shape=(2,), sha256=hashlib.sha256(payload).hexdigest())
    >>> load_verified(path, good)
    array([4, 2], dtype=uint8)
    >>> load_verified(path, FileSpec("labels.gz", shape=(3,)))
    Traceback (most recent call last):
    ...
    ValueError: ...labels.gz: holds an IDX array of shape (2,), but labels.gz has shape (3,)
    """
    source = os.fspath(path) if source is None else source
    with open(path, "rb") as f:
        data = f.read()
    payload = decompress(data, source)
    if spec.sha256 is not None:
        digest = _hex("sha256", payload)
        if digest != spec.sha256:
            upstream = (" (its .gz is byte for byte upstream's, so the expected sha256 is wrong)"
                        if spec.md5 is not None and _hex("md5", data) == spec.md5 else "")
            raise ChecksumError(f"{source}: checksum mismatch: the decompressed IDX data has "
                                f"sha256 {digest}, {spec.name} should have {spec.sha256}"
                                f"{upstream}; the file is damaged or is another file", digest)
    elif spec.md5 is not None or spec.size is not None:
        _check_upstream_gz(data, payload, spec, source)
    array = decode_idx(payload, source)
    if array.dtype != np.uint8:
        raise ValueError(f"{source}: holds IDX data of dtype {array.dtype}, but {spec.name} "
                         "should hold unsigned bytes (dtype code 0x08)")
    if spec.shape is not None and array.shape != tuple(spec.shape):
        raise ValueError(f"{source}: holds an IDX array of shape {array.shape}, but {spec.name} "
                         f"has shape {tuple(spec.shape)}")
    return array


# MNIST (Yann LeCun, Corinna Cortes, Christopher J. C. Burges), CC BY-SA 3.0.
# - md5 of each .gz: torchvision, torchvision/datasets/mnist.py, MNIST.resources
#   (pytorch/vision).
# - .gz sizes: 9912422 / 28881 / 1648877 / 4542 bytes, as printed by TensorFlow's MNIST
#   downloader ("Successfully downloaded train-images-idx3-ubyte.gz 9912422 bytes."), and in
#   the git-annex keys below.
# - sha256 of the decompressed IDX files: git-annex keys (SHA256E-s<size>--<sha256>) of
#   data/MNIST/raw/*-ubyte in the public repository jasonuk2026/IC_MED_MODEL (commit 533d09b),
#   whose keys for the .gz files carry upstream's sizes; the same four digests are listed as
#   "SHA-256 of the uncompressed files" by several other public projects. Not computed here:
#   MNIST cannot be downloaded on the machine this was written on.
_MNIST_FILES = (
    FileSpec("train-images-idx3-ubyte.gz", (60000, 28, 28),
             sha256="ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
             md5="f68b3c2dcbeaaa9fbdd348bbdeb94873", size=9912422),
    FileSpec("train-labels-idx1-ubyte.gz", (60000,),
             sha256="65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
             md5="d53e105ee54ea40749a09fcbcd1e9432", size=28881),
    FileSpec("t10k-images-idx3-ubyte.gz", (10000, 28, 28),
             sha256="0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
             md5="9fb629c4189551a2d022fa330f9573f3", size=1648877),
    FileSpec("t10k-labels-idx1-ubyte.gz", (10000,),
             sha256="ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
             md5="ec29112dd5afa0611ce80d1b7f02629c", size=4542),
)

MNIST = DatasetSource(
    name="mnist",
    mirrors=("https://ossci-datasets.s3.amazonaws.com/mnist/",
             "https://storage.googleapis.com/cvdf-datasets/mnist/",
             "http://yann.lecun.com/exdb/mnist/"),
    train_images=_MNIST_FILES[0], train_labels=_MNIST_FILES[1],
    test_images=_MNIST_FILES[2], test_labels=_MNIST_FILES[3],
    note="MNIST (Yann LeCun and Corinna Cortes, CC BY-SA 3.0): the official 60,000 / 10,000 split",
    title="MNIST",
)

# Fashion-MNIST (Zalando Research, MIT licence).
# - md5 of each .gz: the table in zalandoresearch/fashion-mnist's README.md (also in
#   torchvision's FashionMNIST.resources).
# - .gz sizes: 26421880 / 29515 / 4422102 / 5148 bytes, as printed by Keras'
#   fashion_mnist.load_data() downloader ("26421880/26421880 ...").
# - sha256 of the decompressed IDX files: computed here from Debian's package
#   dataset-fashion-mnist 0.0~git20200523.55506a9-1 (/usr/share/datasets/fashion-mnist/*.gz,
#   re-compressed by Debian, so their md5s differ from upstream's) with
#   `gzip -dc FILE | sha256sum`.
_FASHION_FILES = (
    FileSpec("train-images-idx3-ubyte.gz", (60000, 28, 28),
             sha256="c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
             md5="8d4fb7e6c68d591d4c3dfef9ec88bf0d", size=26421880),
    FileSpec("train-labels-idx1-ubyte.gz", (60000,),
             sha256="bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
             md5="25c81989df183df01b3e8a0aad5dffbe", size=29515),
    FileSpec("t10k-images-idx3-ubyte.gz", (10000, 28, 28),
             sha256="5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
             md5="bef4ecab320f06d8554ea6380940ec79", size=4422102),
    FileSpec("t10k-labels-idx1-ubyte.gz", (10000,),
             sha256="0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
             md5="bb300cfdad3c16e7a12a480ee83cd310", size=5148),
)

FASHION_MNIST = DatasetSource(
    name="fashion-mnist",
    mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
             "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"),
    train_images=_FASHION_FILES[0], train_labels=_FASHION_FILES[1],
    test_images=_FASHION_FILES[2], test_labels=_FASHION_FILES[3],
    note="Fashion-MNIST (Zalando Research, MIT licence): the official 60,000 / 10,000 split",
    title="Fashion-MNIST",
)
