"""Training speed and memory: an MLP epoch in autograd_lite vs hand-written numpy backprop.

The network is the classic 784-100-10 sigmoid MLP with softmax cross-entropy
on logits, trained by SGD (lr 0.1, momentum 0.9, PyTorch's rule), float32.
Every engine starts from the same initial weights and sees the same batches
in the same order (one shuffle per epoch, shared). Each batch is gathered
into a preallocated buffer by the same code for every engine, so the table
compares what each engine does with a batch: forward, loss, backward, update.

Engines:

* ``numpy``: the fastest hand-written forward/backward of this network we
  could write: preallocated buffers, ``out=`` everywhere, the sigmoid and the
  softmax computed in place, the backward written out by hand, momentum
  updated in place. This is the baseline of every ratio.
* ``autograd_lite``: what a user writes: ``nn.MLP``, ``nn.CrossEntropyLoss``,
  ``optim.SGD``, then ``zero_grad(); loss = loss_fn(model(xb), yb);
  loss.backward(); opt.step(); loss.item()`` per batch.
* ``torch``: the same loop in PyTorch (CPU), when ``torch`` is importable.

Before timing, every engine trains 20 steps (batch 256) from the same
weights; the largest |Δw| against the numpy baseline must be <= 1e-5, so all
engines provably do the same work (the script exits with status 1 if not).

Time: median seconds per epoch over ``--epochs`` epochs; the engines take
turns epoch by epoch, so a change of machine load hits them alike. The cyclic
GC stays on, as a user has it.

Memory, from a fresh subprocess per engine and batch size (so no engine sees
another's heap): ``tracemalloc`` peak during one epoch above what was
allocated before it (numpy and Python allocations; torch's own allocator is
invisible to tracemalloc, so its cell is "-"), and the growth of the peak
resident set size (Linux ``VmHWM``, reset through ``/proc/self/clear_refs``)
over the resident size before it. Both are the peak during one full epoch
(after 20 warm-up steps), counted from before the model was built (the data
set already loaded and, for torch, imported): weights, gradients, momentum
buffers, preallocated arrays and every transient activation, but not one-off
temporaries of building the model.

    python benchmarks/mlp_epoch.py                    # Fashion-MNIST if present, else sample
    python benchmarks/mlp_epoch.py --quick            # 2 epochs of 6,000 images, no memory
    python benchmarks/mlp_epoch.py --profile 32       # + cProfile of autograd_lite's steps
    python benchmarks/mlp_epoch.py --blas-threads 1 --clock cpu   # steadier on a busy machine

Targets (issue 6): batch 256 <= 1.10x numpy, batch 32 <= 1.40x; epoch
peak memory <= 1.2x numpy.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from _bench_common import import_autograd_lite, print_header, print_table

ag = import_autograd_lite()

SIZES = (784, 100, 10)
LR, MOMENTUM = 0.1, 0.9
CHECK_STEPS, CHECK_BATCH, CHECK_TOL = 20, 256, 1e-5
WARMUP_STEPS = 20
CLOCK = time.perf_counter  # --clock cpu: time.process_time
Weights = dict[str, np.ndarray]


# ---------------------------------------------------------------- data and weights

def load_data(which: str, limit: int | None) -> tuple[str, np.ndarray, np.ndarray]:
    """(description, x float32 (N, 784), y int64 (N,)); Fashion-MNIST when installed."""
    from autograd_lite.data import load_fashion_mnist, load_mnist_sample

    if which in ("auto", "fashion-mnist"):
        try:
            ds = load_fashion_mnist(download=False)
            name = "Fashion-MNIST train (Debian's dataset-fashion-mnist)"
        except (FileNotFoundError, OSError) as exc:
            if which == "fashion-mnist":
                raise
            print(f"  (Fashion-MNIST not found: {exc}; using the bundled sample)")
            ds, name = load_mnist_sample(), "bundled MNIST sample, train split"
    else:
        ds, name = load_mnist_sample(), "bundled MNIST sample, train split"
    x = np.ascontiguousarray(ds.train.x.reshape(len(ds.train.y), -1), dtype=np.float32)
    y = np.asarray(ds.train.y, dtype=np.int64)
    if limit is not None:
        x, y = x[:limit], y[:limit]
    return f"{name}: {len(y)} images", x, y


def initial_weights(seed: int = 0) -> Weights:
    """Xavier-uniform weights, zero biases, float32; W is (in, out)."""
    rng = np.random.default_rng(seed)
    w: Weights = {}
    for i, (n_in, n_out) in enumerate(zip(SIZES[:-1], SIZES[1:]), 1):
        bound = np.sqrt(6.0 / (n_in + n_out))
        w[f"W{i}"] = rng.uniform(-bound, bound, size=(n_in, n_out)).astype(np.float32)
        w[f"b{i}"] = np.zeros(n_out, np.float32)
    return w


# ---------------------------------------------------------------- engines

class NumpyMLP:
    """Hand-written forward and backward, every array preallocated, updates in place."""

    name = "numpy (hand-written)"

    def __init__(self, w: Weights) -> None:
        self.p = {k: v.copy() for k, v in w.items()}
        self.g = {k: np.empty_like(v) for k, v in w.items()}
        self.buf = {k: np.empty_like(v) for k, v in w.items()}   # momentum buffers
        self.tmp = {k: np.empty_like(v) for k, v in w.items()}   # lr * buf
        self.started = False
        self._acts: dict[int, tuple[np.ndarray, ...]] = {}

    def _activations(self, n: int) -> tuple[np.ndarray, ...]:
        acts = self._acts.get(n)
        if acts is None:
            f32 = np.float32
            acts = self._acts[n] = (
                np.empty((n, SIZES[1]), f32), np.empty((n, SIZES[1]), f32),
                np.empty((n, SIZES[2]), f32), np.empty((n, 1), f32), np.empty(n, f32),
                np.arange(n), np.ones(SIZES[2], f32))
        return acts

    def step(self, xb: np.ndarray, yb: np.ndarray) -> float:
        p, g = self.p, self.g
        n = len(yb)
        h, dh, z2, m, s, rows, ones = self._activations(n)
        # forward: h = sigmoid(x W1 + b1) (in place, as 0.5 tanh(x/2) + 0.5: no overflow)
        np.matmul(xb, p["W1"], out=h)
        h += p["b1"]
        h *= 0.5
        np.tanh(h, out=h)
        h *= 0.5
        h += 0.5
        np.matmul(h, p["W2"], out=z2)
        z2 += p["b2"]
        # softmax cross-entropy, in place: z2 becomes the shifted logits, then probabilities
        np.max(z2, axis=1, keepdims=True, out=m)
        z2 -= m
        picked = z2[rows, yb]
        np.exp(z2, out=z2)
        np.dot(z2, ones, out=s)  # row sums: a matrix-vector product beats sum(axis=1) here
        z2 /= s[:, None]
        np.log(s, out=s)
        loss = float((s.sum() - picked.sum()) / n)
        # backward: dz2 = (p - onehot) / n
        z2[rows, yb] -= 1
        z2 *= 1.0 / n
        np.matmul(h.T, z2, out=g["W2"])
        np.sum(z2, axis=0, out=g["b2"])
        np.matmul(z2, p["W2"].T, out=dh)
        # dz1 = dh * h * (1 - h), reusing h's storage once W2's gradient is done
        dh *= h
        np.subtract(1, h, out=h)
        dh *= h
        np.matmul(xb.T, dh, out=g["W1"])
        np.sum(dh, axis=0, out=g["b1"])
        # SGD with momentum (PyTorch's rule: the buffer starts as the first gradient)
        for k in p:
            buf = self.buf[k]
            if self.started:
                buf *= MOMENTUM
                buf += g[k]
            else:
                np.copyto(buf, g[k])
            np.multiply(buf, LR, out=self.tmp[k])
            p[k] -= self.tmp[k]
        self.started = True
        return loss

    def weights(self) -> Weights:
        return self.p


class AutogradLiteMLP:
    """What a user writes with autograd_lite's nn, optim and a plain loop."""

    name = "autograd_lite"

    def __init__(self, w: Weights) -> None:
        from autograd_lite import nn, optim
        self.model = nn.MLP(SIZES[0], [SIZES[1]], SIZES[2], activation="sigmoid", rng=0)
        layers = [self.model.layers[0], self.model.layers[2]]
        with ag.no_grad():
            for i, layer in enumerate(layers, 1):
                layer.weight.data[...] = w[f"W{i}"]
                layer.bias.data[...] = w[f"b{i}"]
        self.layers = layers
        self.loss_fn = nn.CrossEntropyLoss()
        self.opt = optim.SGD(self.model.parameters(), lr=LR, momentum=MOMENTUM)

    def step(self, xb: np.ndarray, yb: np.ndarray) -> float:
        self.opt.zero_grad()
        loss = self.loss_fn(self.model(xb), yb)
        loss.backward()
        self.opt.step()
        return float(loss.item())

    def weights(self) -> Weights:
        w: Weights = {}
        for i, layer in enumerate(self.layers, 1):
            w[f"W{i}"], w[f"b{i}"] = layer.weight.data, layer.bias.data
        return w


