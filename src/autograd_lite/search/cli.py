"""``autograd-lite grid``: run a grid file (resumable) or report on a results store.

``autograd_lite.cli`` adds the subcommand with ``add_grid_parser`` and hands
the parsed flags to ``grid_command``. Bad flags and bad grid files exit with
status 2 and a message naming the flag or the file and key; a failed grid
exits with 1, an interrupted one with 130 (rerun the command to resume).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

__all__ = ["add_grid_parser", "grid_command", "default_store"]

PROG = "autograd-lite grid"


def _n_jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an int (-1: one worker per core), got "
                                         f"{text!r}") from None
    if value == 0:
        raise argparse.ArgumentTypeError("must not be 0 (1: run in this process; -1: one "
                                         "worker per core)")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an int >= 1, got {text!r}")
    return value


def add_grid_parser(commands: Any) -> argparse.ArgumentParser:
    """Add the ``grid`` subcommand to ``commands`` (argparse subparsers); the new parser."""
    from .grid_file import example_names

    grid = commands.add_parser(
        "grid", help="run a hyperparameter grid (parallel, resumable) or report on one",
        description="Train every configuration of a grid file: a TOML [base] table of\n"
                    "TrainConfig settings and a [space] table of lists of values. Each\n"
                    "finished run is appended to the results store (JSON Lines); running\n"
                    "the same command again skips the configurations already there.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  autograd-lite grid --example quick-grid --n-jobs 2\n"
               "  autograd-lite grid experiments/mnist_grid.toml --store runs/mnist.jsonl\n"
               "  autograd-lite grid --report runs/mnist.jsonl\n"
               f"packaged grids (--example): {', '.join(example_names())}")
    grid.set_defaults(command_parser=grid)
    grid.add_argument("config", nargs="?", metavar="CONFIG.toml", help="the grid file")
    grid.add_argument("--example", metavar="NAME", help="a grid that ships with the package")
    grid.add_argument("--report", metavar="STORE", help="print the best runs of a results "
                      "store and plot them; trains nothing")
    grid.add_argument("--store", metavar="PATH", help="results store (JSON Lines; default: "
                      "runs/<grid name>.jsonl)")
    grid.add_argument("--n-jobs", type=_n_jobs, default=None, metavar="N",
                      help="worker processes (-1: one per core, the default; 1: this process)")
    grid.add_argument("--no-resume", dest="resume", action="store_false",
                      help="run every configuration again (the old store is kept as STORE.bak, "
                           "or STORE.bak.N when that exists)")
    grid.add_argument("--backend", choices=("loky", "dask"), default=None,
                      help="loky: processes on this machine (default); dask: a Dask cluster")
    grid.add_argument("--scheduler", metavar="ADDR",
                      help="the Dask scheduler's address, e.g. tcp://host:8786 (--backend dask)")
    grid.add_argument("--top", type=_positive, default=10, metavar="K",
                      help="rows of the table of best runs (default: 10)")
    grid.add_argument("--plots", metavar="DIR", help="write the report's plots to DIR "
                      "(default: next to the store)")
    grid.add_argument("--quiet", action="store_true",
                      help="no progress bar or line per run; only the table of best runs")
    return grid


def default_store(grid_name: str) -> str:
    """Where a grid's results go unless ``--store`` says otherwise.

    >>> default_store("mnist_grid")
    'runs/mnist_grid.jsonl'
    """
    return os.path.join("runs", f"{grid_name}.jsonl")


def _check_flags(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    sources = [name for name, value in (("CONFIG.toml", args.config), ("--example", args.example),
                                        ("--report", args.report)) if value is not None]
    if len(sources) != 1:
        parser.error("give one of CONFIG.toml, --example NAME or --report STORE" if not sources
                     else f"{' and '.join(sources)} cannot be combined; give one of them")
    if args.report is not None:
        running = [flag for flag, value in (("--store", args.store), ("--n-jobs", args.n_jobs),
                                            ("--backend", args.backend),
                                            ("--scheduler", args.scheduler),
                                            ("--no-resume", not args.resume or None))
                   if value is not None]
        if running:
            parser.error(f"argument --report: reports on a store and trains nothing, so "
                         f"{running[0]} does not apply")
        return
    if args.plots is not None:
        parser.error("argument --plots: only with --report STORE")
    if args.backend == "dask":
        if args.scheduler is None:
            parser.error("argument --backend: dask needs --scheduler ADDR (e.g. "
                         "tcp://host:8786, the address `dask scheduler` prints)")
        if args.n_jobs is not None:
            parser.error("argument --n-jobs: with --backend dask the cluster's workers run "
                         "the grid; leave --n-jobs out")
    elif args.scheduler is not None:
        parser.error("argument --scheduler: only with --backend dask")


def _describe(record: dict[str, Any], keys: list[str]) -> str:
    from .report import _fmt

    point = " ".join(f"{k}={_fmt(record['config'][k])}" for k in keys)
    if record["status"] != "ok":
        return f"{point}: {record['status']}: {record['error']}"
    m = record["metrics"]
    val = "" if m["val_accuracy"] is None else f"val acc {m['val_accuracy']:.4f}, "
    return (f"{point}: {val}test acc {m['test_accuracy']:.4f}, {m['epochs']} epochs, "
            f"{record['seconds']:.1f} s (pid {record['worker']['pid']})")


def _report(store: str, top: int, plots_dir: str | None, quiet: bool) -> None:
    from .report import accuracy_by_lr, best_curves, top_table
    from .store import read_store

    records, torn = read_store(store)
    if torn is not None:
        print(f"{PROG}: note: {torn.describe(store)}", file=sys.stderr)
    if not records:
        print(f"{store}: no finished runs yet")
        return
    ok = sum(r["status"] == "ok" for r in records)
    print(f"{store}: {len(records)} runs ({ok} finished, {len(records) - ok} diverged); best "
          f"{min(top, len(records))} by validation accuracy:")
    print(top_table(records, top))
    if ok == 0:
        return
    stem = os.path.splitext(os.path.basename(store))[0]
    directory = plots_dir if plots_dir is not None else os.path.dirname(store)
    if directory:
        os.makedirs(directory, exist_ok=True)
    try:
        paths = [accuracy_by_lr(records, os.path.join(directory, f"{stem}.accuracy.png")),
                 best_curves(records, os.path.join(directory, f"{stem}.curves.png"))]
    except ImportError as e:
        print(f"{PROG}: note: no plots: {e}", file=sys.stderr)
        return
    if not quiet:
        print("wrote " + " and ".join(paths))


def grid_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run ``autograd-lite grid`` with parsed ``args``; the exit status."""
    from ..train.config import ConfigError
    from .grid_file import GridFileError, example_path, load_grid
    from .store import StoreError

    _check_flags(args, parser)
    if args.report is not None:
        if not os.path.isfile(args.report):
            parser.error(f"argument --report: no such file {args.report!r}")
        try:
            _report(args.report, args.top, args.plots, args.quiet)
        except (StoreError, OSError, ValueError) as e:
            print(f"{PROG}: error: {e}", file=sys.stderr)
            return 1
        return 0
    try:
        path = example_path(args.example) if args.example is not None else args.config
        grid = load_grid(path)
    except (GridFileError, ConfigError) as e:
        parser.error(f"argument {'--example' if args.example else 'CONFIG.toml'}: {e}")
    store = args.store or default_store(grid.name)
    return _run(grid, store, args)


