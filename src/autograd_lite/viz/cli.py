"""``autograd-lite graph``: draw a backward graph to a file (SVG, PNG, PDF or DOT).

Two sources: the two-layer derivation network of ``viz.examples``
(``--example two-layer``, with ``--loss mse|cross-entropy``, ``--kind
value|tensor`` and ``--seed``), or the MLP ``autograd-lite train`` would
build from the same model flags (``--hidden``, ``--activation``,
``--output-activation``, ``--loss``, ``--dropout``, ``--init``, ``--dtype``,
``--seed``) applied to the first ``--batch-size`` digits of the bundled MNIST
sample, with its loss. The format comes from the ``--out`` suffix; .dot/.gv
needs no Graphviz. The same flags give the same file, byte for byte.

>>> import os, tempfile
>>> from autograd_lite.cli import main
>>> out = os.path.join(tempfile.mkdtemp(), "two.gv")
>>> main(["graph", "--example", "two-layer", "--out", out])  # doctest: +ELLIPSIS
wrote .../two.gv (two-layer network, value, mse loss: 22 nodes)
0
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["add_graph_parser", "run_graph", "EXAMPLES", "build_graph"]

EXAMPLES = ("two-layer",)
MODEL_FLAGS = ("hidden", "activation", "output_activation", "dropout", "init", "dtype",
               "batch_size")
"""``train`` flags that shape the MLP (``--loss`` and ``--seed`` serve both sources)."""


def add_graph_parser(commands: Any) -> argparse.ArgumentParser:
    """Add the ``graph`` subcommand to ``autograd-lite``'s subparsers; return its parser."""
    from ..cli import _choices, _default, _hidden_item, _value
    from ..train.config import ACTIVATIONS, DTYPES, FIELD_HELP, LOSSES, OUTPUT_ACTIVATIONS
    from .draw import FORMATS

    graph = commands.add_parser(
        "graph", help="draw a backward graph (values, gradients, formulas) to a file",
        description="Draw the backward graph of the two-layer derivation network or of an "
                    "MLP with its loss.\nThe --out suffix picks the format: "
                    + ", ".join("." + f for f in FORMATS) + ".",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  autograd-lite graph --example two-layer --out two_layer.svg\n"
               "  autograd-lite graph --hidden 100 --out mlp.svg")
    graph.set_defaults(command_parser=graph)
    S = argparse.SUPPRESS
    source = graph.add_argument_group("what to draw")
    source.add_argument("--example", choices=EXAMPLES,
                        help="the u1..u5 two-layer sigmoid network of the backprop derivation "
                             "(default: an MLP built from the model flags)")
    source.add_argument("--kind", choices=("value", "tensor"), default="value",
                        help="--example only: scalar Values or Tensors (default: value)")

    def add(key: str, parse: Any, kind: str, metavar: str) -> None:
        source.add_argument("--" + key.replace("_", "-"), dest=key,
                            type=_value(key, parse, kind), default=S, metavar=metavar,
                            help=f"{FIELD_HELP[key]} (default: {_default(key)})")

    source.add_argument("--hidden", dest="hidden", type=_hidden_item, action="append",
                        default=S, metavar="WIDTH", help="a hidden layer of WIDTH units, as "
                        "for train (repeat for more layers)")
    add("activation", str, "an activation", _choices(ACTIVATIONS))
    add("output_activation", str, "an output activation", _choices(OUTPUT_ACTIVATIONS))
    add("loss", str, "a loss", _choices(LOSSES))
    add("dropout", float, "a number", "P")
    add("init", str, "an init", "INIT")
    add("dtype", str, "a dtype", _choices(DTYPES))
    source.add_argument("--batch-size", dest="batch_size", type=_value("batch_size", int,
                        "an int"), default=S, metavar="N",
                        help="rows of the bundled MNIST sample fed to the MLP (default: "
                             f"{_default('batch_size')})")
    add("seed", int, "an int", "SEED")
    look = graph.add_argument_group("picture")
    look.add_argument("--out", required=True, metavar="FILE",
                      help="where to write; the suffix picks the format")
    look.add_argument("--rankdir", choices=("LR", "TB", "RL", "BT"), default=None,
                      help="layout direction (default: TB for --example, LR for an MLP)")
    look.add_argument("--max-nodes", type=int, default=200, metavar="N",
                      help="draw at most N nodes, then a marker (default: 200)")
    look.add_argument("--expand-modules", action="store_true",
                      help="draw every op of each module call instead of one node per call")
    look.add_argument("--expand-fused", action="store_true",
                      help="draw each fused linear as its matmul and add")
    look.add_argument("--no-data", action="store_true", help="leave out value previews")
    look.add_argument("--no-grad", action="store_true", help="leave out gradient previews")
    look.add_argument("--no-derivatives", action="store_true",
                      help="leave out the derivative formulas")
    look.add_argument("--highlight", metavar="NAME",
                      help="draw every path from the root to the tensor of this name")
    return graph


