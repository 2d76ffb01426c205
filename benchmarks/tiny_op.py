"""Per-op overhead: forward + backward of tiny ops vs the same work in numpy.

The baseline is what a hand-written numpy program does for ``c = a + b`` and
its backward: ``c = a + b; ga += g; gb += g`` on small float32 arrays. The
same run times autograd_lite doing ``c = a + b; c.backward(gradient=g)`` on
leaves that require grad, plus ``(a * b).sum().backward()``, a 3-op chain
``((a + b) * b).tanh()`` and the forward alone. Each case is also compared
with its own hand-written numpy equivalent (forward + chain rule, gradients
accumulated into preallocated arrays).

Figures are µs per iteration from ``timeit`` (cyclic GC off while timing, as
timeit does): the min over repeats (used for the ratios) and the median.

Two reference tapes, written here in a few lines each, show what any Python
autodiff pays for ``c = a + b`` forward+backward: ``bare tape`` records one
object per op and backpropagates a single node with no graph walk at all
(the least a tape can do); ``micrograd's design`` is micrograd's ``Value``
(a closure per op, a recursive topological sort) over ndarrays. Neither has
grad mode, dtype or shape rules, broadcasting, version checks or hooks.

    python benchmarks/tiny_op.py             # full run, shapes (3,), (100,), (10000,)
    python benchmarks/tiny_op.py --quick     # smoke run, a few seconds
    python benchmarks/tiny_op.py --profile   # also cProfile top-15 (tottime) of a+b fwd+bwd

Target (later issue): a+b forward+backward at most 2x the numpy baseline.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
from typing import Any

import numpy as np
from _bench_common import import_autograd_lite, print_header, print_table, time_per_iter

ag = import_autograd_lite()

# name -> (numpy-equivalent statement, autograd_lite statement)
CASES: dict[str, tuple[str, str]] = {
    "a+b fwd+bwd": (
        "c = a + b; ga += g; gb += g",
        "c = ta + tb; c.backward(gradient=g)",
    ),
    "a+b fwd only": (
        "c = a + b",
        "c = ta + tb",
    ),
    "(a*b).sum() fwd+bwd": (
        "s = (a * b).sum(); gs = 1.0; ga += gs * b; gb += gs * a",
        "(ta * tb).sum().backward()",
    ),
    "((a+b)*b).tanh() fwd+bwd": (
        "s = a + b; p = s * b; y = np.tanh(p); gp = g * (1 - y * y); gs = gp * b; "
        "ga += gs; gb += gp * s + gs",
        "((ta + tb) * tb).tanh().backward(gradient=g)",
    ),
}
BASELINE = "a+b fwd+bwd"


class BareTape:
    """One object per op; backward runs one node's vjp with no graph walk."""

    __slots__ = ("data", "grad", "parents")

    def __init__(self, data: np.ndarray, parents: tuple[BareTape, ...] = ()) -> None:
        self.data, self.grad, self.parents = data, None, parents

    def __add__(self, other: BareTape) -> BareTape:
        return BareTape(self.data + other.data, (self, other))

    def backward(self, g: np.ndarray) -> None:
        for parent in self.parents:  # d(a+b)/da = d(a+b)/db = 1
            if parent.grad is None:
                parent.grad = g.copy()
            else:
                parent.grad += g


class MicrogradStyle:
    """micrograd's Value design over ndarrays: a closure per op, a topological sort."""

    def __init__(self, data: np.ndarray, children: tuple[MicrogradStyle, ...] = ()) -> None:
        self.data, self.grad = data, np.zeros_like(data)
        self._prev, self._backward = set(children), lambda: None

    def __add__(self, other: MicrogradStyle) -> MicrogradStyle:
        out = MicrogradStyle(self.data + other.data, (self, other))

        def _backward() -> None:
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def backward(self, g: np.ndarray) -> None:
        topo: list[MicrogradStyle] = []
        visited: set[MicrogradStyle] = set()

        def build(v: MicrogradStyle) -> None:
            if v not in visited:
                visited.add(v)
                for child in v._prev:
                    build(child)
                topo.append(v)
        build(self)
        self.grad = g
        for v in reversed(topo):
            v._backward()


REFERENCE_TAPES = {"bare tape": BareTape, "micrograd's design": MicrogradStyle}


