"""Tensor factories: zeros, ones, full, arange, eye, *_like, randn, rand.

Float factories use the default dtype (float32) unless ``dtype`` is given.
Random ones take a ``seed``: an int or a ``numpy.random.Generator``; without
one they draw from the generator that ``manual_seed`` resets.

>>> import autograd_lite as ag
>>> ag.randn(2, 3, seed=0).shape
(2, 3)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .tensor import Tensor, _to_array, get_default_dtype

__all__ = ["zeros", "ones", "full", "arange", "eye", "zeros_like", "ones_like",
           "randn", "rand", "manual_seed", "as_generator"]

Seed = int | np.random.Generator | None
_global_rng = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reset the generator used by ``randn``/``rand`` when no seed is given.

    >>> import autograd_lite as ag
    >>> _ = ag.manual_seed(0); a = ag.randn(3)
    >>> _ = ag.manual_seed(0); bool((a == ag.randn(3)).data.all())
    True
    """
    global _global_rng
    _global_rng = np.random.default_rng(seed)
    return _global_rng


def as_generator(seed: Seed) -> np.random.Generator:
    """A Generator from an int seed, a Generator (returned as is) or None (global).

    >>> bool(as_generator(3).integers(10) == as_generator(3).integers(10))
    True
    """
    if seed is None:
        return _global_rng
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (int, np.integer)):
        return np.random.default_rng(int(seed))
    raise TypeError(f"seed must be an int, a numpy.random.Generator or None, "
                    f"not {type(seed).__name__}")


def _shape(shape: Sequence[Any]) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(n) for n in shape)


def _float(dtype: Any) -> np.dtype[Any]:
    return np.dtype(dtype) if dtype is not None else get_default_dtype()


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros.

    >>> import autograd_lite as ag
    >>> ag.zeros(2, 2)
    tensor([[0., 0.],
            [0., 0.]], dtype=float32)
    """
    return Tensor._wrap(np.zeros(_shape(shape), _float(dtype))).requires_grad_(requires_grad)


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones.

    >>> import autograd_lite as ag
    >>> ag.ones(3)
    tensor([1., 1., 1.], dtype=float32)
    """
    return Tensor._wrap(np.ones(_shape(shape), _float(dtype))).requires_grad_(requires_grad)


def full(shape: Any, fill_value: float, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value``; ``shape`` is an int (Python or numpy) or a sequence.

    >>> import autograd_lite as ag
    >>> ag.full((2,), 7.0)
    tensor([7., 7.], dtype=float32)
    """
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(n) for n in shape)
    data = np.full(shape, fill_value, _float(dtype))
    return Tensor._wrap(data).requires_grad_(requires_grad)


def arange(start: float, stop: float | None = None, step: float = 1, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Evenly spaced values, like ``numpy.arange``; float arguments give the default dtype.

    >>> import autograd_lite as ag
    >>> ag.arange(3), ag.arange(0.0, 1.0, 0.5)
    (tensor([0, 1, 2], dtype=int64), tensor([0. , 0.5], dtype=float32))
    """
    args = (start,) if stop is None else (start, stop, step)
    data = np.arange(*args, dtype=dtype)
    if dtype is None and data.dtype.kind == "f":
        data = data.astype(get_default_dtype())
    return Tensor._wrap(data).requires_grad_(requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """The identity matrix (``n`` x ``m``).

    >>> import autograd_lite as ag
    >>> ag.eye(2)
    tensor([[1., 0.],
            [0., 1.]], dtype=float32)
    """
    return Tensor._wrap(np.eye(n, m, dtype=_float(dtype))).requires_grad_(requires_grad)


def _like(x: Any) -> np.ndarray | np.generic:
    """The array whose shape and dtype a ``*_like`` factory copies.

    Tensors and ndarrays give their own; anything else (a list, a Python number)
    is converted as ``ag.tensor`` would, so ``[1.0]`` means the default dtype.
    """
    if isinstance(x, Tensor):
        return x.data
    if isinstance(x, (np.ndarray, np.generic)):
        return x
    return _to_array(x, None)


def zeros_like(x: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape (and dtype) of ``x``; a list converts like ``ag.tensor``.

    >>> import autograd_lite as ag
    >>> ag.zeros_like(ag.ones((2,), dtype="float64")).dtype
    dtype('float64')
    >>> ag.zeros_like([1.0, 2.0]).dtype
    dtype('float32')
    """
    data = np.zeros_like(_like(x), dtype=dtype)
    return Tensor._wrap(data).requires_grad_(requires_grad)


def ones_like(x: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones with the shape (and dtype) of ``x``; a list converts like ``ag.tensor``.

    >>> import autograd_lite as ag
    >>> ag.ones_like(ag.zeros((1, 2)))
    tensor([[1., 1.]], dtype=float32)
    """
    data = np.ones_like(_like(x), dtype=dtype)
    return Tensor._wrap(data).requires_grad_(requires_grad)


def randn(*shape: Any, seed: Seed = None, dtype: Any = None,
          requires_grad: bool = False) -> Tensor:
    """Standard normal samples.

    >>> import autograd_lite as ag
    >>> bool((ag.randn(3, seed=1) == ag.randn(3, seed=1)).data.all())
    True
    """
    data = as_generator(seed).standard_normal(_shape(shape)).astype(_float(dtype))
    return Tensor._wrap(data).requires_grad_(requires_grad)


def rand(*shape: Any, seed: Seed = None, dtype: Any = None,
         requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1).

    >>> import autograd_lite as ag
    >>> float(ag.rand(100, seed=0).max()) < 1.0
    True
    """
    data = as_generator(seed).random(_shape(shape)).astype(_float(dtype))
    return Tensor._wrap(data).requires_grad_(requires_grad)
