"""Grid search at scale: the 96-run grid on full-size data, and the speed-up of parallel workers.

Two measurements (each starts from an empty store, so every run is trained):

- ``--full``: wall time of the packaged ``mnist_grid.toml`` (dropout x batch
  size x momentum x learning rate = 96 trainings of a 784-100-10 sigmoid MLP,
  up to 50 epochs with the reports' early stopping) on a full-size dataset
  (default: Fashion-MNIST, 60,000 training images, as Debian's
  ``dataset-fashion-mnist`` installs it) with ``--n-jobs`` workers (default 2),
  1 BLAS thread each. Target: under 20 minutes on 2 cores.
- ``--speedup``: the packaged ``quick_grid.toml`` on the bundled sample, once
  with 1 worker using 2 BLAS threads and once with 2 workers using 1 BLAS
  thread each (and, to separate the two effects, 1 worker with 1 BLAS
  thread); the ratios of the wall times.

    python benchmarks/grid_search.py --speedup
    python benchmarks/grid_search.py --full [--dataset fashion-mnist] [--store runs/bench.jsonl]

Wall times include starting the worker processes and each worker's one load
of the data.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from typing import Any

import _bench_common as bench

ag = bench.import_autograd_lite()
from autograd_lite.search import grid_search, load_grid  # noqa: E402
from autograd_lite.search.grid_file import example_path  # noqa: E402
from autograd_lite.search.report import top_table  # noqa: E402

TARGET_MINUTES = 20.0


def _printer(began: float) -> Any:
    def on_record(record: dict[str, Any], done: int, total: int) -> None:
        m = record["metrics"] or {}
        c = record["config"]
        print(f"  [{done:3d}/{total}] {time.perf_counter() - began:7.1f} s  dropout={c['dropout']:g} "
              f"batch={c['batch_size']} momentum={c['momentum']:g} lr={c['lr']:g}: "
              f"{m.get('epochs', '-')} epochs, test acc {m.get('test_accuracy', float('nan')):.4f}, "
              f"{record['seconds']:.1f} s, pid {record['worker']['pid']}", flush=True)
    return on_record


def _timed(grid: Any, base: Any, store: str | None, n_jobs: int, blas: int, verbose: bool
           ) -> tuple[float, Any]:
    began = time.perf_counter()
    result = grid_search(grid.space, base, n_jobs=n_jobs, store=store, resume=False,
                         progress=False, blas_threads=blas,
                         on_record=_printer(began) if verbose else None)
    return time.perf_counter() - began, result


def full(dataset: str, n_jobs: int, store: str | None) -> None:
    grid = load_grid(example_path("mnist-grid"))
    base = dataclasses.replace(grid.base, dataset=dataset)
    n = len(grid.configurations())
    print(f"-- (a) {grid.name}: {n} configurations on {dataset}, n_jobs={n_jobs}, 1 BLAS thread "
          f"per worker; store {store or '(none)'}")
    wall, result = _timed(grid, base, store, n_jobs, 1, verbose=True)
    ok = [r for r in result.records if r["status"] == "ok"]
    epochs = [r["metrics"]["epochs"] for r in ok]
    busy = sum(r["seconds"] for r in result.records)
    cpu = sum(r["cpu_seconds"] for r in result.records)
    print()
    bench.print_table(
        ["what", "figure"],
        [["configurations (finished / diverged)", f"{len(ok)} / {len(result.records) - len(ok)}"],
         ["epochs trained (total; median per run; max)",
          f"{sum(epochs)}; {statistics.median(epochs):g}; {max(epochs)}"],
         ["runs stopped early (< 0.1% change of the training loss)",
          str(sum(r["metrics"]["stop_reason"] is not None for r in ok))],
         ["sum of run times (s)", f"{busy:.0f}"],
         ["wall time", f"{wall:.0f} s = {wall / 60:.1f} min"],
         ["workers busy (sum of run times / (wall x n_jobs))", f"{busy / (wall * n_jobs):.0%}"],
         ["CPU time of the runs (s); / n_jobs = wall time on idle cores",
          f"{cpu:.0f}; {cpu / n_jobs:.0f} s = {cpu / n_jobs / 60:.1f} min"],
         [f"under {TARGET_MINUTES:g} minutes", "yes" if wall < TARGET_MINUTES * 60 else "NO"],
         ["load average (1/5/15 min) at the end", bench._loadavg()]])
    print()
    print("best 10 by validation accuracy:")
    print(top_table(result.records, 10))
    print()


def speedup(repeats: int) -> None:
    grid = load_grid(example_path("quick-grid"))
    n = len(grid.configurations())
    cores = os.cpu_count() or 1
    print(f"-- (b) {grid.name}: {n} configurations on {grid.base.dataset}; best of {repeats}")
    rows, walls = [], {}
    for n_jobs, blas in ((1, cores), (1, 1), (cores, 1)):
        times = []
        for _ in range(repeats):
            wall, result = _timed(grid, grid.base, None, n_jobs, blas, verbose=False)
            times.append(wall)
        pids = {r["worker"]["pid"] for r in result.records}
        threads = {r["worker"]["blas_threads"] for r in result.records}
        walls[n_jobs, blas] = min(times)
        rows.append([f"n_jobs={n_jobs}, {blas} BLAS thread(s) each", f"{min(times):.1f}",
                     ", ".join(f"{t:.1f}" for t in times), str(len(pids)),
                     ", ".join(map(str, sorted(t for t in threads if t is not None)))])
    bench.print_table(["setting", "wall (s)", "all repeats (s)", "worker pids",
                       "BLAS threads seen"], rows)
    print(f"\nspeed-up of n_jobs={cores} (1 BLAS thread each) over n_jobs=1 with {cores} BLAS "
          f"threads: {walls[1, cores] / walls[cores, 1]:.2f}x; over n_jobs=1 with 1 BLAS "
          f"thread: {walls[1, 1] / walls[cores, 1]:.2f}x (ideal {cores}x); load average at "
          f"the end: {bench._loadavg()}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="(a) the 96-run grid on full data")
    parser.add_argument("--speedup", action="store_true", help="(b) n_jobs=2 vs n_jobs=1")
    parser.add_argument("--dataset", default="fashion-mnist")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--store", help="results store of --full (default: a temporary file)")
    parser.add_argument("--repeats", type=int, default=1, help="repeats of --speedup")
    args = parser.parse_args()
    if not (args.full or args.speedup):
        parser.error("choose --full, --speedup or both")
    bench.print_header("grid search", ag)
    if args.speedup:
        speedup(args.repeats)
    if args.full:
        with tempfile.TemporaryDirectory() as tmp:
            full(args.dataset, args.n_jobs, args.store or os.path.join(tmp, "grid.jsonl"))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
