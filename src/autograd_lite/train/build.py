"""From a ``TrainConfig`` to the pieces ``fit`` takes: data, model, loss, optimizer, rules.

Every random choice comes from ``config.seed``: the validation split uses it
directly, and independent streams spawned from it initialise the model
(and drive its dropout) and order the batches.

>>> from autograd_lite.train.config import TrainConfig
>>> cfg = TrainConfig(hidden=(100,), loss="mse", output_activation="sigmoid")
>>> model = build_model(cfg, 784, 10)
>>> model.hidden_sizes, type(build_loss(cfg, 10)).__name__
([100], 'OneHotLoss')
>>> build_optimizer(cfg, model.parameters())
SGD(lr=0.1, momentum=0.9, dampening=0.0, nesterov=False, weight_decay=0.0; 4 parameter(s))
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from .. import data, nn, optim
from ..tensor import Tensor
from .config import DATASETS, TrainConfig
from .early_stopping import EarlyStopping, Patience, RelativeChange

__all__ = ["XY", "Splits", "build_data", "build_model", "build_loss", "build_optimizer",
           "build_scheduler", "build_early_stopping", "seed_streams", "OneHotLoss"]


class XY(NamedTuple):
    """Inputs and integer labels (like ``data.Split``, but in any float dtype)."""

    x: np.ndarray
    y: np.ndarray


@dataclass(frozen=True)
class Splits:
    """The data of a run: train, validation (None if ``val_fraction`` is 0) and test."""

    train: XY
    val: XY | None
    test: XY
    num_classes: int
    name: str


def seed_streams(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """Independent (model, data-order) generators from one seed.

    >>> a, _ = seed_streams(0); b, _ = seed_streams(0)
    >>> bool(a.integers(1 << 30) == b.integers(1 << 30))
    True
    """
    model_seq, data_seq = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(model_seq), np.random.default_rng(data_seq)


def _as_dtype(split: data.Split, dtype: str) -> XY:
    return XY(split.x.astype(dtype, copy=False), split.y)


NAMED_CLASSES = 10
"""Classes of every named dataset (``config.DATASETS``): ten digits or ten kinds of clothing."""


def _num_classes(name: str, dataset: data.Dataset) -> int:
    """10 for a named dataset; for a directory K, when its labels are exactly 0..K-1."""
    labels = np.union1d(dataset.train.y, dataset.test.y)
    if name in DATASETS:
        k = NAMED_CLASSES
        unexpected = labels[(labels < 0) | (labels >= k)]
    else:
        k = len(labels)
        unexpected = np.setdiff1d(labels, np.arange(k))
    if unexpected.size:
        missing = np.setdiff1d(np.arange(k), labels)
        raise ValueError(f"{dataset.name}: the labels must be the class numbers 0..{k - 1} "
                         f"({k} classes), but the data has unexpected label(s) "
                         f"{unexpected.tolist()}" + (f" and lacks {missing.tolist()}"
                                                     if missing.size else "")
                         + "; renumber the labels 0, 1, 2, ... without gaps")
    return k


def build_data(config: TrainConfig, dataset: data.Dataset | None = None) -> Splits:
    """Load ``config.dataset``, hold out ``val_fraction`` (stratified), cap at ``train_size``.

    Inputs are cast to ``config.dtype``. A named dataset has 10 classes; a
    directory's labels (train and test together) must be exactly 0..K-1,
    giving K classes (else ``ValueError`` naming the unexpected labels).
    ``dataset``: ``config.dataset`` already loaded (the grid search's workers
    keep it between runs); it is not modified.
    """
    if dataset is None:
        dataset = data.load_dataset(config.dataset)
    if config.val_fraction > 0:
        train, val = data.train_val_split(dataset.train, config.val_fraction, seed=config.seed)
    else:
        train, val = dataset.train, None
    if config.train_size is not None:
        if config.train_size > len(train.y):
            raise ValueError(f"train_size {config.train_size} is more than the "
                             f"{len(train.y)} training images of {dataset.name} (after holding "
                             f"out val_fraction {config.val_fraction}); lower train_size")
        train = data.Split(train.x[:config.train_size], train.y[:config.train_size])
    num_classes = _num_classes(config.dataset, dataset)
    val_xy = None if val is None else _as_dtype(val, config.dtype)
    return Splits(_as_dtype(train, config.dtype), val_xy, _as_dtype(dataset.test, config.dtype),
                  num_classes, dataset.name)


def build_model(config: TrainConfig, in_features: int, num_classes: int,
                rng: np.random.Generator | int | None = None) -> nn.MLP:
    """The ``nn.MLP`` the config describes (weights from ``rng``; default: from the seed)."""
    if rng is None:
        rng = seed_streams(config.seed)[0]
    model = nn.MLP(in_features, list(config.hidden), num_classes, activation=config.activation,
                   output_activation=config.output_activation, dropout=config.dropout,
                   init=config.init, rng=rng)
    return model.to(config.dtype)


class OneHotLoss:
    """``loss(output, one_hot(labels))``: mse / bce against one-hot targets from integer labels.

    >>> import autograd_lite as ag
    >>> OneHotLoss(nn.functional.mse_loss, 2)(ag.tensor([[1.0, 0.0]]), np.array([0]))
    tensor(0., dtype=float32)
    """

    def __init__(self, loss: Callable[[Any, Any], Tensor], num_classes: int) -> None:
        self.loss, self.num_classes = loss, num_classes

    def __call__(self, output: Tensor, labels: np.ndarray) -> Tensor:
        target = nn.functional.one_hot(labels, self.num_classes, dtype=output.dtype)
        return self.loss(output, target)

    def __repr__(self) -> str:
        return f"OneHotLoss({getattr(self.loss, '__name__', self.loss)}, {self.num_classes})"


def build_loss(config: TrainConfig, num_classes: int) -> Callable[[Any, np.ndarray], Tensor]:
    """``loss_fn(output, labels)``: cross entropy on logits, or mse / bce on one-hot targets.

    bce takes the probabilities of a sigmoid or softmax output, or, with no
    output activation, the logits (``binary_cross_entropy_with_logits``).
    """
    F = nn.functional
    if config.loss == "cross-entropy":
        return nn.CrossEntropyLoss()
    if config.loss == "mse":
        return OneHotLoss(F.mse_loss, num_classes)
    if config.output_activation is None:
        return OneHotLoss(F.binary_cross_entropy_with_logits, num_classes)
    return OneHotLoss(F.binary_cross_entropy, num_classes)


def build_optimizer(config: TrainConfig, params: Iterable[Any]) -> optim.Optimizer:
    """SGD (momentum, nesterov, weight decay) or Adam (``momentum`` is its beta1)."""
    if config.optimizer == "adam":
        return optim.Adam(params, lr=config.lr, betas=(config.momentum, 0.999),
                          weight_decay=config.weight_decay)
    return optim.SGD(params, lr=config.lr, momentum=config.momentum, nesterov=config.nesterov,
                     weight_decay=config.weight_decay)


def build_scheduler(config: TrainConfig, optimizer: optim.Optimizer) -> optim.StepLR | None:
    """A StepLR if ``config.lr_step`` is set, else None."""
    if config.lr_step is None:
        return None
    return optim.StepLR(optimizer, step_size=config.lr_step, gamma=config.lr_gamma)


def build_early_stopping(config: TrainConfig) -> EarlyStopping | None:
    """``RelativeChange("train_loss", tolerance)``, ``Patience("val_loss", patience)`` or None.

    >>> build_early_stopping(TrainConfig())
    RelativeChange('train_loss', tol=0.001)
    """
    if config.early_stop == "relative":
        return RelativeChange("train_loss", config.tolerance)
    if config.early_stop == "patience":
        return Patience("val_loss", config.patience)
    return None
