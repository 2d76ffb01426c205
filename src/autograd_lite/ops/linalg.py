"""Matrix product: ``matmul`` / ``@`` for 1-D, 2-D, batched and broadcast batches.

>>> import autograd_lite as ag
>>> A = ag.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
>>> (A @ ag.tensor([1.0, 1.0])).sum().backward()
>>> A.grad
tensor([[1., 1.],
        [1., 1.]], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import apply
from ..registry import VjpContext, register, unbroadcast
from ..tensor import Tensor


def _matmul_vjp(ctx: VjpContext, g: Any) -> tuple[Any, ...]:
    a, b = ctx.inputs
    xp = ctx.xp
    if a.ndim == 1 and b.ndim == 1:  # dot product: g is a scalar
        return (g * b if ctx.needs[0] else None), (g * a if ctx.needs[1] else None)
    # Promote 1-D operands to matrices as numpy does, then undo it at the end.
    a2 = xp.reshape(a, shape=(1, a.shape[0])) if a.ndim == 1 else a
    b2 = xp.reshape(b, shape=(b.shape[0], 1)) if b.ndim == 1 else b
    g2 = g
    if a.ndim == 1:
        g2 = xp.expand_dims(g2, axis=-2)
    if b.ndim == 1:
        g2 = xp.expand_dims(g2, axis=-1)
    ga = gb = None
    if ctx.needs[0]:
        ga = unbroadcast(xp, xp.matmul(g2, xp.swapaxes(b2, axis1=-1, axis2=-2)), a2.shape)
        ga = xp.reshape(ga, shape=a.shape) if a.ndim == 1 else ga
    if ctx.needs[1]:
        gb = unbroadcast(xp, xp.matmul(xp.swapaxes(a2, axis1=-1, axis2=-2), g2), b2.shape)
        gb = xp.reshape(gb, shape=b.shape) if b.ndim == 1 else gb
    return ga, gb


MATMUL = register("matmul", np.matmul, _matmul_vjp, symbol="@", n_inputs=2,
                  formula=("∂(A·B)/∂A: Ḡ·Bᵀ", "∂(A·B)/∂B: Aᵀ·Ḡ"),
                  latex=(r"\bar{A} = \bar{G}\,B^\top", r"\bar{B} = A^\top \bar{G}"))


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product with numpy's rules (1-D promotion, broadcast batch dims).

    >>> import autograd_lite as ag
    >>> ag.matmul(ag.ones((2, 3)), ag.ones((3,)))
    tensor([3., 3.], dtype=float32)
    >>> ag.ones((256, 784)) @ ag.ones((100, 10))
    Traceback (most recent call last):
    ...
    ValueError: matmul: shapes (256, 784) and (100, 10) are not aligned (784 != 100)
    """
    sa, sb = np.shape(a.data if isinstance(a, Tensor) else a), \
        np.shape(b.data if isinstance(b, Tensor) else b)
    if not sa or not sb:
        raise ValueError(f"matmul: operands must have at least 1 dimension, got shapes "
                         f"{sa} and {sb}; use * for scalars")
    k_a = sa[-1]
    k_b = sb[0] if len(sb) == 1 else sb[-2]
    if k_a != k_b:
        raise ValueError(f"matmul: shapes {sa} and {sb} are not aligned ({k_a} != {k_b})")
    try:
        np.broadcast_shapes(sa[:-2], sb[:-2])
    except ValueError:
        raise ValueError(f"matmul: batch dimensions of {sa} and {sb} do not broadcast "
                         f"({sa[:-2]} vs {sb[:-2]})") from None
    return apply(MATMUL, (a, b), {})
