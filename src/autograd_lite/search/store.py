"""The results store: JSON Lines, one self-describing record per finished run.

Each record is one line of JSON (readable with any JSON reader, e.g.
``pandas.read_json(path, lines=True)``) appended with one ``write``, then
flushed and fsynced, so a crash loses at most the run in flight. A crash in
the middle of a write leaves a torn last line: ``read_store`` detects it
(``Torn``), and ``repair_store`` rewrites the file atomically without it.
Only the grid's parent process writes the store.

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "grid.jsonl")
>>> with StoreWriter(path) as store:
...     store.append({"format": RECORD_FORMAT, "id": "ab12", "status": "ok"})
>>> _ = open(path, "a").write('{"format": "autograd-li')   # a crash mid-write
>>> records, torn = read_store(path)
>>> [r["id"] for r in records], torn.line
(['ab12'], 2)
>>> repair_store(path, records); read_store(path)[1] is None
True
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from types import TracebackType
from typing import Any, BinaryIO

from .._io import atomic_write_text

__all__ = ["RECORD_FORMAT", "Torn", "read_store", "repair_store", "StoreWriter", "StoreError"]

RECORD_FORMAT = "autograd-lite-grid-record/1"
"""The ``format`` field of every record; bumped if the record's layout changes."""


class StoreError(ValueError):
    """A store that is not a grid results store, or is damaged before its last line."""


@dataclass(frozen=True)
class Torn:
    """A torn last record: its line number, byte offset, length in bytes and what is wrong."""

    line: int
    offset: int
    size: int
    problem: str

    def describe(self, path: str) -> str:
        """A sentence for the user.

        >>> Torn(3, 100, 20, "no newline").describe("g.jsonl")
        'g.jsonl: the last record (line 3, 20 bytes at byte 100) is torn (no newline): ...'
        """
        return (f"{path}: the last record (line {self.line}, {self.size} bytes at byte "
                f"{self.offset}) is torn ({self.problem}): a crash interrupted its write; it is "
                "dropped and its run is done again")


def _parse(raw: bytes) -> dict[str, Any]:
    record = json.loads(raw)
    if not isinstance(record, dict) or record.get("format") != RECORD_FORMAT \
            or not isinstance(record.get("id"), str):
        raise ValueError(f"not a grid record (no format {RECORD_FORMAT!r} and id)")
    return record


def read_store(path: str | os.PathLike[str]) -> tuple[list[dict[str, Any]], Torn | None]:
    """The records of the store at ``path`` (none if it does not exist) and its torn tail, if any.

    Only the last line may be damaged (that is what a crash does to an
    append-only file); a bad line before it raises ``StoreError``.
    """
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            content = f.read()
    except FileNotFoundError:
        return [], None
    records: list[dict[str, Any]] = []
    lines = content.split(b"\n")
    offset = 0
    for number, raw in enumerate(lines, 1):
        last = number == len(lines)
        if last and not raw:
            break  # the file ends with a newline
        try:
            if last:
                raise ValueError("no newline at its end")
            records.append(_parse(raw))
        except (ValueError, UnicodeDecodeError) as e:
            if last or (number == len(lines) - 1 and not lines[-1]):
                problem = str(e) if not isinstance(e, json.JSONDecodeError) \
                    else f"not valid JSON: {e.msg}"
                return records, Torn(number, offset, len(raw), problem)
            raise StoreError(f"{path}: line {number} is not a grid record ({e}); only the last "
                             "line can be torn by a crash, so this file was changed by "
                             "something else. Move it aside or pass another store") from None
        offset += len(raw) + 1
    return records, None


def repair_store(path: str | os.PathLike[str], records: list[dict[str, Any]]) -> None:
    """Rewrite the store atomically with exactly ``records`` (drops a torn tail)."""
    atomic_write_text(os.fspath(path), "".join(_line(r) for r in records))


def _finite(value: Any) -> Any:
    """``value`` with NaN and infinities as None: strict JSON, which every reader accepts."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _line(record: dict[str, Any]) -> str:
    return json.dumps(_finite(record), sort_keys=True, separators=(",", ":"),
                      allow_nan=False) + "\n"


class StoreWriter:
    """Appends records durably: one ``write`` per record, then flush and fsync.

    Use as a context manager; the file (and its directory) is created if needed.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        directory = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(directory, exist_ok=True)
        self._file: BinaryIO = open(self.path, "ab")

    def append(self, record: dict[str, Any]) -> None:
        """Write ``record`` as one line and make it durable before returning."""
        self._file.write(_line(record).encode())
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> StoreWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
