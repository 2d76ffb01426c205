"""Stateless neural-network functions: activations, dropout, one_hot and losses.

``linear`` and ``cross_entropy`` are the engine's fused ops (one graph node
each); the activations are the engine's ops; the other losses are short
compositions of ops, so their gradients come from the ops' own rules.

>>> import autograd_lite as ag
>>> from autograd_lite.nn import functional as F
>>> logits = ag.tensor([[2.0, 0.0], [0.0, 2.0]], requires_grad=True)
>>> F.cross_entropy(logits, [0, 1])
tensor(0.1269, dtype=float32, grad_fn=<cross_entropy>)
>>> F.nll_loss(F.log_softmax(logits, axis=1), [0, 1])
tensor(0.1269, dtype=float32, grad_fn=<mean>)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..creation import as_generator
from ..ops import (clip, cross_entropy, getitem, linear, log, log_softmax, logsumexp,
                   mean, mul, neg, relu, sigmoid, softmax, stack, sub, sum, tanh)
from ..ops.fused import REDUCTIONS, check_labels
from ..tensor import Tensor, get_default_dtype
from .init import Seed

__all__ = ["linear", "sigmoid", "relu", "tanh", "softmax", "log_softmax", "dropout", "one_hot",
           "cross_entropy", "nll_loss", "mse_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "check_dropout_p"]

BCE_LOG_FLOOR = 1e-12
"""``binary_cross_entropy`` takes log(max(p, 1e-12)): a sure wrong answer costs ≈ 27.6, not inf."""


def _shape_of(x: Any) -> tuple[int, ...]:
    return np.shape(x.data if isinstance(x, Tensor) else x)


def _dtype_of(x: Any) -> np.dtype[Any]:
    dtype = np.asarray(x.data if isinstance(x, Tensor) else x).dtype
    return dtype if dtype.kind == "f" else get_default_dtype()


def _reduce(op: str, losses: Tensor, reduction: str) -> Tensor:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {', '.join(map(repr, REDUCTIONS))}, "
                         f"not {reduction!r}")
    if reduction == "mean":
        return mean(losses)
    return sum(losses) if reduction == "sum" else losses


def _same_shape_target(op: str, input: Any, target: Any) -> Any:
    """``target`` checked to have the input's shape; arrays get the input's float dtype."""
    if _shape_of(input) != _shape_of(target):
        raise ValueError(f"{op}: input has shape {_shape_of(input)} but target has shape "
                         f"{_shape_of(target)}; they must match (reshape one: broadcasting "
                         "them here is almost always a bug)")
    return target if isinstance(target, Tensor) else np.asarray(target, dtype=_dtype_of(input))


# ---------------------------------------------------------------- dropout, one_hot

def check_dropout_p(op: str, p: Any) -> float:
    """``p`` as a float, if it is a valid drop probability in [0, 1).

    >>> check_dropout_p("Dropout", 1.0)
    Traceback (most recent call last):
    ...
    ValueError: Dropout: p must be in [0, 1) (the probability of dropping each unit), got 1.0
    """
    if isinstance(p, bool) or not isinstance(p, (int, float, np.floating, np.integer)) \
            or not 0 <= p < 1:
        raise ValueError(f"{op}: p must be in [0, 1) (the probability of dropping each unit), "
                         f"got {p!r}")
    return float(p)


def dropout(x: Tensor, p: float = 0.5, training: bool = True, rng: Seed = None) -> Tensor:
    """Inverted dropout: zero each element with probability ``p``, scale the rest by 1/(1−p).

    The expected value is unchanged, so nothing changes at test time: with
    ``training=False`` or ``p=0`` it returns ``x`` itself. ``rng`` is a seed
    (the same mask on every call) or a Generator (a new mask each call).

    >>> import autograd_lite as ag
    >>> dropout(ag.ones(6), 0.5, rng=0)
    tensor([2., 0., 0., 0., 2., 2.], dtype=float32)
    """
    p = check_dropout_p("dropout", p)
    if not training or p == 0:
        return x
    keep = as_generator(rng).random(_shape_of(x)) >= p
    return mul(x, keep.astype(_dtype_of(x)) * (1.0 / (1.0 - p)))


def one_hot(labels: Any, num_classes: int, dtype: Any = None) -> Tensor:
    """Rows of the identity: ``one_hot([2], 3)`` is ``[[0, 0, 1]]`` (float, default dtype).

    >>> one_hot([0, 2], 3)
    tensor([[1., 0., 0.],
            [0., 0., 1.]], dtype=float32)
    """
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) \
            or num_classes < 1:
        raise ValueError(f"one_hot: num_classes must be a positive int, got {num_classes!r}")
    index = check_labels("one_hot", labels, int(num_classes))
    return Tensor._wrap(np.eye(num_classes, dtype=dtype or get_default_dtype())[index])


# ---------------------------------------------------------------- losses

def nll_loss(log_probs: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of integer labels (N,) under log-probabilities (N, C).

    ``nll_loss(log_softmax(z, axis=1), y)`` equals ``cross_entropy(z, y)``.

    >>> import autograd_lite as ag, math
    >>> nll_loss(ag.tensor([[math.log(0.5), math.log(0.5)]]), [1])
    tensor(0.6931, dtype=float32)
    """
    shape = _shape_of(log_probs)
    if len(shape) != 2:
        raise ValueError(f"nll_loss: log_probs must have shape (N, C), got {shape}")
    labels = check_labels("nll_loss", target, shape[1])
    if labels.shape != shape[:1]:
        raise ValueError(f"nll_loss: target has shape {labels.shape} but log_probs has shape "
                         f"{shape}; it needs one integer label per row: shape ({shape[0]},)")
    picked = getitem(log_probs, (np.arange(shape[0]), labels))
    return _reduce("nll_loss", neg(picked), reduction)