class TorchMLP:
    """The same loop in PyTorch (CPU)."""

    name = "torch"

    def __init__(self, w: Weights) -> None:
        import torch

        self.torch = torch
        self.model = torch.nn.Sequential(
            torch.nn.Linear(SIZES[0], SIZES[1]), torch.nn.Sigmoid(),
            torch.nn.Linear(SIZES[1], SIZES[2]))
        with torch.no_grad():
            for i, layer in enumerate((self.model[0], self.model[2]), 1):
                layer.weight.copy_(torch.from_numpy(w[f"W{i}"].T.copy()))
                layer.bias.copy_(torch.from_numpy(w[f"b{i}"]))
        self.loss_fn = torch.nn.CrossEntropyLoss()
        self.opt = torch.optim.SGD(self.model.parameters(), lr=LR, momentum=MOMENTUM)

    def step(self, xb: np.ndarray, yb: np.ndarray) -> float:
        torch = self.torch
        self.opt.zero_grad()
        loss = self.loss_fn(self.model(torch.from_numpy(xb)), torch.from_numpy(yb))
        loss.backward()
        self.opt.step()
        return float(loss.item())

    def weights(self) -> Weights:
        w: Weights = {}
        for i, layer in enumerate((self.model[0], self.model[2]), 1):
            w[f"W{i}"] = layer.weight.detach().numpy().T
            w[f"b{i}"] = layer.bias.detach().numpy()
        return w


