"""grid_search: records, resuming, loky workers (pids, one BLAS thread, data loaded once)."""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path

import pytest
from search_grids import stable, write_grid

import autograd_lite
from autograd_lite.search import RECORD_FORMAT, grid_search, load_grid, read_store, run_seed
from autograd_lite.train import ConfigError, History, TrainConfig

SRC = Path(autograd_lite.__file__).resolve().parent.parent


@pytest.fixture
def tiny(tmp_path):
    return load_grid(write_grid(tmp_path))


@pytest.fixture
def workers_can_import_the_library(monkeypatch):
    """Worker processes find autograd_lite through PYTHONPATH (it is not installed here)."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]))


def test_each_configuration_is_one_self_describing_record(tiny, tmp_path):
    store = tmp_path / "grid.jsonl"
    seen = []
    result = grid_search(tiny.space, tiny.base, n_jobs=1, store=store, progress=False,
                         on_record=lambda r, done, total: seen.append((r["id"], done, total)))
    configs = tiny.configurations()
    assert (result.ran, result.resumed, result.torn) == (4, 0, None)
    assert [r["config"] for r in result.records] == [c.to_dict() for c in configs]
    assert [done for _, done, _ in seen] == [1, 2, 3, 4] and {t for _, _, t in seen} == {4}
    stored, torn = read_store(store)
    assert torn is None and sorted(r["id"] for r in stored) == sorted(r["id"] for r in
                                                                      result.records)
    for record, config in zip(result.records, configs):
        assert record["format"] == RECORD_FORMAT and record["status"] == "ok"
        assert record["seed"] == run_seed(config) and record["config"]["seed"] == 7
        assert record["version"] == autograd_lite.__version__
        assert record["worker"]["pid"] == os.getpid()  # n_jobs=1: this process
        history = History.from_dict(record["history"])
        assert len(history) == record["metrics"]["epochs"] == 2
        m = record["metrics"]
        for key in ("train_accuracy", "val_accuracy", "test_accuracy"):
            assert 0 < m[key] <= 1
        assert m["train_loss"] > 0 and m["test_loss"] > 0 and record["seconds"] > 0
    # the runs differ: each has its own settings and seed
    assert len({r["metrics"]["test_loss"] for r in result.records}) == 4


def test_a_record_equals_a_plain_run_with_the_derived_seed(tiny):
    from dataclasses import replace

    from autograd_lite.train import run

    config = tiny.configurations()[3]
    record = grid_search(tiny.space, tiny.base, n_jobs=1, progress=False).records[3]
    plain = run(replace(config, seed=run_seed(config)), progress=False)
    assert record["metrics"]["test_loss"] == plain.test_loss
    assert record["history"]["epochs"][1]["train_loss"] == plain.history[1].train_loss


def test_resume_skips_stored_configurations_and_reuses_their_records(tiny, tmp_path):
    store = tmp_path / "grid.jsonl"
    first = grid_search(tiny.space, tiny.base, n_jobs=1, store=store, progress=False)
    again = grid_search(tiny.space, tiny.base, n_jobs=1, store=store, progress=False)
    assert (again.ran, again.resumed) == (0, 4) and again.records == first.records
    wider = dict(tiny.space, lr=[0.1, 0.03, 0.01])  # two new configurations
    more = grid_search(wider, tiny.base, n_jobs=1, store=store, progress=False)
    assert (more.ran, more.resumed) == (2, 4)
    assert len(read_store(store)[0]) == 6


def test_no_resume_starts_over_and_keeps_the_old_store(tiny, tmp_path):
    store = tmp_path / "grid.jsonl"
    small = {"lr": [0.1], "dropout": [0.1]}
    grid_search(small, tiny.base, n_jobs=1, store=store, progress=False)
    old = store.read_bytes()
    result = grid_search(small, tiny.base, n_jobs=1, store=store, resume=False, progress=False)
    assert result.ran == 1 and "moved to" in result.notes[0]
    assert (tmp_path / "grid.jsonl.bak").read_bytes() == old
    assert len(read_store(store)[0]) == 1
    second = store.read_bytes()
    again = grid_search(small, tiny.base, n_jobs=1, store=store, resume=False, progress=False)
    assert "grid.jsonl.bak.1" in again.notes[0]
    assert (tmp_path / "grid.jsonl.bak").read_bytes() == old  # the first backup is kept
    assert (tmp_path / "grid.jsonl.bak.1").read_bytes() == second


def test_a_diverged_run_is_recorded_not_fatal(tiny, tmp_path, monkeypatch):
    run_module = importlib.import_module("autograd_lite.train.run")  # the package's `run` is the function
    real_run = run_module.run

    def run_or_diverge(config, *args, **kwargs):
        if config.lr == 0.1:
            raise FloatingPointError("fit: the training loss became inf at epoch 1, batch 3")
        return real_run(config, *args, **kwargs)

    monkeypatch.setattr(run_module, "run", run_or_diverge)
    result = grid_search(tiny.space, tiny.base, n_jobs=1, store=tmp_path / "g.jsonl",
                         progress=False)
    status = {(r["config"]["lr"], r["config"]["dropout"]): r["status"] for r in result.records}
    assert status == {(0.1, 0.1): "diverged", (0.1, 0.3): "diverged", (0.03, 0.1): "ok",
                      (0.03, 0.3): "ok"}
    bad = result.records[0]
    assert bad["metrics"] is None and "became inf" in bad["error"]
    assert json.loads((tmp_path / "g.jsonl").read_text().splitlines()[0])["status"] == "diverged"


@pytest.mark.parametrize("kwargs, match", [
    ({"n_jobs": 0}, "n_jobs must be a non-zero int"),
    ({"n_jobs": 1.5}, "n_jobs must be a non-zero int"),
    ({"backend": "threads"}, "backend must be one of 'loky', 'dask'"),
    ({"blas_threads": 0}, "blas_threads must be an int >= 1"),
    ({"scheduler": "tcp://127.0.0.1:8786"}, "scheduler is for backend='dask'"),
    ({"backend": "dask"}, "needs scheduler='tcp://host:8786'"),
])
def test_bad_arguments(tiny, kwargs, match):
    with pytest.raises(ValueError, match=match):
        grid_search(tiny.space, tiny.base, progress=False, **kwargs)


def test_bad_space_raises_before_any_run(tmp_path):
    with pytest.raises(ConfigError, match="lr needs at least one value"):
        grid_search({"lr": []}, TrainConfig(), store=tmp_path / "g.jsonl", progress=False)
    assert not (tmp_path / "g.jsonl").exists()


def test_loky_workers_one_blas_thread_data_loaded_once_per_worker(
        tiny, tmp_path, workers_can_import_the_library):
    store = tmp_path / "grid.jsonl"
    result = grid_search(tiny.space, tiny.base, n_jobs=2, store=store, progress=False)
    workers = [r["worker"] for r in result.records]
    pids = {w["pid"] for w in workers}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2
    assert {w["blas_threads"] for w in workers} <= {1, None}  # None: no BLAS pool loaded
    for pid in pids:  # each worker loaded the sample at most once (loky reuses workers)
        assert sum(not w["data_cached"] for w in workers if w["pid"] == pid) <= 1
    assert sum(w["data_cached"] for w in workers) >= len(workers) - len(pids)
    # the same results as one process (one BLAS thread there too)
    alone = grid_search(tiny.space, tiny.base, n_jobs=1, blas_threads=1, progress=False)
    assert [stable(r) for r in result.records] == [stable(r) for r in alone.records]


def test_a_refused_grid_leaves_the_store_alone(tiny, tmp_path):
    store = tmp_path / "grid.jsonl"
    grid_search({"lr": [0.1], "dropout": [0.1]}, tiny.base, n_jobs=1, store=store,
                progress=False)
    torn = store.read_bytes()[:-10]
    store.write_bytes(torn)
    with pytest.raises(ValueError, match="scheduler is for backend='dask'"):
        grid_search(tiny.space, tiny.base, scheduler="tcp://127.0.0.1:1", store=store,
                    progress=False)
    with pytest.raises(ValueError, match="n_jobs must be"):
        grid_search(tiny.space, tiny.base, n_jobs=0, store=store, resume=False, progress=False)
    assert store.read_bytes() == torn and not (tmp_path / "grid.jsonl.bak").exists()
    result = grid_search(tiny.space, tiny.base, n_jobs=1, store=store, progress=False)
    assert result.torn is not None and result.torn.line == 1 and result.ran == 4
