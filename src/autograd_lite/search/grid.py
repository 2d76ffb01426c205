"""``grid_search``: every configuration of a space is one training run, in parallel, resumable.

>>> import os, tempfile
>>> from autograd_lite.train import TrainConfig
>>> store = os.path.join(tempfile.mkdtemp(), "grid.jsonl")
>>> base = TrainConfig(hidden=(8,), epochs=1, train_size=200)
>>> result = grid_search({"lr": [0.1, 0.05]}, base, n_jobs=1, store=store, progress=False)
>>> len(result.records), result.ran, sorted(r["config"]["lr"] for r in result.records)
(2, 2, [0.05, 0.1])
>>> grid_search({"lr": [0.1, 0.05]}, base, n_jobs=1, store=store, progress=False).ran
0
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..train.config import TrainConfig
from .runner import Task, connect_dask, run_dask, run_loky
from .space import config_id, configurations, run_seed
from .store import StoreWriter, Torn, read_store, repair_store

__all__ = ["grid_search", "GridResult", "BACKENDS"]

BACKENDS = ("loky", "dask")


@dataclass
class GridResult:
    """The grid's records (one per configuration, in the space's order) and what this call did.

    ``ran``: runs done by this call; ``resumed``: configurations found in the
    store; ``torn``: the torn last record that was dropped, if any.
    """

    records: list[dict[str, Any]]
    ran: int = 0
    resumed: int = 0
    torn: Torn | None = None
    store: str | None = None
    notes: list[str] = field(default_factory=list)


def _workers(n_jobs: int) -> int:
    from joblib import effective_n_jobs

    return int(effective_n_jobs(n_jobs))


def _check_args(n_jobs: Any, backend: Any, blas_threads: Any) -> None:
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0:
        raise ValueError(f"grid_search: n_jobs must be a non-zero int (-1: one worker per core), "
                         f"got {n_jobs!r}")
    if backend not in BACKENDS:
        raise ValueError(f"grid_search: backend must be one of {', '.join(map(repr, BACKENDS))}, "
                         f"got {backend!r}")
    if blas_threads is not None and (isinstance(blas_threads, bool)
                                     or not isinstance(blas_threads, int) or blas_threads < 1):
        raise ValueError(f"grid_search: blas_threads must be an int >= 1 or None, got "
                         f"{blas_threads!r}")


def _no_records() -> Generator[dict[str, Any], None, None]:
    yield from ()


def _free_backup_name(store: str) -> str:
    """``STORE.bak``, or ``STORE.bak.N`` with the first unused N: an older backup is never replaced."""
    candidate, n = store + ".bak", 1
    while os.path.exists(candidate):
        candidate, n = f"{store}.bak.{n}", n + 1
    return candidate


def _start_store(store: str, resume: bool, notes: list[str]
                 ) -> tuple[dict[str, dict[str, Any]], Torn | None]:
    """The records already stored (by id), after dropping a torn tail or starting over."""
    if not resume:
        if os.path.exists(store):
            backup = _free_backup_name(store)
            os.replace(store, backup)
            notes.append(f"resume off: the old store was moved to {backup}")
        return {}, None
    records, torn = read_store(store)
    if torn is not None:
        repair_store(store, records)
        notes.append(torn.describe(store))
    done: dict[str, dict[str, Any]] = {}
    for record in records:
        done.setdefault(record["id"], record)
    return done, torn


def grid_search(space: Mapping[str, Sequence[Any]], base: TrainConfig, *, n_jobs: int = -1,
                backend: str = "loky", scheduler: Any = None,
                store: str | os.PathLike[str] | None = None, resume: bool = True,
                progress: bool = True, blas_threads: int | None = None,
                on_record: Callable[[dict[str, Any], int, int], None] | None = None
                ) -> GridResult:
    """Train every configuration of ``space`` on top of ``base``; one record per configuration.

    ``space`` maps ``TrainConfig`` fields to lists of values (checked:
    unknown key, empty list or wrong type raise ``ConfigError`` naming the
    key). ``base.seed`` is the grid seed; each run trains with
    ``space.run_seed(config)``, derived from the configuration through
    sha256. Runs go to ``n_jobs`` loky worker processes (-1: one per core;
    1: this process), or with ``backend="dask"`` to the Dask cluster at
    ``scheduler`` (``"tcp://host:8786"`` or a ``distributed.Client``). Each
    run is limited to ``blas_threads`` BLAS threads (default: the cores
    divided among the workers; 1 on Dask), and each worker loads the data
    once.

    ``store`` (a ``.jsonl`` path) receives each record as its run finishes,
    written by this process only; with ``resume`` the configurations already
    there are not run again (a torn last record is dropped and its run
    redone); without it an existing store is moved to ``STORE.bak`` (``STORE.bak.1``,
    ... when that exists). One
    grid at a time per store: two processes appending to one store are not
    detected.
    ``on_record(record, done, total)`` is called after each finished run.
    ``progress`` shows a tqdm bar on stderr.
    """
    _check_args(n_jobs, backend, blas_threads)
    if backend == "loky" and scheduler is not None:
        raise ValueError("grid_search: scheduler is for backend='dask'; with backend 'loky' use "
                         f"n_jobs (got scheduler={scheduler!r})")
    configs = configurations(space, base)
    ids = [config_id(c) for c in configs]
    if progress:
        from ..train.loop import tqdm_class
        tqdm = tqdm_class()  # before any work, so a missing tqdm refuses the grid early
    notes: list[str] = []
    store_path = None if store is None else os.fspath(store)
    done: dict[str, dict[str, Any]] = {}
    torn = None
    if store_path is not None:  # every check above passed: only now may the store change
        done, torn = _start_store(store_path, resume, notes)
    todo = [(i, c) for i, c in zip(ids, configs) if i not in done]
    resumed = len(configs) - len(todo)

    results: dict[str, dict[str, Any]] = dict(done)
    with contextlib.ExitStack() as stack:
        if todo and backend == "dask":
            client, owned = connect_dask(scheduler)
            if owned:
                stack.callback(client.close)
            threads = blas_threads or 1
        else:
            workers = min(_workers(n_jobs), max(len(todo), 1))
            threads = blas_threads or max(1, (os.cpu_count() or 1) // workers)
        tasks: list[Task] = [(i, c.to_json(), run_seed(c), threads) for i, c in todo]
        writer = None if store_path is None else stack.enter_context(StoreWriter(store_path))
        bar = None
        if progress and todo:
            bar = stack.enter_context(tqdm(total=len(configs), initial=resumed, desc="grid",
                                           unit="run", leave=False, dynamic_ncols=True))
        stream: Generator[dict[str, Any], None, None]
        if not todo:
            stream = _no_records()
        elif backend == "dask":
            stream = run_dask(tasks, client)
        else:
            stream = run_loky(tasks, workers)
        stack.callback(stream.close)
        for record in stream:
            if writer is not None:
                writer.append(record)
            results[record["id"]] = record
            if bar is not None:
                bar.update(1)
            if on_record is not None:
                ctx = tqdm.external_write_mode(file=sys.stdout) if bar is not None \
                    else contextlib.nullcontext()
                with ctx:
                    on_record(record, len(results) - len(done) + resumed, len(configs))
    return GridResult([results[i] for i in ids], ran=len(todo), resumed=resumed, torn=torn,
                      store=store_path, notes=notes)
