"""The training loop: ``fit`` (epochs of shuffled mini-batches) and ``evaluate``.

>>> import numpy as np
>>> from autograd_lite import nn, optim
>>> from autograd_lite.data import Split
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=(200, 2)).astype(np.float32)
>>> y = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
>>> model = nn.MLP(2, [], 2, rng=0)
>>> opt = optim.SGD(model.parameters(), lr=0.5)
>>> history = fit(model, nn.CrossEntropyLoss(), opt, Split(x, y), epochs=5, rng=0,
...               progress=False)
>>> len(history), history.last.train_accuracy > 0.9
(5, True)
>>> loss, accuracy = evaluate(model, Split(x, y), nn.CrossEntropyLoss())
>>> accuracy > 0.9
True
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from ..autograd import no_grad
from ..creation import as_generator
from ..data import batches
from ..nn import Module
from ..optim import Optimizer
from ..tensor import Tensor
from .checkpoint import load_checkpoint, restore_checkpoint, save_checkpoint
from .early_stopping import EarlyStopping
from .history import EpochRecord, History

__all__ = ["fit", "evaluate", "LossFn", "tqdm_class"]

LossFn = Callable[[Any, np.ndarray], Tensor]
"""``loss_fn(model_output, labels) -> scalar Tensor`` (the batch mean), e.g. nn.CrossEntropyLoss()."""

Seed = int | np.random.Generator | None


def _split(what: str, data: Any) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) from a ``data.Split`` (anything with .x and .y) or an (x, y) pair."""
    if hasattr(data, "x") and hasattr(data, "y"):
        x, y = data.x, data.y
    elif isinstance(data, (tuple, list)) and len(data) == 2:
        x, y = data
    else:
        raise TypeError(f"fit: {what} must be a data.Split or an (x, y) pair of arrays, got "
                        f"{type(data).__name__}")
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim < 1 or y.ndim != 1 or len(x) != len(y):
        raise ValueError(f"fit: {what} needs x of shape (N, ...) and integer labels y of shape "
                         f"(N,), got x {x.shape} and y {y.shape}")
    if len(y) == 0:
        raise ValueError(f"fit: {what} is empty")
    return x, y


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"fit: {name} must be a positive int, got {value!r}")
    return int(value)


def _correct(out: Tensor, y: np.ndarray) -> int:
    scores = out.data if isinstance(out, Tensor) else np.asarray(out)
    if scores.ndim != 2:
        raise ValueError(f"accuracy: the model output has shape {scores.shape}; expected class "
                         "scores of shape (N, num_classes)")
    return int(np.count_nonzero(scores.argmax(axis=1) == y))


def evaluate(model: Module, split: Any, loss_fn: LossFn | None = None, batch_size: int = 1000
             ) -> tuple[float, float]:
    """``(mean loss, accuracy)`` of ``model`` on ``split``, in eval mode under ``no_grad``.

    The loss is NaN without ``loss_fn``. The model's train/eval mode is
    restored afterwards.

    >>> import numpy as np
    >>> from autograd_lite import nn
    >>> model = nn.Linear(2, 2, init="zeros")
    >>> evaluate(model, (np.ones((4, 2), np.float32), np.array([0, 0, 1, 1])))
    (nan, 0.5)
    """
    x, y = _split("split", split)
    batch_size = _positive_int("batch_size", batch_size)
    was_training = model.training
    model.eval()
    total_loss, correct = 0.0, 0
    try:
        with no_grad():
            for start in range(0, len(y), batch_size):
                xb, yb = x[start:start + batch_size], y[start:start + batch_size]
                out = model(xb)
                correct += _correct(out, yb)
                if loss_fn is not None:
                    total_loss += float(loss_fn(out, yb).item()) * len(yb)
    finally:
        model.train(was_training)
    loss = total_loss / len(y) if loss_fn is not None else math.nan
    return loss, correct / len(y)


def tqdm_class() -> Any:
    """``tqdm.auto.tqdm``, or ImportError saying how to install it or do without it.

    ``run`` calls this before writing any file; the CLI, on ImportError,
    trains without a progress bar instead.
    """
    try:
        from tqdm.auto import tqdm
    except ImportError:
        raise ImportError("fit(progress=True) shows a tqdm progress bar, but tqdm is not "
                          "installed: pip install autograd-lite[train] (or pass "
                          "progress=False; on the command line, autograd-lite train "
                          "--quiet)") from None
    return tqdm


@contextmanager
def _progress_bar(enabled: bool, total: int, desc: str) -> Iterator[Any]:
    """A tqdm bar on stderr (cleared when done), or None when disabled."""
    if not enabled:
        yield None
        return
    tqdm = tqdm_class()
    bar = tqdm(total=total, desc=desc, leave=False, unit="batch", dynamic_ncols=True)
    try:
        yield bar
    finally:
        bar.close()


