"""A grid killed mid-run (SIGKILL), its store torn mid-record, then resumed: as if never stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from search_grids import stable, write_grid

import autograd_lite
from autograd_lite.search import grid_search, load_grid, read_store

SRC = Path(autograd_lite.__file__).resolve().parent.parent


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "autograd_lite", "grid", *args]


def env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC),
                                                        os.environ.get("PYTHONPATH", "")]))


def complete_records(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_sigkill_torn_record_resume_equals_an_uninterrupted_grid(tmp_path):
    grid_file = write_grid(tmp_path)
    store = tmp_path / "grid.jsonl"
    # n_jobs=1: the runs happen in the killed process itself, so nothing outlives it
    proc = subprocess.Popen(cli(str(grid_file), "--store", str(store), "--n-jobs", "1",
                                "--quiet"), env=env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while complete_records(store) < 1 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read() if proc.stderr else ""
    proc.stderr.close()
    killed_with = complete_records(store)
    assert 1 <= killed_with < 4, f"the grid was killed with {killed_with} of 4 runs stored"

    # tear the last record in the middle, as a crash during its write would
    data = store.read_bytes()
    last_start = data.rstrip(b"\n").rfind(b"\n") + 1
    cut = last_start + (len(data) - last_start) // 2
    store.write_bytes(data[:cut])
    before, torn = read_store(store)
    assert len(before) == killed_with - 1 and torn is not None

    done = subprocess.run(cli(str(grid_file), "--store", str(store), "--n-jobs", "1",
                              "--quiet"), env=env(), capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert f"the last record (line {killed_with}" in done.stderr and "torn" in done.stderr

    records, torn = read_store(store)
    grid = load_grid(grid_file)
    assert torn is None and len(records) == len(grid.configurations()) == 4
    assert len({r["id"] for r in records}) == 4  # no configuration twice
    assert [r["id"] for r in records[:killed_with - 1]] == [r["id"] for r in before]

    uninterrupted = grid_search(grid.space, grid.base, n_jobs=1, progress=False)
    by_id = {r["id"]: stable(r) for r in records}
    assert [by_id[r["id"]] for r in uninterrupted.records] == \
        [stable(r) for r in uninterrupted.records]
    assert all(r["config"]["dropout"] > 0 for r in records)
