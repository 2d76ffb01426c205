"""Draw the backward graph of a Tensor or a Value with graphviz: values, gradients, formulas.

``draw_graph(root)`` returns a ``graphviz.Digraph``: ``.source`` is the DOT
text (always available), ``.render(format="svg"|"png"|"pdf")`` writes a file
and, in Jupyter, the object shows itself inline. Rendering needs Graphviz's
``dot`` program; without it a ``DotNotFoundError`` says how to install it.

What the picture shows:

* **tensor nodes** (boxes): name (``name=``/``.name``, a Value's ``label``,
  or the key in ``params``), shape, dtype, a preview of the data and of the
  gradient ∂root/∂tensor. Colours: green = the root, light blue = a leaf
  that requires grad (a parameter), grey = a leaf that does not (data,
  targets, constants), white = an intermediate.
* **op nodes** (yellow ellipses): the op's name and symbol and its
  derivative formulas, read from the op registry (``Op.formula``), plus any
  constant operands.
* **edges** go from each input to the op that used it and from the op to its
  output, laid out forwards (left to right with ``rankdir="LR"``) with the
  arrowhead pointing backwards, the way the gradient flows. Each edge is
  labelled with the gradient flowing along it: into an op's output, ∂root/∂out;
  from an op to an input, that op's vector-Jacobian product for the input
  (for a Value, also the local derivative ∂out/∂in).
* **modules**: nodes an ``nn`` module made (the engine's scope tags) are
  grouped per module call; with ``collapse_modules=True`` the innermost calls
  fold into one purple node each (listing its ops and parameters) inside
  clusters for the outer modules; ``False`` draws every op in nested clusters.
* **fused ops**: ``expand_fused=True`` draws each fused ``linear`` as its
  ``matmul`` and ``add``, with those ops' formulas and gradients.
* **scale**: at most ``max_nodes`` nodes (those nearest the root) and one
  dashed marker node saying how many were left out.
* **problems**: a NaN or inf in a tensor's data or gradient paints it red
  and says which; an edge carrying one is red.
* **highlight**: ``highlight=leaf`` (or a list) draws every path from the
  root to that leaf in orange.

Where the numbers come from: the picture never reads ``.grad``. It runs each
op's registered vjp (the one ``backward()`` runs) on the recorded graph, so
intermediate gradients need no ``retain_grad()`` and ``backward()`` need not
have been called. It needs the graph's saved values, so draw before
``backward()``, or call ``backward(retain_graph=True)``; a graph freed by
``backward()`` raises an error saying so. To draw later (after an optimizer
step changed the weights, say), snapshot first: ``tr = viz.trace(loss)``
copies every value and gradient, and ``draw_graph(tr)`` draws the snapshot.

>>> import autograd_lite as ag
>>> from autograd_lite import viz
>>> x = ag.tensor([1.0, -2.0], requires_grad=True, name="x")
>>> y = x.sigmoid().sum(); y.name = "y"
>>> dot = viz.draw_graph(y)
>>> "∂σ(x)/∂x = σ(x)(1−σ(x))" in dot.source, "∂y/∂x = [0.1966, 0.105]" in dot.source
(True, True)
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import graphviz
import numpy as np

from .._io import atomic_write_text, atomic_writer
from ._format import dot_escape, nonfinite, preview, shape_text
from ._trace import OpCall, TNode, Trace, trace

__all__ = ["draw_graph", "make_dot", "trace", "Trace", "DotNotFoundError", "save", "FORMATS"]

FORMATS = ("svg", "png", "pdf", "dot", "gv")
"""File formats ``save`` (and ``autograd-lite graph --out``) write, by suffix."""

INSTALL_HINT = (
    "Install Graphviz, which provides it: `sudo apt-get install graphviz` (Debian/Ubuntu), "
    "`sudo dnf install graphviz` (Fedora), `brew install graphviz` (macOS), "
    "`conda install -c conda-forge graphviz`, or https://graphviz.org/download/ (Windows: "
    "add its bin folder to PATH). The DOT text is available without it: graph.source.")

EDGE_WIDTH = 48
"""Longest gradient preview on an edge (edge labels widen the layout)."""

_COLOURS = {
    "root": "#c8f0c8", "param": "#cfe8ff", "constant": "#eeeeee", "intermediate": "white",
    "op": "#fff5cc", "module": "#e8ddff", "bad": "#ff9c9c", "highlight": "#ff7f00",
    "cluster": "#888888",
}


class DotNotFoundError(graphviz.ExecutableNotFound):
    """Graphviz's ``dot`` program is not on PATH; the message says how to install it."""

    def __init__(self, message: str) -> None:
        RuntimeError.__init__(self, message)