def _train_epoch(model: Module, loss_fn: LossFn, optimizer: Optimizer, x: np.ndarray, y: np.ndarray,
                 batch_size: int, rng: np.random.Generator, bar: Any, epoch: int
                 ) -> tuple[float, float]:
    """One pass over the shuffled training data; ``(mean loss, accuracy)`` as trained."""
    model.train()
    total_loss, correct, seen = 0.0, 0, 0
    for step, (xb, yb) in enumerate(batches(x, y, batch_size, shuffle=True, rng=rng), 1):
        optimizer.zero_grad()
        out = model(xb)
        loss = loss_fn(out, yb)
        loss.backward()
        optimizer.step()
        value = float(loss.item())
        if not math.isfinite(value):
            lr = optimizer.param_groups[0]["lr"]
            raise FloatingPointError(f"fit: the training loss became {value} at epoch {epoch}, "
                                     f"batch {step}; the run diverged: lower the learning rate "
                                     f"(lr={lr:g})")
        total_loss += value * len(yb)
        correct += _correct(out, yb)
        seen += len(yb)
        if bar is not None:
            bar.update(1)
            if step % 10 == 0:
                bar.set_postfix(loss=f"{total_loss / seen:.4f}", refresh=False)
    return total_loss / seen, correct / seen


def fit(model: Module, loss_fn: LossFn, optimizer: Optimizer, train: Any, val: Any = None,
        epochs: int = 50, batch_size: int = 32, early_stopping: EarlyStopping | None = None,
        rng: Seed = None, progress: bool = True,
        checkpoint: str | os.PathLike[str] | None = None,
        resume: str | os.PathLike[str] | None = None, scheduler: Any = None, *,
        on_epoch: Callable[[EpochRecord], None] | None = None,
        checkpoint_meta: dict[str, Any] | None = None) -> History:
    """Train ``model`` for up to ``epochs`` epochs of shuffled mini-batches; the ``History``.

    Each epoch: every batch of ``train`` in an order drawn from ``rng`` (a
    seed or Generator; None: the global generator) is a step of
    ``optimizer``; then ``val`` (if given) is evaluated, ``scheduler.step()``
    runs, the epoch is recorded, ``early_stopping.update(record)`` may end
    the run, ``checkpoint`` (a path) is rewritten atomically and
    ``on_epoch(record)`` is called. ``resume`` (a checkpoint path) restores
    the model, optimizer, scheduler, early-stopping rule, history and every
    generator (data order and dropout), so that the run continues exactly
    as if it had never stopped; build the model, optimizer and scheduler as
    for the original run and pass the same ``epochs`` or more. A checkpoint
    that does not fit them is refused (``ValueError``) before anything
    changes. (A run that early stopping ended is finished: resuming it
    returns its history.)

    ``train``/``val`` are ``data.Split``s or ``(x, y)`` pairs with integer
    labels; ``loss_fn(output, labels)`` returns the batch's mean loss.
    ``progress`` shows a tqdm bar per epoch on stderr (without tqdm installed:
    ``ImportError`` before anything changes). A non-finite training loss
    raises ``FloatingPointError``.
    """
    x, y = _split("train", train)
    val_xy = None if val is None else _split("val", val)
    epochs = _positive_int("epochs", epochs)
    batch_size = _positive_int("batch_size", batch_size)
    if early_stopping is not None and early_stopping.metric.startswith("val_") and val is None:
        raise ValueError(f"fit: {early_stopping!r} watches {early_stopping.metric}, but no "
                         "validation split was given; pass val=... or watch a train_ metric")
    if progress:
        tqdm_class()  # before a resume changes the model
    data_rng = as_generator(rng)
    history = History()
    start = 1
    if resume is not None:
        ckpt = load_checkpoint(resume)
        if ckpt.epoch > epochs:
            raise ValueError(f"fit: the checkpoint {os.fspath(resume)!r} has already trained "
                             f"{ckpt.epoch} epochs, more than epochs={epochs}; pass epochs >= "
                             f"{ckpt.epoch}")
        restore_checkpoint(ckpt, model=model, optimizer=optimizer, data_rng=data_rng,
                           early_stopping=early_stopping, scheduler=scheduler)
        history, start = ckpt.history, ckpt.epoch + 1
        if ckpt.stopped:
            return history
    n_batches = math.ceil(len(y) / batch_size)
    for epoch in range(start, epochs + 1):
        began = time.perf_counter()
        lr = float(optimizer.param_groups[0]["lr"])
        with _progress_bar(progress, n_batches, f"epoch {epoch}/{epochs}") as bar:
            train_loss, train_acc = _train_epoch(model, loss_fn, optimizer, x, y, batch_size,
                                                 data_rng, bar, epoch)
        val_loss = val_acc = None
        if val_xy is not None:
            val_loss, val_acc = evaluate(model, val_xy, loss_fn)
        if scheduler is not None:
            scheduler.step()
        record = EpochRecord(epoch, train_loss, train_acc, val_loss, val_acc,
                             time.perf_counter() - began, lr)
        history.append(record)
        stop = False
        if early_stopping is not None and early_stopping.update(record):
            stop, history.stop_reason = True, early_stopping.reason
        if checkpoint is not None:
            save_checkpoint(checkpoint, model=model, optimizer=optimizer, epoch=epoch,
                            history=history, data_rng=data_rng,
                            early_stopping=early_stopping, scheduler=scheduler, stopped=stop,
                            meta=checkpoint_meta)
        if on_epoch is not None:
            on_epoch(record)
        if stop:
            break
    return history