def torch_available() -> str | None:
    """torch's version, or None when it cannot be imported."""
    try:
        import torch
    except ImportError:
        return None
    return str(torch.__version__)


ENGINES: dict[str, Callable[[Weights], Any]] = {
    "numpy": NumpyMLP, "autograd_lite": AutogradLiteMLP, "torch": TorchMLP}


# ---------------------------------------------------------------- running

class Feeder:
    """Gathers each batch into one preallocated buffer, the same way for every engine."""

    def __init__(self, x: np.ndarray, y: np.ndarray, batch_size: int) -> None:
        self.x, self.y, self.batch_size = x, y, batch_size
        self.xbuf = np.empty((batch_size, x.shape[1]), x.dtype)

    def batches(self, order: np.ndarray, steps: int | None = None) -> Any:
        bs = self.batch_size
        stops = range(0, len(order), bs)
        for i, start in enumerate(stops):
            if steps is not None and i >= steps:
                return
            idx = order[start:start + bs]
            xb = self.xbuf[:len(idx)]
            np.take(self.x, idx, axis=0, out=xb, mode="clip")  # "raise" would buffer
            yield xb, self.y[idx]


def epoch_order(epoch: int, n: int) -> np.ndarray:
    return np.random.default_rng(1000 + epoch).permutation(n)


def run_epoch(engine: Any, feeder: Feeder, order: np.ndarray, steps: int | None = None
              ) -> tuple[float, float]:
    """(seconds, mean loss) of one pass over ``order`` (or its first ``steps`` batches)."""
    total, count = 0.0, 0
    start = CLOCK()
    for xb, yb in feeder.batches(order, steps):
        total += engine.step(xb, yb)
        count += 1
    return CLOCK() - start, total / max(count, 1)


def check_same_work(names: list[str], x: np.ndarray, y: np.ndarray) -> bool:
    """Train CHECK_STEPS steps with every engine from the same weights; compare to numpy."""
    w0 = initial_weights()
    order = epoch_order(-1, len(y))
    results: dict[str, Weights] = {}
    for name in names:
        engine = ENGINES[name](w0)
        run_epoch(engine, Feeder(x, y, CHECK_BATCH), order, CHECK_STEPS)
        results[name] = {k: np.array(v, copy=True) for k, v in engine.weights().items()}
    ok = True
    ref = results["numpy"]
    moved = max(float(np.abs(ref[k] - w0[k]).max()) for k in w0)
    print(f"same-work check: {CHECK_STEPS} steps of batch {CHECK_BATCH} from the same weights "
          f"(the weights moved by up to {moved:.3g}); max |Δw| against numpy:")
    for name in names[1:]:
        diff = max(float(np.abs(results[name][k] - ref[k]).max()) for k in ref)
        good = diff <= CHECK_TOL
        ok &= good
        print(f"  {name:<14} {diff:.2e}  {'OK' if good else f'FAIL (> {CHECK_TOL:g})'}")
    return ok


