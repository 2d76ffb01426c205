"""Layering: the engine never depends on the higher layers or on optional packages.

Checked statically (parsing each engine module's imports with ``ast``,
relative imports resolved) and dynamically (``import autograd_lite`` in a
fresh interpreter).
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import autograd_lite

PKG = "autograd_lite"
PKG_DIR = Path(autograd_lite.__file__).resolve().parent
ENGINE = ["tensor", "autograd", "registry", "function", "functional", "gradcheck", "creation",
          "scalar", "ops"] + sorted(f"ops.{p.stem}" for p in (PKG_DIR / "ops").glob("*.py")
                                    if p.stem != "__init__")
HIGHER = ("nn", "train", "viz", "data")
FORBIDDEN_THIRD_PARTY = ("hypothesis", "matplotlib", "tqdm", "joblib", "dask", "distributed",
                         "graphviz")


def module_path(dotted: str) -> Path:
    """Source file of ``autograd_lite.<dotted>`` (a module or a package's __init__)."""
    base = PKG_DIR.joinpath(*dotted.split("."))
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def imported_modules(source: str, module: str, is_package: bool) -> set[str]:
    """Absolute names of every module an Import/ImportFrom anywhere in ``source`` may load."""
    package = module if is_package else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base_parts = parts[: len(parts) - (node.level - 1)]
                assert base_parts, f"relative import beyond the top level in {module}"
                base = ".".join(base_parts)
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            names.add(target)
            # `from pkg import sub` may import the submodule pkg.sub
            names.update(f"{target}.{alias.name}" for alias in node.names if alias.name != "*")
    return names


def forbidden(names: set[str]) -> list[str]:
    """The names that are, or are inside, autograd_lite's higher layers."""
    bad_prefixes = tuple(f"{PKG}.{h}" for h in HIGHER)
    return sorted(n for n in names if any(n == p or n.startswith(p + ".") for p in bad_prefixes))


def test_import_resolver_handles_relative_imports():
    """The checker resolves `.`, `..` and `from . import x` imports to absolute names."""
    src = ("from ..nn import Linear\nfrom . import reduce\nfrom .. import viz\n"
           "import autograd_lite.train.loop\nfrom autograd_lite import data\n"
           "def f():\n    from ...x import y\n")
    with pytest.raises(AssertionError):
        imported_modules(src, f"{PKG}.ops.shape", is_package=False)
    names = imported_modules(src.rsplit("def f", 1)[0], f"{PKG}.ops.shape", is_package=False)
    assert {f"{PKG}.nn", f"{PKG}.ops.reduce", f"{PKG}.viz", f"{PKG}.train.loop",
            f"{PKG}.data"} <= names
    assert forbidden(names) == [f"{PKG}.data", f"{PKG}.nn", f"{PKG}.nn.Linear",
                                f"{PKG}.train.loop", f"{PKG}.viz"]
    pkg_names = imported_modules("from .elementwise import add\n", f"{PKG}.ops", is_package=True)
    assert f"{PKG}.ops.elementwise" in pkg_names


def test_engine_module_list_is_real():
    """Every engine module listed exists, and the checker finds the imports we know are there."""
    for mod in ENGINE:
        assert module_path(mod).is_file(), mod
    assert len([m for m in ENGINE if m.startswith("ops.")]) >= 5
    shape = module_path("ops.shape")
    assert f"{PKG}.registry" in imported_modules(shape.read_text(), f"{PKG}.ops.shape", False)


@pytest.mark.parametrize("mod", ENGINE)
def test_engine_module_imports_no_higher_layer(mod):
    """An engine module imports nothing from autograd_lite.nn, train, viz or data (even lazily)."""
    path = module_path(mod)
    names = imported_modules(path.read_text(encoding="utf-8"), f"{PKG}.{mod}",
                             is_package=path.name == "__init__.py")
    assert forbidden(names) == [], f"{PKG}.{mod} imports {forbidden(names)}"


def test_import_autograd_lite_loads_no_optional_packages():
    """`import autograd_lite` in a fresh interpreter loads no test/train/grid/viz packages."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(PKG_DIR.parent), env.get("PYTHONPATH", "")])
    code = ("import json, sys\nimport autograd_lite\n"
            "print(json.dumps(sorted(sys.modules)))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    modules = set(json.loads(proc.stdout.strip().splitlines()[-1]))
    assert "autograd_lite.autograd" in modules and "numpy" in modules
    loaded = sorted({m.split(".")[0] for m in modules} & set(FORBIDDEN_THIRD_PARTY))
    assert loaded == [], f"import autograd_lite loaded {loaded}"
