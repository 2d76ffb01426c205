"""Reductions: sum, mean, max, min, logsumexp, var over ``axis`` with ``keepdims``.

``axis`` is None (all), an int or a tuple, negative allowed, as in numpy.

>>> import autograd_lite as ag
>>> x = ag.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
>>> x.mean(axis=0).sum().backward()
>>> x.grad
tensor([[0.5, 0.5],
        [0.5, 0.5]], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import apply
from ..registry import VjpContext, register
from ..tensor import Tensor

Axis = int | tuple[int, ...] | None


def normalize_axis(axis: Any, ndim: int, op: str = "reduce") -> tuple[int, ...]:
    """Axes as a sorted tuple of non-negative ints; a clear error when out of range.

    >>> normalize_axis(-1, 3), normalize_axis(None, 2)
    ((2,), (0, 1))
    """
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    result = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"{op}: axis {a} is out of range for a tensor with {ndim} "
                             f"dimension(s); use an axis in [{-ndim}, {ndim - 1}]")
        result.append(int(a) % ndim)
    if len(set(result)) != len(result):
        raise ValueError(f"{op}: repeated axis in {axis}")
    return tuple(sorted(result))


def _expand(ctx: VjpContext, g: Any, like_shape: tuple[int, ...]) -> Any:
    """Give a reduced gradient back its reduced axes (size 1) if keepdims was False."""
    if ctx.params["keepdims"] or ctx.params["axis"] is None:
        return g  # (all axes reduced: a 0-d gradient broadcasts as it is)
    axes = normalize_axis(ctx.params["axis"], len(like_shape))
    return ctx.xp.reshape(g, shape=tuple(1 if i in axes else n for i, n in enumerate(like_shape)))


def _count(shape: tuple[int, ...], axis: Any) -> int:
    return int(np.prod([shape[i] for i in normalize_axis(axis, len(shape))], dtype=np.int64))


def _sum_forward(x: np.ndarray, axis: Axis = None, keepdims: bool = False) -> np.ndarray:
    if type(x) is np.ndarray:  # what np.sum calls, without its dispatch
        return np.add.reduce(x, axis=axis, keepdims=keepdims)  # type: ignore[call-overload]
    return np.sum(x, axis=axis, keepdims=keepdims)


def _spread(ctx: VjpContext, g: Any, shape: tuple[int, ...]) -> Any:
    """``g`` broadcast to ``shape``: a fresh array on ndarrays (np.broadcast_to's view
    takes ten times as long to make, and the engine would copy it), else a broadcast."""
    if isinstance(g, (np.ndarray, np.generic)):  # (g / n of a 0-d array is a numpy scalar)
        out = np.empty(shape, g.dtype)
        out[...] = g
        return out
    return ctx.xp.broadcast_to(g, shape=shape)


def _sum_vjp(ctx: VjpContext, g: Any) -> tuple[Any, ...]:
    shape = ctx.inputs[0].shape
    return (_spread(ctx, _expand(ctx, g, shape), shape),)


def _mean_forward(x: np.ndarray, axis: Axis = None, keepdims: bool = False) -> np.ndarray:
    return np.mean(x, axis=axis, keepdims=keepdims)


def _mean_vjp(ctx: VjpContext, g: Any) -> tuple[Any, ...]:
    shape = ctx.inputs[0].shape
    n = _count(shape, ctx.params["axis"])
    return (_spread(ctx, _expand(ctx, g, shape) / n, shape),)


def _extreme_vjp(ctx: VjpContext, g: Any) -> tuple[Any, ...]:
    x = ctx.inputs[0]
    xp = ctx.xp
    axis = ctx.params["axis"]
    out = _expand(ctx, ctx.out, x.shape)
    # Ties share the gradient equally, like numpy's definition of a subgradient.
    hit = xp.where(x == out, 1.0, 0.0)
    count = xp.sum(hit, axis=axis, keepdims=True)
    return (_expand(ctx, g, x.shape) * hit / count,)


def _max_forward(x: np.ndarray, axis: Axis = None, keepdims: bool = False) -> np.ndarray:
    return np.max(x, axis=axis, keepdims=keepdims)


def _min_forward(x: np.ndarray, axis: Axis = None, keepdims: bool = False) -> np.ndarray:
    return np.min(x, axis=axis, keepdims=keepdims)


def _logsumexp_forward(x: np.ndarray, axis: Axis = None, keepdims: bool = False) -> np.ndarray:
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)  # all -inf rows: log(0) = -inf, not nan
    with np.errstate(divide="ignore"):  # log(0) = -inf is the right answer here
        out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=normalize_axis(axis, x.ndim))


def _logsumexp_vjp(ctx: VjpContext, g: Any) -> tuple[Any, ...]:
    x = ctx.inputs[0]
    out = _expand(ctx, ctx.out, x.shape)
    return (_expand(ctx, g, x.shape) * ctx.xp.exp(x - out),)


def _var_forward(x: np.ndarray, axis: Axis = None, keepdims: bool = False,
                 ddof: int = 0) -> np.ndarray:
    return np.var(x, axis=axis, keepdims=keepdims, ddof=ddof)


def _var_vjp(ctx: VjpContext, g: Any) -> tuple[Any, ...]:
    x = ctx.inputs[0]
    axis = ctx.params["axis"]
    n = _count(x.shape, axis) - ctx.params["ddof"]
    centred = x - ctx.xp.mean(x, axis=axis, keepdims=True)
    return (_expand(ctx, g, x.shape) * centred * (2.0 / n),)


SUM = register("sum", _sum_forward, _sum_vjp, symbol="Σ", saves="",
               formula="∂(Σx)/∂xᵢ = 1", latex=r"\frac{\partial \sum_j x_j}{\partial x_i} = 1")
MEAN = register("mean", _mean_forward, _mean_vjp, symbol="mean", saves="",
                formula="∂mean(x)/∂xᵢ = 1/n",
                latex=r"\frac{\partial \bar{x}}{\partial x_i} = \frac{1}{n}")
MAX = register("max", _max_forward, _extreme_vjp, symbol="max", saves="both",
               formula="∂max(x)/∂xᵢ = 1 where xᵢ is the max (shared among ties)",
               latex=r"\frac{\partial \max_j x_j}{\partial x_i} = \frac{[x_i = \max x]}{\#\text{ties}}")
MIN = register("min", _min_forward, _extreme_vjp, symbol="min", saves="both",
               formula="∂min(x)/∂xᵢ = 1 where xᵢ is the min (shared among ties)",
               latex=r"\frac{\partial \min_j x_j}{\partial x_i} = \frac{[x_i = \min x]}{\#\text{ties}}")
LOGSUMEXP = register("logsumexp", _logsumexp_forward, _logsumexp_vjp, symbol="LSE",
                     saves="both", formula="∂LSE(x)/∂xᵢ = exp(xᵢ − LSE(x)) = softmax(x)ᵢ",
                     latex=r"\frac{\partial\, \mathrm{LSE}(x)}{\partial x_i} = "
                           r"e^{x_i - \mathrm{LSE}(x)}")
VAR = register("var", _var_forward, _var_vjp, symbol="var",
               formula="∂var(x)/∂xᵢ = 2(xᵢ − mean(x))/(n − ddof)",
               latex=r"\frac{\partial\, \mathrm{var}(x)}{\partial x_i} = "
                     r"\frac{2 (x_i - \bar{x})}{n - \mathrm{ddof}}")


def _reduce(op: Any, x: Any, axis: Any, keepdims: bool, **extra: Any) -> Tensor:
    ndim = np.ndim(x.data if isinstance(x, Tensor) else x)
    if axis is not None:
        axes = normalize_axis(axis, ndim, op.name)
        axis = axes[0] if isinstance(axis, (int, np.integer)) else axes
    return apply(op, (x,), {"axis": axis, "keepdims": bool(keepdims), **extra})


def sum(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Sum over ``axis`` (all by default).

    >>> import autograd_lite as ag
    >>> ag.sum(ag.tensor([[1.0, 2.0], [3.0, 4.0]]), axis=-1)
    tensor([3., 7.], dtype=float32)
    """
    return _reduce(SUM, x, axis, keepdims)


