"""Saving and loading model parameters as ``.npz`` (atomic, versioned, never pickled).

>>> import os, tempfile
>>> from autograd_lite import nn
>>> model = nn.MLP(4, [3], 2, rng=0)
>>> path = os.path.join(tempfile.mkdtemp(), "model.npz")
>>> nn.save(model, path)
>>> copy = nn.MLP(4, [3], 2, rng=1)
>>> copy.load_state_dict(nn.load_state(path))
LoadResult(missing_keys=[], unexpected_keys=[])
>>> bool((copy.layers[0].weight == model.layers[0].weight).data.all())
True
"""

from __future__ import annotations

import os

import numpy as np

from .._io import atomic_save_npz, load_npz
from .module import Module

__all__ = ["save", "load_state", "FORMAT_KEY", "FORMAT_VERSION"]

FORMAT_KEY = "__autograd_lite_nn_format__"
"""The archive entry holding the format version (never a parameter name)."""
FORMAT_VERSION = 1


def save(model: Module, path: str | os.PathLike[str]) -> None:
    """Write ``model.state_dict()`` and the format version to ``path`` (temp file + rename).

    >>> import os, tempfile
    >>> from autograd_lite import nn
    >>> path = os.path.join(tempfile.mkdtemp(), "linear.npz")
    >>> nn.save(nn.Linear(2, 2, rng=0), path); sorted(nn.load_state(path))
    ['bias', 'weight']
    """
    if not isinstance(model, Module):
        raise TypeError(f"save: expects an nn.Module, got {type(model).__name__}; to save "
                        "plain arrays use autograd_lite._io.atomic_save_npz")
    state = model.state_dict()
    if FORMAT_KEY in state:
        raise ValueError(f"save: the model has a parameter named {FORMAT_KEY!r}, which the "
                         "file format reserves; rename it")
    atomic_save_npz(path, {**state, FORMAT_KEY: np.array(FORMAT_VERSION)})


def load_state(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """The parameter arrays saved by ``nn.save``, for ``model.load_state_dict``.

    A missing file raises FileNotFoundError; a truncated file, a foreign
    ``.npz`` or one from a newer format raises ValueError naming the file.

    >>> import os, tempfile, numpy as np
    >>> path = os.path.join(tempfile.mkdtemp(), "other.npz")
    >>> np.savez(path, x=np.ones(2))
    >>> load_state(path)
    Traceback (most recent call last):
    ...
    ValueError: load_state: '...other.npz' is an .npz archive but not a model saved by nn.save ...
    """
    arrays = load_npz(path, "model state")
    if FORMAT_KEY not in arrays:
        raise ValueError(f"load_state: {os.fspath(path)!r} is an .npz archive but not a model "
                         f"saved by nn.save (no {FORMAT_KEY!r} entry; it holds "
                         f"{sorted(arrays)[:5]})")
    version = arrays.pop(FORMAT_KEY)
    if version.shape != () or version.dtype.kind not in "iu" or not 1 <= version <= FORMAT_VERSION:
        raise ValueError(f"load_state: {os.fspath(path)!r} has format version {version.tolist()}; this "
                         f"version of autograd_lite reads format {FORMAT_VERSION} (a newer "
                         "file needs a newer autograd_lite)")
    return arrays
