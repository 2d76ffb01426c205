"""``explain(root, wrt=leaf)``: the chain-rule derivation of ∂root/∂leaf, with numbers.

The derivation is read off the recorded graph: for Values, each root-to-leaf
path is a product of local derivatives (``∂L/∂ŷ · ∂ŷ/∂u5 · …``, the numbers
are the ``_d0``/``_d1`` each node stored); for Tensors, each path is a chain
of vector-Jacobian products (``ḡ_u2 = ḡ_u3 ⊙ σ(u2)(1−σ(u2))``, the numbers
come from running each op's registered vjp). The formulas are the op
registry's, with the operands' names filled in. Past ``max_paths`` paths the
derivation switches to one adjoint sum per node (ḡ_n = Σ over n's
consumers), which is what backward computes.

No ``backward()`` is needed, and none is run: ``.grad`` is left alone. After a
``backward()`` the graph must have been kept with ``retain_graph=True``.

>>> from autograd_lite.scalar import Value
>>> x, w = Value(2.0, label="x"), Value(-0.5, label="w")
>>> y = (x * w).sigmoid(); y.label = "y"
>>> e = explain(y, wrt=w)
>>> print(e)
∂y/∂w by the chain rule: 1 path from y to w
path 1: ∂y/∂u1 · ∂u1/∂w
    ∂y/∂u1 = σ(u1)(1−σ(u1)) = 0.1966
    ∂u1/∂w = x = 2
    product = 0.1966 · 2 = 0.3932
∂y/∂w = 0.3932
>>> e.value == 2.0 * y.data * (1 - y.data)
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._graph import GNode, Graph, fmt, latex_name, latex_operand, operand

__all__ = ["explain", "Explanation", "Factor", "VjpStep", "Path", "Adjoint"]

Edge = tuple[int, int]  # (node key, input slot)


@dataclass(frozen=True)
class Factor:
    """One local derivative ∂out/∂in on a path of Values, with its formula and number."""

    name: str
    latex: str
    formula: str | None
    formula_latex: str | None
    value: float


@dataclass(frozen=True)
class VjpStep:
    """One vector-Jacobian product on a Tensor path: ``ḡ_in`` from ``ḡ_out``."""

    target: str
    text: str
    latex: str
    shape: tuple[int, ...]
    value: np.ndarray


@dataclass(frozen=True)
class Path:
    """One root-to-leaf path: its node names, its factors (or vjp steps), its value."""

    nodes: tuple[str, ...]
    items: tuple[Any, ...]  # Factor for Values, VjpStep for Tensors
    value: Any


@dataclass(frozen=True)
class Adjoint:
    """``ḡ_n = Σ`` over n's consumers: the per-node form used past ``max_paths``."""

    name: str
    text: str
    latex: str
    shape: tuple[int, ...]
    value: Any