def mean(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Mean over ``axis`` (all by default).

    >>> import autograd_lite as ag
    >>> ag.mean(ag.tensor([1.0, 2.0, 3.0]))
    tensor(2., dtype=float32)
    """
    return _reduce(MEAN, x, axis, keepdims)


def max(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Maximum over ``axis``; ties share the gradient.

    >>> import autograd_lite as ag
    >>> ag.max(ag.tensor([[1.0, 5.0], [7.0, 2.0]]), axis=1)
    tensor([5., 7.], dtype=float32)
    """
    return _reduce(MAX, x, axis, keepdims)


def min(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Minimum over ``axis``; ties share the gradient.

    >>> import autograd_lite as ag
    >>> ag.min(ag.tensor([3.0, 1.0, 2.0]))
    tensor(1., dtype=float32)
    """
    return _reduce(MIN, x, axis, keepdims)


def logsumexp(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """``log(sum(exp(x)))`` over ``axis``, without overflow.

    >>> import autograd_lite as ag
    >>> ag.logsumexp(ag.tensor([1000.0, 1000.0]))
    tensor(1000.6932, dtype=float32)
    """
    return _reduce(LOGSUMEXP, x, axis, keepdims)


def var(x: Any, axis: Axis = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
    """Variance over ``axis`` (``ddof=1`` for the unbiased estimate).

    ``ddof`` must be smaller than the number of reduced elements (numpy would
    return inf or nan with a warning; this is a ValueError instead).

    >>> import autograd_lite as ag
    >>> ag.var(ag.tensor([1.0, 2.0, 3.0, 4.0]))
    tensor(1.25, dtype=float32)
    >>> ag.var(ag.tensor([1.0, 2.0, 3.0]), ddof=3)
    Traceback (most recent call last):
    ...
    ValueError: var: ddof=3 leaves no degrees of freedom over 3 elements
    """
    ddof = int(ddof)
    shape = np.shape(x.data if isinstance(x, Tensor) else x)
    n = _count(shape, normalize_axis(axis, len(shape), "var"))
    if ddof >= n:
        raise ValueError(f"var: ddof={ddof} leaves no degrees of freedom over {n} elements")
    return _reduce(VAR, x, axis, keepdims, ddof=ddof)