def _no_dot(what: str) -> DotNotFoundError:
    return DotNotFoundError(f"{what}: the Graphviz program 'dot' was not found on PATH, so the "
                            f"graph cannot be rendered. {INSTALL_HINT}")


class Graph(graphviz.Digraph):
    """A ``graphviz.Digraph`` whose rendering errors say how to install Graphviz."""

    def render(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().render(*args, **kwargs)
        except graphviz.ExecutableNotFound as e:
            if isinstance(e, DotNotFoundError):
                raise
            raise _no_dot("render") from e

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().pipe(*args, **kwargs)
        except graphviz.ExecutableNotFound as e:
            if isinstance(e, DotNotFoundError):
                raise
            raise _no_dot("pipe") from e

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None,
                          **kwargs: Any) -> dict[str, Any]:
        try:
            return dict(super()._repr_mimebundle_(include, exclude, **kwargs))
        except graphviz.ExecutableNotFound as e:
            return {"text/plain": f"{e}\n\n{self.source}"}


# ---------------------------------------------------------------- module calls

@dataclass(eq=False)
class _Group:
    """One module call: connected ops sharing a scope path prefix."""

    index: int
    path: tuple[str, ...]
    ops: list[OpCall] = field(default_factory=list)
    parent: _Group | None = None
    children: list[_Group] = field(default_factory=list)

    @property
    def label(self) -> str:
        return "/".join(self.path)

    def chain(self) -> list[_Group]:
        """Outermost first, this group last."""
        out: list[_Group] = []
        g: _Group | None = self
        while g is not None:
            out.append(g)
            g = g.parent
        return out[::-1]


