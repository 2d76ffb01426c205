"""The notebooks in notebooks/ are listed in the README and committed executed, with asserts.

``make test`` executes them (``pytest --nbmake notebooks``; see
``notebooks/conftest.py``); these checks are about the committed files: a
notebook saved without its outputs would show no pictures on the repository
page, and one without an ``assert`` would pass whatever it printed.
"""

import ast
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
README = ROOT / "README.md"


def _readme_section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", text, re.M | re.S)
    assert match, f"README.md has no '## {title}' section"
    return match.group(1)


def _code_cells(path: Path) -> list[nbformat.NotebookNode]:
    nb = nbformat.read(path, as_version=4)
    return [c for c in nb.cells if c.cell_type == "code"]


def test_there_are_notebooks() -> None:
    assert len(NOTEBOOKS) >= 3


def test_readme_lists_every_notebook_and_only_those() -> None:
    listed = set(re.findall(r"\(notebooks/([^)/]+\.ipynb)\)", _readme_section("Notebooks")))
    assert listed == {p.name for p in NOTEBOOKS}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_valid_and_uses_the_python3_kernel(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"  # what nbmake starts: the venv's ipykernel


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_executed_top_to_bottom_without_errors(path: Path) -> None:
    cells = [c for c in _code_cells(path) if c.source.strip()]
    assert [c.execution_count for c in cells] == list(range(1, len(cells) + 1))
    errors = [o for c in cells for o in c.outputs if o.output_type == "error"]
    assert not errors, f"{path.name} was saved with an error: {errors[0].ename}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_outputs_hold_nothing_of_the_machine_that_ran_them(path: Path) -> None:
    """No file paths of the checkout, object addresses or timings, which change from run to run."""
    text = path.read_text(encoding="utf-8")
    assert str(ROOT) not in text
    assert not re.search(r" at 0x[0-9a-f]{6,}", text)
    assert not [c for c in _code_cells(path) if "execution" in c.metadata]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_shows_its_pictures(path: Path) -> None:
    """A cell that draws (matplotlib or graphviz) was saved with the picture."""
    drawing = [c for c in _code_cells(path)
               if "plt.show()" in c.source or "draw_graph(" in c.source]
    for cell in drawing:
        kinds = {k for o in cell.outputs for k in o.get("data", {})}
        assert kinds & {"image/png", "image/svg+xml"}, (
            f"{path.name}: a drawing cell has no picture saved:\n{cell.source[:200]}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_asserts_something(path: Path) -> None:
    asserts = [node for c in _code_cells(path) for node in ast.walk(ast.parse(c.source))
               if isinstance(node, ast.Assert)]
    assert asserts, f"{path.name} has no assert statement"
