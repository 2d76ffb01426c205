"""A snapshot of a recorded graph with every gradient, computed from the registered vjps.

``trace(root)`` walks the graph under a ``Tensor`` (or a scalar ``Value``)
once, copies each tensor's data, and runs a backward pass of its own: each
op's registered vjp (``REGISTRY[name].vjp`` on ndarrays, exactly what
``backward()`` runs) on the recorded inputs. So the picture has the gradient
of the root with respect to *every* tensor in the graph, intermediates
included, and the gradient flowing along every edge — without
``backward()``, ``.grad`` or ``retain_grad()``. What it needs is the graph's
saved values: trace (or draw) before ``backward()``, or after
``backward(retain_graph=True)``. A ``Trace`` keeps its copies, so it can be
drawn after the graph is gone.

>>> import autograd_lite as ag
>>> x = ag.tensor([1.0, 2.0], requires_grad=True, name="x")
>>> y = (x * x).sum(); y.name = "y"
>>> tr = trace(y)
>>> [n.name or n.op.name for n in tr.nodes], tr.grad(x).tolist()
(['y', 'mul', 'x'], [2.0, 4.0])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..registry import REGISTRY, Op, VjpContext, numpy_ns, unbroadcast
from ..scalar import Value
from ..tensor import Tensor
from ._graph import _topological

__all__ = ["Trace", "TNode", "OpCall", "trace", "FREED_MESSAGE"]

FREED_MESSAGE = (
    "{what}: the graph under this tensor was freed by backward() (op {op!r} lost its saved "
    "values), so its values and gradients cannot be shown. Call backward(retain_graph=True) "
    "to keep the graph, or draw (or viz.trace) before backward().")


@dataclass(eq=False)
class TNode:
    """One tensor (or Value) of the graph: its data and the root's gradient w.r.t. it."""

    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str
    data: np.ndarray
    grad: np.ndarray | None
    requires_grad: bool
    source: Any
    op: OpCall | None = None
    param: bool = False
    consumers: list[OpCall] = field(default_factory=list)

    @property
    def is_leaf(self) -> bool:
        return self.op is None


@dataclass(eq=False)
class OpCall:
    """One op application: its registered formulas, inputs, the gradient along each input edge."""

    index: int
    name: str
    symbol: str
    formulas: tuple[str, ...]
    inputs: list[TNode]
    input_grads: list[np.ndarray | None]
    local_derivatives: list[float | None]
    constants: list[str]
    scope: tuple[str, ...]
    out: TNode | None = None
    fused: str | None = None


@dataclass(eq=False)
class Trace:
    """Every tensor and op under ``root`` (root first, breadth-first), with gradients."""

    root: TNode
    nodes: list[TNode]
    ops: list[OpCall]
    kind: str

    def node(self, obj: Any) -> TNode:
        """The node of a Tensor/Value of the graph, or of a name; KeyError if absent."""
        for n in self.nodes:
            if n.source is obj or (isinstance(obj, str) and n.name == obj):
                return n
        raise KeyError(f"trace: {obj!r} is not in the graph under the root")

    def grad(self, obj: Any) -> np.ndarray | None:
        """∂root/∂obj (an ndarray of obj's shape), None when no gradient reaches it."""
        return self.node(obj).grad

    def __contains__(self, obj: Any) -> bool:
        return any(n.source is obj for n in self.nodes)


def _op_formulas(op: Any, tensor_positions: Sequence[int]) -> tuple[str, ...]:
    formulas = tuple(getattr(op, "formula", ()) or ())
    if len(formulas) <= 1:
        return formulas
    return tuple(formulas[i] for i in tensor_positions if i < len(formulas))


def _constant_text(c: Any) -> str:
    if isinstance(c, np.ndarray):
        return f"{c.dtype}{tuple(c.shape)}"
    if isinstance(c, (int, float, np.number, bool)):
        return f"{float(c):.4g}" if isinstance(c, (float, np.floating)) else str(c)
    return type(c).__name__


def run_vjp(op: Op, arrays: Sequence[Any], params: Mapping[str, Any], needs: tuple[bool, ...],
            g: Any, out: Any = None) -> list[Any]:
    """An op's registered vjp on ndarrays, unbroadcast and cast to each input (as backward does)."""
    ctx = VjpContext(numpy_ns, op, arrays, dict(params), needs, out)
    grads = list(op.vjp(ctx, g))
    for i, (x, gi) in enumerate(zip(arrays, grads)):
        if gi is None or not needs[i]:
            grads[i] = None
            continue
        shape = np.shape(x)
        if gi.shape != shape:
            gi = unbroadcast(numpy_ns, gi, shape)
        dtype = np.asarray(x).dtype
        if gi.dtype != dtype:
            gi = gi.astype(dtype)
        grads[i] = gi
    return grads


