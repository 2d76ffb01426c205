"""Early stopping rules: ``RelativeChange`` (the classic reports' rule) and ``Patience``.

A rule sees each epoch's ``EpochRecord`` through ``update(record)`` and
answers whether to stop; ``reason`` then says why. Its state is plain data
(``state_dict`` / ``load_state_dict``), so checkpoints can resume it exactly.

>>> from autograd_lite.train.history import EpochRecord
>>> rule = RelativeChange("train_loss", 1e-3)
>>> [rule.update(EpochRecord(i + 1, loss, 0.9, None, None, 1.0, 0.1))
...  for i, loss in enumerate([0.5, 0.4, 0.3999])]
[False, False, True]
>>> rule.reason
'train_loss changed by 0.025% (< 0.1%) from epoch 2 to epoch 3'
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Any

from .history import METRICS, EpochRecord

__all__ = ["EarlyStopping", "RelativeChange", "Patience"]


class EarlyStopping(ABC):
    """Base of the rules: watches one metric of ``EpochRecord`` (``METRICS``)."""

    def __init__(self, metric: str) -> None:
        if metric not in METRICS:
            raise ValueError(f"{type(self).__name__}: unknown metric {metric!r}; choose one of "
                             f"{', '.join(map(repr, METRICS))}")
        self.metric = metric
        self.reason: str | None = None

    def _value(self, record: EpochRecord) -> float:
        value = getattr(record, self.metric)
        if value is None:
            raise ValueError(f"{self!r}: epoch {record.epoch} has no {self.metric} (no "
                             "validation split); pass val=... to fit, or watch a train_ metric")
        return float(value)

    @abstractmethod
    def update(self, record: EpochRecord) -> bool:
        """Take the next epoch's record; True when training should stop."""

    @abstractmethod
    def state_dict(self) -> dict[str, Any]:
        """The rule's progress as plain data (for checkpoints)."""

    @abstractmethod
    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from a ``state_dict()``."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.metric!r})"


class RelativeChange(EarlyStopping):
    """Stop when ``metric`` changes by less than ``tol`` (relative) between two consecutive epochs.

    ``|m_t - m_(t-1)| < tol * |m_(t-1)|``; the default is the classic
    reports' rule: the training loss moves by less than 0.1%.

    >>> RelativeChange(tol=0)
    Traceback (most recent call last):
    ...
    ValueError: RelativeChange: tol must be > 0 (e.g. 1e-3 for 0.1%), got 0
    """

    def __init__(self, metric: str = "train_loss", tol: float = 1e-3) -> None:
        super().__init__(metric)
        if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not tol > 0:
            raise ValueError(f"RelativeChange: tol must be > 0 (e.g. 1e-3 for 0.1%), got {tol!r}")
        self.tol = float(tol)
        self.previous: float | None = None
        self.previous_epoch = 0

    def update(self, record: EpochRecord) -> bool:
        value = self._value(record)
        previous, self.previous, prev_epoch = self.previous, value, self.previous_epoch
        self.previous_epoch = record.epoch
        if previous is None or not math.isfinite(previous):
            return False
        change = abs(value - previous)
        if change < self.tol * abs(previous):
            self.reason = (f"{self.metric} changed by {100 * change / abs(previous):.3g}% "
                           f"(< {100 * self.tol:.3g}%) from epoch {prev_epoch} to epoch "
                           f"{record.epoch}")
            return True
        return False

    def state_dict(self) -> dict[str, Any]:
        return {"previous": self.previous, "previous_epoch": self.previous_epoch,
                "reason": self.reason}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.previous, self.previous_epoch = state["previous"], state["previous_epoch"]
        self.reason = state["reason"]

    def __repr__(self) -> str:
        return f"RelativeChange({self.metric!r}, tol={self.tol:g})"


class Patience(EarlyStopping):
    """Stop when ``metric`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    Losses improve downwards, accuracies upwards.

    >>> from autograd_lite.train.history import EpochRecord
    >>> rule = Patience("val_loss", patience=2)
    >>> [rule.update(EpochRecord(i + 1, 0.5, 0.9, v, 0.9, 1.0, 0.1))
    ...  for i, v in enumerate([0.5, 0.4, 0.45, 0.41])]
    [False, False, False, True]
    >>> rule.reason
    'val_loss has not improved on 0.4 (epoch 2) for 2 epochs'
    """

    def __init__(self, metric: str = "val_loss", patience: int = 5, min_delta: float = 0.0
                 ) -> None:
        super().__init__(metric)
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 1:
            raise ValueError(f"Patience: patience must be an int >= 1, got {patience!r}")
        if isinstance(min_delta, bool) or not isinstance(min_delta, (int, float)) \
                or not min_delta >= 0:
            raise ValueError(f"Patience: min_delta must be >= 0, got {min_delta!r}")
        self.patience, self.min_delta = patience, float(min_delta)
        self.sign = -1.0 if metric.endswith("accuracy") else 1.0  # compare as "lower is better"
        self.best: float | None = None
        self.best_epoch = 0
        self.waited = 0

    def update(self, record: EpochRecord) -> bool:
        value = self.sign * self._value(record)
        if self.best is None or value < self.best - self.min_delta:
            self.best, self.best_epoch, self.waited = value, record.epoch, 0
            return False
        self.waited += 1
        if self.waited >= self.patience:
            self.reason = (f"{self.metric} has not improved on {self.sign * self.best:.4g} "
                           f"(epoch {self.best_epoch}) for {self.waited} epochs")
            return True
        return False

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "best_epoch": self.best_epoch, "waited": self.waited,
                "reason": self.reason}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best, self.best_epoch = state["best"], state["best_epoch"]
        self.waited, self.reason = state["waited"], state["reason"]

    def __repr__(self) -> str:
        return f"Patience({self.metric!r}, patience={self.patience}, min_delta={self.min_delta:g})"
