"""How pytest runs the notebooks (``pytest --nbmake notebooks``, part of ``make test``).

Each notebook is one test item, executed top to bottom in a fresh kernel
(the ``python3`` kernel: the Python running pytest) with this directory as
its working directory. Here we

- give every notebook a time limit (pytest-timeout) that catches a hung
  kernel: twice the one-minute budget (the budget itself is watched with
  ``--durations``, which ``make test`` prints),
- run BLAS single-threaded in the kernel (unless ``OPENBLAS_NUM_THREADS``,
  ``OMP_NUM_THREADS`` or ``MKL_NUM_THREADS`` is set): on a busy 2-core
  machine OpenBLAS's threads wait on each other, and notebook 04 took 67 s
  instead of 8 s; the results differ at most in the last bits, and
  every number the notebooks print stays the same,
- send hypothesis's cache (it stores constants it collects from the code)
  to a temporary directory, so running the notebooks writes nothing into
  the repository,
- make relative ``PYTHONPATH`` entries absolute, so ``PYTHONPATH=src pytest
  --nbmake notebooks`` from the repository root also works in the kernel,
  whose working directory is ``notebooks/``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Generator
from pathlib import Path

import pytest

NOTEBOOK_TIMEOUT = 120
"""Seconds per notebook before pytest-timeout fails it."""
BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        if item.path.suffix == ".ipynb" and item.path.resolve().is_relative_to(here):
            item.add_marker(pytest.mark.timeout(NOTEBOOK_TIMEOUT))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """Run one notebook with the kernel environment described above (restored afterwards)."""
    saved = {k: os.environ.get(k) for k in ("HYPOTHESIS_STORAGE_DIRECTORY", "PYTHONPATH",
                                            *BLAS_THREADS)}
    with tempfile.TemporaryDirectory(prefix="autograd-lite-notebook-") as tmp:
        os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = os.path.join(tmp, ".hypothesis")
        if not any(saved[k] for k in BLAS_THREADS):
            os.environ.update(dict.fromkeys(BLAS_THREADS, "1"))
        if saved["PYTHONPATH"]:
            os.environ["PYTHONPATH"] = os.pathsep.join(
                os.path.abspath(p) for p in saved["PYTHONPATH"].split(os.pathsep) if p)
        try:
            return (yield)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
