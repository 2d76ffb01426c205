"""Scalar engine speed: ``autograd_lite.compat.micrograd`` vs the real ``micrograd``.

Times one forward+backward of micrograd's demo loss (a 2-16-16-1 MLP over 100
points: SVM hinge loss mean + 1e-4 * L2 of the parameters). Each engine runs in a
fresh subprocess, once with the cyclic gc on and once with it off, and the
median of several repeats is reported.

    python benchmarks/value_vs_micrograd.py [--repeats 7] [--points 100]

The real micrograd (``pip install micrograd==0.1.0``) is optional: without it
its rows are reported as skipped.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

SRC = Path(__file__).resolve().parents[1] / "src"
ENGINES = {
    "autograd_lite": "autograd_lite.compat.micrograd",
    "micrograd": "micrograd.nn",  # its Value comes from micrograd.engine
}


def make_moons(n: int, noise: float, seed: int = 1337) -> tuple[Any, Any]:
    """Two interleaving half circles with labels -1/+1 (numpy only)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    t = np.pi * rng.random(n)
    upper = rng.random(n) < 0.5
    X = np.where(
        upper[:, None],
        np.c_[np.cos(t), np.sin(t)],
        np.c_[1 - np.cos(t), 0.5 - np.sin(t)],
    )
    return X + noise * rng.standard_normal((n, 2)), np.where(upper, 1, -1)


def worker(engine: str, gc_on: bool, repeats: int, points: int) -> dict[str, Any]:
    """Time forward+backward in this process; returns a JSON-able result."""
    import importlib

    try:
        nn = importlib.import_module(ENGINES[engine])
    except ImportError as exc:
        return {"skip": f"{exc} (pip install micrograd==0.1.0)"}
    Value = nn.Value if hasattr(nn, "Value") else importlib.import_module("micrograd.engine").Value
    X, y = make_moons(points, noise=0.1)
    random.seed(1337)
    model = nn.MLP(2, [16, 16, 1])
    if not gc_on:
        gc.disable()

    def forward_backward() -> float:
        inputs = [list(map(Value, row)) for row in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * score).relu() for yi, score in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum(p * p for p in model.parameters())
        total = data_loss + reg_loss
        model.zero_grad()
        total.backward()
        return float(total.data)

    loss = forward_backward()  # warm-up; also the loss both engines must agree on
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        forward_backward()
        times.append(time.perf_counter() - start)
    return {"median": statistics.median(times), "times": times, "loss": loss}


def run_fresh(engine: str, gc_on: bool, repeats: int, points: int) -> dict[str, Any]:
    """Run ``worker`` in a new interpreter so neither engine sees the other's heap."""
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")])),
    )
    cmd = [sys.executable, __file__, "--worker", engine, "--gc", "on" if gc_on else "off"]
    cmd += ["--repeats", str(repeats), "--points", str(points)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return {"skip": f"worker failed: {proc.stderr.strip().splitlines()[-1:]}"}
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--points", type=int, default=100)
    parser.add_argument("--worker", choices=sorted(ENGINES), help=argparse.SUPPRESS)
    parser.add_argument("--gc", choices=["on", "off"], default="on", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.gc == "on", args.repeats, args.points)))
        return

    print(
        f"micrograd demo MLP 2-16-16-1, {args.points} points, forward+backward; "
        f"median of {args.repeats} (fresh process per cell)"
    )
    print(f"{'gc':<4}{'autograd_lite':>15}{'micrograd':>15}{'speed-up':>10}   loss (ours / theirs)")
    for gc_on in (True, False):
        ours = run_fresh("autograd_lite", gc_on, args.repeats, args.points)
        theirs = run_fresh("micrograd", gc_on, args.repeats, args.points)
        cells = [f"{r['median']:.4f} s" if "median" in r else "skipped" for r in (ours, theirs)]
        ratio = (
            f"{theirs['median'] / ours['median']:.1f}x"
            if "median" in ours and "median" in theirs
            else "-"
        )
        losses = " / ".join(f"{r['loss']:.6f}" if "loss" in r else "-" for r in (ours, theirs))
        print(f"{'on' if gc_on else 'off':<4}{cells[0]:>15}{cells[1]:>15}{ratio:>10}   {losses}")
        for name, r in (("autograd_lite", ours), ("micrograd", theirs)):
            if "skip" in r:
                print(f"     skip {name}: {r['skip']}")


if __name__ == "__main__":
    main()