@dataclass(frozen=True)
class Explanation:
    """The derivation of ∂root/∂wrt: paths (or adjoint sums) and the resulting ``value``.

    ``str()`` is plain text, ``to_latex()`` / ``_repr_latex_()`` LaTeX (shown by
    Jupyter). ``value`` is a float for Values and an ndarray of ``wrt``'s shape
    for Tensors, computed only from the factors or steps listed.
    """

    root: str
    wrt: str
    kind: str  # "Value" or "Tensor"
    n_paths: int
    max_paths: int
    paths: tuple[Path, ...]
    adjoints: tuple[Adjoint, ...]
    value: Any

    @property
    def mode(self) -> str:
        """``"paths"`` (each path listed) or ``"adjoint"`` (per-node sums)."""
        return "adjoint" if self.adjoints else "paths"

    def __repr__(self) -> str:
        return (f"<Explanation {self._d()}: {self.kind}, {self._count()}, "
                f"{self.mode}, value={fmt(self.value)}>")

    def _d(self) -> str:
        return f"∂{operand(self.root)}/∂{operand(self.wrt)}"

    def _count(self) -> str:
        return f"{self.n_paths} path{'' if self.n_paths == 1 else 's'}"

    def _header(self) -> str:
        how = "the chain rule" if self.kind == "Value" else "vector-Jacobian products"
        head = f"{self._d()} by {how}: {self._count()} from {self.root} to {self.wrt}"
        if self.mode == "adjoint":
            head += (f" (more than max_paths={self.max_paths}), so per-node adjoint sums "
                     f"ḡ_n = ∂{operand(self.root)}/∂n = Σ over the nodes c that use n")
        return head

    def __str__(self) -> str:
        lines = [self._header()]
        if self.mode == "adjoint":
            if self.kind == "Value":
                lines += [f"    {a.text}" for a in self.adjoints]
            else:
                lines.append(_column(self.adjoints))
            lines.append(f"{self._d()} = ḡ_{operand(self.wrt)} = {fmt(self.value)}")
            return "\n".join(lines)
        for i, p in enumerate(self.paths, 1):
            if self.kind == "Value":
                lines.append(f"path {i}: " + (" · ".join(f.name for f in p.items) or "(empty)"))
                for f in p.items:
                    formula = f" = {f.formula}" if _informative(f) else ""
                    lines.append(f"    {f.name}{formula} = {fmt(f.value)}")
                product = " · ".join(fmt(f.value) for f in p.items) or "1"
                lines.append(f"    product = {product} = {fmt(p.value)}")
            else:
                lines.append(f"path {i}: " + " ← ".join(p.nodes))
                lines.append(_column(p.items))
        total = f"{self._d()} = "
        if len(self.paths) > 1:
            total += " + ".join(f"path {i}" for i in range(1, len(self.paths) + 1)) + " = "
        if self.kind == "Tensor" and len(self.paths) == 1:
            total += f"ḡ_{operand(self.wrt)} = "
        lines.append(total + fmt(self.value))
        return "\n".join(lines)

    def to_latex(self) -> str:
        r"""The derivation as a LaTeX ``aligned`` block (no ``$`` delimiters).

        >>> from autograd_lite.scalar import Value
        >>> x = Value(3.0, label="x")
        >>> print(explain(x * x, wrt=x).to_latex().splitlines()[2])
        \text{path 1:}\quad & \frac{\partial u_{1}}{\partial x} = {x} = 3 \\
        """
        root, wrt = latex_operand(self.root), latex_operand(self.wrt)
        total = rf"\frac{{\partial {root}}}{{\partial {wrt}}}"
        rows = [rf"\text{{{self._count()} from ${latex_name(self.root)}$ to ${latex_name(self.wrt)}$}} & \\"]
        if self.mode == "adjoint":
            rows += [rf"{a.latex} & \quad {_shape_tex(a.shape)} \\" for a in self.adjoints]
            rows.append(rf"{total} &= {_gbar_tex(self.wrt)} = {_num_tex(self.value)}")
            return "\\begin{aligned}\n" + "\n".join(rows) + "\n\\end{aligned}"
        for i, p in enumerate(self.paths, 1):
            first = True
            for item in p.items:
                label = rf"\text{{path {i}:}}\quad " if first else ""
                first = False
                if isinstance(item, Factor):
                    formula = f" = {item.formula_latex}" if _informative(item) else ""
                    rows.append(rf"{label}& {item.latex}{formula} = {_num_tex(item.value)} \\")
                else:
                    rows.append(rf"{label}& {item.latex} \quad {_shape_tex(item.shape)} \\")
            if self.kind == "Value":
                product = r" \cdot ".join(f.latex for f in p.items) or "1"
                rows.append(rf"& {product} = {_num_tex(p.value)} \\")
        rows.append(rf"{total} &= {_num_tex(self.value)}")
        return "\\begin{aligned}\n" + "\n".join(rows) + "\n\\end{aligned}"

    def _repr_latex_(self) -> str:
        return f"$${self.to_latex()}$$"


def _informative(f: Factor) -> bool:
    """Whether a factor's formula says more than its number (``1`` or ``−1`` do not)."""
    return bool(f.formula) and f.formula_latex is not None and \
        str(f.formula).replace("−", "-").strip("()") != fmt(f.value)