def _find(parent: dict[int, int], i: int) -> int:
    """Union-find root of i (path halving)."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _module_calls(ops: list[OpCall]) -> tuple[list[_Group], dict[int, _Group]]:
    """Groups per scope level (maximal connected sets of ops), and each op's innermost group.

    Scope tags carry no call number, so two calls of one module are told apart
    by connectivity: ops of one call are linked output-to-input; two calls
    whose ops are not (``lin(x)`` then an op outside ``lin``, then ``lin``
    again) are two groups. A call fed straight into another call of the same
    module (``lin(lin(x))``) cannot be told apart and forms one group.
    """
    groups: list[_Group] = []
    innermost: dict[int, _Group] = {}
    depth = max((len(op.scope) for op in ops), default=0)
    previous: dict[int, _Group] = {}
    for level in range(1, depth + 1):
        members = [op for op in ops if len(op.scope) >= level]
        parent = {op.index: op.index for op in members}
        for op in members:
            for x in op.inputs:
                producer = x.op
                if (producer is not None and producer.index in parent
                        and producer.scope[:level] == op.scope[:level]):
                    a, b = _find(parent, op.index), _find(parent, producer.index)
                    if a != b:
                        parent[max(a, b)] = min(a, b)
        by_root: dict[int, _Group] = {}
        current: dict[int, _Group] = {}
        for op in members:  # index order: deterministic group numbering
            r = _find(parent, op.index)
            if r not in by_root:
                g = _Group(len(groups), op.scope[:level])
                g.parent = previous.get(op.index)
                if g.parent is not None:
                    g.parent.children.append(g)
                by_root[r] = g
                groups.append(g)
            by_root[r].ops.append(op)
            current[op.index] = by_root[r]
            if len(op.scope) == level:
                innermost[op.index] = by_root[r]
        previous = current
    return groups, innermost


def _common_group(groups: Iterable[_Group | None]) -> _Group | None:
    """The deepest group containing all of ``groups`` (None: the top level)."""
    chains = [g.chain() if g is not None else [] for g in groups]
    if not chains:
        return None
    common: _Group | None = None
    for level in zip(*chains):
        if all(g is level[0] for g in level):
            common = level[0]
        else:
            break
    return common


# ---------------------------------------------------------------- the display graph

@dataclass(eq=False)
class _DNode:
    id: str
    label: list[str]
    attrs: dict[str, str]
    group: _Group | None
    tensors: list[TNode] = field(default_factory=list)


@dataclass(eq=False)
class _DEdge:
    src: str
    dst: str
    lines: list[str]
    grads: list[np.ndarray]
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class _Options:
    show_data: bool
    show_grad: bool
    show_derivatives: bool
    root_name: str


def _tensor_label(t: TNode, kind: str, opt: _Options) -> list[str]:
    lines = [t.name] if t.name else []
    if kind == "tensor":
        lines.append(f"{shape_text(t.shape)} {t.dtype}")
    if opt.show_data:
        lines.append(f"data {preview(t.data)}")
    if opt.show_grad and t.grad is not None:
        lines.append(f"grad {preview(t.grad)}")
    for what, values in (("data", t.data), ("grad", t.grad)):
        bad = nonfinite(values)
        if bad:
            lines.append(f"⚠ {bad} in {what}")
    return lines


def _tensor_colour(t: TNode, root: TNode) -> str:
    if t is root:
        return _COLOURS["root"]
    if t.is_leaf:
        return _COLOURS["param"] if t.requires_grad or t.param else _COLOURS["constant"]
    return _COLOURS["intermediate"]


def _op_header(op: OpCall) -> str:
    return op.name if op.symbol in ("", op.name) else f"{op.name} ({op.symbol})"


def _op_label(op: OpCall, opt: _Options) -> list[str]:
    lines = [_op_header(op)]
    if opt.show_derivatives:
        lines.extend(op.formulas)
    if op.constants:
        lines.append("const " + ", ".join(op.constants))
    if op.fused:
        lines.append(f"(part of fused {op.fused})")
    return lines


def _gname(t: TNode, opt: _Options) -> str:
    return f"∂{opt.root_name}/∂{t.name}" if opt.root_name and t.name else "ḡ"


def _is_bad(t: TNode) -> bool:
    return bool(nonfinite(t.data) or nonfinite(t.grad))


def _build(tr: Trace, collapse: bool,
           opt: _Options) -> tuple[dict[str, _DNode], list[_DEdge], list[_Group], dict[int, str]]:
    groups, innermost = _module_calls(tr.ops)
    folded = {g.index for g in groups if collapse and not g.children}
    nodes: dict[str, _DNode] = {}
    where: dict[int, str] = {}  # TNode.index -> display node id

    def home(g: _Group | None) -> _Group | None:
        """The cluster a node of group g sits in: g, or its parent if g is folded."""
        return g.parent if g is not None and g.index in folded else g

    op_home: dict[int, str] = {}
    for op in tr.ops:
        g = innermost.get(op.index)
        if g is not None and g.index in folded:
            nid = f"m{g.index}"
            if nid not in nodes:
                nodes[nid] = _DNode(nid, [], {"shape": "box3d", "style": "filled",
                                              "fillcolor": _COLOURS["module"]}, g.parent)
            op_home[op.index] = nid
        else:
            nid = f"op{op.index}"
            nodes[nid] = _DNode(nid, _op_label(op, opt), {
                "shape": "ellipse", "style": "filled", "fillcolor": _COLOURS["op"]}, g)
            op_home[op.index] = nid

    for t in tr.nodes:
        consumer_groups = [innermost.get(c.index) for c in t.consumers]
        if t.op is not None:
            g = innermost.get(t.op.index)
            absorbed = (g is not None and g.index in folded and t is not tr.root
                        and bool(t.consumers)
                        and all(cg is g for cg in consumer_groups))
            group = home(g)
        else:
            common = _common_group(consumer_groups) if t.consumers else None
            absorbed = (t.requires_grad and common is not None and common.index in folded
                        and all(cg is common for cg in consumer_groups))
            group = home(common) if t.requires_grad else None
        if absorbed:
            owner = op_home[(t.op or t.consumers[0]).index]
            nodes[owner].tensors.append(t)
            where[t.index] = owner
            continue
        nid = f"t{t.index}"
        bad = _is_bad(t)
        attrs = {"shape": "box", "style": "rounded,filled",
                 "fillcolor": _COLOURS["bad"] if bad else _tensor_colour(t, tr.root)}
        if bad:
            attrs.update(color="red", penwidth="2")
        nodes[nid] = _DNode(nid, _tensor_label(t, tr.kind, opt), attrs, group, [t])
        where[t.index] = nid

    for nid, node in nodes.items():  # folded module nodes: what they hold
        if not nid.startswith("m"):
            continue
        g = next(gr for gr in groups if f"m{gr.index}" == nid)
        prefix = ".".join(g.path[1:]) + "." if len(g.path) > 1 else ""
        lines = [g.label]
        seen: set[str] = set()
        for op in g.ops:
            for line in [_op_header(op), *(op.formulas if opt.show_derivatives else ())]:
                if line not in seen:
                    seen.add(line)
                    lines.append(line)
        for t in node.tensors:
            if t.is_leaf:
                name = t.name[len(prefix):] if prefix and t.name.startswith(prefix) else t.name
                lines.append(f"{name or 'param'} {shape_text(t.shape)}".strip())
        bad_tensors = [t for t in node.tensors if _is_bad(t)]
        for t in bad_tensors:
            what = "data" if nonfinite(t.data) else "grad"
            lines.append(f"⚠ {nonfinite(t.data) or nonfinite(t.grad)} in {what} of "
                         f"{t.name or 'a tensor inside'}")
        if bad_tensors:
            node.attrs.update(fillcolor=_COLOURS["bad"], color="red", penwidth="2")
        node.label = lines

    edges: dict[tuple[str, str, int], _DEdge] = {}
    uses: dict[int, int] = {}
    for op in tr.ops:
        for x in op.inputs:
            uses[x.index] = uses.get(x.index, 0) + 1
    for op in tr.ops:
        dst = op_home[op.index]
        for k, (x, gi, d) in enumerate(zip(op.inputs, op.input_grads, op.local_derivatives)):
            src = where[x.index]
            if src == dst:
                continue
            folded_dst = dst.startswith("m")
            key = (src, dst, 0 if folded_dst else op.index * 1000 + k)
            edge = edges.get(key)
            if edge is None:
                edge = edges[key] = _DEdge(src, dst, [], [])
                if opt.show_derivatives and d is not None and not folded_dst:
                    out_name = op.out.name if op.out is not None and op.out.name else "out"
                    edge.lines.append(f"∂{out_name}/∂{x.name or 'in'} = {d:.4g}")
            if gi is not None:
                edge.grads.append(gi)
        if op.out is not None:
            src, out_dst = dst, where[op.out.index]
            if src != out_dst:
                e = edges.setdefault((src, out_dst, -1 - op.index), _DEdge(src, out_dst, [], []))
                if op.out.grad is not None:
                    e.grads.append(op.out.grad)
    result: list[_DEdge] = []
    tnode_of = {f"t{t.index}": t for t in tr.nodes}
    for (src, dst, _), edge in edges.items():
        if edge.grads:
            total = edge.grads[0] if len(edge.grads) == 1 else np.sum(edge.grads, axis=0)
            edge.grads = [total]
            if opt.show_grad:
                end = tnode_of.get(src) or tnode_of.get(dst)
                name = _gname(end, opt) if end is not None else "ḡ"
                if end is not None and src.startswith("t") and uses.get(end.index, 0) > 1:
                    name += " (part)"
                edge.lines.append(f"{name} = {preview(total, EDGE_WIDTH)}")
            if nonfinite(total):
                edge.attrs.update(color="red", fontcolor="red")
        result.append(edge)
    return nodes, result, groups, where


def _truncate(nodes: dict[str, _DNode], edges: list[_DEdge], root_id: str,
              max_nodes: int) -> tuple[dict[str, _DNode], list[_DEdge], int]:
    """Keep the ``max_nodes`` nodes nearest the root (breadth-first, against the arrows)."""
    if len(nodes) <= max_nodes:
        return nodes, edges, 0
    into: dict[str, list[str]] = {}
    for e in edges:
        into.setdefault(e.dst, []).append(e.src)
    keep = [root_id]
    kept = {root_id}
    i = 0
    while i < len(keep) and len(keep) < max_nodes:
        for src in into.get(keep[i], []):
            if src not in kept and len(keep) < max_nodes:
                kept.add(src)
                keep.append(src)
        i += 1
    hidden = len(nodes) - len(kept)
    new_edges: list[_DEdge] = []
    marked: set[str] = set()
    for e in edges:
        if e.src in kept and e.dst in kept:
            new_edges.append(e)
        elif e.dst in kept and e.dst not in marked:
            marked.add(e.dst)
            new_edges.append(_DEdge("more", e.dst, [], [], {"style": "dashed"}))
    return {k: v for k, v in nodes.items() if k in kept}, new_edges, hidden


def _highlight(targets: list[str], nodes: dict[str, _DNode], edges: list[_DEdge]) -> None:
    """Colour every path from the targets to the root (forward reachability)."""
    out: dict[str, list[_DEdge]] = {}
    for e in edges:
        out.setdefault(e.src, []).append(e)
    marked = set(targets)
    stack = list(targets)
    while stack:
        for e in out.get(stack.pop(), []):
            if e.dst not in marked:
                marked.add(e.dst)
                stack.append(e.dst)
    colour = _COLOURS["highlight"]
    for nid in marked:
        if nid in nodes:
            nodes[nid].attrs.update(color=colour, penwidth="3")
    for e in edges:
        if e.src in marked and e.dst in marked:
            e.attrs.update(color=colour, penwidth="3")


def _label(lines: list[str]) -> str:
    return "\\n".join(dot_escape(line) for line in lines)


def _emit(nodes: dict[str, _DNode], edges: list[_DEdge], groups: list[_Group], rankdir: str,
          hidden: int, max_nodes: int) -> Graph:
    dot = Graph("autograd_lite", graph_attr={"rankdir": rankdir, "fontsize": "11",
                                            "fontname": "Helvetica"},
                node_attr={"fontsize": "10", "fontname": "Helvetica"},
                edge_attr={"fontsize": "9", "fontname": "Helvetica", "dir": "back"})
    by_group: dict[int | None, list[_DNode]] = {}
    for node in nodes.values():
        by_group.setdefault(None if node.group is None else node.group.index, []).append(node)

    def add_nodes(target: Any, members: list[_DNode]) -> None:
        for node in members:
            target.node(node.id, _label(node.label), **node.attrs)

    def has_content(g: _Group) -> bool:
        return bool(by_group.get(g.index)) or any(has_content(c) for c in g.children)

    def add_cluster(parent: Any, g: _Group) -> None:
        if not has_content(g):
            return
        with parent.subgraph(name=f"cluster_g{g.index}") as sub:
            sub.attr(label=dot_escape(g.label), style="rounded,dashed",
                     color=_COLOURS["cluster"], fontcolor="#444444")
            add_nodes(sub, by_group.get(g.index, []))
            for child in g.children:
                add_cluster(sub, child)

    add_nodes(dot, by_group.get(None, []))
    for g in groups:
        if g.parent is None:
            add_cluster(dot, g)
    if hidden:
        dot.node("more", f"… {hidden} more nodes not shown (max_nodes={max_nodes})",
                 shape="note", style="dashed")
    for e in edges:
        dot.edge(e.src, e.dst, _label(e.lines) if e.lines else None, **e.attrs)
    return dot


def _as_list(highlight: Any) -> list[Any]:
    if highlight is None:
        return []
    if isinstance(highlight, (list, tuple)):
        return list(highlight)
    return [highlight]


def draw_graph(
    root: Any,
    *,
    params: Mapping[str, Any] | None = None,
    show_data: bool = True,
    show_grad: bool = True,
    show_derivatives: bool = True,
    rankdir: str = "LR",
    max_nodes: int = 200,
    collapse_modules: bool = True,
    highlight: Any = None,
    expand_fused: bool = False,
) -> graphviz.Digraph:
    """The backward graph under ``root`` (a Tensor, a Value, or a ``viz.trace``) as a Digraph.

    See the module docstring for what each node, colour and edge means.
    ``params`` maps names to tensors (``dict(model.named_parameters())``);
    ``show_data`` / ``show_grad`` put value / gradient previews on nodes and
    edges; ``show_derivatives`` puts the registry's derivative formulas on op
    nodes (and local derivatives on a Value's edges); ``rankdir`` is
    graphviz's ("LR", "TB", ...); ``max_nodes`` caps the nodes drawn;
    ``collapse_modules`` folds each innermost module call into one node;
    ``highlight`` is a leaf (or a list of leaves, or names) whose paths to the
    root are drawn in orange; ``expand_fused`` draws a fused ``linear`` as
    matmul + add. The gradients are computed from the registered vjps (see
    ``trace``); a graph already freed by ``backward()`` raises RuntimeError.

    >>> from autograd_lite.scalar import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = a * b; c.label = "c"
    >>> src = draw_graph(c).source
    >>> "mul (×)" in src, "∂(a·b)/∂a = b" in src, "∂c/∂a = -3" in src
    (True, True, True)
    """
    if max_nodes < 1:
        raise ValueError(f"draw_graph: max_nodes must be >= 1, got {max_nodes}")
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"draw_graph: rankdir must be 'LR', 'RL', 'TB' or 'BT', got {rankdir!r}")
    tr = trace(root, params=params, expand_fused=expand_fused)
    if params and tr is root:  # a ready Trace: apply the names now
        for name, t in params.items():
            if t in tr:
                tr.node(t).name, tr.node(t).param = name, True
    opt = _Options(show_data, show_grad, show_derivatives, tr.root.name)
    nodes, edges, groups, where = _build(tr, collapse_modules, opt)
    targets = []
    for h in _as_list(highlight):
        try:
            targets.append(where[tr.node(h).index])
        except KeyError:
            raise ValueError(f"draw_graph: highlight={h!r} is not in the graph under the root; "
                             "pass a tensor (or Value, or name) the root was computed from"
                             ) from None
    root_id = where[tr.root.index]
    nodes, edges, hidden = _truncate(nodes, edges, root_id, max_nodes)
    if targets:
        _highlight([t for t in targets if t in nodes], nodes, edges)
    return _emit(nodes, edges, groups, rankdir, hidden, max_nodes)


def make_dot(var: Any, params: Mapping[str, Any] | None = None, show_attrs: bool = False,
             show_saved: bool = False, max_attr_chars: int = 50,
             **kwargs: Any) -> graphviz.Digraph:
    """torchviz's ``make_dot(var, params=...)``: ``draw_graph`` under that name.

    ``show_attrs``, ``show_saved`` and ``max_attr_chars`` are accepted for
    compatibility; op nodes always show their formulas and constants, and
    tensor nodes their values. Other keywords go to ``draw_graph``.

    >>> import autograd_lite as ag
    >>> w = ag.tensor([1.0, 2.0], requires_grad=True)
    >>> "weight" in make_dot((w * 3).sum(), params={"weight": w}).source
    True
    """
    return draw_graph(var, params=params, **kwargs)


def save(graph: graphviz.Digraph, path: str | os.PathLike[str]) -> str:
    """Write ``graph`` to ``path`` in the format its suffix names (.svg .png .pdf .dot .gv).

    The file is written atomically; .dot/.gv is the DOT text and needs no
    Graphviz. Returns the format.

    >>> import tempfile, os, autograd_lite as ag
    >>> p = os.path.join(tempfile.mkdtemp(), "g.dot")
    >>> save(draw_graph(ag.tensor(1.0, requires_grad=True) * 2), p)
    'dot'
    """
    suffix = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
    if suffix not in FORMATS:
        raise ValueError(f"save: cannot tell the format of {os.fspath(path)!r} from its suffix; "
                         f"use one of {', '.join('.' + f for f in FORMATS)}")
    if suffix in ("dot", "gv"):
        atomic_write_text(path, graph.source)
        return suffix
    try:
        data = graph.pipe(format=suffix)
    except graphviz.ExecutableNotFound as e:
        if isinstance(e, DotNotFoundError):
            raise
        raise _no_dot("save") from e
    with atomic_writer(path, "save") as f:
        f.write(data)
    return suffix
