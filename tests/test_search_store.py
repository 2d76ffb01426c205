"""The JSON Lines results store: durable appends, torn last records, repairs, strict JSON."""

from __future__ import annotations

import json

import pytest

from autograd_lite.search.store import (RECORD_FORMAT, StoreError, StoreWriter, read_store,
                                        repair_store)


def rec(i: int, **extra):
    return {"format": RECORD_FORMAT, "id": f"id{i}", "status": "ok", **extra}


def test_append_and_read_back(tmp_path):
    path = tmp_path / "sub" / "grid.jsonl"  # the directory is created
    with StoreWriter(path) as store:
        store.append(rec(0, metrics={"test_accuracy": 0.5}))
    with StoreWriter(path) as store:  # appends, never truncates
        store.append(rec(1))
    records, torn = read_store(path)
    assert [r["id"] for r in records] == ["id0", "id1"] and torn is None
    lines = path.read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["id0", "id1"]  # plain JSON Lines


def test_a_missing_store_is_empty(tmp_path):
    assert read_store(tmp_path / "none.jsonl") == ([], None)


def test_non_finite_floats_are_written_as_null(tmp_path):
    path = tmp_path / "grid.jsonl"
    with StoreWriter(path) as store:
        store.append(rec(0, metrics={"val_loss": float("nan"), "x": [float("inf"), 1.0]}))
    text = path.read_text()
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text)["metrics"] == {"val_loss": None, "x": [None, 1.0]}


@pytest.mark.parametrize("tail, problem", [
    (b'{"format": "autograd-lite-grid-rec', "no newline"),
    (b'{"format": "autograd-lite-grid-rec\n', "not valid JSON"),
    (b'{"format": "something else", "id": "x"}\n', "not a grid record"),
])
def test_a_torn_last_record_is_detected_and_repaired(tmp_path, tail, problem):
    path = tmp_path / "grid.jsonl"
    with StoreWriter(path) as store:
        store.append(rec(0))
        store.append(rec(1))
    good_size = path.stat().st_size
    with open(path, "ab") as f:
        f.write(tail)
    records, torn = read_store(path)
    assert [r["id"] for r in records] == ["id0", "id1"]
    assert torn is not None and torn.line == 3 and torn.offset == good_size
    assert torn.size == len(tail.rstrip(b"\n")) and problem in torn.problem
    assert "line 3" in torn.describe(str(path)) and "torn" in torn.describe(str(path))
    repair_store(path, records)
    assert path.stat().st_size == good_size and read_store(path) == (records, None)


def test_a_record_cut_before_its_newline_is_torn_even_if_it_parses(tmp_path):
    path = tmp_path / "grid.jsonl"
    path.write_bytes(json.dumps(rec(0)).encode())  # the write stopped before "\n"
    records, torn = read_store(path)
    assert records == [] and torn is not None and torn.line == 1


def test_damage_before_the_last_line_is_an_error(tmp_path):
    path = tmp_path / "grid.jsonl"
    with StoreWriter(path) as store:
        store.append(rec(0))
    with open(path, "ab") as f:
        f.write(b"garbage\n")
    with StoreWriter(path) as store:
        store.append(rec(1))
    with pytest.raises(StoreError, match=r"line 2 is not a grid record"):
        read_store(path)