def _two_layer(args: argparse.Namespace, parser: argparse.ArgumentParser) -> tuple[Any, Any, str]:
    from .examples import LOSSES, two_layer

    loss = getattr(args, "loss", "mse")
    if loss not in LOSSES:
        parser.error(f"argument --loss: the two-layer example supports "
                     f"{' or '.join(LOSSES)}, not {loss!r}")
    root, _ = two_layer(kind=args.kind, loss=loss, seed=getattr(args, "seed", 0))
    return root, None, f"two-layer network, {args.kind}, {loss} loss"


def _mlp(args: argparse.Namespace, parser: argparse.ArgumentParser) -> tuple[Any, Any, str]:
    from ..data import load_mnist_sample
    from ..train.build import NAMED_CLASSES, build_loss, build_model
    from ..train.config import ConfigError, TrainConfig

    settings = {k: v for k, v in vars(args).items() if k in (*MODEL_FLAGS, "loss", "seed")}
    if "hidden" in settings:
        widths = settings["hidden"]
        if None in widths and len(widths) > 1:
            parser.error("argument --hidden: 'none' (a single layer) cannot be combined with "
                         "layer widths")
        settings["hidden"] = tuple(w for w in widths if w is not None)
    try:
        config = TrainConfig.from_dict(settings)
    except ConfigError as e:
        parser.error(str(e))
    sample = load_mnist_sample().train
    x = sample.x[: config.batch_size].astype(config.dtype)
    model = build_model(config, x.shape[1], NAMED_CLASSES)
    from ..tensor import Tensor

    inputs = Tensor(x, name="x")
    root = build_loss(config, NAMED_CLASSES)(model(inputs), sample.y[: config.batch_size])
    root.name = "loss"
    sizes = "-".join(map(str, [x.shape[1], *config.hidden, NAMED_CLASSES]))
    return root, dict(model.named_parameters()), f"{sizes} MLP, {config.loss} loss"


def build_graph(args: argparse.Namespace, parser: argparse.ArgumentParser) -> tuple[Any, str]:
    """The Digraph the parsed ``graph`` arguments ask for, and a description of it."""
    from .draw import draw_graph

    if args.example is not None:
        extra = [k for k in MODEL_FLAGS if hasattr(args, k)]
        if extra:
            parser.error(f"argument --{extra[0].replace('_', '-')}: not used with --example "
                         f"{args.example} (its sizes are fixed); drop it, or drop --example "
                         "to draw an MLP")
        root, params, what = _two_layer(args, parser)
        rankdir = args.rankdir or "TB"
    else:
        root, params, what = _mlp(args, parser)
        rankdir = args.rankdir or "LR"
    if args.max_nodes < 1:
        parser.error(f"argument --max-nodes: must be >= 1, got {args.max_nodes}")
    try:
        graph = draw_graph(root, params=params, show_data=not args.no_data,
                           show_grad=not args.no_grad, show_derivatives=not args.no_derivatives,
                           rankdir=rankdir, max_nodes=args.max_nodes,
                           collapse_modules=not args.expand_modules, highlight=args.highlight,
                           expand_fused=args.expand_fused)
    except ValueError as e:
        parser.error(f"argument --highlight: {e}" if args.highlight else str(e))
    return graph, what


def run_graph(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run ``autograd-lite graph``: write the picture, print what was written; exit status."""
    import os

    from .draw import FORMATS, save

    suffix = os.path.splitext(args.out)[1].lower().lstrip(".")
    if suffix not in FORMATS:
        parser.error(f"argument --out: cannot tell the format of {args.out!r}; end it in "
                     + ", ".join("." + f for f in FORMATS))
    graph, what = build_graph(args, parser)
    nodes = sum(1 for line in graph.body if " [label=" in line and " -> " not in line)
    try:
        save(graph, args.out)
    except (OSError, RuntimeError) as e:  # no Graphviz, unwritable path
        print(f"autograd-lite graph: error: {e}", file=sys.stderr)
        return 1
    print(f"wrote {args.out} ({what}: {nodes} nodes)")
    return 0