def _column(items: Any) -> str:
    """Steps as aligned rows: text, shape, value."""
    width = max((len(s.text) for s in items), default=0)
    return "\n".join(f"    {s.text.ljust(width)}   {str(s.shape):<10} {fmt(s.value)}" for s in items)


def _num_tex(x: Any) -> str:
    text = fmt(x)
    return text if np.ndim(x) == 0 else rf"\texttt{{{text}}}"


def _shape_tex(shape: tuple[int, ...]) -> str:
    return rf"\scriptstyle {shape}"


# ---------------------------------------------------------------- entry point

def explain(root: Any, wrt: Any, max_paths: int = 16,
            params: Mapping[str, Any] | None = None) -> Explanation:
    """The chain-rule derivation of ∂root/∂wrt for a Value or Tensor ``root``.

    ``wrt`` is any Value/Tensor in the graph (a leaf or an intermediate). A
    Tensor root that is not a single number is seeded with ones, as
    ``root.sum()`` would be. Names come from ``params`` (like
    ``dict(model.named_parameters())``), ``name=`` / ``label=``, or are made up
    (``u1, u2, …`` for op results, ``v1, …`` for leaves). With more than
    ``max_paths`` root-to-wrt paths the result lists per-node adjoint sums.

    >>> import autograd_lite as ag
    >>> x = ag.tensor([[1.0, 2.0]], name="x")
    >>> w = ag.tensor([[0.5], [-1.0]], requires_grad=True, name="w")
    >>> print(explain((x @ w).tanh(), wrt=w))
    ∂u2/∂w by vector-Jacobian products: 1 path from u2 to w
    path 1: u2 ← u1 ← w
        ḡ_u2 = 1                        (1, 1)     [[1]]
        ḡ_u1 = ḡ_u2 ⊙ (1 − tanh²(u1))   (1, 1)     [[0.1807]]
        ḡ_w = xᵀ·ḡ_u1                   (2, 1)     [[0.1807], [0.3614]]
    ∂u2/∂w = ḡ_w = [[0.1807], [0.3614]]
    """
    if isinstance(max_paths, bool) or not isinstance(max_paths, int) or max_paths < 0:
        raise ValueError(f"explain: max_paths must be an int >= 0 (0 always lists per-node "
                         f"adjoint sums), got {max_paths!r}")
    if not isinstance(root, type(wrt)) and not isinstance(wrt, type(root)):
        raise TypeError(f"explain: root and wrt must both be Values or both be Tensors, got "
                        f"{type(root).__name__} and {type(wrt).__name__}")
    graph = Graph.build(root, params=params, what="explain")
    if not graph.is_value and root is not wrt and not root.requires_grad:
        raise RuntimeError("explain: the output does not require grad, so no graph was recorded. "
                           "Create the inputs with requires_grad=True (and not under no_grad()).")
    target = graph.find(wrt)
    if target is not None:
        graph.give_name(target)  # an unlabelled Value is shown by its number until it is wrt
    kind = "Value" if graph.is_value else "Tensor"
    root_name = graph.names[graph.root_key]
    wrt_name = graph.names[target] if target is not None else (
        getattr(wrt, "label", "") or getattr(wrt, "name", "") or "wrt")
    reaches = _reaching(graph, target)
    n_paths = _count_paths(graph, target, reaches)
    if n_paths > max_paths:
        adjoints = _adjoints(graph, target, reaches)
        return Explanation(root_name, wrt_name, kind, n_paths, max_paths, (), adjoints,
                           adjoints[-1].value)
    paths = tuple(_path(graph, edges) for edges in _enumerate_paths(graph, target, reaches))
    if paths:
        value = paths[0].value
        for p in paths[1:]:
            value = value + p.value
    else:
        value = 0.0 if graph.is_value else np.zeros(wrt.shape, wrt.dtype)
    return Explanation(root_name, wrt_name, kind, n_paths, max_paths, paths, (), value)


