"""Deep graphs: time and memory of an N-op chain, its backward, and its teardown.

Builds ``y = x; for _ in range(N): y = y * 1.0000001`` (or, with
``--pattern alt``, alternating ``* 1.0000001`` and ``+ 0.5``) on a 0-d float64
leaf ``x``, then ``y.backward()``. For each N it reports:

* forward and backward seconds (and the time ``del y`` takes to free the
  graph), from a run without tracemalloc, cyclic GC left on as a user has it
  (``--no-gc`` turns it off for that run);
* from a second run under ``tracemalloc`` with the cyclic GC off: the graph's
  size after forward, the peak over build + backward (MiB and bytes per op
  node, both above the baseline taken after ``x`` was made), and what is
  still allocated after ``del y``. With the GC off, only reference counting
  frees memory, so a residue near 0 means the graph holds no reference
  cycles; ``gc.collect()`` afterwards must then find 0 unreachable objects
  (a short warm-up chain runs first so that CPython's free lists are full);
* checks: forward value equals the same loop on Python floats, and
  ``x.grad`` equals ``1.0000001 ** (number of multiplications)`` within
  1e-6 relative.

    python benchmarks/deep_chain.py            # N = 1e4, 1e5, 1e6
    python benchmarks/deep_chain.py --quick    # N = 1e4, 1e5
    python benchmarks/deep_chain.py --breakdown  # + bytes per op by allocation site

Target (issue): a 1e6-op chain builds and backpropagates (no recursion
limit, no crash) in reasonable time and memory.
"""

from __future__ import annotations

import argparse
import gc
import linecache
import math
import resource
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
from _bench_common import import_autograd_lite, print_header, print_table

ag = import_autograd_lite()
# Cache the library's source lines now, so that --breakdown quotes the code
# that was imported even if the files are edited while the benchmark runs.
for _path in Path(ag.__file__).parent.rglob("*.py"):
    linecache.getlines(str(_path))

FACTOR = 1.0000001
SHIFT = 0.5
MiB = 1024 * 1024
WARMUP_OPS = 5_000


def build(x: Any, n: int, pattern: str) -> Any:
    y = x
    if pattern == "mul":
        for _ in range(n):
            y = y * FACTOR
    else:
        for i in range(n):
            y = y * FACTOR if i % 2 == 0 else y + SHIFT
    return y


def reference(n: int, pattern: str) -> tuple[float, float]:
    """(forward value, expected gradient) for x = 1.0, with Python floats."""
    v = 1.0
    if pattern == "mul":
        for _ in range(n):
            v = v * FACTOR
        n_mul = n
    else:
        for i in range(n):
            v = v * FACTOR if i % 2 == 0 else v + SHIFT
        n_mul = (n + 1) // 2
    return v, FACTOR ** n_mul


