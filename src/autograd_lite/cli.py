"""The command line: ``autograd-lite train ...`` (also ``python -m autograd_lite train ...``).

Subcommands: ``train`` (train and evaluate an MLP), ``graph`` (draw a
backward graph to a file; see ``autograd_lite.viz.cli``) and ``grid``
(``autograd-lite grid CONFIG.toml`` runs a hyperparameter grid, ``autograd-lite
grid --report STORE`` ranks its results; see ``autograd_lite.search.cli``).

Every ``train`` flag is a ``TrainConfig`` field (``--batch-size`` sets
``batch_size``); ``--config FILE.toml`` reads the fields from a file first and
flags override it, and the merged settings are validated once. Bad flags and
values exit with status 2 and an argparse message naming the flag (or the
file); a failed run exits with 1.

>>> main(["train", "--lr", "-1"])  # stderr: "... error: argument --lr: must be > 0, got -1.0"
2
>>> parse_config(["--hidden", "100", "--epochs", "3"]).hidden
(100,)
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from . import __version__
from .search.cli import add_grid_parser, grid_command
from .train.config import (ACTIVATIONS, DATASETS, DTYPES, EARLY_STOPS, FIELD_HELP, LOSSES,
                           OPTIMIZERS, OUTPUT_ACTIVATIONS, ConfigError, TrainConfig,
                           check_field, read_toml)

__all__ = ["main", "build_parser", "parse_config", "train_and_report"]

PROG = "autograd-lite"
_DEFAULTS = TrainConfig()


def _value(key: str, parse: Callable[[str], Any], kind: str) -> Callable[[str], Any]:
    """An argparse ``type``: parse the text, then check it as config field ``key``."""
    def convert(text: str) -> Any:
        try:
            value = parse(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {kind}, got {text!r}") from None
        try:
            return check_field(key, value)
        except ConfigError as e:
            raise argparse.ArgumentTypeError(e.problem) from None
    return convert


def _hidden_item(text: str) -> int | None:
    """One ``--hidden`` value: a layer width, or None for ``none`` (no hidden layer)."""
    if text.lower() == "none":
        return None
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a layer width (an int >= 1) or none, got "
                                         f"{text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"a layer width must be >= 1, got {value}")
    return value


def _optional_int(text: str) -> int | None:
    return None if text.lower() == "none" else int(text)


def _choices(options: Sequence[Any]) -> str:
    return "{" + ",".join("none" if o is None else str(o) for o in options) + "}"


def _default(key: str) -> str:
    value = getattr(_DEFAULTS, key)
    if isinstance(value, tuple):
        return " ".join(map(str, value)) or "none"
    return "none" if value is None else str(value)


def build_parser() -> argparse.ArgumentParser:
    """The ``autograd-lite`` argument parser (subcommands ``train``, ``graph`` and ``grid``).

    >>> build_parser().parse_args(["train", "--lr", "0.5"]).lr
    0.5
    """
    parser = argparse.ArgumentParser(
        prog=PROG, description="Train and inspect small networks built on autograd_lite.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    train = commands.add_parser(
        "train", help="train an MLP on MNIST-style data",
        description="Train an MLP and evaluate it on the test set. Every setting has a\n"
                    "default; --config FILE.toml supplies settings, and flags override it.\n"
                    "The last line printed is 'test accuracy: 0.xxxx'.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n  autograd-lite train --hidden 100 --lr 0.1 --momentum 0.9 "
               "--epochs 20 --out runs/mlp")
    train.set_defaults(command_parser=train)  # its errors say "autograd-lite train: error: ..."
    S = argparse.SUPPRESS  # unset flags stay absent, so the TOML file / defaults apply

    def add(group: Any, key: str, parse: Callable[[str], Any], kind: str,
            metavar: str | None = None, **kw: Any) -> None:
        flag = "--" + key.replace("_", "-")
        group.add_argument(flag, dest=key, type=_value(key, parse, kind), default=S,
                           metavar=metavar or kind.upper(),
                           help=f"{FIELD_HELP[key]} (default: {_default(key)})", **kw)

    data = train.add_argument_group("data")
    add(data, "dataset", str, "dataset", "NAME|PATH")
    add(data, "val_fraction", float, "a number", "F")
    add(data, "train_size", _optional_int, "an int or none", "N")
    model = train.add_argument_group("model")
    model.add_argument("--hidden", dest="hidden", type=_hidden_item, action="append", default=S,
                       metavar="WIDTH", help="a hidden layer of WIDTH units; repeat for more "
                       "layers (--hidden 100 --hidden 50); none or no flag: a single layer "
                       f"(default: {_default('hidden')})")
    add(model, "activation", str, "an activation", _choices(ACTIVATIONS))
    add(model, "output_activation", str, "an output activation", _choices(OUTPUT_ACTIVATIONS))
    add(model, "loss", str, "a loss", _choices(LOSSES))
    add(model, "dropout", float, "a number", "P")
    add(model, "init", str, "an init", "INIT")
    add(model, "dtype", str, "a dtype", _choices(DTYPES))
    opt = train.add_argument_group("optimizer")
    add(opt, "optimizer", str, "an optimizer", _choices(OPTIMIZERS))
    add(opt, "lr", float, "a number", "LR")
    add(opt, "momentum", float, "a number", "M")
    opt.add_argument("--nesterov", dest="nesterov", action=argparse.BooleanOptionalAction,
                     default=S, help=f"{FIELD_HELP['nesterov']} (default: off)")
    add(opt, "weight_decay", float, "a number", "WD")
    sched = train.add_argument_group("schedule")
    add(sched, "batch_size", int, "an int", "N")
    add(sched, "epochs", int, "an int", "N")
    sched.add_argument("--early-stop", dest="early_stop", nargs="?", const="relative",
                       type=_value("early_stop", str, "a rule"), default=S,
                       metavar=_choices(EARLY_STOPS),
                       help=f"{FIELD_HELP['early_stop']}; --early-stop alone means relative "
                       f"(default: {_default('early_stop')})")
    add(sched, "tolerance", float, "a number", "TOL")
    add(sched, "patience", int, "an int", "N")
    add(sched, "lr_step", _optional_int, "an int or none", "N")
    add(sched, "lr_gamma", float, "a number", "G")
    add(sched, "seed", int, "an int", "SEED")
    run = train.add_argument_group("run")
    run.add_argument("--config", metavar="FILE.toml",
                     help="read settings from a TOML file of key = value lines; flags override it")
    run.add_argument("--out", metavar="DIR", help="write config.json, checkpoint.npz, "
                     "model.npz, history.json, curves.png and result.json to DIR")
    run.add_argument("--resume", metavar="CHECKPOINT",
                     help="continue a run from its DIR/checkpoint.npz (same settings; "
                     "--epochs may be larger)")
    run.add_argument("--quiet", action="store_true",
                     help="no progress bar or per-epoch table; only the final summary")
    from .viz.cli import add_graph_parser  # the graph subcommand lives with viz
    add_graph_parser(commands)
    add_grid_parser(commands)
    return parser


def _config_from_args(args: argparse.Namespace, parser: argparse.ArgumentParser) -> TrainConfig:
    """The TOML file's settings (if any) with the given flags on top, validated once.

    The file is not validated alone (``output_activation = "sigmoid"`` in the
    file with ``--loss mse`` is a good config); an error names the flag that
    set the bad key, else the file if it set that key or (for a combination
    that cannot work) one of the others.
    """
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    flags = {k: v for k, v in vars(args).items() if k in fields}
    if "hidden" in flags:
        widths = flags["hidden"]
        if None in widths and len(widths) > 1:
            parser.error("argument --hidden: 'none' (a single layer) cannot be combined with "
                         "layer widths")
        flags["hidden"] = tuple(w for w in widths if w is not None)
    settings: dict[str, Any] = {}
    if args.config is not None:
        if not os.path.isfile(args.config):
            parser.error(f"argument --config: no such file {args.config!r}")
        try:
            settings = read_toml(args.config)  # keys checked here, values below
        except (ConfigError, ValueError, OSError) as e:
            parser.error(f"argument --config: {e}")
    from_file = set(settings) - set(flags)
    settings.update(flags)
    try:
        return TrainConfig.from_dict(settings)
    except ConfigError as e:
        if e.key in flags:
            parser.error(f"argument --{e.key.replace('_', '-')}: {e.problem}")
        if e.key in from_file or from_file & set(e.related):
            parser.error(f"argument --config: {e} (in {args.config})")
        parser.error(str(e))


def parse_config(argv: Sequence[str]) -> TrainConfig:
    """The ``TrainConfig`` that ``autograd-lite train ARGV`` would run (bad flags: SystemExit 2).

    >>> parse_config(["--hidden", "100", "--hidden", "50", "--lr", "0.05"]).to_dict()["hidden"]
    [100, 50]
    """
    args = build_parser().parse_args(["train", *argv])
    return _config_from_args(args, args.command_parser)


def _headline(config: TrainConfig) -> str:
    model = (f"{'-'.join(map(str, config.hidden))} hidden {config.activation}"
             if config.hidden else "single layer")
    return (f"training on {config.dataset}: {model}, {config.loss}, {config.optimizer} lr "
            f"{config.lr:g} momentum {config.momentum:g}, batch {config.batch_size}, up to "
            f"{config.epochs} epochs, seed {config.seed}")


def _train(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    config = _config_from_args(args, parser)  # named datasets come in canonical spelling
    if config.dataset not in DATASETS and not os.path.isdir(os.path.expanduser(config.dataset)):
        parser.error(f"argument --dataset: {config.dataset!r} is neither one of "
                     f"{', '.join(DATASETS)} nor a directory of IDX files")
    if args.resume is not None and not os.path.isfile(args.resume):
        parser.error(f"argument --resume: no such file {args.resume!r}")
    return train_and_report(config, args.out, quiet=args.quiet, resume=args.resume)


def train_and_report(config: TrainConfig, out_dir: str | None = None, *, quiet: bool = False,
                     progress: bool | None = None, resume: str | None = None,
                     headline: str | None = None) -> int:
    """Run ``config``, printing a per-epoch table (unless ``quiet``) and the final summary.

    The last line printed is ``test accuracy: 0.xxxx``. Returns the exit
    status: 0, 1 when the run fails (the error on stderr), 130 if interrupted.
    ``progress`` (default: not ``quiet``) shows tqdm bars on stderr; without
    tqdm installed the run goes on without them, after a note on stderr.
    """
    from .train.checkpoint import load_checkpoint  # heavy imports only once flags are good
    from .train.history import HEADER, format_row
    from .train.loop import tqdm_class
    from .train.run import run

    if progress is None:
        progress = not quiet
    if progress:
        try:
            tqdm_class()
        except ImportError:
            print(f"{PROG} train: note: tqdm is not installed, so there is no progress bar "
                  "(pip install autograd-lite[train] adds it)", file=sys.stderr, flush=True)
            progress = False

    if not quiet:
        print(headline or _headline(config))
        print(HEADER, flush=True)
        if resume is not None:
            try:
                for record in load_checkpoint(resume).history:  # the epochs already trained
                    print(format_row(record))
            except (ValueError, OSError):
                pass  # run() reports an unreadable checkpoint

    def on_epoch(record: Any) -> None:
        if not quiet:
            print(format_row(record), flush=True)

    try:
        result = run(config, out_dir, progress=progress, resume=resume, on_epoch=on_epoch)
    except KeyboardInterrupt:
        hint = (f"; continue with --resume {os.path.join(out_dir, 'checkpoint.npz')}"
                if out_dir else "")
        print(f"{PROG} train: interrupted{hint}", file=sys.stderr)
        return 130
    except (ValueError, OSError, RuntimeError, FloatingPointError, ImportError) as e:
        # bad data files, failed downloads, a diverged run, a missing extra: no traceback
        print(f"{PROG} train: error: {e}", file=sys.stderr)
        return 1
    if not quiet:
        if result.history.stop_reason:
            print(f"stopped early: {result.history.stop_reason}")
        if out_dir:
            print(f"wrote {os.path.join(out_dir, '')}{{model.npz, history.json, curves.png, "
                  "config.json, result.json, checkpoint.npz}")
        print()
    print(result.summary())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); the exit status.

    >>> main(["--version"])  # doctest: +ELLIPSIS
    autograd-lite ...
    0
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help(sys.stderr)
            return 2
        if args.command == "graph":
            from .viz.cli import run_graph
            return run_graph(args, args.command_parser)
        if args.command == "grid":
            return grid_command(args, args.command_parser)
        return _train(args, args.command_parser)
    except SystemExit as e:  # argparse's own exits: --help, --version, usage errors (2)
        return e.code if isinstance(e.code, int) else 1