def time_epochs(names: list[str], x: np.ndarray, y: np.ndarray, batch_size: int, epochs: int
                ) -> dict[str, list[float]]:
    """Seconds per epoch of each engine; the engines take turns, epoch by epoch."""
    w0 = initial_weights()
    engines = {name: ENGINES[name](w0) for name in names}
    feeder = Feeder(x, y, batch_size)
    for engine in engines.values():  # warm up: first-step allocations, caches
        run_epoch(engine, feeder, epoch_order(-2, len(y)), WARMUP_STEPS)
    times: dict[str, list[float]] = {name: [] for name in names}
    for epoch in range(epochs):
        order = epoch_order(epoch, len(y))
        for name, engine in engines.items():
            seconds, _ = run_epoch(engine, feeder, order)
            times[name].append(seconds)
    return times


# ---------------------------------------------------------------- memory (fresh process)

def _rss_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def memory_worker(name: str, batch_size: int, dataset: str, limit: int | None) -> dict[str, Any]:
    """Peak memory of building the engine, 20 warm-up steps and one epoch, in this fresh
    process, above what the loaded data set took; JSON-able."""
    _, x, y = load_data(dataset, limit)
    # Import the engine's modules first: code is not the training's memory.
    if name == "torch":
        import torch  # noqa: F401
    elif name == "autograd_lite":
        from autograd_lite import nn, optim  # noqa: F401
    feeder = Feeder(x, y, batch_size)
    w0 = initial_weights()  # made before counting starts: every engine copies them
    warmup, order = epoch_order(-2, len(y)), epoch_order(0, len(y))
    gc.collect()
    result: dict[str, Any] = {}
    before_rss = _rss_kib("VmRSS")
    traced = name != "torch"
    if traced:
        tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    engine = ENGINES[name](w0)
    run_epoch(engine, feeder, warmup, WARMUP_STEPS)
    gc.collect()
    # Count the epoch's peak, not one-off costs of building the model (init temporaries).
    tracemalloc.reset_peak()
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")  # reset VmHWM to the current RSS
    except OSError as exc:
        result["rss_error"] = str(exc)
    run_epoch(engine, feeder, order)
    if traced:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        result["traced_peak"] = peak - base
    peak_rss = _rss_kib("VmHWM")
    if "rss_error" not in result and before_rss is not None and peak_rss is not None:
        result["rss_peak_growth"] = (peak_rss - before_rss) * 1024
    return result


def measure_memory(name: str, batch_size: int, dataset: str, limit: int | None,
                   blas_threads: int | None) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--memory-worker", name, "--batch-sizes", str(batch_size),
           "--dataset", dataset]
    if blas_threads is not None:
        cmd += ["--blas-threads", str(blas_threads)]
    if limit is not None:
        cmd += ["--limit", str(limit)]
    env = dict(os.environ)
    src = str(Path(ag.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["?"])[-1]}
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


# ---------------------------------------------------------------- profile

def profile_autograd_lite(x: np.ndarray, y: np.ndarray, batch_size: int, steps: int) -> None:
    engine = AutogradLiteMLP(initial_weights())
    feeder = Feeder(x, y, batch_size)
    run_epoch(engine, feeder, epoch_order(-2, len(y)), WARMUP_STEPS)
    prof = cProfile.Profile()
    order = epoch_order(0, len(y))
    prof.enable()
    run_epoch(engine, feeder, order, steps)
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).strip_dirs().sort_stats("tottime").print_stats(25)
    text = out.getvalue()
    print(f"\ncProfile of {steps} autograd_lite steps at batch {batch_size} (tottime; profiler "
          "overhead inflates Python-heavy rows):")
    print(text[text.index("   Ordered by"):] if "   Ordered by" in text else text)


# ---------------------------------------------------------------- main