def rss_bytes() -> int | None:
    """Current resident set size (Linux /proc), or None elsewhere."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[1]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return None


def make_leaf() -> Any:
    return ag.Tensor(1.0, requires_grad=True, dtype=np.float64)


def timed_run(n: int, pattern: str, gc_on: bool) -> dict[str, Any]:
    """One build + backward + del, timed; the fastest of repeats is reported."""
    gc.collect()
    was_enabled = gc.isenabled()
    (gc.enable if gc_on else gc.disable)()
    try:
        x = make_leaf()
        rss0 = rss_bytes()
        t0 = time.perf_counter()
        y = build(x, n, pattern)
        t1 = time.perf_counter()
        y.backward()
        t2 = time.perf_counter()
        rss1 = rss_bytes()
        value = float(y.item())
        del y
        t3 = time.perf_counter()
        grad = float(x.grad.item())
    finally:
        (gc.enable if was_enabled else gc.disable)()
    rss = None if rss0 is None or rss1 is None else rss1 - rss0
    return {"fwd": t1 - t0, "bwd": t2 - t1, "del": t3 - t2, "value": value, "grad": grad,
            "rss": rss}


def memory_run(n: int, pattern: str) -> dict[str, Any]:
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    tracemalloc.start()
    try:
        # Fill CPython's free lists (tuples, dicts, floats...) first: objects
        # parked there after `del y` are not freed, so without this warm-up
        # ~200 KB of them would show up as a (constant, N-independent) residue.
        warm = build(make_leaf(), WARMUP_OPS, pattern)
        warm.backward()
        del warm
        x = make_leaf()
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        y = build(x, n, pattern)
        after_fwd = tracemalloc.get_traced_memory()[0]
        y.backward()
        after_bwd, peak = tracemalloc.get_traced_memory()
        del y
        after_del = tracemalloc.get_traced_memory()[0]
        grad = float(x.grad.item())
    finally:
        tracemalloc.stop()
        unreachable = gc.collect()  # still disabled: counts only what refcounting left
        (gc.enable if was_enabled else gc.disable)()
    return {"graph": after_fwd - base, "peak": peak - base, "after_bwd": after_bwd - base,
            "residue": after_del - base, "unreachable": unreachable, "grad": grad}


def breakdown(n: int, pattern: str, top: int = 10) -> None:
    """Where the graph's bytes come from: tracemalloc sites after forward, per op."""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    tracemalloc.start(1)
    try:
        warm = build(make_leaf(), WARMUP_OPS, pattern)
        warm.backward()
        del warm
        x = make_leaf()
        before = tracemalloc.take_snapshot()
        y = build(x, n, pattern)
        after = tracemalloc.take_snapshot()
        del y, x
    finally:
        tracemalloc.stop()
        (gc.enable if was_enabled else gc.disable)()
    rows = []
    diffs = [st for st in after.compare_to(before, "lineno") if st.size_diff >= n]
    for st in diffs[:top]:  # sites adding at least 1 byte per op
        frame = st.traceback[0]
        path = frame.filename
        short = path[path.find("autograd_lite"):] if "autograd_lite" in path else path
        rows.append([f"{short}:{frame.lineno}", f"{st.size_diff / n:.1f}",
                     f"{st.count_diff / n:.2f}", linecache.getline(path, frame.lineno).strip()])
    print(f"\ngraph bytes per op by allocation site (N={n:,}, after forward, top {top}):")
    print_table(["site", "B/op", "allocs/op", "source line"], rows, align="lrrl")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fast smoke run (N = 1e4, 1e5)")
    parser.add_argument("--sizes", type=int, nargs="+", default=None,
                        help="chain lengths (default: 10000 100000 1000000)")
    parser.add_argument("--pattern", choices=("mul", "alt"), default="mul",
                        help="mul: y = y * c each step; alt: alternate * c and + 0.5")
    parser.add_argument("--no-gc", action="store_true",
                        help="turn the cyclic GC off in the timing run too")
    parser.add_argument("--breakdown", action="store_true",
                        help="also print the graph's bytes per op by allocation site")
    parser.add_argument("--repeat", type=int, default=None,
                        help="timing runs per N, fastest kept (default: 3 for N <= 1e5, "
                             "else 1)")
    args = parser.parse_args()
    sizes = args.sizes or ([10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000])

    step = "y = y * 1.0000001" if args.pattern == "mul" else \
        "y = y * 1.0000001 / y = y + 0.5 alternately"
    print_header("deep_chain: N-op chain, forward + backward, time and memory", ag, [
        f"mode: {'quick' if args.quick else 'full'}; chain: x 0-d float64 leaf, {step}; "
        "then y.backward()",
        f"timing run: no tracemalloc, cyclic GC {'off' if args.no_gc else 'on'}; "
        "memory run: tracemalloc, cyclic GC off",
    ])

    time_rows: list[list[str]] = []
    mem_rows: list[list[str]] = []
    failures: list[str] = []
    for n in sizes:
        ref_value, ref_grad = reference(n, args.pattern)
        repeat = args.repeat or (3 if n <= 100_000 else 1)
        runs = [timed_run(n, args.pattern, gc_on=not args.no_gc) for _ in range(repeat)]
        t = {k: min(r[k] for r in runs) for k in ("fwd", "bwd", "del")}
        t.update(value=runs[0]["value"], grad=runs[0]["grad"], rss=runs[0]["rss"])
        for r in runs[1:]:
            if r["grad"] != t["grad"]:
                failures.append(f"N={n}: x.grad differs between runs: {r['grad']!r}")
        m = memory_run(n, args.pattern)
        for label, got in (("grad (timing run)", t["grad"]), ("grad (memory run)", m["grad"])):
            if not math.isclose(got, ref_grad, rel_tol=1e-6):
                failures.append(f"N={n}: {label} {got!r} != {ref_grad!r}")
        if not math.isclose(t["value"], ref_value, rel_tol=1e-12):
            failures.append(f"N={n}: forward value {t['value']!r} != {ref_value!r}")
        rel_err = abs(t["grad"] - ref_grad) / abs(ref_grad)
        time_rows.append([
            f"{n:,}", f"{repeat}", f"{t['fwd']:.3f}", f"{t['bwd']:.3f}", f"{t['del']:.3f}",
            f"{t['fwd'] / n * 1e6:.2f}", f"{t['bwd'] / n * 1e6:.2f}",
            "n/a" if t["rss"] is None else f"{t['rss'] / MiB:.0f}",
            f"{t['grad']:.10f}", f"{rel_err:.1e}",
        ])
        freed = m["residue"] < max(64 * 1024, 0.001 * m["peak"]) and m["unreachable"] == 0
        if not freed:
            failures.append(f"N={n}: graph not freed by refcounting: {m['residue']} bytes left, "
                            f"gc.collect() found {m['unreachable']} unreachable objects")
        mem_rows.append([
            f"{n:,}", f"{m['graph'] / MiB:.1f}", f"{m['graph'] / n:.0f}",
            f"{m['peak'] / MiB:.1f}", f"{m['peak'] / n:.0f}",
            f"{m['residue']:,}", f"{m['unreachable']}", "yes" if freed else "NO",
        ])

    print("time (seconds, fastest of `runs` for each column; µs per op node):")
    print_table(["N", "runs", "forward s", "backward s", "del y s", "fwd µs/op", "bwd µs/op",
                 "RSS +MiB", "x.grad", "rel err vs c**N"], time_rows)
    print("\nmemory (tracemalloc, above the baseline taken after x was made; cyclic GC off):")
    print_table(["N", "graph MiB", "graph B/op", "peak MiB", "peak B/op",
                 "after del y (B)", "gc unreachable", "freed"], mem_rows)
    if args.breakdown:
        breakdown(min(sizes), args.pattern)
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print("\nRSS +MiB: resident memory growth from before the build to the end of backward "
          "(graph alive),\n  first timing run; it includes allocator slack that tracemalloc "
          "does not count.")
    print(f"process max RSS over the whole script: {maxrss:.0f} MiB (includes tracemalloc's "
          "own bookkeeping in the memory runs)")
    if failures:
        print("\nFAILED checks:")
        for f in failures:
            print(f"  {f}")
        raise SystemExit(1)
    print(f"checks: forward value = Python-float loop; x.grad = {FACTOR}**n_mul within 1e-6; "
          "graph freed by refcounting alone: OK")


if __name__ == "__main__":
    main()
