"""Shared helpers for the benchmark scripts: machine facts, timing, tables.

Not a benchmark itself. The scripts in this folder import it as a sibling
module (``python benchmarks/<name>.py`` puts this folder on ``sys.path``).
"""

from __future__ import annotations

import datetime
import hashlib
import os
import platform
import subprocess
import sys
import timeit
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

_ENV_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS",
             "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def import_autograd_lite() -> Any:
    """Import the library: from PYTHONPATH / the environment, else from ./src."""
    try:
        import autograd_lite
    except ImportError:
        sys.path.insert(0, str(ROOT / "src"))
        import autograd_lite
    return autograd_lite


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _loadavg() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except (AttributeError, OSError):
        return "unknown"


def _src_fingerprint(package_dir: Path) -> str:
    """Short sha256 over the library's .py files: ties figures to exact sources."""
    digest = hashlib.sha256()
    for path in sorted(package_dir.rglob("*.py")):
        digest.update(str(path.relative_to(package_dir)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _git_state() -> str:
    try:
        def git(*args: str) -> str:
            return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True,
                                  text=True, timeout=10, check=True).stdout.strip()
        head = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no", "--", "src")
        return f"{head}{' + uncommitted changes in src/' if dirty else ''}"
    except (OSError, subprocess.SubprocessError):
        return "unknown (no git)"


def _blas_lines() -> list[str]:
    import numpy as np

    lines: list[str] = []
    try:
        cfg: Any = np.show_config(mode="dicts")  # numpy >= 1.26
        blas = cfg.get("Build Dependencies", {}).get("blas", {})
        desc = f"{blas.get('name', '?')} {blas.get('version', '?')}"
        if blas.get("openblas configuration"):
            desc += f" ({blas['openblas configuration']})"
        lines.append(f"BLAS (numpy.show_config): {desc}")
    except Exception as exc:  # older numpy prints instead of returning a dict
        lines.append(f"BLAS (numpy.show_config): unavailable ({type(exc).__name__})")
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        lines.append("BLAS runtime (threadpoolctl): threadpoolctl not installed")
    else:
        pools = threadpool_info()
        if not pools:
            lines.append("BLAS runtime (threadpoolctl): no thread pools loaded")
        for p in pools:
            lines.append(
                f"BLAS runtime (threadpoolctl): {p.get('internal_api')} {p.get('version')}, "
                f"{p.get('num_threads')} threads, arch {p.get('architecture', '?')}, "
                f"layer {p.get('threading_layer', '?')}")
    return lines


def machine_facts(ag: Any) -> list[str]:
    """Lines describing the machine, numpy/BLAS and the library under test."""
    import numpy as np

    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = None
    lines = [
        f"date: {datetime.datetime.now().isoformat(timespec='seconds')}",
        f"python: {platform.python_implementation()} {platform.python_version()} "
        f"on {platform.system()} {platform.machine()}",
        f"cpu: {_cpu_model()}; os.cpu_count()={os.cpu_count()}"
        + (f", usable (affinity)={affinity}" if affinity is not None else ""),
        f"load average (1/5/15 min) at start: {_loadavg()}",
        f"numpy: {np.__version__}",
        *_blas_lines(),
    ]
    for var in _ENV_VARS:
        value = os.environ.get(var)
        lines.append(f"{var}: " + ("not set" if value is None else f"set to {value!r}"))
    package_dir = Path(ag.__file__).parent
    lines.append(f"autograd_lite: {getattr(ag, '__version__', '?')} from {package_dir}; "
                 f"git {_git_state()}; sources sha256 {_src_fingerprint(package_dir)}")
    return lines


def print_header(title: str, ag: Any, notes: Sequence[str] = ()) -> None:
    print(f"== {title} ==")
    for line in machine_facts(ag):
        print(f"  {line}")
    for line in notes:
        print(f"  {line}")
    print()


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]],
                align: str | None = None) -> None:
    """Print an aligned text table; ``align`` is one 'l'/'r' per column."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    align = align or "l" + "r" * (len(headers) - 1)

    def fmt(row: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) if a == "l" else c.rjust(w)
                         for c, w, a in zip(row, widths, align)).rstrip()

    print(fmt(cells[0]))
    print("  ".join("-" * w for w in widths))
    for row in cells[1:]:
        print(fmt(row))


def time_per_iter(stmt: str, setup: str, namespace: dict[str, Any], *, repeat: int,
                  min_time: float) -> tuple[float, float, int]:
    """(min, median) seconds per execution of ``stmt`` over ``repeat`` repeats.

    Uses ``timeit`` (which turns the cyclic GC off while timing). Every name
    in ``namespace`` is bound as a local of the timing function (so that
    ``ga += g`` works and lookups cost the same for every statement). The loop
    count per repeat is chosen so that one repeat takes at least ``min_time``.
    """
    bind = "; ".join(f"{k} = _ns[{k!r}]" for k in namespace if k.isidentifier())
    timer = timeit.Timer(stmt, f"{bind}; {setup}" if setup else bind,
                         globals={"_ns": namespace})
    number = 1
    while True:
        t = timer.timeit(number)
        if t >= min_time:
            break
        number = max(number * 2, int(number * min_time / max(t, 1e-9) * 1.2))
    times = sorted(timer.repeat(repeat=repeat, number=number))
    n = len(times)
    median = times[n // 2] if n % 2 else 0.5 * (times[n // 2 - 1] + times[n // 2])
    return times[0] / number, median / number, number
