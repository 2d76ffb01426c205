"""Grid files: a TOML ``[base]`` table of ``TrainConfig`` settings and a ``[space]`` table of lists.

```toml
[base]              # every run's settings; seed is the grid seed
hidden = [100]
epochs = 50

[space]             # one run per combination
lr = [1e-2, 1e-3]
dropout = [0.0, 0.2]
```

The grids that ship with the package (``experiments/*.toml``) are reachable
by name: ``example_path("mnist-grid")`` is ``mnist_grid.toml``.

>>> grid = load_grid(example_path("quick-grid"))
>>> grid.name, len(grid.configurations()) > 1
('quick_grid', True)
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ..train.config import ConfigError, TrainConfig
from .space import check_space, configurations

__all__ = ["Grid", "load_grid", "example_path", "example_names", "GridFileError"]

_TABLES = ("base", "space")


class GridFileError(ValueError):
    """A grid file that cannot be read: missing, not TOML, or a bad table or key (names the file)."""


@dataclass(frozen=True)
class Grid:
    """A grid read from a file: its name (the file's stem), base config and checked space."""

    name: str
    base: TrainConfig
    space: dict[str, list[Any]]
    path: str

    def configurations(self) -> list[TrainConfig]:
        """Every configuration of the grid (see ``space.configurations``)."""
        return configurations(self.space, self.base)


def _examples_dir() -> Path:
    return Path(str(resources.files("autograd_lite").joinpath("experiments")))


def example_names() -> list[str]:
    """The names of the packaged grids (``-`` for ``_``), e.g. ``mnist-grid``.

    >>> "mnist-grid" in example_names()
    True
    """
    return sorted(p.stem.replace("_", "-") for p in _examples_dir().glob("*.toml"))


def example_path(name: str) -> str:
    """The file of the packaged grid ``name`` (``mnist-grid``, ``mnist_grid`` or ``mnist_grid.toml``).

    >>> example_path("hidden-sizes").endswith("hidden_sizes.toml")
    True
    """
    stem = name.strip().lower().removesuffix(".toml").replace("-", "_")
    path = _examples_dir() / f"{stem}.toml"
    if not path.is_file():
        raise GridFileError(f"grid: no packaged grid named {name!r}; choose one of "
                            f"{', '.join(example_names())}")
    return str(path)


def load_grid(path: str | os.PathLike[str]) -> Grid:
    """The grid in the TOML file ``path``; ``GridFileError`` / ``ConfigError`` naming the file.

    >>> import tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "g.toml")
    >>> _ = open(path, "w").write('[base]\\nepochs = 2\\n[space]\\nlr = [0.1, 0.2]\\n')
    >>> grid = load_grid(path); grid.base.epochs, grid.space
    (2, {'lr': [0.1, 0.2]})
    """
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except FileNotFoundError:
        raise GridFileError(f"grid: no such file {path!r}") from None
    except IsADirectoryError:
        raise GridFileError(f"grid: {path!r} is a directory, not a grid file (.toml)") from None
    except tomllib.TOMLDecodeError as e:
        raise GridFileError(f"grid: {path!r} is not valid TOML ({e})") from None
    unknown = [k for k in doc if k not in _TABLES]
    if unknown:
        raise GridFileError(f"grid: {path!r} has the key {unknown[0]!r} at the top level; a grid "
                            "file has a [base] table of TrainConfig settings and a [space] table "
                            "of lists of values (e.g. lr = [0.1, 0.01])")
    for table in _TABLES:
        if table in doc and not isinstance(doc[table], dict):
            raise GridFileError(f"grid: {path!r}: {table!r} must be a table ([{table}]), got "
                                f"{doc[table]!r}")
    if not doc.get("space"):
        raise GridFileError(f"grid: {path!r} has no [space] table (or it is empty): list the "
                            "values to try, e.g. [space] lr = [0.1, 0.01]")
    try:
        base = TrainConfig.from_dict(doc.get("base", {}))
    except ConfigError as e:
        key = f"'base.{e.key[1:]}" if e.key.startswith("'") else f"base.{e.key}"
        raise ConfigError(key, f"{e.problem} (in {path})", e.related) from None
    try:
        space = check_space(doc["space"])
        grid = Grid(Path(path).stem, base, space, path)
        grid.configurations()  # every combination must make a valid config
    except ConfigError as e:
        key = f"'space.{e.key[1:]}" if e.key.startswith("'") else f"space.{e.key}"
        raise ConfigError(key, f"{e.problem} (in {path})", e.related) from None
    return grid
