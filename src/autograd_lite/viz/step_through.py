"""``steps(root)``: backward, one node at a time, for animating backpropagation.

Each :class:`Step` is one op node in the order backward visits them (reverse
topological): the gradient arriving at the node (``upstream``) and what it
sends to each input (``local_grads``, the vjp of ``upstream``). Leaves have no
step; a leaf's gradient is the sum of the ``local_grads`` sent to it. Nothing
is written to ``.grad``, and ``backward()`` need not have run (after one, the
graph must have been kept with ``retain_graph=True``).

>>> from autograd_lite.scalar import Value
>>> x = Value(3.0, label="x")
>>> y = x * x + x; y.label = "y"
>>> for s in steps(y):
...     print(s)
y = u1 + x: ḡ_y = 1 → ḡ_u1 += 1, ḡ_x += 1
u1 = x × x: ḡ_u1 = 1 → ḡ_x += 3, ḡ_x += 3
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..registry import REGISTRY
from ._graph import GNode, Graph, fmt, operand

__all__ = ["steps", "Step"]


@dataclass(frozen=True)
class Step:
    """One node of backward: where the gradient is, and where it goes next.

    ``node`` is the engine's Node (Tensor graphs) or the Value itself;
    ``output`` the Tensor/Value the node made and ``name`` its display name;
    ``upstream`` is ∂root/∂output (ndarray for Tensors, float for Values);
    ``local_grads[i]`` is what this node adds to input i's gradient (None for a
    constant or an input that needs no gradient); ``derivatives[i]`` is the
    local derivative ∂output/∂input for Values (None for Tensors, whose local
    Jacobian is applied by the vjp without being formed); ``formulas[i]`` is the
    registry's formula for input i with the names filled in.
    """

    index: int
    node: Any
    output: Any
    name: str
    op: str
    upstream: Any
    inputs: tuple[Any, ...]
    input_names: tuple[str, ...]
    local_grads: tuple[Any, ...]
    derivatives: tuple[float, ...] | None
    formulas: tuple[str | None, ...]

    def __str__(self) -> str:
        registered = REGISTRY.get(self.op)
        symbol = registered.symbol if registered is not None else self.op
        if len(self.input_names) == 2:
            expr = f"{operand(self.input_names[0])} {symbol} {operand(self.input_names[1])}"
        else:
            expr = f"{self.op}({', '.join(self.input_names)})"
        sends = ", ".join(f"ḡ_{operand(n)} += {fmt(g)}"
                          for n, g in zip(self.input_names, self.local_grads) if g is not None)
        return (f"{self.name} = {expr}: ḡ_{operand(self.name)} = {fmt(self.upstream)} → "
                f"{sends or 'nothing'}")


def steps(root: Any, params: Mapping[str, Any] | None = None) -> Iterator[Step]:
    """Yield one :class:`Step` per op node, in backward's order, from a seed of ones.

    Works for a Tensor or a Value ``root``; ``params`` names tensors as in
    :func:`autograd_lite.viz.explain`. ``.grad`` is not touched.

    >>> import autograd_lite as ag
    >>> w = ag.tensor([1.0, -2.0], requires_grad=True, name="w")
    >>> [(s.op, s.upstream.shape) for s in steps((w * w).sum())]
    [('sum', ()), ('mul', (2,))]
    """
    graph = Graph.build(root, params=params, what="steps")
    if not graph.is_value and not root.requires_grad:
        raise RuntimeError("steps: the output does not require grad, so no graph was recorded. "
                           "Create the inputs with requires_grad=True (and not under no_grad()).")
    return _walk(graph)


def _walk(graph: Graph) -> Iterator[Step]:
    grads: dict[int, Any] = {graph.root_key: graph.seed()}
    index = 0
    for k in reversed(graph.order):
        n = graph.nodes[k]
        g = grads.pop(k, None)
        if n.is_leaf or g is None:
            continue
        slots = _needing(graph, n)
        sent = graph.local_grads(k, g, slots)
        local = tuple(sent[s][0] if s in sent else None for s in range(len(n.inputs)))
        for s, gi in enumerate(local):
            child = n.children[s]
            if gi is None or child is None:
                continue
            grads[child] = gi if child not in grads else grads[child] + gi
        derivatives = (tuple(graph.local_grads(k, 1.0, range(len(n.inputs)))[s][0]
                             for s in range(len(n.inputs))) if graph.is_value else None)
        yield Step(index, n.node, n.obj, n.name, getattr(n.op, "name", str(n.op)), g,
                   tuple(n.inputs), tuple(graph.input_name(n, s) for s in range(len(n.inputs))),
                   local, derivatives,
                   tuple(graph.formula(n, s) for s in range(len(n.inputs))))
        index += 1


def _needing(graph: Graph, n: GNode) -> list[int]:
    """Input slots that get a gradient: every child of a Value; Tensors that require grad."""
    if graph.is_value:
        return list(range(len(n.inputs)))
    return [s for s, x in enumerate(n.inputs)
            if n.children[s] is not None and getattr(x, "requires_grad", False)]
