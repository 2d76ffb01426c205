"""History: what ``fit`` measured, one ``EpochRecord`` per epoch, and why it stopped.

>>> h = History([EpochRecord(1, train_loss=0.5, train_accuracy=0.8, val_loss=0.4,
...                          val_accuracy=0.85, seconds=1.25, lr=0.1)])
>>> h["train_loss"], h.last.val_accuracy
([0.5], 0.85)
>>> History.from_json(h.to_json()) == h
True
>>> print(h.table())
epoch  train loss  train acc  val loss  val acc        lr  time (s)
    1      0.5000     0.8000    0.4000   0.8500       0.1      1.25
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Self, overload

__all__ = ["EpochRecord", "History", "METRICS"]

FORMAT_VERSION = 1


@dataclass(frozen=True)
class EpochRecord:
    """The measurements of one epoch (``val_*`` are None without a validation split).

    ``train_loss`` / ``train_accuracy`` are averaged over the epoch's batches
    as they were trained (dropout on); ``seconds`` is wall time for training
    and validation; ``lr`` the learning rate used.

    >>> EpochRecord(3, 0.25, 0.9, None, None, 0.5, 0.1).epoch
    3
    """

    epoch: int
    train_loss: float
    train_accuracy: float
    val_loss: float | None
    val_accuracy: float | None
    seconds: float
    lr: float


METRICS = ("train_loss", "train_accuracy", "val_loss", "val_accuracy")
"""The fields early stopping can watch."""
_FIELDS = tuple(f.name for f in dataclasses.fields(EpochRecord))


class History(Sequence[EpochRecord]):
    """The epochs trained so far (a sequence of ``EpochRecord``) and ``stop_reason``.

    ``history["val_loss"]`` is one metric as a list; ``stop_reason`` says why
    early stopping ended the run (None if it ran every epoch).

    >>> h = History(); h.append(EpochRecord(1, 0.5, 0.8, None, None, 1.0, 0.1)); len(h)
    1
    """

    def __init__(self, records: Sequence[EpochRecord] = (), stop_reason: str | None = None
                 ) -> None:
        self.records: list[EpochRecord] = list(records)
        self.stop_reason = stop_reason

    def append(self, record: EpochRecord) -> None:
        """Add the next epoch's record (epochs count 1, 2, ...).

        >>> History().append(EpochRecord(2, 0.5, 0.8, None, None, 1.0, 0.1))
        Traceback (most recent call last):
        ...
        ValueError: History.append: expected epoch 1, got epoch 2
        """
        if not isinstance(record, EpochRecord):
            raise TypeError(f"History.append: expects an EpochRecord, got "
                            f"{type(record).__name__}")
        if record.epoch != len(self.records) + 1:
            raise ValueError(f"History.append: expected epoch {len(self.records) + 1}, got "
                             f"epoch {record.epoch}")
        self.records.append(record)

    @property
    def last(self) -> EpochRecord:
        """The latest epoch's record.

        >>> History().last
        Traceback (most recent call last):
        ...
        IndexError: History.last: no epoch has been recorded yet
        """
        if not self.records:
            raise IndexError("History.last: no epoch has been recorded yet")
        return self.records[-1]

    def __len__(self) -> int:
        return len(self.records)

    @overload
    def __getitem__(self, key: int) -> EpochRecord: ...
    @overload
    def __getitem__(self, key: slice) -> list[EpochRecord]: ...
    @overload
    def __getitem__(self, key: str) -> list[Any]: ...

    def __getitem__(self, key: int | slice | str) -> Any:
        if isinstance(key, str):
            if key not in _FIELDS:
                raise KeyError(f"History: no column {key!r}; columns: {', '.join(_FIELDS)}")
            return [getattr(r, key) for r in self.records]
        return self.records[key]

    def __iter__(self) -> Iterator[EpochRecord]:
        return iter(self.records)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, History):
            return NotImplemented
        return self.records == other.records and self.stop_reason == other.stop_reason

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"History({len(self)} epochs, stop_reason={self.stop_reason!r})"

    # ------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        """Plain data: ``{"format": 1, "epochs": [...], "stop_reason": ...}``.

        >>> History().to_dict()
        {'format': 1, 'epochs': [], 'stop_reason': None}
        """
        return {"format": FORMAT_VERSION,
                "epochs": [dataclasses.asdict(r) for r in self.records],
                "stop_reason": self.stop_reason}

    def to_json(self, indent: int | None = None) -> str:
        """JSON text for ``History.from_json`` (floats round-trip exactly).

        >>> History().to_json()
        '{"format": 1, "epochs": [], "stop_reason": null}'
        """
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, d: Any) -> Self:
        """The History ``to_dict`` made; a clear error for anything else.

        >>> History.from_dict({"epochs": [{"epoch": 1}]})
        Traceback (most recent call last):
        ...
        ValueError: History.from_dict: not a saved History (no format 1); got keys ['epochs']
        """
        if not isinstance(d, dict) or d.get("format") != FORMAT_VERSION:
            keys = sorted(d) if isinstance(d, dict) else type(d).__name__
            raise ValueError(f"History.from_dict: not a saved History (no format "
                             f"{FORMAT_VERSION}); got keys {keys}")
        history = cls(stop_reason=d.get("stop_reason"))
        for i, row in enumerate(d.get("epochs", [])):
            if not isinstance(row, dict) or set(row) != set(_FIELDS):
                got = sorted(row) if isinstance(row, dict) else row
                raise ValueError(f"History.from_dict: epoch entry {i} must have exactly the "
                                 f"fields {list(_FIELDS)}, got {got}")
            history.append(EpochRecord(**row))
        return history

    @classmethod
    def from_json(cls, text: str) -> Self:
        """The History ``to_json`` wrote.

        >>> History.from_json('{"format": 1, "epochs": [], "stop_reason": "done"}')
        History(0 epochs, stop_reason='done')
        """
        try:
            d = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"History.from_json: not valid JSON ({e})") from None
        return cls.from_dict(d)

    # ------------------------------------------------------------ printing
    def table(self) -> str:
        """The epochs as a text table (header and one row per epoch).

        >>> History().table()
        'epoch  train loss  train acc  val loss  val acc        lr  time (s)'
        """
        return "\n".join([HEADER, *(format_row(r) for r in self.records)])


HEADER = "epoch  train loss  train acc  val loss  val acc        lr  time (s)"
"""The header of ``History.table()``; ``format_row`` prints rows that line up with it."""


def format_row(r: EpochRecord) -> str:
    """One epoch as a row under ``HEADER`` (``-`` for a missing validation split).

    >>> format_row(EpochRecord(12, 0.123456, 0.9, None, None, 0.31, 0.01))
    '   12      0.1235     0.9000         -        -      0.01      0.31'
    """
    def opt(value: float | None, width: int) -> str:
        return f"{value:{width}.4f}" if value is not None else f"{'-':>{width}}"
    return (f"{r.epoch:5d}  {r.train_loss:10.4f}  {r.train_accuracy:9.4f}  "
            f"{opt(r.val_loss, 8)}  {opt(r.val_accuracy, 7)}  {r.lr:8.3g}  {r.seconds:8.2f}")
