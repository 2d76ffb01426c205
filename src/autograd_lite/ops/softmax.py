"""Numerically stable ``softmax`` and ``log_softmax`` along an axis (or a tuple of axes).

Both subtract the row maximum first, so logits of 1e3 give no inf or nan.
A tuple ``axis`` normalizes over those axes jointly and ``axis=None`` over all
of them, like ``scipy.special.softmax``.

>>> import autograd_lite as ag
>>> ag.softmax(ag.tensor([1000.0, 1000.0]))
tensor([0.5, 0.5], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import apply
from ..registry import VjpContext, register
from ..tensor import Tensor
from .reduce import normalize_axis

Axes = int | tuple[int, ...] | None


def _softmax_forward(x: np.ndarray, axis: Axes) -> np.ndarray:
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    e /= np.sum(e, axis=axis, keepdims=True)
    return e


def _softmax_vjp(ctx: VjpContext, g: Any) -> tuple[Any, ...]:
    s = ctx.out
    return (s * (g - ctx.xp.sum(g * s, axis=ctx.params["axis"], keepdims=True)),)


def _log_softmax_forward(x: np.ndarray, axis: Axes) -> np.ndarray:
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def _log_softmax_vjp(ctx: VjpContext, g: Any) -> tuple[Any, ...]:
    xp = ctx.xp
    return (g - xp.exp(ctx.out) * xp.sum(g, axis=ctx.params["axis"], keepdims=True),)


SOFTMAX = register("softmax", _softmax_forward, _softmax_vjp, symbol="softmax", saves="output",
                   formula="∂sᵢ/∂xⱼ = sᵢ(δᵢⱼ − sⱼ); x̄ = s ⊙ (Ḡ − Σ Ḡ⊙s)",
                   latex=r"\frac{\partial s_i}{\partial x_j} = s_i(\delta_{ij} - s_j)")
LOG_SOFTMAX = register("log_softmax", _log_softmax_forward, _log_softmax_vjp,
                       symbol="log_softmax", saves="output",
                       formula="∂ℓᵢ/∂xⱼ = δᵢⱼ − softmax(x)ⱼ; x̄ = Ḡ − softmax(x)·ΣḠ",
                       latex=r"\frac{\partial \ell_i}{\partial x_j} = \delta_{ij} - s_j")


def _axes(name: str, x: Any, axis: Axes) -> tuple[int, ...]:
    """``axis`` as a sorted tuple of non-negative axes (None: all); x needs an axis."""
    ndim = np.ndim(x.data if isinstance(x, Tensor) else x)
    if ndim == 0:
        raise ValueError(f"{name}: needs at least 1 dimension; got a 0-d tensor (reshape it "
                         "to (1,) or stack the values first)")
    return normalize_axis(axis, ndim, name)


def softmax(x: Any, axis: Axes = -1) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``axis`` (an int, a tuple, or None for all axes),
    stable for large logits.

    >>> import autograd_lite as ag
    >>> ag.softmax(ag.tensor([[0.0, 0.0]]), axis=1)
    tensor([[0.5, 0.5]], dtype=float32)
    >>> ag.softmax(ag.zeros((2, 2)), axis=(0, 1))
    tensor([[0.25, 0.25],
            [0.25, 0.25]], dtype=float32)
    """
    return apply(SOFTMAX, (x,), {"axis": _axes("softmax", x, axis)})


def log_softmax(x: Any, axis: Axes = -1) -> Tensor:
    """``x - logsumexp(x)`` along ``axis`` (an int, a tuple, or None for all axes),
    stable for large logits.

    >>> import autograd_lite as ag
    >>> ag.log_softmax(ag.tensor([1000.0, 1000.0]))
    tensor([-0.6931, -0.6931], dtype=float32)
    """
    return apply(LOG_SOFTMAX, (x,), {"axis": _axes("log_softmax", x, axis)})
