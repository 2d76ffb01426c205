"""Execute the notebooks and save them with their fresh outputs (after editing one).

Each notebook runs top to bottom in a new ``python3`` kernel (the Python
running this script, so run it with the project's venv), in a temporary
working directory, so nothing is written next to it. The saved file keeps
only what is the same on every run and every machine: no cell timings, and
no object addresses in text outputs (``<Graph at 0x7f...>`` becomes
``<Graph>``); ``tests/test_notebooks.py`` checks both. A notebook that fails
is left unchanged and the script exits with status 1.

    .venv/bin/python scripts/run_notebooks.py                        # all of notebooks/
    .venv/bin/python scripts/run_notebooks.py notebooks/02_mnist_mlp.ipynb

(``make test`` runs them too, with nbmake, but does not save the outputs.)
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+>")


def execute(path: Path, timeout: int) -> float:
    """Run ``path`` and overwrite it with the outputs; the seconds it took."""
    nb = nbformat.read(path, as_version=4)
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="notebook-") as cwd:
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                record_timing=False, resources={"metadata": {"path": cwd}})
        client.execute()
    seconds = time.perf_counter() - began
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "text/plain" in data:
                data["text/plain"] = ADDRESS.sub(">", data["text/plain"])
    nbformat.validate(nb)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        nbformat.write(nb, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path,
                        help="notebooks to run (default: every notebooks/*.ipynb)")
    parser.add_argument("--timeout", type=int, default=300, help="seconds per cell")
    args = parser.parse_args(argv)
    failed = False
    for path in args.paths or sorted(NOTEBOOKS.glob("*.ipynb")):
        try:
            seconds = execute(path, args.timeout)
        except CellExecutionError as exc:
            print(f"{path}: FAILED, left unchanged\n{exc}", file=sys.stderr)
            failed = True
            continue
        print(f"{path}: {seconds:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