# ---------------------------------------------------------------- paths

def _edges(n: GNode, reaches: set[int]) -> list[Edge]:
    return [(n.key, s) for s, c in enumerate(n.children) if c is not None and c in reaches]


def _reaching(graph: Graph, target: int | None) -> set[int]:
    """Keys of the nodes from which ``target`` can be reached (target included)."""
    if target is None:
        return set()
    reaches = {target}
    for k in graph.order:  # children come first
        if any(c in reaches for c in graph.nodes[k].children):
            reaches.add(k)
    return reaches


def _count_paths(graph: Graph, target: int | None, reaches: set[int]) -> int:
    if target is None or graph.root_key not in reaches:
        return 0
    count = dict.fromkeys(reaches, 0)
    count[graph.root_key] = 1
    for k in reversed(graph.order):  # parents first
        if k not in reaches or k == target:
            continue
        for _, s in _edges(graph.nodes[k], reaches):
            count[graph.nodes[k].children[s]] += count[k]  # type: ignore[index]
    return count[target]


def _enumerate_paths(graph: Graph, target: int | None, reaches: set[int]) -> list[list[Edge]]:
    if target is None or graph.root_key not in reaches:
        return []
    paths: list[list[Edge]] = []
    # Each entry carries its path as a linked list (edge, rest), so a long chain costs O(length).
    stack: list[tuple[int, Any]] = [(graph.root_key, None)]
    while stack:
        k, trail = stack.pop()
        if k == target:
            edges: list[Edge] = []
            while trail is not None:
                edges.append(trail[0])
                trail = trail[1]
            paths.append(edges[::-1])
            continue
        for e in reversed(_edges(graph.nodes[k], reaches)):
            stack.append((graph.nodes[k].children[e[1]], (e, trail)))  # type: ignore[arg-type]
    return paths


def _path(graph: Graph, edges: list[Edge]) -> Path:
    nodes = tuple([graph.names[graph.root_key]] + [
        graph.names[graph.nodes[k].children[s]] for k, s in edges])  # type: ignore[index]
    if graph.is_value:
        factors = tuple(_factor(graph, graph.nodes[k], s) for k, s in edges)
        return Path(nodes, factors, math.prod(f.value for f in factors))
    g = graph.seed()
    root = graph.nodes[graph.root_key]
    steps = [_seed_step(root, g)]
    for k, s in edges:
        n = graph.nodes[k]
        g, broadcast = graph.local_grads(k, g, [s])[s]
        text, tex = _vjp_text(graph, n, s, broadcast)
        child = graph.names[n.children[s]]  # type: ignore[index]
        steps.append(VjpStep(child, f"ḡ_{operand(child)} = {text}", rf"{_gbar_tex(child)} = {tex}",
                             g.shape, g))
    return Path(nodes, tuple(steps), g)


def _seed_step(root: GNode, g: Any) -> VjpStep:
    return VjpStep(root.name, f"ḡ_{operand(root.name)} = 1", rf"{_gbar_tex(root.name)} = 1",
                   g.shape, g)


def _factor(graph: Graph, n: GNode, slot: int) -> Factor:
    child = graph.input_name(n, slot)
    d = graph.local_grads(n.key, 1.0, [slot])[slot][0]
    return Factor(f"∂{operand(n.name)}/∂{operand(child)}", _frac_tex(n.name, child),
                  graph.formula(n, slot), graph.formula(n, slot, latex=True), float(d))


# ---------------------------------------------------------------- formulas

def _frac_tex(out: str, of: str) -> str:
    return rf"\frac{{\partial {latex_operand(out)}}}{{\partial {latex_operand(of)}}}"


def _gbar_tex(name: str) -> str:
    return rf"\bar{{g}}_{{{latex_name(name)}}}"


def _top_level_operator(expr: str) -> bool:
    """Whether ``expr`` has a space, + or minus outside parentheses (after its first char)."""
    depth = 0
    for i, ch in enumerate(expr):
        if ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        elif depth == 0 and i > 0 and ch in " +-−":
            return True
    return False


