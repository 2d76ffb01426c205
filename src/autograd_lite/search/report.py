"""Reading a grid's results: the top-k table and two plots (matplotlib, imported only to draw).

Runs are ranked by validation accuracy (test accuracy when there is no
validation split): choosing by the test set would make it a validation set.

>>> records = [_demo_record(0.1, 0.9), _demo_record(0.01, 0.8)]
>>> print(top_table(records, k=2))
rank    lr  epochs  val acc  test acc  seconds
   1   0.1       2   0.9000    0.8900      1.0
   2  0.01       2   0.8000    0.7900      1.0
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from typing import Any

from .._io import atomic_writer
from ..train.history import History
from .space import varied_keys

__all__ = ["rank", "top_table", "accuracy_by_lr", "best_curves", "x_key"]

Record = dict[str, Any]


def _score(record: Record) -> float:
    m = record.get("metrics") or {}
    score = m.get("val_accuracy")
    if score is None:
        score = m.get("test_accuracy")
    return -math.inf if score is None else float(score)


def rank(records: Sequence[Record]) -> list[Record]:
    """Finished runs best first (validation accuracy, else test accuracy); diverged runs last.

    >>> [r["config"]["lr"] for r in rank([_demo_record(0.1, 0.5), _demo_record(0.2, 0.7)])]
    [0.2, 0.1]
    """
    return sorted(records, key=_score, reverse=True)


def _fmt(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ",".join(map(str, value)) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _acc(value: Any) -> str:
    return "-" if value is None else f"{value:.4f}"


def top_table(records: Sequence[Record], k: int = 10) -> str:
    """The best ``k`` runs as a text table: the varied settings, epochs, accuracies, seconds."""
    if not records:
        return "no records"
    keys = varied_keys([r["config"] for r in records])
    header = ["rank", *keys, "epochs", "val acc", "test acc", "seconds"]
    rows = []
    for n, r in enumerate(rank(records)[:k], 1):
        m = r.get("metrics") or {}
        tail = ([str(m["epochs"]), _acc(m["val_accuracy"]), _acc(m["test_accuracy"])]
                if r.get("status") == "ok" else ["-", r.get("status", "?"), "-"])
        rows.append([str(n), *(_fmt(r["config"][key]) for key in keys), *tail,
                     f"{r['seconds']:.1f}"])
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
    return "\n".join("  ".join(c.rjust(w) for c, w in zip(line, widths))
                     for line in [header, *rows])


def x_key(records: Sequence[Record]) -> str | None:
    """The setting the accuracy plot puts on its x axis: ``lr`` if it varies, else the first varied.

    >>> x_key([_demo_record(0.1, 0.5), _demo_record(0.2, 0.7)])
    'lr'
    """
    keys = varied_keys([r["config"] for r in records])
    return "lr" if "lr" in keys else (keys[0] if keys else None)


def _figure(width: float, height: float) -> Any:
    from ..train.plots import _matplotlib

    Figure, FigureCanvasAgg = _matplotlib()
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Any, path: str | os.PathLike[str]) -> str:
    with atomic_writer(path, "grid report") as f:
        fig.savefig(f, format="png", dpi=100)
    return os.fspath(path)


def _ordered(values: Sequence[Any]) -> list[Any]:
    """The distinct values, in their natural order where they have one.

    >>> _ordered([[110], [30], [110]]), _ordered([None, "relu", None])
    ([[30], [110]], ['relu', None])
    """
    distinct = list({json.dumps(v): v for v in values}.values())
    try:
        return sorted(distinct)
    except TypeError:  # mixed kinds, e.g. None and strings
        return sorted(distinct, key=json.dumps)


def accuracy_by_lr(records: Sequence[Record], path: str | os.PathLike[str]) -> str:
    """Plot test accuracy against the learning rate (or the first varied setting). Returns the path.

    One line per combination of the other varied settings (dropout, batch
    size, momentum, ...). With two or more of them, the one with the most
    values gets a panel per value, so that no panel holds too many lines.
    """
    ok = [r for r in records if r.get("status") == "ok"]
    if not ok:
        raise ValueError("grid report: no finished run to plot")
    x = x_key(ok)
    others = [k for k in varied_keys([r["config"] for r in ok]) if k != x]
    panel_key = max(others, key=lambda k: len(_ordered([r["config"][k] for r in ok]))) \
        if len(others) >= 2 else None
    line_keys = [k for k in others if k != panel_key]
    panels = _ordered([r["config"][panel_key] for r in ok]) if panel_key else [None]
    xs_all = _ordered([r["config"][x] for r in ok]) if x else [0]
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in xs_all)
    combos = _ordered([[r["config"][k] for k in line_keys] for r in ok])
    cols = math.ceil(math.sqrt(len(panels)))
    rows = -(-len(panels) // cols)
    fig = _figure(4.5 * cols + (2.5 if line_keys else 0), 3.6 * rows + 0.5)
    axes = fig.subplots(rows, cols, sharey=True, squeeze=False).ravel()
    from matplotlib import colormaps

    colors = colormaps["tab10" if len(combos) <= 10 else "tab20"]
    legend: dict[str, Any] = {}
    for ax, panel in zip(axes, panels):
        for i, combo in enumerate(combos):
            pts = sorted(((xs_all.index(r["config"][x]) if x else 0, r["config"][x] if x else 0,
                           r["metrics"]["test_accuracy"]) for r in ok
                          if [r["config"][k] for k in line_keys] == combo
                          and (panel_key is None or r["config"][panel_key] == panel)),
                         key=lambda p: p[0])
            if pts:
                label = ", ".join(f"{k}={_fmt(v)}" for k, v in zip(line_keys, combo))
                line, = ax.plot([p[1] if numeric else p[0] for p in pts], [p[2] for p in pts],
                                marker="o", color=colors(i % colors.N))
                legend.setdefault(label, line)
        if numeric and x == "lr":
            ax.set_xscale("log")
        if not numeric:
            ax.set_xticks(range(len(xs_all)), [_fmt(v) for v in xs_all])
        if panel_key is not None:
            ax.set_title(f"{panel_key}={_fmt(panel)}", fontsize="medium")
        ax.set_xlabel(x or "run")
        ax.grid(alpha=0.3)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    for ax in axes[::cols]:
        ax.set_ylabel("test accuracy")
    if line_keys:
        fig.legend(list(legend.values()), list(legend), loc="outside right upper",
                   fontsize="small")
    fig.suptitle(f"test accuracy by {x}" + (f" for each ({', '.join(others)})" if others else ""))
    return _save(fig, path)


def best_curves(records: Sequence[Record], path: str | os.PathLike[str], n: int = 3) -> str:
    """Plot the learning curves (loss and accuracy per epoch) of the ``n`` best runs."""
    best = [r for r in rank(records) if r.get("status") == "ok"][:n]
    if not best:
        raise ValueError("grid report: no finished run to plot")
    keys = varied_keys([r["config"] for r in records])
    fig = _figure(10, 4)
    axes = fig.subplots(1, 2)
    for r in best:
        h = History.from_dict(r["history"])
        label = ", ".join(f"{k}={_fmt(r['config'][k])}" for k in keys) or "run"
        for ax, metric in zip(axes, ("loss", "accuracy")):
            line, = ax.plot(h["epoch"], h[f"train_{metric}"], label=f"{label} (train)")
            val = h[f"val_{metric}"]
            if any(v is not None for v in val):
                ax.plot(h["epoch"], [math.nan if v is None else v for v in val], "--",
                        color=line.get_color(), label=f"{label} (val)")
    for ax, metric in zip(axes, ("loss", "accuracy")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize="x-small")
    fig.suptitle(f"learning curves of the {len(best)} best runs")
    return _save(fig, path)


def _demo_record(lr: float, val: float) -> Record:
    """A made-up record for the examples above."""
    return {"id": str(lr), "status": "ok", "config": {"lr": lr, "seed": 0}, "seconds": 1.0,
            "metrics": {"epochs": 2, "val_accuracy": val, "test_accuracy": val - 0.01}}