def make_namespace(n: int, seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(n).astype(np.float32)
    b = rng.standard_normal(n).astype(np.float32)
    return {
        "np": np, "ag": ag, "gc": gc,
        "a": a, "b": b, "g": np.ones(n, np.float32),
        "ga": np.zeros(n, np.float32), "gb": np.zeros(n, np.float32),
        "ta": ag.tensor(a, requires_grad=True), "tb": ag.tensor(b, requires_grad=True),
        **{f"ref{i}_{leaf}": cls(arr.copy()) for i, cls in enumerate(REFERENCE_TAPES.values())
           for leaf, arr in (("a", a), ("b", b))},
    }


def check_gradients(n: int) -> None:
    """One fresh iteration per case: autograd_lite grads must equal the numpy ones."""
    for name, (np_stmt, ag_stmt) in CASES.items():
        if "bwd" not in name:
            continue
        ns = make_namespace(n, seed=1)
        exec(np_stmt, ns)
        exec(ag_stmt, ns)
        for leaf, ref in (("ta", "ga"), ("tb", "gb")):
            got = ns[leaf].grad
            if got is None or not np.allclose(got.data, ns[ref], rtol=1e-5, atol=1e-6):
                raise AssertionError(f"{name}, shape ({n},): {leaf}.grad {got} != numpy {ns[ref]}")
    ns = make_namespace(n, seed=1)
    exec(CASES[BASELINE][0], ns)
    for i, name in enumerate(REFERENCE_TAPES):  # the reference tapes do the same work
        exec(f"c = ref{i}_a + ref{i}_b; c.backward(g)", ns)
        for leaf, ref in (("a", "ga"), ("b", "gb")):
            got = ns[f"ref{i}_{leaf}"].grad
            if not np.allclose(got, ns[ref]):
                raise AssertionError(f"{name}, shape ({n},): {leaf}.grad {got} != {ns[ref]}")


def run_profile(n: int, iters: int) -> None:
    ns = make_namespace(n)
    ta, tb, g = ns["ta"], ns["tb"], ns["g"]

    def loop() -> None:
        for _ in range(iters):
            c = ta + tb
            c.backward(gradient=g)

    loop()  # warm up
    prof = cProfile.Profile()
    prof.enable()
    loop()
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.strip_dirs().sort_stats("tottime").print_stats(15)
    print(f"cProfile of `c = a + b; c.backward(gradient=g)`, shape ({n},), {iters} iterations "
          "(profiler overhead inflates absolute times; read the proportions):")
    text = out.getvalue()
    print(text[text.index("   Ordered by"):] if "   Ordered by" in text else text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fast smoke run")
    parser.add_argument("--profile", action="store_true",
                        help="also print a cProfile top-15 (by tottime) of a+b fwd+bwd")
    parser.add_argument("--sizes", type=int, nargs="+", default=None,
                        help="array lengths (default: 3 100 10000; --quick: 3 100)")
    args = parser.parse_args()

    sizes = args.sizes or ([3, 100] if args.quick else [3, 100, 10_000])
    # Many short repeats, min kept: on a shared machine the min finds the
    # windows where this process had a core to itself.
    repeat, min_time = (5, 0.01) if args.quick else (25, 0.02)

    print_header("tiny_op: per-op forward+backward overhead vs numpy", ag, [
        f"mode: {'quick' if args.quick else 'full'}; timeit repeat={repeat}, "
        f">= {min_time:g} s per repeat, cyclic GC off while timing; float32",
        f"baseline ({BASELINE}, numpy): `{CASES[BASELINE][0]}`",
    ])
    for n in sizes:
        check_gradients(n)
    print(f"gradient check (autograd_lite and the reference tapes vs hand-written numpy): "
          f"OK for sizes {sizes}\n")

    headers = ["case", "shape", "numpy equiv µs", "autograd_lite µs (min)", "(median)",
               "x own numpy equiv", "x a+b baseline", "gc on: autograd_lite µs", "x own"]
    rows: list[list[str]] = []
    for n in sizes:
        ns = make_namespace(n)
        results: dict[str, tuple[float, float, float, float, float]] = {}
        for name, (np_stmt, ag_stmt) in CASES.items():
            np_min, _, _ = time_per_iter(np_stmt, "", ns, repeat=repeat, min_time=min_time)
            ag_min, ag_med, _ = time_per_iter(ag_stmt, "", ns, repeat=repeat, min_time=min_time)
            # timeit turns the cyclic GC off; "gc.enable()" in the setup is its documented
            # way to time with it on, as a user's program runs.
            np_gc, _, _ = time_per_iter(np_stmt, "gc.enable()", ns, repeat=repeat,
                                        min_time=min_time)
            ag_gc, _, _ = time_per_iter(ag_stmt, "gc.enable()", ns, repeat=repeat,
                                        min_time=min_time)
            results[name] = (np_min, ag_min, ag_med, np_gc, ag_gc)
        base = results[BASELINE][0]
        for name, (np_min, ag_min, ag_med, np_gc, ag_gc) in results.items():
            rows.append([name, f"({n},)", f"{np_min * 1e6:.2f}", f"{ag_min * 1e6:.2f}",
                         f"{ag_med * 1e6:.2f}", f"{ag_min / np_min:.1f}x",
                         f"{ag_min / base:.1f}x", f"{ag_gc * 1e6:.2f}", f"{ag_gc / np_gc:.1f}x"])
    print_table(headers, rows, align="llrrrrrrr")
    print("\nnumpy baseline per size = the 'numpy equiv µs' of the 'a+b fwd+bwd' row; "
          "target: autograd_lite a+b fwd+bwd <= 2x that. The gc-on columns time the same "
          "statements with the cyclic GC on (min of repeats; 'x own' against the numpy "
          "equivalent also timed with the GC on).")
    print("\nReference tapes, `c = a + b; c.backward(g)` (what any Python tape pays; "
          "see the module docstring):\n")
    ref_rows: list[list[str]] = []
    for n in sizes:
        ns = make_namespace(n)
        base, _, _ = time_per_iter(CASES[BASELINE][0], "", ns, repeat=repeat, min_time=min_time)
        ours, _, _ = time_per_iter(CASES[BASELINE][1], "", ns, repeat=repeat, min_time=min_time)
        ref_rows.append(["autograd_lite", f"({n},)", f"{ours * 1e6:.2f}", f"{ours / base:.1f}x"])
        for i, name in enumerate(REFERENCE_TAPES):
            stmt = f"c = ref{i}_a + ref{i}_b; c.backward(g)"
            t, _, _ = time_per_iter(stmt, "", ns, repeat=repeat, min_time=min_time)
            ref_rows.append([name, f"({n},)", f"{t * 1e6:.2f}", f"{t / base:.1f}x"])
    print_table(["tape", "shape", "a+b fwd+bwd µs", "x numpy baseline"], ref_rows,
                align="llrr")

    if args.profile:
        print()
        run_profile(3, 2_000 if args.quick else 20_000)


if __name__ == "__main__":
    main()
