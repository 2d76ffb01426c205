"""Mini-batches: every example exactly once per epoch, shuffled reproducibly.

>>> import numpy as np
>>> x, y = np.arange(10).reshape(5, 2), np.arange(5)
>>> [yb.tolist() for _, yb in batches(x, y, batch_size=2, shuffle=False)]
[[0, 1], [2, 3], [4]]
"""

from __future__ import annotations

import operator
from collections.abc import Iterator

import numpy as np

__all__ = ["batches"]


def batches(x: np.ndarray, y: np.ndarray, batch_size: int, shuffle: bool = True,
            rng: int | np.random.Generator | None = None,
            drop_last: bool = False) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(xb, yb)`` batches of ``batch_size`` rows of ``x`` and ``y``, one epoch's worth.

    ``shuffle`` draws a new order from ``rng`` (a seed or a ``numpy.random.Generator``;
    pass the same Generator every epoch for a fresh, reproducible order each
    time). The last batch is smaller when ``batch_size`` does not divide the
    number of examples, unless ``drop_last``.

    >>> import numpy as np
    >>> x, y = np.zeros((7, 3), np.float32), np.arange(7)
    >>> [len(yb) for _, yb in batches(x, y, 3, rng=0)]
    [3, 3, 1]
    >>> sorted(np.concatenate([yb for _, yb in batches(x, y, 3, rng=0)]).tolist())
    [0, 1, 2, 3, 4, 5, 6]
    >>> [len(yb) for _, yb in batches(x, y, 3, rng=0, drop_last=True)]
    [3, 3]
    >>> batches(x, y[:5], 3)
    Traceback (most recent call last):
    ...
    ValueError: batches: x has 7 rows but y has 5; they must have the same length
    """
    try:
        size = operator.index(batch_size)
    except TypeError:
        raise TypeError(f"batches: batch_size must be an integer, got "
                        f"{type(batch_size).__name__}") from None
    if isinstance(batch_size, bool) or size < 1:
        raise ValueError(f"batches: batch_size must be at least 1, got {batch_size!r}")
    n = len(x)
    if n != len(y):
        raise ValueError(f"batches: x has {n} rows but y has {len(y)}; they must have the "
                         "same length")
    order = np.random.default_rng(rng).permutation(n) if shuffle else None
    return _iterate(x, y, size, order, n - n % size if drop_last else n)


def _iterate(x: np.ndarray, y: np.ndarray, size: int, order: np.ndarray | None,
             stop: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The batches themselves (``batches`` checks its arguments before the first one)."""
    for start in range(0, stop, size):
        if order is None:
            yield x[start:start + size], y[start:start + size]
        else:
            idx = order[start:start + size]
            yield x[idx], y[idx]
