"""Running configurations in worker processes: one ``run`` each, as records, on joblib or Dask.

``run_configuration`` is what a worker executes: it trains one
configuration with its run seed under a BLAS thread limit (threadpoolctl),
taking the dataset from the worker's cache (loaded on the worker's first
run only), and returns the record the parent appends to the store.
``run_loky`` and ``run_dask`` yield those records as runs finish, in any
order. joblib, threadpoolctl and dask are imported only when used.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import socket
import time
from collections.abc import Generator, Iterable
from typing import Any

from .. import __version__
from ..data import Dataset, load_dataset
from ..train.config import DATASETS, TrainConfig
from .store import RECORD_FORMAT

__all__ = ["Task", "run_configuration", "run_loky", "run_dask", "connect_dask"]

Task = tuple[str, str, int, int | None]
"""(config id, config JSON with the grid seed, run seed, BLAS threads or None for no limit)."""

_DATA: dict[str, Dataset] = {}
"""This process's datasets, by name or absolute path: loaded once, kept between runs."""


def _dataset(name: str) -> tuple[Dataset, bool]:
    """The dataset ``name`` and whether it came from this process's cache."""
    key = name if name in DATASETS else os.path.abspath(os.path.expanduser(name))
    cached = key in _DATA
    if not cached:
        _DATA[key] = load_dataset(name)
    return _DATA[key], cached


def _blas_threads() -> int | None:
    """The largest BLAS thread pool now in effect (None if no BLAS pool is loaded)."""
    from threadpoolctl import threadpool_info

    pools = [p["num_threads"] for p in threadpool_info() if p.get("user_api") == "blas"]
    return max(pools) if pools else None


def run_configuration(task: Task) -> dict[str, Any]:
    """Train one configuration and return its store record (runs in a worker process).

    A run that diverges (non-finite training loss) is recorded with status
    ``diverged`` and its error instead of metrics: it would diverge again.
    """
    from threadpoolctl import threadpool_limits

    from ..train.run import run

    ident, config_json, seed, threads = task
    config = TrainConfig.from_json(config_json)
    began, cpu_began = time.perf_counter(), time.process_time()
    dataset, cached = _dataset(config.dataset)
    record: dict[str, Any] = {"format": RECORD_FORMAT, "id": ident, "config": config.to_dict(),
                              "seed": seed}
    with threadpool_limits(limits=threads, user_api="blas"):
        blas_threads = _blas_threads()
        try:
            result = run(dataclasses.replace(config, seed=seed), progress=False, dataset=dataset)
        except FloatingPointError as e:
            record.update(status="diverged", error=str(e), metrics=None, history=None)
        else:
            record.update(status="ok", error=None, metrics=result.metrics(),
                          history=result.history.to_dict())
    record.update(seconds=time.perf_counter() - began, cpu_seconds=time.process_time() - cpu_began,
                  worker={"pid": os.getpid(), "host": socket.gethostname(),
                          "blas_threads": blas_threads, "data_cached": cached},
                  version=__version__,
                  finished=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"))
    return record


def run_loky(tasks: Iterable[Task], n_jobs: int) -> Generator[dict[str, Any], None, None]:
    """Records of ``tasks`` run on joblib's loky process pool, yielded as they finish.

    ``n_jobs=1`` runs them one after the other in this process.
    """
    from joblib import Parallel, delayed

    parallel = Parallel(n_jobs=n_jobs, backend="loky", return_as="generator_unordered")
    yield from parallel(delayed(run_configuration)(task) for task in tasks)


def connect_dask(scheduler: Any) -> tuple[Any, bool]:
    """``(client, owned)``: ``scheduler`` if it is a ``distributed.Client``, else a new client.

    A new client (from an address such as ``tcp://host:8786``) is ``owned``:
    the caller closes it.
    """
    try:
        from distributed import Client
    except ImportError:
        raise ImportError("grid_search(backend='dask') needs dask.distributed: pip install "
                          "autograd-lite[distributed]") from None
    if isinstance(scheduler, Client):
        return scheduler, False
    if not isinstance(scheduler, str) or not scheduler:
        raise ValueError("grid_search: backend 'dask' needs scheduler='tcp://host:8786' (the "
                         "address of a running dask scheduler) or a distributed.Client, got "
                         f"{scheduler!r}")
    try:
        return Client(scheduler, timeout="20s"), True
    except OSError as e:
        raise OSError(f"grid_search: cannot reach the dask scheduler at {scheduler!r} ({e}); "
                      "start one with `dask scheduler` and workers with `dask worker "
                      "ADDRESS`") from None


def run_dask(tasks: Iterable[Task], client: Any) -> Generator[dict[str, Any], None, None]:
    """Records of ``tasks`` run on the Dask cluster behind ``client``, yielded as they finish."""
    from distributed import as_completed

    futures = [client.submit(run_configuration, task, pure=False) for task in tasks]
    try:
        for future in as_completed(futures):
            yield future.result()
    finally:
        for future in futures:
            future.cancel()