def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Squared error ``(input − target)²``, averaged over every element by default.

    >>> import autograd_lite as ag
    >>> mse_loss(ag.tensor([1.0, 3.0]), [0.0, 0.0])
    tensor(5., dtype=float32)
    """
    diff = sub(input, _same_shape_target("mse_loss", input, target))
    return _reduce("mse_loss", mul(diff, diff), reduction)


def binary_cross_entropy(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Binary cross entropy of probabilities ``input`` in [0, 1] against targets in [0, 1].

    ``−[t·log p + (1−t)·log(1−p)]``, with each log's argument clamped below at
    ``BCE_LOG_FLOOR`` (1e-12): a confidently wrong p of exactly 0 or 1 costs
    about 27.6 instead of inf (and gets no gradient there). For training on
    logits, ``binary_cross_entropy_with_logits`` is exact and stable.

    >>> import autograd_lite as ag
    >>> binary_cross_entropy(ag.tensor([0.5, 1.0]), [1.0, 0.0], reduction="none")
    tensor([ 0.6931, 27.631 ], dtype=float32)
    """
    target = _same_shape_target("binary_cross_entropy", input, target)
    data = np.asarray(input.data if isinstance(input, Tensor) else input)
    if data.size and not (data.min() >= 0 and data.max() <= 1):
        raise ValueError(f"binary_cross_entropy: input must be probabilities in [0, 1], but it "
                         f"has values in [{data.min():.4g}, {data.max():.4g}]; for logits use "
                         "binary_cross_entropy_with_logits")
    log_p = log(clip(input, BCE_LOG_FLOOR, None))
    log_not_p = log(clip(sub(1.0, input), BCE_LOG_FLOOR, None))
    losses = neg(mul(target, log_p) + mul(sub(1.0, target), log_not_p))
    return _reduce("binary_cross_entropy", losses, reduction)


def binary_cross_entropy_with_logits(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Binary cross entropy of ``sigmoid(input)``, computed from the logits, stably.

    Uses ``softplus(z) − t·z`` with ``softplus(z) = logsumexp([0, z])``: no
    overflow for any z, and the exact gradient ``sigmoid(z) − t`` (also at z = 0).

    >>> import autograd_lite as ag
    >>> binary_cross_entropy_with_logits(ag.tensor([0.0, 100.0, -100.0]), [1.0, 1.0, 1.0],
    ...                                  reduction="none")
    tensor([  0.6931,   0.    , 100.    ], dtype=float32)
    """
    target = _same_shape_target("binary_cross_entropy_with_logits", input, target)
    zeros = np.zeros(_shape_of(input), dtype=_dtype_of(input))
    softplus = logsumexp(stack([zeros, input], axis=-1), axis=-1)
    return _reduce("binary_cross_entropy_with_logits", sub(softplus, mul(target, input)),
                   reduction)
