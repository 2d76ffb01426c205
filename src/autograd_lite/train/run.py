"""``run(config)``: one whole training run from a ``TrainConfig``, with its files.

This is what the CLI and the grid search call: build the data, model, loss,
optimizer and rules from the config; ``fit``; evaluate on train, validation
and test; and, given ``out_dir``, write

- ``config.json``      the config (canonical JSON), written first, once every check
                       has passed (matplotlib and tqdm present, the data loaded, a
                       ``resume`` checkpoint fits): a refused run writes nothing
- ``checkpoint.npz``   rewritten after every epoch (``resume=`` continues from it)
- ``model.npz``        the trained weights (``nn.save``; load with ``nn.load_state``)
- ``history.json``     ``History.to_json()``
- ``curves.png``       learning curves (``plots.learning_curves``)
- ``result.json``      the final losses and accuracies (``RunResult.metrics()``)

>>> from autograd_lite.train import TrainConfig, run
>>> result = run(TrainConfig(epochs=1, train_size=500), progress=False)
>>> len(result.history), 0.5 < result.test_accuracy <= 1
(1, True)
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import data, nn
from .._io import atomic_write_text
from .build import (build_data, build_early_stopping, build_loss, build_model, build_optimizer,
                    build_scheduler, seed_streams)
from .checkpoint import Checkpoint, check_restore, load_checkpoint
from .config import TrainConfig
from .history import EpochRecord, History
from .loop import evaluate, fit, tqdm_class
from .plots import _matplotlib, learning_curves

__all__ = ["run", "RunResult", "OUTPUT_FILES"]

OUTPUT_FILES = ("config.json", "checkpoint.npz", "model.npz", "history.json", "curves.png",
                "result.json")


@dataclass
class RunResult:
    """What a run produced: its config, history, final metrics, model and output directory.

    The final metrics are measured after training, in eval mode, on the
    whole of each split (``val_*`` are None without a validation split).
    """

    config: TrainConfig
    history: History
    train_loss: float
    train_accuracy: float
    val_loss: float | None
    val_accuracy: float | None
    test_loss: float
    test_accuracy: float
    seconds: float
    out_dir: str | None = None
    model: nn.Module | None = field(default=None, repr=False, compare=False)

    def metrics(self) -> dict[str, Any]:
        """The final numbers as a JSON-ready dict (what ``result.json`` holds).

        >>> r = RunResult(TrainConfig(), History(), 0.1, 0.97, None, None, 0.2, 0.93, 1.5)
        >>> r.metrics()["test_accuracy"], r.metrics()["epochs"]
        (0.93, 0)
        """
        return {"train_loss": self.train_loss, "train_accuracy": self.train_accuracy,
                "val_loss": self.val_loss, "val_accuracy": self.val_accuracy,
                "test_loss": self.test_loss, "test_accuracy": self.test_accuracy,
                "epochs": len(self.history), "stop_reason": self.history.stop_reason,
                "seconds": self.seconds}

    def summary(self) -> str:
        """A table of the final accuracy and loss per split; the last line is the test accuracy.

        >>> r = RunResult(TrainConfig(), History(), 0.1, 0.97, None, None, 0.2, 0.93, 1.5)
        >>> print(r.summary())
        split  accuracy    loss
        train    0.9700  0.1000
        val           -       -
        test     0.9300  0.2000
        test accuracy: 0.9300
        """
        def row(name: str, acc: float | None, loss: float | None) -> str:
            if acc is None or loss is None:
                return f"{name:5s}  {'-':>8s}  {'-':>6s}"
            return f"{name:5s}  {acc:8.4f}  {loss:6.4f}"
        return "\n".join(["split  accuracy    loss",
                          row("train", self.train_accuracy, self.train_loss),
                          row("val", self.val_accuracy, self.val_loss),
                          row("test", self.test_accuracy, self.test_loss),
                          f"test accuracy: {self.test_accuracy:.4f}"])


def _check_resume_config(config: TrainConfig, path: str | os.PathLike[str]) -> Checkpoint:
    """The checkpoint, if it comes from a run with the same config (``epochs`` may grow)."""
    ckpt = load_checkpoint(path)
    saved = ckpt.meta.get("config")
    if saved is not None:
        try:  # canonical spellings, e.g. of the dataset's name
            saved = TrainConfig.from_dict(saved).to_dict()
        except (ValueError, TypeError):
            pass  # compared as stored
        now = config.to_dict()
        differ = sorted(k for k in set(saved) | set(now)
                        if k != "epochs" and saved.get(k) != now.get(k))
        if differ:
            changes = ", ".join(f"{k}: {saved.get(k)!r} -> {now.get(k)!r}" for k in differ)
            raise ValueError(f"resume: the checkpoint {os.fspath(path)!r} was made with "
                             f"different settings ({changes}); resume with the run's own "
                             "settings (only epochs may change)")
    if ckpt.epoch > config.epochs:
        raise ValueError(f"resume: the checkpoint {os.fspath(path)!r} has already trained "
                         f"{ckpt.epoch} epochs, more than epochs={config.epochs}; pass epochs "
                         f">= {ckpt.epoch}")
    return ckpt


def run(config: TrainConfig, out_dir: str | os.PathLike[str] | None = None,
        progress: bool = True, *, resume: str | os.PathLike[str] | None = None,
        on_epoch: Callable[[EpochRecord], None] | None = None,
        dataset: data.Dataset | None = None) -> RunResult:
    """Train and evaluate the model ``config`` describes; write its files to ``out_dir``.

    ``resume``: a ``checkpoint.npz`` from an earlier run with the same config
    (``epochs`` may be larger) to continue exactly. ``on_epoch(record)`` is
    called after each epoch (the CLI prints rows with it). ``dataset``:
    ``config.dataset`` already loaded (``data.load_dataset``), to skip loading it.

    Everything that can refuse the run is checked before any file is
    written: matplotlib (with ``out_dir``) and tqdm (with ``progress``) are
    importable, the data loads, and ``resume`` has the same settings, no more
    epochs than ``config.epochs`` and state that fits the model, optimizer,
    scheduler, early-stopping rule and generators.
    """
    if not isinstance(config, TrainConfig):
        raise TypeError(f"run: expects a TrainConfig, got {type(config).__name__}; build one "
                        "with TrainConfig(...) or TrainConfig.from_dict(d)")
    began = time.perf_counter()
    out = None if out_dir is None else os.fspath(out_dir)
    if out is not None:
        _matplotlib()  # fail before training, not after, if curves.png cannot be drawn
    if progress:
        tqdm_class()  # likewise for the progress bar
    ckpt = None if resume is None else _check_resume_config(config, resume)

    splits = build_data(config, dataset)
    model_rng, data_rng = seed_streams(config.seed)
    model = build_model(config, splits.train.x.shape[1], splits.num_classes, model_rng)
    loss_fn = build_loss(config, splits.num_classes)
    optimizer = build_optimizer(config, model.parameters())
    scheduler = build_scheduler(config, optimizer)
    early_stopping = build_early_stopping(config)
    if ckpt is not None:  # fit restores it; check now that it will fit, before writing
        check_restore(ckpt, model=model, optimizer=optimizer, data_rng=data_rng,
                      early_stopping=early_stopping, scheduler=scheduler)
    if out is not None:
        os.makedirs(out, exist_ok=True)
        atomic_write_text(os.path.join(out, "config.json"), config.to_json() + "\n")
    history = fit(model, loss_fn, optimizer, splits.train, splits.val, epochs=config.epochs,
                  batch_size=config.batch_size, early_stopping=early_stopping,
                  rng=data_rng, progress=progress,
                  checkpoint=None if out is None else os.path.join(out, "checkpoint.npz"),
                  resume=resume, scheduler=scheduler,
                  on_epoch=on_epoch, checkpoint_meta={"config": config.to_dict()})

    train_loss, train_acc = evaluate(model, splits.train, loss_fn)
    val_loss, val_acc = (None, None) if splits.val is None else evaluate(model, splits.val,
                                                                         loss_fn)
    test_loss, test_acc = evaluate(model, splits.test, loss_fn)
    result = RunResult(config, history, train_loss, train_acc, val_loss, val_acc, test_loss,
                       test_acc, time.perf_counter() - began, out, model)
    if out is not None:
        nn.save(model, os.path.join(out, "model.npz"))
        atomic_write_text(os.path.join(out, "history.json"), history.to_json(indent=1) + "\n")
        learning_curves(history, os.path.join(out, "curves.png"),
                        title=f"{splits.name}: {describe(config, splits)}")
        atomic_write_text(os.path.join(out, "result.json"),
                    json.dumps(result.metrics(), indent=1) + "\n")
    return result


def describe(config: TrainConfig, splits: Any) -> str:
    """The network in one phrase, e.g. ``784-100-10 sigmoid MLP, cross-entropy``."""
    sizes = "-".join(map(str, [splits.train.x.shape[1], *config.hidden, splits.num_classes]))
    kind = f"{config.activation} MLP" if config.hidden else "single layer"
    out = f" + {config.output_activation}" if config.output_activation else ""
    return f"{sizes} {kind}{out}, {config.loss}"
