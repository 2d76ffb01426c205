"""The Dask backend for real: a LocalCluster of 2 worker processes on 127.0.0.1."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from search_grids import stable, write_grid

import autograd_lite
from autograd_lite.search import grid_search, load_grid, read_store

distributed = pytest.importorskip("distributed")

SRC = Path(autograd_lite.__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def cluster():
    old = os.environ.get("PYTHONPATH")
    # the workers are new processes: they find autograd_lite (not installed here) through this
    os.environ["PYTHONPATH"] = os.pathsep.join([str(SRC), old or ""])
    try:
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=None, host="127.0.0.1") as c:
            yield c
    finally:
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old


def test_grid_on_a_dask_cluster_by_address(cluster, tmp_path):
    grid = load_grid(write_grid(tmp_path))
    store = tmp_path / "grid.jsonl"
    result = grid_search(grid.space, grid.base, backend="dask",
                         scheduler=cluster.scheduler_address, store=store, progress=False)
    with distributed.Client(cluster) as client:
        worker_pids = set(client.run(os.getpid).values())
    pids = {r["worker"]["pid"] for r in result.records}
    assert os.getpid() not in pids and pids <= worker_pids
    assert len(read_store(store)[0]) == 4 and result.ran == 4
    assert {r["worker"]["blas_threads"] for r in result.records} <= {1, None}
    for pid in pids:
        assert sum(not r["worker"]["data_cached"] for r in result.records
                   if r["worker"]["pid"] == pid) <= 1
    # the same numbers as in one local process with one BLAS thread
    alone = grid_search(grid.space, grid.base, n_jobs=1, blas_threads=1, progress=False)
    assert [stable(r) for r in result.records] == [stable(r) for r in alone.records]


def test_grid_on_a_dask_client_resumes_from_the_store(cluster, tmp_path):
    grid = load_grid(write_grid(tmp_path))
    store = tmp_path / "grid.jsonl"
    small = {"lr": [0.1], "dropout": [0.1, 0.3]}
    with distributed.Client(cluster) as client:
        first = grid_search(small, grid.base, backend="dask", scheduler=client, store=store,
                            progress=False)
        assert first.ran == 2 and os.getpid() not in {r["worker"]["pid"] for r in first.records}
        more = grid_search(grid.space, grid.base, backend="dask", scheduler=client, store=store,
                           progress=False)
        assert client.status == "running"  # a client we passed in is left open
    assert (more.ran, more.resumed) == (2, 2)
    assert len({r["id"] for r in read_store(store)[0]}) == 4
