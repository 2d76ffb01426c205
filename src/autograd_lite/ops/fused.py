"""Fused ops for neural networks: ``linear`` (x·W + b) and ``cross_entropy``.

Each is ONE node in the graph, with one vjp written against ``ctx.xp`` (so it
can be differentiated again under ``create_graph=True``). A user's own
``x @ w + b`` stays two ops; ``nn.Linear`` and ``nn.functional.cross_entropy``
use these.

>>> import autograd_lite as ag
>>> x = ag.tensor([[1.0, 2.0]])
>>> w = ag.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]], requires_grad=True)
>>> y = ag.ops.linear(x, w, ag.tensor([0.5, 0.5, 0.5]))
>>> y, y.grad_fn
(tensor([[1.5, 2.5, 3.5]], dtype=float32, grad_fn=<linear>), <linear node, scope ->)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import apply
from ..registry import VjpContext, register
from ..tensor import Tensor, get_default_dtype

__all__ = ["linear", "cross_entropy", "check_labels", "REDUCTIONS"]

REDUCTIONS = ("mean", "sum", "none")


def _shape_of(x: Any) -> tuple[int, ...]:
    if isinstance(x, (Tensor, np.ndarray)):  # the usual case, without np.shape's dispatch
        return x.shape
    return np.shape(x)


# ---------------------------------------------------------------- linear

def _linear_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    out = np.matmul(x, w)
    if b is None:
        return out
    if b.dtype == out.dtype:
        out += b  # out is fresh from matmul: add in place, skip a copy
        return out
    return out + b  # promote as x @ w + b would


def _linear_vjp(ctx: VjpContext, g: Any) -> tuple[Any, ...]:
    x, w, _ = ctx.inputs
    if type(g) is np.ndarray and type(x) is np.ndarray and x.ndim == 2:
        # first order, the usual 2-D batch: the same products on ndarrays, fewer calls
        needs = ctx.needs
        return (np.matmul(g, w.T) if needs[0] else None,
                np.matmul(x.T, g) if needs[1] else None,
                np.add.reduce(g, axis=0) if needs[2] else None)
    xp = ctx.xp
    gx = gw = gb = None
    if ctx.needs[0]:
        gx = xp.matmul(g, xp.transpose(w, axes=None))
    if ctx.needs[1]:
        # Every leading axis of x is a batch axis: fold them into one, then xᵀ·Ḡ.
        k, m = w.shape
        x2 = xp.reshape(x, shape=(-1, k))
        gw = xp.matmul(xp.transpose(x2, axes=None), xp.reshape(g, shape=(-1, m)))
    if ctx.needs[2]:
        gb = xp.sum(g, axis=tuple(range(g.ndim - 1)), keepdims=False)
    return gx, gw, gb


LINEAR = register(
    "linear", _linear_forward, _linear_vjp, symbol="x·W+b", n_inputs=3,
    formula=("∂(x·W+b)/∂x: Ḡ·Wᵀ", "∂(x·W+b)/∂W: xᵀ·Ḡ", "∂(x·W+b)/∂b: Σ Ḡ over the batch"),
    latex=(r"\bar{x} = \bar{G}\,W^\top", r"\bar{W} = x^\top \bar{G}",
           r"\bar{b} = \sum_n \bar{G}_n"))


def linear(x: Any, w: Any, b: Any = None) -> Tensor:
    """``x @ w + b`` as one op; ``w`` has shape (in_features, out_features).

    ``x`` has shape (..., in_features) (every leading axis is a batch axis);
    ``b`` has shape (out_features,) or is None.

    >>> import autograd_lite as ag
    >>> ag.ops.linear(ag.ones((4, 3)), ag.ones((3, 2)), ag.zeros(2)).shape
    (4, 2)
    >>> ag.ops.linear(ag.ones((4, 5)), ag.ones((3, 2)))
    Traceback (most recent call last):
    ...
    ValueError: linear: x has shape (4, 5) but the weight has shape (3, 2): x's last axis ...
    """
    # (the shapes read in place: this runs for every layer call)
    xs = x.data.shape if isinstance(x, Tensor) else x.shape if type(x) is np.ndarray \
        else np.shape(x)
    ws = w.data.shape if isinstance(w, Tensor) else np.shape(w)
    if len(ws) != 2:
        raise ValueError(f"linear: the weight must be 2-D (in_features, out_features), got "
                         f"shape {ws}")
    if not xs or xs[-1] != ws[0]:
        got = f"not {xs[-1]}" if xs else "and x is 0-d"
        raise ValueError(f"linear: x has shape {xs} but the weight has shape {ws}: x's last "
                         f"axis must have in_features = {ws[0]} elements, {got}")
    if b is not None and (b.data.shape if isinstance(b, Tensor) else np.shape(b)) != (ws[1],):
        raise ValueError(f"linear: the bias has shape {_shape_of(b)} but the weight has shape "
                         f"{ws}; the bias must have shape ({ws[1]},) (out_features)")
    return apply(LINEAR, (x, w, b), {})


# ---------------------------------------------------------------- cross entropy

def _row_sums(a: np.ndarray) -> np.ndarray:
    """Σ over axis 1 of a 2-D float array, as a matrix-vector product: several times
    faster than ``a.sum(axis=1)`` when rows are short (10 classes)."""
    key = (a.shape[1], a.dtype)
    ones = _ONES.get(key)
    if ones is None:
        ones = np.ones(a.shape[1], a.dtype)
        ones.flags.writeable = False
        ones = _ONES.setdefault(key, ones)
    return np.dot(a, ones)


_ONES: dict[tuple[int, np.dtype[Any]], np.ndarray] = {}  # read-only vectors of ones, reused


def _cross_entropy_forward(z: np.ndarray, t: np.ndarray, reduction: str) -> np.ndarray:
    return _cross_entropy_and_softmax(z, t, reduction)[0]


def _cross_entropy_and_softmax(z: np.ndarray, t: np.ndarray, reduction: str
                               ) -> tuple[np.ndarray, np.ndarray]:
    """The loss, and softmax(z) (the vjp's main term) from the same exponentials."""
    shifted = z - np.maximum.reduce(z, axis=1, keepdims=True)  # no overflow in exp
    probs = np.exp(shifted)
    sums = _row_sums(probs)
    log_sum = np.log(sums)
    probs /= sums[:, None]
    if t.ndim == 1:  # integer labels: each row's −log p(label) = log Σ exp − shifted[label]
        per_row = log_sum - shifted[np.arange(len(t)), t]
    else:            # probability targets: Σ t·(log Σ exp − shifted)
        shifted -= log_sum[:, None]
        per_row = -np.add.reduce(t * shifted, axis=1)
    if reduction == "mean":  # (np.mean sums float16 in float32: keep that)
        loss = np.asarray(np.mean(per_row) if per_row.dtype == np.float16
                          else np.add.reduce(per_row) / len(per_row))
    else:
        loss = np.asarray(np.add.reduce(per_row)) if reduction == "sum" else per_row
    return loss, probs


def _softmax_rows(z: np.ndarray) -> np.ndarray:
    """softmax(z) along axis 1 in one fresh array (ndarrays only).

    Shifted by the largest logit overall (one fast reduction) rather than each
    row's: exact the same unless a row's logits all sit so far below it that
    exp underflows, which the row sums show; then each row's maximum is used.
    """
    p = np.subtract(z, np.maximum.reduce(z, axis=None))
    np.exp(p, out=p)
    sums = _row_sums(p)
    if not sums.min() >= _NORMAL_SUM[p.dtype.char]:  # also NaN: take the careful path
        np.subtract(z, np.maximum.reduce(z, axis=1, keepdims=True), out=p)
        np.exp(p, out=p)
        sums = _row_sums(p)
    p /= sums[:, None]
    return p


# Row sums above this keep every probability at full precision (exp did not underflow
# into subnormals for any entry that matters): float's smallest normal x 2^mantissa bits.
_NORMAL_SUM = {np.dtype(d).char: float(np.finfo(d).tiny) * 2.0 ** np.finfo(d).nmant
               for d in (np.float16, np.float32, np.float64, np.longdouble)}


def _cross_entropy_vjp(ctx: VjpContext, g: Any) -> tuple[Any, ...]:
    z, t = ctx.inputs
    xp = ctx.xp
    n = z.shape[0]
    reduction = ctx.params["reduction"]
    if reduction == "none":
        g = xp.reshape(g, shape=(n, 1))
    elif reduction == "mean":
        g = g / n
    if t.ndim == 1:  # labels are a constant ndarray: d/dz = softmax(z) - one_hot(t)
        if not ctx.needs[0]:
            return None, None
        if type(z) is np.ndarray:  # first order: in place in one array
            # softmax(z) as the forward computed it (copied: a retained graph reuses it)
            p = _softmax_rows(z) if ctx.aux is None else ctx.aux.copy()
            p[np.arange(n), t] -= 1
            p *= g
            return p, None
        one_hot = np.zeros(z.shape, dtype=z.dtype)
        one_hot[np.arange(n), t] = 1
        return (xp.softmax(z, axis=1) - one_hot) * g, None
    # Targets need not sum to 1 (gradcheck perturbs them): d/dz = softmax(z)·Σt − t.
    softmax = ctx.aux if ctx.aux is not None else xp.softmax(z, axis=1)
    gz = (softmax * xp.sum(t, axis=1, keepdims=True) - t) * g if ctx.needs[0] else None
    gt = -xp.log_softmax(z, axis=1) * g if ctx.needs[1] else None
    return gz, gt


CROSS_ENTROPY = register(
    "cross_entropy", _cross_entropy_forward, _cross_entropy_vjp, symbol="CE", n_inputs=2,
    forward_aux=_cross_entropy_and_softmax,
    formula=("∂ℓ/∂z = softmax(z) − y (y one-hot or probabilities; ÷N for mean)",
             "labels: no gradient; probabilities: ∂ℓ/∂t = −log_softmax(z)"),
    latex=(r"\frac{\partial \ell}{\partial z} = \mathrm{softmax}(z) - y",
           r"\frac{\partial \ell}{\partial t} = -\log \mathrm{softmax}(z)"))


def check_labels(op: str, labels: Any, num_classes: int) -> np.ndarray:
    """Integer class labels as an int64 ndarray; a clear error naming any bad label.

    Whole-number floats are accepted (``2.0`` is class 2).

    >>> check_labels("one_hot", [0, 2.0], 3)
    array([0, 2])
    >>> check_labels("one_hot", [0, 3], 3)
    Traceback (most recent call last):
    ...
    ValueError: one_hot: label 3 (at position 1) is out of range for 3 classes; ...
    """
    arr = np.asarray(labels.data if isinstance(labels, Tensor) else labels)
    if arr.dtype.kind == "f":
        bad = np.flatnonzero(~np.isfinite(arr.ravel()) | (arr.ravel() != np.round(arr.ravel())))
        if bad.size:
            i = int(bad[0])
            raise ValueError(f"{op}: label {float(arr.ravel()[i])} (at position {i}) is not an "
                             f"integer; labels must be class indices in [0, {num_classes})")
        arr = arr.astype(np.int64)
    elif arr.dtype.kind not in "iu":
        raise TypeError(f"{op}: labels must be integer class indices, got dtype {arr.dtype}; "
                        "convert them, e.g. np.asarray(labels, dtype=np.int64)")
    # One pass: seen as unsigned, a negative label is larger than any class index.
    if arr.size and np.maximum.reduce(arr.view(arr.dtype.str.replace("i", "u")),
                                      axis=None) >= num_classes:
        bad = np.flatnonzero((arr.ravel() < 0) | (arr.ravel() >= num_classes))
        i = int(bad[0])
        raise ValueError(f"{op}: label {int(arr.ravel()[i])} (at position {i}) is out of range "
                         f"for {num_classes} classes; labels must be integers in "
                         f"[0, {num_classes})")
    return arr.astype(np.int64, copy=False)


def _check_reduction(op: str, reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {', '.join(map(repr, REDUCTIONS))}, "
                         f"not {reduction!r}")


def cross_entropy(logits: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Softmax cross entropy of logits (N, C), stable for any logit size, as one op.

    ``target`` is integer labels of shape (N,) or probabilities of shape (N, C)
    (a Tensor of probabilities may require grad). ``reduction``: "mean" over
    the batch, "sum", or "none" for the (N,) per-sample losses.

    >>> import autograd_lite as ag
    >>> logits = ag.tensor([[1000.0, 0.0], [0.0, 0.0]], requires_grad=True)
    >>> ag.ops.cross_entropy(logits, [0, 1], reduction="none")
    tensor([0.    , 0.6931], dtype=float32, grad_fn=<cross_entropy>)
    >>> ag.ops.cross_entropy(logits, [0, 2])
    Traceback (most recent call last):
    ...
    ValueError: cross_entropy: label 2 (at position 1) is out of range for 2 classes; ...
    """
    if reduction not in REDUCTIONS:
        _check_reduction("cross_entropy", reduction)
    shape = logits.data.shape if isinstance(logits, Tensor) else _shape_of(logits)
    if len(shape) != 2 or 0 in shape:
        raise ValueError(f"cross_entropy: logits must have shape (N, C) with N, C >= 1, got "
                         f"{shape}; for a single sample use logits[None] and target [label]")
    n, c = shape
    t_shape = _shape_of(target)
    if t_shape == (n,):
        target = check_labels("cross_entropy", target, c)
    elif t_shape == (n, c):
        if not isinstance(target, Tensor):
            dtype = np.asarray(logits.data if isinstance(logits, Tensor) else logits).dtype
            target = np.asarray(target, dtype=dtype if dtype.kind == "f" else get_default_dtype())
    else:
        raise ValueError(f"cross_entropy: target has shape {t_shape}, but logits of shape "
                         f"{shape} need integer labels of shape ({n},) or probabilities of "
                         f"shape ({n}, {c})")
    return apply(CROSS_ENTROPY, (logits, target), {"reduction": reduction})