def _run(grid: Any, store: str, args: argparse.Namespace) -> int:
    from ..train.loop import tqdm_class
    from .grid import grid_search
    from .space import config_id, varied_keys
    from .store import StoreError, read_store

    configs = grid.configurations()
    varied = varied_keys([c.to_dict() for c in configs])
    keys = [k for k in grid.space if k in varied] or list(grid.space)  # in the file's order
    progress = not args.quiet
    if progress:
        try:
            tqdm_class()
        except ImportError:
            progress = False
    try:
        if args.resume:
            stored, torn = read_store(store)
            if torn is not None:
                print(f"{PROG}: note: {torn.describe(store)}", file=sys.stderr, flush=True)
            ids = {config_id(c) for c in configs}
            already = len(ids & {r["id"] for r in stored})
        else:
            already = 0
        if not args.quiet:
            where = f"the Dask cluster at {args.scheduler}"
            if args.backend != "dask":
                from joblib import effective_n_jobs

                workers = effective_n_jobs(args.n_jobs or -1)
                where = f"{workers} worker processes" if workers > 1 else "this process"
            print(f"grid {grid.name}: {len(configs)} configurations of {', '.join(keys)} on "
                  f"{grid.base.dataset}; {already} already in {store}; running on {where}",
                  flush=True)

        def on_record(record: dict[str, Any], done: int, total: int) -> None:
            if not args.quiet:
                print(f"[{done}/{total}] {_describe(record, keys)}", flush=True)

        result = grid_search(grid.space, grid.base, n_jobs=args.n_jobs or -1,
                             backend=args.backend or "loky", scheduler=args.scheduler,
                             store=store, resume=args.resume, progress=progress,
                             on_record=on_record)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; the finished runs are in {store}: run the same command "
              "again to continue", file=sys.stderr)
        return 130
    except (StoreError, OSError, ValueError, RuntimeError, ImportError) as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    for note in result.notes:
        if "torn" not in note:
            print(f"{PROG}: note: {note}", file=sys.stderr)
    if not args.quiet:
        print(f"{result.ran} runs done, {result.resumed} taken from the store")
    try:
        _report_records(result.records, store, args)
    except (OSError, ValueError) as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    return 0


def _report_records(records: list[dict[str, Any]], store: str, args: argparse.Namespace) -> None:
    from .report import top_table

    print()
    print(f"best {min(args.top, len(records))} of {len(records)} by validation accuracy:")
    print(top_table(records, args.top))
    if not args.quiet:
        print(f"(autograd-lite grid --report {store} plots them)")