def _mib(nbytes: Any) -> str:
    return "-" if not isinstance(nbytes, (int, float)) else f"{nbytes / 2**20:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=5, help="timed epochs per engine (median)")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[256, 32])
    parser.add_argument("--dataset", choices=["auto", "fashion-mnist", "sample"], default="auto")
    parser.add_argument("--limit", type=int, default=None, help="use only the first N images")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 2 epochs of 6,000 images, no memory")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory columns")
    parser.add_argument("--blas-threads", type=int, default=None,
                        help="limit BLAS threads (threadpoolctl) for every engine, torch too; "
                             "default: as configured")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                        help="wall: elapsed time (default); cpu: this process's CPU time, "
                             "steadier on a shared machine, meaningful with --blas-threads 1 "
                             "(idle BLAS threads spin and would count)")
    parser.add_argument("--profile", type=int, metavar="BATCH", default=None,
                        help="also cProfile autograd_lite's steps at this batch size")
    parser.add_argument("--memory-worker", choices=sorted(ENGINES), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.memory_worker:
        if args.blas_threads is not None:
            from threadpoolctl import threadpool_limits
            threadpool_limits(limits=args.blas_threads)
        print(json.dumps(memory_worker(args.memory_worker, args.batch_sizes[0], args.dataset,
                                       args.limit)))
        return
    if args.quick:
        args.epochs, args.limit, args.no_memory = 2, args.limit or 6000, True
    if args.clock == "cpu":
        global CLOCK
        CLOCK = time.process_time

    limits = None
    if args.blas_threads is not None:
        from threadpoolctl import threadpool_limits  # benchmark-only dependency
        limits = threadpool_limits(limits=args.blas_threads)  # kept for the whole run
    torch_version = None if args.no_torch else torch_available()
    names = ["numpy", "autograd_lite"] + (["torch"] if torch_version else [])
    if torch_version:
        import torch
        if args.blas_threads is not None:
            torch.set_num_threads(args.blas_threads)
        threads = f"torch {torch_version}, {torch.get_num_threads()} intra-op threads"
    else:
        threads = "torch: " + ("left out (--no-torch)" if args.no_torch else "not installed")
    described, x, y = load_data(args.dataset, args.limit)
    print_header("mlp_epoch: MLP 784-100-10 sigmoid + softmax cross-entropy, SGD momentum", ag, [
        f"data: {described}; float32; lr {LR}, momentum {MOMENTUM}",
        f"timing: median of {args.epochs} epochs per engine (engines alternate per epoch), "
        f"after {WARMUP_STEPS} warm-up steps; cyclic GC on; clock: "
        + ("wall (elapsed)" if args.clock == "wall" else "CPU time of this process"),
        "BLAS threads: " + ("as configured" if limits is None
                            else f"limited to {args.blas_threads} (--blas-threads)"),
        threads,
    ])
    if not check_same_work(names, x, y):
        print("\nFAILED: an engine does different work from the numpy baseline")
        sys.exit(1)
    print()

    rows: list[list[str]] = []
    for bs in args.batch_sizes:
        times = time_epochs(names, x, y, bs, args.epochs)
        base = statistics.median(times["numpy"])
        mem: dict[str, dict[str, Any]] = {}
        if not args.no_memory:
            mem = {name: measure_memory(name, bs, args.dataset, args.limit, args.blas_threads)
                   for name in names}
        base_mem = mem.get("numpy", {})
        for name in names:
            med = statistics.median(times[name])
            row = [ENGINES[name].name, str(bs), f"{med:.3f}", f"{min(times[name]):.3f}",
                   f"{med / base:.2f}x"]
            if not args.no_memory:
                m = mem[name]
                traced, rss = m.get("traced_peak"), m.get("rss_peak_growth")
                ratio = (f"{traced / base_mem['traced_peak']:.2f}x"
                         if traced is not None and base_mem.get("traced_peak") else "-")
                row += [_mib(traced), ratio, _mib(rss)]
                if "error" in m:
                    row[-1] = f"error: {m['error'][:40]}"
            rows.append(row)
    headers = ["engine", "batch", "s/epoch (median)", "(min)", "x numpy"]
    if not args.no_memory:
        headers += ["peak MiB (tracemalloc)", "x numpy", "peak RSS +MiB"]
    print_table(headers, rows, align="lrrrr" + "rrr" * (not args.no_memory))
    print(f"\nload average (1/5/15 min) at the end: "
          f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    if args.profile:
        profile_autograd_lite(x, y, args.profile, 200)


if __name__ == "__main__":
    main()
