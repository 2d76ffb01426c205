"""The tiny grid the search tests share: 4 configurations x 2 epochs on a slice of the sample.

Dropout is on and fit shuffles every epoch, so equal results mean equal seeds
and equal random streams, not merely equal settings.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

TINY_GRID = """\
[base]
dataset = "mnist-sample"
train_size = 1000
hidden = [16]
batch_size = 4
epochs = 2
early_stop = "none"
seed = 7

[space]
lr = [0.1, 0.03]
dropout = [0.1, 0.3]
"""


def write_grid(directory: Path, text: str = TINY_GRID, name: str = "tiny.toml") -> Path:
    path = directory / name
    path.write_text(text)
    return path


def stable(record: dict[str, Any]) -> dict[str, Any]:
    """The record without what differs between two identical runs: timings, worker, clock."""
    r = copy.deepcopy(record)
    for key in ("seconds", "cpu_seconds", "worker", "finished"):
        r.pop(key)
    if r["metrics"] is not None:
        r["metrics"].pop("seconds")
    if r["history"] is not None:
        for epoch in r["history"]["epochs"]:
            epoch.pop("seconds")
    return r