def _tensor_order(root: Tensor) -> tuple[list[Tensor], list[Any]]:
    """Tensors breadth-first from the root, and the graph nodes in reverse topological order."""
    tensors: list[Tensor] = [root]
    seen = {id(root)}
    i = 0
    while i < len(tensors):
        node = tensors[i]._node
        i += 1
        if node is None:
            continue
        if node.freed:
            raise RuntimeError(FREED_MESSAGE.format(what="viz", op=node.name))
        for x in node.inputs:
            if isinstance(x, Tensor) and id(x) not in seen:
                seen.add(id(x))
                tensors.append(x)
    # Reverse topological order (consumers before producers), without recursion.
    by_id = {id(t): t for t in tensors}

    def made_by_ops(key: int) -> list[int]:
        node = by_id[key]._node
        return [] if node is None else [
            id(x) for x in node.inputs if isinstance(x, Tensor) and x._node is not None]

    order = [by_id[key] for key in reversed(_topological(id(root), made_by_ops))]
    return tensors, [t for t in order if t._node is not None]


def _seed(data: np.ndarray) -> np.ndarray:
    return np.ones_like(data) if data.dtype.kind in "fc" else np.ones(data.shape)


def _add(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    if a is None:
        return b
    return a if b is None else a + b


def _trace_tensor(root: Tensor, names: Mapping[int, str], expand_fused: bool) -> Trace:
    tensors, order = _tensor_order(root)
    grads: dict[int, Any] = {id(root): _seed(root.data)}
    edge_grads: dict[int, list[Any]] = {}  # id(output tensor) -> grads per node input
    with np.errstate(all="ignore"):
        for t in order:
            node = t._node
            g = grads.get(id(t))
            needs = tuple(isinstance(x, Tensor) and x.requires_grad for x in node.inputs)
            if g is None:
                input_grads: list[Any] = [None] * len(node.inputs)
            elif isinstance(node.op, Op):
                arrays = [x.data if isinstance(x, Tensor) else x for x in node.inputs]
                input_grads = run_vjp(node.op, arrays, node.params, needs, g, node.out)
            else:  # a custom Function: its own backward, as the engine calls it
                input_grads = list(node.op.backward_node(node, g, needs, False))
            edge_grads[id(t)] = input_grads
            for x, gi in zip(node.inputs, input_grads):
                if isinstance(x, Tensor) and gi is not None:
                    grads[id(x)] = _add(grads.get(id(x)), np.asarray(gi))

    tnodes: dict[int, TNode] = {}
    for t in tensors:
        name = names.get(id(t)) or t.name or ""
        grad = grads.get(id(t))
        tnodes[id(t)] = TNode(len(tnodes), name, tuple(t.shape), str(t.dtype),
                              np.array(t.data, copy=True), None if grad is None else np.array(grad),
                              bool(t.requires_grad), t, param=id(t) in names)
    ops: list[OpCall] = []
    nodes = list(tnodes.values())
    for t in tensors:
        node = t._node
        if node is None:
            continue
        out = tnodes[id(t)]
        positions = [i for i, x in enumerate(node.inputs) if isinstance(x, Tensor)]
        inputs = [tnodes[id(node.inputs[i])] for i in positions]
        in_grads = [edge_grads.get(id(t), [None] * len(node.inputs))[i] for i in positions]
        constants = [_constant_text(x) for x in node.inputs if not isinstance(x, Tensor)
                     and x is not None]
        if expand_fused and node.name == "linear":
            new_ops, extra = _expand_linear(node, inputs, in_grads, out, len(ops), len(nodes))
            ops.extend(new_ops)
            nodes.extend(extra)
            continue
        call = OpCall(len(ops), node.name, str(getattr(node.op, "symbol", node.name)),
                      _op_formulas(node.op, positions), inputs,
                      [None if g is None else np.array(g) for g in in_grads],
                      [None] * len(inputs), constants, tuple(node.scope), out)
        out.op = call
        ops.append(call)
    for call in ops:
        for x in call.inputs:
            x.consumers.append(call)
    return Trace(tnodes[id(root)], nodes, ops, "tensor")


def _expand_linear(node: Any, inputs: list[TNode], in_grads: list[Any], out: TNode,
                   first_op: int, first_node: int) -> tuple[list[OpCall], list[TNode]]:
    """A fused ``linear`` node as its parts: ``h = x @ W`` (matmul), ``out = h + b`` (add).

    The parts' gradients come from the matmul and add vjps in the registry;
    an unused bias (None) leaves only the matmul.
    """
    matmul, add = REGISTRY["matmul"], REGISTRY["add"]
    x, w = inputs[0], inputs[1]
    bias = inputs[2] if len(inputs) > 2 else None
    scope = tuple(node.scope)
    with np.errstate(all="ignore"):
        h_data = np.matmul(x.data, w.data)
        g = out.grad
        extra: list[TNode] = []
        ops: list[OpCall] = []
        if bias is None:
            h = out
        else:
            h = TNode(first_node, "", tuple(h_data.shape), str(h_data.dtype), h_data, g, True,
                      None)
            extra.append(h)
            needs = (True, bias.requires_grad)
            add_grads = ([None, None] if g is None else
                         run_vjp(add, [h_data, bias.data], {}, needs, g))
            add_call = OpCall(first_op + 1, "add", add.symbol, add.formula, [h, bias],
                              add_grads, [None, None], [], scope, out, fused="linear")
            out.op = add_call
        needs = (x.requires_grad, w.requires_grad)
        mm_grads = ([None, None] if g is None else
                    run_vjp(matmul, [x.data, w.data], {}, needs, g))
        mm_call = OpCall(first_op, "matmul", matmul.symbol, matmul.formula, [x, w], mm_grads,
                         [None, None], [], scope, h, fused="linear")
        h.op = mm_call
        ops.append(mm_call)
        if bias is not None:
            ops.append(add_call)
    return ops, extra


def _trace_value(root: Value, names: Mapping[int, str]) -> Trace:
    from ..scalar import topological_order

    order = topological_order(root)  # children before parents
    adj: dict[int, float] = {id(root): 1.0}
    for v in reversed(order):
        g = adj.get(id(v), 0.0)
        for c, d in zip(v._children, v._local_grads):
            adj[id(c)] = adj.get(id(c), 0.0) + g * d
    # Breadth-first from the root, for the same node order as Tensor graphs.
    values = [root]
    seen = {id(root)}
    i = 0
    while i < len(values):
        for c in values[i]._children:
            if id(c) not in seen:
                seen.add(id(c))
                values.append(c)
        i += 1
    tnodes = {id(v): TNode(k, names.get(id(v)) or v.label, (), "float",
                           np.array(v.data), np.array(adj.get(id(v), 0.0)), True, v,
                           param=id(v) in names)
              for k, v in enumerate(values)}
    ops: list[OpCall] = []
    for v in values:
        if not v._op:
            continue
        reg = REGISTRY.get(Value.OP_NAMES.get(Value.op_family(v._op), ""))
        children = v._children
        locals_ = list(v._local_grads)
        g = adj.get(id(v), 0.0)
        formulas: tuple[str, ...] = ()
        if reg is None:
            name, symbol = v._op, v._op
        else:
            name, symbol = reg.name, reg.symbol
            formulas = reg.formula[: len(children)]
        constants = [v._op[2:]] if v._op.startswith("**") and len(v._op) > 2 else []
        call = OpCall(len(ops), name, symbol, tuple(formulas), [tnodes[id(c)] for c in children],
                      [np.array(g * d) for d in locals_], [float(d) for d in locals_], constants,
                      (), tnodes[id(v)])
        tnodes[id(v)].op = call
        ops.append(call)
    for call in ops:
        for x in call.inputs:
            x.consumers.append(call)
    return Trace(tnodes[id(root)], list(tnodes.values()), ops, "value")


def trace(root: Any, *, params: Mapping[str, Any] | None = None,
          expand_fused: bool = False) -> Trace:
    """Snapshot the graph under ``root`` with ∂root/∂t for every tensor t in it.

    ``root`` is a Tensor (a non-scalar root is seeded with ones, i.e. the
    gradient of ``root.sum()``) or a scalar ``Value``; ``params`` names
    tensors as torchviz does (``dict(model.named_parameters())``);
    ``expand_fused`` shows each fused ``linear`` as its matmul and add.
    Backward hooks are not run. Raises RuntimeError if ``backward()`` already
    freed the graph: use ``backward(retain_graph=True)`` or trace first.

    >>> from autograd_lite.scalar import Value
    >>> a = Value(3.0, label="a"); b = a * a
    >>> trace(b).grad(a).item()
    6.0
    """
    if isinstance(root, Trace):
        return root
    names = {id(t): n for n, t in (params or {}).items()}
    if isinstance(root, Tensor):
        return _trace_tensor(root, names, expand_fused)
    if isinstance(root, Value):
        return _trace_value(root, names)
    raise TypeError(f"viz: expected a Tensor or a Value to draw, got {type(root).__name__}; "
                    "pass the output (e.g. the loss) of your computation")
