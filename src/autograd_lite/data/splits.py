"""The data containers -- ``Split`` (x, y) and ``Dataset`` (train, test) -- and a stratified split.

>>> import numpy as np
>>> split = Split(np.zeros((10, 4), np.float32), np.arange(10) % 2)
>>> train, val = train_val_split(split, val_fraction=0.2, seed=0)
>>> len(train), len(val), np.bincount(val.y).tolist()
(8, 2, [1, 1])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Split", "Dataset", "train_val_split", "stratified_indices"]


def _describe(a: np.ndarray) -> str:
    return f"{a.dtype}{tuple(a.shape)}"


@dataclass(frozen=True, eq=False)
class Split:
    """Examples ``x`` (float32, shape (N, features), pixels in [0, 1]) and labels ``y`` (int64, (N,)).

    >>> import numpy as np
    >>> Split(np.zeros((3, 784), np.float32), np.array([0, 1, 2]))
    Split(x=float32(3, 784), y=int64(3,))
    >>> Split(np.zeros((3, 784)), np.array([0, 1, 2]))
    Traceback (most recent call last):
    ...
    TypeError: Split: x must be float32, got float64(3, 784); use x.astype(np.float32)
    """

    x: np.ndarray
    y: np.ndarray

    def __post_init__(self) -> None:
        x, y = self.x, self.y
        if not isinstance(x, np.ndarray) or not isinstance(y, np.ndarray):
            raise TypeError(f"Split: x and y must be numpy arrays, got {type(x).__name__} and "
                            f"{type(y).__name__}")
        if x.dtype != np.float32:
            raise TypeError(f"Split: x must be float32, got {_describe(x)}; use x.astype(np.float32)")
        if y.dtype != np.int64:
            raise TypeError(f"Split: y must be int64, got {_describe(y)}; use y.astype(np.int64)")
        if x.ndim != 2 or y.ndim != 1:
            raise ValueError(f"Split: x must be 2-D (N, features) and y 1-D (N,), got "
                             f"{_describe(x)} and {_describe(y)}")
        if len(x) != len(y):
            raise ValueError(f"Split: x has {len(x)} examples but y has {len(y)} labels")

    def __len__(self) -> int:
        return len(self.y)

    def __repr__(self) -> str:
        return f"Split(x={_describe(self.x)}, y={_describe(self.y)})"


@dataclass(frozen=True, eq=False)
class Dataset:
    """A named pair of splits; ``note`` says where the data come from and how to read results.

    >>> import numpy as np
    >>> s = Split(np.zeros((2, 4), np.float32), np.array([0, 1]))
    >>> Dataset("toy", s, s)
    Dataset(name='toy', train=Split(x=float32(2, 4), y=int64(2,)), test=Split(x=float32(2, 4), y=int64(2,)))
    """

    name: str
    train: Split
    test: Split
    note: str = ""

    def __repr__(self) -> str:
        return f"Dataset(name={self.name!r}, train={self.train!r}, test={self.test!r})"


def stratified_indices(y: np.ndarray, fraction: float,
                       rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Indices (kept, held out), holding out ``round(fraction * count)`` of each class; sorted.

    >>> import numpy as np
    >>> kept, held = stratified_indices(np.array([0, 0, 0, 0, 1, 1]), 0.5,
    ...                                 np.random.default_rng(0))
    >>> len(kept), len(held), sorted(np.r_[kept, held].tolist()) == list(range(6))
    (3, 3, True)
    """
    held: list[np.ndarray] = []
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        held.append(rng.permutation(members)[: int(round(fraction * len(members)))])
    held_idx = np.sort(np.concatenate(held)) if held else np.zeros(0, np.int64)
    mask = np.ones(len(y), dtype=bool)
    mask[held_idx] = False
    return np.flatnonzero(mask), held_idx


def train_val_split(split: Split, val_fraction: float = 0.1,
                    seed: int | np.random.Generator = 0) -> tuple[Split, Split]:
    """``split`` cut into (train, validation), stratified by label, reproducibly from ``seed``.

    Each class gives ``round(val_fraction * its count)`` examples to validation;
    both parts keep the original order.

    >>> import numpy as np
    >>> split = Split(np.zeros((100, 2), np.float32), np.repeat(np.arange(4), 25))
    >>> train, val = train_val_split(split, val_fraction=0.2, seed=1)
    >>> np.bincount(train.y).tolist(), np.bincount(val.y).tolist()
    ([20, 20, 20, 20], [5, 5, 5, 5])
    """
    if not isinstance(split, Split):
        raise TypeError(f"train_val_split: expected a Split, got {type(split).__name__}")
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"train_val_split: val_fraction must be between 0 and 1 (exclusive), "
                         f"got {val_fraction}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    kept, held = stratified_indices(split.y, val_fraction, rng)
    if len(kept) == 0 or len(held) == 0:
        empty = "validation" if len(held) == 0 else "training"
        raise ValueError(f"train_val_split: val_fraction={val_fraction} of {len(split)} examples "
                         f"leaves the {empty} part empty; choose a val_fraction that gives each "
                         "part at least one example")
    return Split(split.x[kept], split.y[kept]), Split(split.x[held], split.y[held])
