"""See the derivation: draw the backward graph and explain the chain rule.

``draw_graph`` / ``make_dot`` (graphviz pictures), ``explain`` (the chain-rule
derivation of one gradient, with numbers) and ``steps`` (backward, one node at
a time). ``viz`` only reads the graph the engine recorded.

>>> from autograd_lite import viz
>>> callable(viz.draw_graph) and callable(viz.explain) and callable(viz.steps)
True
"""

from __future__ import annotations

import importlib
from typing import Any

# Where each public name lives; modules load on first use, so importing viz stays cheap.
_EXPORTS = {
    "draw_graph": "draw",
    "make_dot": "draw",
    "trace": "draw",
    "explain": "explanation",
    "Explanation": "explanation",
    "steps": "step_through",
    "Step": "step_through",
}
# No module may be named like a public name: importing a submodule sets the package
# attribute of that name to the module, which would hide the function.

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'autograd_lite.viz' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value
