"""Learning curves as a PNG: loss and accuracy per epoch, training vs validation.

matplotlib (extra ``autograd-lite[train]``) is imported only when a plot is
drawn, and only its Agg canvas is used: no window, no pyplot state, and the
user's chosen matplotlib backend is left alone.

>>> import os, tempfile
>>> from autograd_lite.train.history import EpochRecord, History
>>> h = History([EpochRecord(e, 1 / e, 0.8, 1.2 / e, 0.75, 1.0, 0.1) for e in (1, 2, 3)])
>>> path = os.path.join(tempfile.mkdtemp(), "curves.png")
>>> learning_curves(h, path) == path, open(path, "rb").read(4) == b"\\x89PNG"
(True, True)
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

from .history import History

__all__ = ["learning_curves"]


def _matplotlib() -> tuple[Any, Any]:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("learning_curves draws with matplotlib, which is not installed: "
                          "pip install autograd-lite[train]") from None
    return Figure, FigureCanvasAgg


def learning_curves(history: History, path: str | os.PathLike[str], title: str | None = None
                    ) -> str:
    """Write a PNG of the loss and the accuracy per epoch (train vs validation) to ``path``.

    The file is written to a temporary name and renamed. Returns the path.
    """
    if not isinstance(history, History):
        raise TypeError(f"learning_curves: expects a History (from fit), got "
                        f"{type(history).__name__}")
    if not len(history):
        raise ValueError("learning_curves: the history is empty; train at least one epoch")
    Figure, FigureCanvasAgg = _matplotlib()
    fig = Figure(figsize=(9, 3.6), layout="constrained")
    FigureCanvasAgg(fig)
    epochs = history["epoch"]
    for ax, metric, label in zip(fig.subplots(1, 2), ("loss", "accuracy"), ("loss", "accuracy")):
        ax.plot(epochs, history[f"train_{metric}"], marker=".", label="train")
        val = history[f"val_{metric}"]
        if any(v is not None for v in val):
            ax.plot(epochs, [float("nan") if v is None else v for v in val], marker=".",
                    label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend()
    if history.stop_reason:
        fig.supxlabel(f"stopped early: {history.stop_reason}", fontsize="small")
    if title:
        fig.suptitle(title)
    path = os.fspath(path)
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        fig.savefig(tmp, format="png", dpi=100)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path