def _vjp_text(graph: Graph, n: GNode, slot: int, broadcast: bool) -> tuple[str, str]:
    """``ḡ_out ⊙ local`` (or the registry's own vjp form) as text and LaTeX."""
    out = []
    for latex in (False, True):
        gbar = _gbar_tex(n.name) if latex else f"ḡ_{operand(n.name)}"
        grad_symbol = r"\bar{G}" if latex else "Ḡ"
        rhs = graph.formula(n, slot, latex)
        if rhs is None:
            name = getattr(n.op, "name", "op")
            expr = (rf"\mathrm{{vjp}}_{{\mathrm{{{name}}}}}({gbar})" if latex
                    else f"vjp_{name}({gbar})")
        elif grad_symbol in rhs:
            expr = rhs.replace(grad_symbol, gbar)
        elif rhs == "1":
            expr = gbar
        elif rhs in ("-1", "−1"):
            expr = ("-" if latex else "−") + gbar
        else:
            if _top_level_operator(rhs):
                rhs = rf"\left({rhs}\right)" if latex else f"({rhs})"
            expr = rf"{gbar} \odot {rhs}" if latex else f"{gbar} ⊙ {rhs}"
        if broadcast:
            expr = (rf"\sum_{{\text{{bcast}}}}\left({expr}\right)" if latex
                    else f"Σ_bcast({expr})")
        out.append(expr)
    return out[0], out[1]


# ---------------------------------------------------------------- adjoint sums

def _adjoints(graph: Graph, target: int | None, reaches: set[int]) -> tuple[Adjoint, ...]:
    """ḡ for every node on a root-to-target path, parents first; the target's comes last."""
    terms: dict[int, list[tuple[str, str, Any, str]]] = {k: [] for k in reaches}
    grads: dict[int, Any] = {}
    rows: list[Adjoint] = []
    for k in reversed(graph.order):
        if k not in reaches:
            continue
        n = graph.nodes[k]
        if k == graph.root_key:
            g = graph.seed()
            text, tex = f"ḡ_{operand(n.name)} = 1", rf"{_gbar_tex(n.name)} = 1"
        else:
            g = terms[k][0][2]
            for term in terms[k][1:]:
                g = g + term[2]
            text, tex = _adjoint_text(graph, n, terms[k], g)
        grads[k] = g
        rows.append(Adjoint(n.name, text, tex, np.shape(g), g))
        if k == target:
            break
        edges = _edges(n, reaches)
        if not edges:
            continue
        if graph.is_value:
            local = graph.local_grads(k, 1.0, [s for _, s in edges])
            for _, s in edges:
                d = local[s][0]
                terms[n.children[s]].append(  # type: ignore[index]
                    (f"ḡ_{operand(n.name)}·∂{operand(n.name)}/∂{operand(graph.input_name(n, s))}",
                     rf"{_gbar_tex(n.name)} {_frac_tex(n.name, graph.input_name(n, s))}",
                     g * d, f"{fmt(g)}·{fmt(d)}"))
        else:
            sent = graph.local_grads(k, g, [s for _, s in edges])
            for _, s in edges:
                gi, broadcast = sent[s]
                text_s, tex_s = _vjp_text(graph, n, s, broadcast)
                terms[n.children[s]].append((text_s, tex_s, gi, ""))  # type: ignore[index]
    return tuple(rows)


def _adjoint_text(graph: Graph, n: GNode, terms: list[tuple[str, str, Any, str]],
                  g: Any) -> tuple[str, str]:
    text = f"ḡ_{operand(n.name)} = " + " + ".join(t[0] for t in terms)
    tex = rf"{_gbar_tex(n.name)} = " + " + ".join(t[1] for t in terms)
    if graph.is_value:
        numbers = " + ".join(t[3] for t in terms)
        text += f" = {numbers} = {fmt(g)}"
        tex += " = " + numbers.replace("·", r" \cdot ") + f" = {fmt(g)}"
    return text, tex
