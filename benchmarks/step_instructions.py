"""Instructions and cache misses per training step, counted by valgrind: noise-free overhead.

On a shared machine the wall-clock ratios of ``mlp_epoch.py`` move by ±7%
between runs, more than a change to the engine's per-step Python costs.
This script counts instead of timing: it runs one training step loop of the
784-100-10 sigmoid MLP (the same engines as ``mlp_epoch.py``: hand-written
numpy, and autograd_lite as a user writes it) under valgrind's cachegrind,
once with ``--warmup`` steps and once with ``--warmup + --steps``, and
divides the difference by ``--steps``. That gives, per step:

* instructions executed (the same count on every run, to about 0.3%:
  string hashing is pinned with PYTHONHASHSEED=0);
* first-level instruction-cache misses (I1) and data-cache misses (D1), as
  cachegrind simulates them: Python's interpreter runs a lot of varied code
  per step, and its I1 misses cost time that instruction counts miss.

BLAS runs on one thread. The data are random float32 images (the counts
do not depend on the values). valgrind is an optional tool: without it the
script says so and exits 0.

    python benchmarks/step_instructions.py                  # batches 1 32 256
    python benchmarks/step_instructions.py --batch-sizes 32 --steps 30
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
from _bench_common import import_autograd_lite, print_header, print_table

ag = import_autograd_lite()
HERE = Path(__file__).resolve().parent
ENGINE_NAMES = ("numpy", "autograd_lite")
COUNTERS = {"instructions": r"I\s+refs:\s+([\d,]+)", "I1 misses": r"I1\s+misses:\s+([\d,]+)",
            "D1 misses": r"D1\s+misses:\s+([\d,]+)"}


def run_steps(engine: str, batch_size: int, steps: int) -> None:
    """The measured program: ``steps`` training steps over 8 fixed batches."""
    import mlp_epoch

    rng = np.random.default_rng(0)
    x = rng.random((batch_size * 8, mlp_epoch.SIZES[0]), dtype=np.float32)
    y = rng.integers(0, mlp_epoch.SIZES[-1], batch_size * 8)
    model = mlp_epoch.ENGINES[engine](mlp_epoch.initial_weights())
    for i in range(steps):
        k = i % 8
        model.step(x[k * batch_size:(k + 1) * batch_size], y[k * batch_size:(k + 1) * batch_size])


def count(engine: str, batch_size: int, steps: int) -> dict[str, int]:
    """cachegrind's totals for a whole process running ``steps`` steps."""
    env = dict(os.environ, PYTHONHASHSEED="0", OPENBLAS_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([str(Path(ag.__file__).parent.parent),
                                           os.environ.get("PYTHONPATH", "")]))
    cmd = ["valgrind", "--tool=cachegrind", "--cache-sim=yes", "--cachegrind-out-file=/dev/null",
           sys.executable, str(Path(__file__).resolve()), "--run", engine, str(batch_size),
           str(steps)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stderr
    totals = {}
    for name, pattern in COUNTERS.items():
        match = re.search(pattern, out)
        if match is None:
            raise RuntimeError(f"step_instructions: no {name!r} in valgrind's output:\n{out}")
        totals[name] = int(match.group(1).replace(",", ""))
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 32, 256])
    parser.add_argument("--warmup", type=int, default=10, help="steps in the baseline run")
    parser.add_argument("--steps", type=int, default=30, help="extra steps counted")
    parser.add_argument("--run", nargs=3, metavar=("ENGINE", "BATCH", "STEPS"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        run_steps(args.run[0], int(args.run[1]), int(args.run[2]))
        return
    if shutil.which("valgrind") is None:
        print("step_instructions: valgrind is not installed (apt-get install valgrind); "
              "nothing measured")
        return
    print_header("step_instructions: per-step instructions and cache misses (cachegrind)", ag, [
        f"MLP 784-100-10 sigmoid + softmax cross-entropy, SGD momentum, float32; "
        f"({args.warmup} + {args.steps} steps) - ({args.warmup} steps), / {args.steps}",
        "BLAS threads: 1 (OPENBLAS_NUM_THREADS=1); PYTHONHASHSEED=0",
    ])
    rows: list[list[str]] = []
    for bs in args.batch_sizes:
        per_step: dict[str, dict[str, float]] = {}
        for engine in ENGINE_NAMES:
            base = count(engine, bs, args.warmup)
            more = count(engine, bs, args.warmup + args.steps)
            per_step[engine] = {k: (more[k] - base[k]) / args.steps for k in COUNTERS}
        for engine in ENGINE_NAMES:
            row = [engine, str(bs)]
            for k in COUNTERS:
                value, ref = per_step[engine][k], per_step["numpy"][k]
                row += [f"{value:,.0f}", f"{value / ref:.2f}x" if ref else "-"]
            rows.append(row)
    headers = ["engine", "batch"]
    for k in COUNTERS:
        headers += [f"{k}/step", "x numpy"]
    print_table(headers, rows, align="lr" + "rr" * len(COUNTERS))


if __name__ == "__main__":
    main()
