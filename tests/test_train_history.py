"""History: records per epoch, column access, exact JSON round trip, the table."""

from __future__ import annotations

import json

import pytest

from autograd_lite.train import EpochRecord, History
from autograd_lite.train.history import HEADER, format_row


def make_history(n: int = 3, val: bool = True) -> History:
    h = History(stop_reason="train_loss changed by 0.05% (< 0.1%) from epoch 2 to epoch 3")
    for e in range(1, n + 1):
        h.append(EpochRecord(e, train_loss=1 / (3 * e), train_accuracy=1 - 0.1 / e,
                             val_loss=0.1 + 1 / 7 / e if val else None,
                             val_accuracy=0.9 + 0.01 * e if val else None,
                             seconds=0.123456789 * e, lr=0.1 * 0.5 ** e))
    return h


@pytest.mark.parametrize("val", [True, False])
def test_json_round_trip_is_exact(val):
    h = make_history(val=val)
    back = History.from_json(h.to_json())
    assert back == h
    assert back["train_loss"] == h["train_loss"]  # floats bit for bit
    assert History.from_json(h.to_json(indent=2)) == h


def test_json_is_plain_and_versioned():
    d = json.loads(make_history(1).to_json())
    assert d["format"] == 1 and d["stop_reason"].startswith("train_loss")
    assert set(d["epochs"][0]) == {"epoch", "train_loss", "train_accuracy", "val_loss",
                                   "val_accuracy", "seconds", "lr"}


def test_from_json_rejects_other_content():
    with pytest.raises(ValueError, match="not valid JSON"):
        History.from_json("{")
    with pytest.raises(ValueError, match="not a saved History"):
        History.from_json("[]")
    with pytest.raises(ValueError, match="must have exactly the fields"):
        History.from_json('{"format": 1, "epochs": [{"epoch": 1, "loss": 0.5}]}')
    with pytest.raises(ValueError, match="expected epoch 1, got epoch 2"):
        d = make_history(2).to_dict()
        History.from_dict({**d, "epochs": d["epochs"][1:]})


def test_sequence_and_columns():
    h = make_history(3)
    assert len(h) == 3 and h[0].epoch == 1 and h[-1] is h.last and [r.epoch for r in h] == [1, 2, 3]
    assert h["epoch"] == [1, 2, 3] and len(h[1:]) == 2
    with pytest.raises(KeyError, match="no column 'loss'; columns: epoch, train_loss"):
        h["loss"]
    with pytest.raises(TypeError, match="expects an EpochRecord"):
        h.append({"epoch": 4})  # type: ignore[arg-type]
    assert History() != h and History() == History()


def test_table_lines_up():
    h = make_history(2, val=False)
    lines = h.table().splitlines()
    assert lines[0] == HEADER and len(lines) == 3
    assert all(len(line) == len(HEADER) for line in lines)
    assert lines[1] == format_row(h[0]) and lines[1].split()[3:5] == ["-", "-"]
    assert len(format_row(make_history(1)[0])) == len(HEADER)
