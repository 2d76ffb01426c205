"""Loss modules: the ``nn.functional`` losses with their ``reduction`` kept as a setting.

>>> import autograd_lite as ag
>>> from autograd_lite import nn
>>> loss_fn = nn.CrossEntropyLoss()
>>> loss_fn(ag.tensor([[0.0, 0.0]]), [1])
tensor(0.6931, dtype=float32)
"""

from __future__ import annotations

from typing import Any

from ..ops.fused import REDUCTIONS
from ..tensor import Tensor
from . import functional as F
from .module import Module

__all__ = ["CrossEntropyLoss", "NLLLoss", "MSELoss", "BCELoss", "BCEWithLogitsLoss"]


class _Loss(Module):
    """A loss with a ``reduction`` ("mean", "sum" or "none")."""

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: reduction must be one of "
                             f"{', '.join(map(repr, REDUCTIONS))}, not {reduction!r}")
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class CrossEntropyLoss(_Loss):
    """``F.cross_entropy(logits, target)``: logits (N, C), labels (N,) or probabilities (N, C).

    >>> import autograd_lite as ag
    >>> CrossEntropyLoss(reduction="sum")(ag.tensor([[0.0, 0.0], [0.0, 0.0]]), [0, 1])
    tensor(1.3863, dtype=float32)
    """

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.cross_entropy(input, target, reduction=self.reduction)


class NLLLoss(_Loss):
    """``F.nll_loss(log_probs, labels)``; after ``LogSoftmax`` it is cross entropy.

    >>> import autograd_lite as ag
    >>> NLLLoss()(ag.tensor([[-0.5, -2.0]]), [0])
    tensor(0.5, dtype=float32)
    """

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.nll_loss(input, target, reduction=self.reduction)


class MSELoss(_Loss):
    """``F.mse_loss(input, target)``: mean squared error over every element.

    >>> import autograd_lite as ag
    >>> MSELoss()(ag.tensor([1.0, 3.0]), [1.0, 1.0])
    tensor(2., dtype=float32)
    """

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class BCELoss(_Loss):
    """``F.binary_cross_entropy(probabilities, target)`` (logs clamped at 1e-12).

    >>> import autograd_lite as ag
    >>> BCELoss()(ag.tensor([0.5]), [1.0])
    tensor(0.6931, dtype=float32)
    """

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.binary_cross_entropy(input, target, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """``F.binary_cross_entropy_with_logits(logits, target)``: stable for any logit.

    >>> import autograd_lite as ag
    >>> BCEWithLogitsLoss()(ag.tensor([0.0]), [1.0])
    tensor(0.6931, dtype=float32)
    """

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, reduction=self.reduction)
