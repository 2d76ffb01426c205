"""The engine: graph nodes, grad mode, scopes, anomaly mode and backward.

An op applied to Tensors that require grad returns a Tensor whose ``_node``
remembers the op, its inputs, its params and (when the vjp needs it) its
output. ``backward`` orders the nodes topologically with an explicit stack,
then walks them from the output, applying each op's vjp (the chain rule).

>>> import autograd_lite as ag
>>> x = ag.tensor(3.0, requires_grad=True)
>>> y = x * x + 2 * x
>>> y.backward()
>>> x.grad
tensor(8., dtype=float32)
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import numpy as np

from .registry import Op, VjpContext, numpy_ns, tensor_ns, unbroadcast
from .tensor import Tensor

__all__ = [
    "Node", "apply", "backward", "grad_of", "no_grad", "enable_grad", "set_grad_enabled",
    "is_grad_enabled", "scope", "current_scope", "detect_anomaly", "AnomalyError",
]

F = TypeVar("F", bound=Callable[..., Any])


class _State(threading.local):
    grad_enabled: bool = True
    scope: tuple[str, ...] = ()
    anomaly: bool = False


_state = _State()


class Node:
    """How a non-leaf Tensor was made: op, inputs, params and saved data.

    ``aux`` is what the op's ``forward_aux`` kept for its first-order vjp.
    ``saved_versions`` pairs each saved tensor's version counter with the
    version it had when saved, so an in-place change is caught at backward.
    ``graph_versions`` does the same for inputs that only a recorded backward
    (create_graph) reads: an op that saves its output recomputes it from them.
    """

    __slots__ = ("op", "inputs", "params", "out", "saved_versions", "graph_versions", "scope",
                 "site", "hooks", "retained", "freed", "aux")

    def __init__(self, op: Any, inputs: tuple[Any, ...], params: dict[str, Any], out: Any,
                 saved_versions: tuple[tuple[list[int], int], ...], scope: tuple[str, ...],
                 graph_versions: tuple[tuple[list[int], int], ...] = ()) -> None:
        self.op = op
        self.inputs = inputs
        self.params = params
        self.out = out
        self.saved_versions = saved_versions
        self.graph_versions = graph_versions
        self.scope = scope
        self.site: str | None = None
        self.hooks: list[Callable[[Tensor], Any]] | None = None
        self.retained: weakref.ref[Tensor] | None = None
        self.freed = False
        self.aux: Any = None

    @property
    def name(self) -> str:
        return str(self.op.name)

    @property
    def parents(self) -> tuple[Tensor, ...]:
        """The Tensor inputs (constants such as Python numbers left out)."""
        return tuple(x for x in self.inputs if isinstance(x, Tensor))

    def free(self) -> None:
        """Drop what backward needed (saved output, intermediate inputs' data), keep the shape.

        Intermediate inputs are replaced by stand-ins that keep their node,
        shape and dtype, so a graph kept alive by its output (say, a loss
        appended to a list) holds no activations after backward.
        """
        self.out = None
        self.aux = None
        self.freed = True
        inputs = self.inputs
        for x in inputs:
            if isinstance(x, Tensor) and x._node is not None:
                kept = []
                for y in inputs:
                    kept.append(_FreedInput(y) if isinstance(y, Tensor) and y._node is not None
                                else y)
                self.inputs = tuple(kept)
                break
        if type(self.op) is not Op:  # a registered Op saves nothing of its own
            free_op = getattr(self.op, "free", None)
            if free_op is not None:
                free_op()

    def __repr__(self) -> str:
        return f"<{self.name} node, scope {'/'.join(self.scope) or '-'}>"


class _FreedInput(Tensor):
    """An intermediate input after backward freed its graph: node, shape, dtype; no data."""

    __slots__ = ("_shape", "_dtype")

    def __init__(self, source: Tensor) -> None:
        self.data = _empty_of(source.dtype)
        self.requires_grad = source.requires_grad
        self.grad = None
        self.name = source.name
        self._node = source._node
        self._vc = source._vc
        self._hooks = None
        self._shape = source.shape  # properties: a stand-in's own shape if it is one
        self._dtype = source.dtype

    @property
    def shape(self) -> tuple[int, ...]:
        return self._shape

    @property
    def dtype(self) -> np.dtype[Any]:
        return self._dtype

    def __repr__(self) -> str:
        return f"<freed {self._dtype} tensor of shape {self._shape}>"


_EMPTY: dict[Any, np.ndarray] = {}


def _empty_of(dtype: Any) -> np.ndarray:
    """One shared, read-only empty array per dtype: what a freed stand-in holds."""
    arr = _EMPTY.get(dtype)
    if arr is None:
        arr = np.empty(0, dtype)
        arr.flags.writeable = False
        arr = _EMPTY.setdefault(dtype, arr)
    return arr


# ---------------------------------------------------------------- grad mode

def is_grad_enabled() -> bool:
    """True unless inside ``no_grad()``.

    >>> is_grad_enabled()
    True
    """
    return _state.grad_enabled


class set_grad_enabled(contextlib.ContextDecorator):
    """Context manager and decorator that turns graph recording on or off.

    >>> with set_grad_enabled(False):
    ...     is_grad_enabled()
    False
    """

    def __init__(self, mode: bool) -> None:
        self.mode = mode
        self._prev: list[bool] = []

    def _recreate_cm(self) -> set_grad_enabled:
        return set_grad_enabled(self.mode)  # fresh per decorated call: thread-safe

    def __enter__(self) -> None:
        self._prev.append(_state.grad_enabled)
        _state.grad_enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        _state.grad_enabled = self._prev.pop()


class no_grad(set_grad_enabled):
    """Record no graph inside (context manager or decorator); optimizers use it.

    >>> import autograd_lite as ag
    >>> w = ag.tensor([1.0], requires_grad=True)
    >>> with ag.no_grad():
    ...     (w * 2).requires_grad
    False
    """

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Record the graph again inside a ``no_grad`` block.

    >>> with no_grad(), enable_grad():
    ...     is_grad_enabled()
    True
    """

    def __init__(self) -> None:
        super().__init__(True)


@contextlib.contextmanager
def scope(name: str) -> Iterator[tuple[str, ...]]:
    """Tag every node made inside with a scope path (nn modules use this).

    >>> import autograd_lite as ag
    >>> x = ag.tensor([1.0], requires_grad=True)
    >>> with ag.scope("layer1"), ag.scope("act"):
    ...     y = x.sigmoid()
    >>> y._node.scope
    ('layer1', 'act')
    """
    prev = _state.scope
    _state.scope = prev + (name,)
    try:
        yield _state.scope
    finally:
        _state.scope = prev


def current_scope() -> tuple[str, ...]:
    """The scope path new nodes get.

    >>> current_scope()
    ()
    """
    return _state.scope


class AnomalyError(FloatingPointError):
    """A NaN or inf appeared in forward or backward under ``detect_anomaly()``."""


class detect_anomaly(contextlib.ContextDecorator):
    """Raise at the first NaN/inf made in forward or backward, naming op and line.

    >>> import autograd_lite as ag
    >>> x = ag.tensor([-1.0], requires_grad=True)
    >>> with ag.detect_anomaly():
    ...     x.log()
    Traceback (most recent call last):
    ...
    autograd_lite.autograd.AnomalyError: log produced nan in forward (created at <doctest ...>:2)
    """

    def __init__(self) -> None:
        self._prev: list[bool] = []

    def _recreate_cm(self) -> detect_anomaly:
        return detect_anomaly()  # fresh per decorated call: thread-safe

    def __enter__(self) -> None:
        self._prev.append(_state.anomaly)
        _state.anomaly = True

    def __exit__(self, *exc: object) -> None:
        _state.anomaly = self._prev.pop()


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_new_tensor = object.__new__


def _user_site() -> str:
    """``file:line`` of the innermost frame outside autograd_lite."""
    frame = sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR):
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return "<unknown>"
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def _first_bad(values: Any) -> str | None:
    arr = np.asarray(values)
    if arr.dtype.kind not in "fc" or np.isfinite(arr).all():
        return None
    return "nan" if np.isnan(arr).any() else "inf"


# ---------------------------------------------------------------- forward

def apply(op: Op, inputs: tuple[Any, ...], params: dict[str, Any]) -> Tensor:
    """Run ``op`` forward on the inputs' arrays; record a node if grad is needed.

    Inputs are Tensors, ndarrays or Python numbers (kept as numbers so that,
    as NEP 50 says, ``x * 2.0`` stays float32).

    >>> import autograd_lite as ag
    >>> from autograd_lite.registry import REGISTRY
    >>> apply(REGISTRY["add"], (ag.tensor([1.0]), 2.0), {})
    tensor([3.], dtype=float32)
    """
    arrays = []
    versions = []  # (counter, version) of each Tensor input, for the node
    any_requires_grad = False
    for x in inputs:
        if isinstance(x, Tensor):
            arrays.append(x.data)
            counter = x._vc
            versions.append((counter, counter[0]))
            if x.requires_grad:
                any_requires_grad = True
        else:
            arrays.append(x)
    needs_grad = any_requires_grad and _state.grad_enabled
    aux = None
    if op.n_inputs == -1:
        data = op.forward(arrays, **params)
    elif needs_grad and op.forward_aux is not None:
        data, aux = op.forward_aux(*arrays, **params)
    else:
        data = op.forward(*arrays, **params)
    if type(data) is not np.ndarray:
        data = np.asarray(data)
    if needs_grad and data.dtype.kind != "f":
        raise TypeError(
            f"{op.name}: the result is {data.dtype}, which cannot carry a gradient (only real "
            "floating-point tensors can). Keep the operands real floats, or detach() the "
            "tensor that requires grad first.")
    out = _new_tensor(Tensor)  # Tensor._wrap(data, needs_grad), inlined: every op runs it
    out.data = data
    out.requires_grad = needs_grad
    out.grad = out.name = out._node = out._hooks = None
    out._vc = [0]
    if op.view:
        source = inputs[0]
        if isinstance(source, Tensor) and np.may_share_memory(data, source.data):
            out._vc = source._vc  # a view shares its base's version counter
    if needs_grad:
        if op.saves_output:
            input_versions = tuple(versions)
            saved = input_versions + ((out._vc, 0),) if op.saves_inputs else ((out._vc, 0),)
            out._node = Node(op, inputs, params, data, saved, _state.scope,
                             graph_versions=input_versions)
        elif op.saves_inputs:
            out._node = Node(op, inputs, params, None, tuple(versions), _state.scope)
        else:
            out._node = Node(op, inputs, params, None, (), _state.scope)
        if aux is not None:
            out._node.aux = aux
    if _state.anomaly:
        _check_forward(op.name, out, data)
    return out


def _check_forward(name: str, out: Tensor, data: Any) -> None:
    site = _user_site()
    if out._node is not None:
        out._node.site = site
    bad = _first_bad(data)
    if bad:
        raise AnomalyError(f"{name} produced {bad} in forward (created at {site})")


# ---------------------------------------------------------------- backward

def _topological_order(roots: Sequence[Tensor]) -> list[Node]:
    """Nodes reachable from ``roots``, each after every node that consumes it.

    Iterative depth-first search, so a million-op chain needs no recursion.
    """
    order: list[Node] = []
    seen: set[int] = set()
    # Each stack entry is a node and whether its inputs were already pushed.
    stack: list[tuple[Node, bool]] = []
    push, pop, visit = stack.append, stack.pop, seen.add
    for r in roots:
        if r._node is not None:
            push((r._node, False))
    while stack:
        node, expanded = pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        visit(id(node))
        push((node, True))
        for x in node.inputs:
            if isinstance(x, Tensor):
                child = x._node
                if child is not None and id(child) not in seen:
                    push((child, False))
    order.reverse()
    return order


def _seed(root: Tensor, gradient: Any, create_graph: bool) -> Any:
    data = root.data
    if gradient is None:
        if data.size != 1:
            raise RuntimeError(
                f"backward: the output has shape {data.shape}; backward() without "
                "`gradient` only works for a single-element output. Reduce it first "
                "(e.g. y.sum().backward()) or pass gradient=<array of shape "
                f"{data.shape}>")
        # (np.ones and np.ones_like run Python code; np.array is one C call)
        g = np.array(1, data.dtype) if data.ndim == 0 else np.ones(data.shape, data.dtype)
    else:
        g = gradient.data if isinstance(gradient, Tensor) else np.asarray(gradient, data.dtype)
        if g.shape != data.shape:
            raise ValueError(f"backward: gradient has shape {g.shape} but the output has "
                             f"shape {data.shape}; pass a gradient of the output's shape")
        if g.dtype != data.dtype:
            g = g.astype(data.dtype)
    if create_graph and isinstance(gradient, Tensor):
        return gradient if gradient.dtype == root.dtype else gradient.to(root.dtype)
    return Tensor._wrap(g, False) if create_graph else g


def _check_saved(node: Node, create_graph: bool) -> None:
    if node.freed:
        raise RuntimeError(
            f"backward: trying to backward through the graph a second time (op "
            f"{node.name!r}); its saved values were freed after the first backward. "
            "Pass retain_graph=True to the first backward() to keep them.")
    versions = node.saved_versions + node.graph_versions if create_graph else node.saved_versions
    for counter, version in versions:
        if counter[0] != version:
            raise RuntimeError(
                f"backward: a tensor saved by op {node.name!r} for its gradient was "
                f"modified in place after it was used (version {version} -> {counter[0]}). "
                "Use an out-of-place op (x = x + 1) or .clone() before modifying it.")


def _as_tensor_grad(g: Any) -> Tensor:
    return g if isinstance(g, Tensor) else Tensor._wrap(g, False)


def _run_hooks(hooks: list[Callable[[Tensor], Any]], g: Any, create_graph: bool) -> Any:
    """Call each hook with the gradient; a returned value replaces it (same shape, cast)."""
    for hook in hooks:
        result = hook(_as_tensor_grad(g))
        if result is None:
            continue
        new: Any
        if create_graph:
            new = result if isinstance(result, Tensor) else Tensor._wrap(np.asarray(result))
        else:
            new = result.data if isinstance(result, Tensor) else np.asarray(result)
        if new.shape != g.shape:
            raise RuntimeError(
                f"register_hook: hook {getattr(hook, '__name__', hook)!r} returned a gradient "
                f"of shape {new.shape} for a tensor of shape {g.shape}; return one of the same "
                "shape, or None to keep the gradient")
        if new.dtype != g.dtype:
            new = new.to(g.dtype) if create_graph else new.astype(g.dtype)
        g = new
    return g


def _arrays_of(node: Node) -> list[Any]:
    """The node's inputs as the vjp sees them on ndarrays (Tensors by their data)."""
    return [x.data if isinstance(x, Tensor) else x for x in node.inputs]


def _input_grads(node: Node, g: Any, create_graph: bool) -> Sequence[Any]:
    """Apply the node's vjp; unbroadcast and cast each grad to its input."""
    op = node.op
    needs = tuple([isinstance(x, Tensor) and x.requires_grad for x in node.inputs])
    if isinstance(op, Op):
        if create_graph:
            ctx = VjpContext(tensor_ns, op, node.inputs, node.params, needs, None)
        else:
            ctx = VjpContext(numpy_ns, op, _arrays_of(node), node.params, needs, node.out,
                             node.aux)
        grads = list(op.vjp(ctx, g))
        xp = ctx.xp
        for i, (x, gi) in enumerate(zip(node.inputs, grads)):
            if gi is None or not needs[i]:
                grads[i] = None
                continue
            if gi.shape != x.shape:
                gi = unbroadcast(xp, gi, x.shape)
            if gi.dtype != x.dtype:
                gi = gi.astype(x.dtype) if not create_graph else gi.to(x.dtype)
            grads[i] = gi
        return grads
    return op.backward_node(node, g, needs, create_graph)


def _backward_step(node: Node, g: Any, create_graph: bool, anomaly: bool) -> Sequence[Any]:
    """The node's input gradients; under anomaly mode, checked for NaN/inf."""
    if not anomaly:
        return _input_grads(node, g, create_graph)
    _state.anomaly = False  # the vjp's own ops are checked here, as backward, not forward
    try:
        input_grads = _input_grads(node, g, create_graph)
    finally:
        _state.anomaly = True
    for gi in input_grads:
        bad = gi is not None and _first_bad(gi.data if isinstance(gi, Tensor) else gi)
        if bad:
            raise AnomalyError(f"{node.name} produced {bad} in backward (its forward was "
                               f"created at {node.site or '<outside detect_anomaly>'})")
    return input_grads


def grad_of(
    roots: Sequence[Tensor],
    seeds: Sequence[Any] | None = None,
    *,
    inputs: Sequence[Tensor] | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = True,
) -> list[Tensor | None]:
    """Backpropagate from ``roots``: into ``.grad`` of leaves, or return grads.

    With ``inputs=None`` (what ``Tensor.backward`` does) gradients accumulate
    into ``.grad`` of every leaf that requires grad (and of non-leaves that
    called ``retain_grad()``). With ``inputs=[...]`` nothing is accumulated:
    the total gradient of each given tensor (leaf or not) is returned, in order
    (None for a tensor the roots do not depend on).

    >>> import autograd_lite as ag
    >>> x = ag.tensor(2.0, requires_grad=True)
    >>> grad_of([x ** 3], inputs=[x])
    [tensor(12., dtype=float32)]
    """
    if retain_graph is None:
        retain_graph = create_graph
    if seeds is None:
        seeds = [None] * len(roots)
    # Gradients so far, keyed by id of the node (non-leaves) or of the tensor (leaves).
    grads: dict[int, Any] = {}
    leaves: dict[int, Tensor] = {}
    for r in roots:
        if not r.requires_grad:
            raise RuntimeError(
                "backward: the output does not require grad, so there is no graph to "
                "differentiate. Create inputs with requires_grad=True (and not under "
                "no_grad()).")
    for r, s in zip(roots, seeds):
        g = _seed(r, s, create_graph)
        if r._node is None:
            key = id(r)
            leaves[key] = r
        else:
            key = id(r._node)
        grads[key] = g if key not in grads else grads[key] + g
    wanted_nodes = {id(t._node): t for t in inputs if t._node is not None} if inputs else None
    captured: dict[int, Any] = {}
    # Keys whose gradient array is fresh and referenced by nothing else: it can be
    # accumulated into in place and handed to a leaf's .grad without a copy.
    owned: set[int] = set()
    anomaly = _state.anomaly
    previous_mode = _state.grad_enabled
    _state.grad_enabled = create_graph
    try:
        for node in _topological_order(roots):
            nid = id(node)
            g = grads.pop(nid, None)
            if g is None:
                continue
            if node.freed or create_graph:
                _check_saved(node, create_graph)
            else:
                for counter, version in node.saved_versions:
                    if counter[0] != version:
                        _check_saved(node, create_graph)  # raises, naming the op
            if node.hooks or wanted_nodes or node.retained is not None:
                if node.hooks:
                    g = _run_hooks(node.hooks, g, create_graph)
                if wanted_nodes and nid in wanted_nodes:
                    captured[id(wanted_nodes[nid])] = g
                if inputs is None and node.retained is not None:
                    kept = node.retained()
                    if kept is not None:
                        _accumulate_into(kept, g, create_graph)
            node_inputs = node.inputs
            op = node.op
            if create_graph or anomaly or type(op) is not Op:
                input_grads = _backward_step(node, g, create_graph, anomaly)
                may_own = not create_graph and type(op) is Op
                for x, gi in zip(node_inputs, input_grads):
                    if gi is not None:
                        _add_grad(grads, leaves, owned, x, gi,
                                  may_own and _is_fresh(gi, g, node, _arrays_of(node),
                                                        input_grads))
            else:
                # The first-order path, inlined (it runs for every node): the vjp on
                # ndarrays, then each input's gradient unbroadcast, cast and added up.
                arrays = []
                needs_list = []
                for x in node_inputs:
                    if isinstance(x, Tensor):
                        arrays.append(x.data)
                        needs_list.append(x.requires_grad)
                    else:
                        arrays.append(x)
                        needs_list.append(False)
                needs = tuple(needs_list)
                input_grads = op.vjp(VjpContext(numpy_ns, op, arrays, node.params, needs,
                                                node.out, node.aux), g)
                for x, data, need, gi in zip(node_inputs, arrays, needs_list, input_grads):
                    if gi is None or not need:
                        continue
                    fresh = False
                    if gi.shape != data.shape:
                        gi = unbroadcast(numpy_ns, gi, data.shape)
                    if gi.dtype != data.dtype:
                        gi, fresh = gi.astype(data.dtype), True
                    elif gi is not g and type(gi) is np.ndarray and gi.base is None:
                        fresh = _is_fresh(gi, g, node, arrays, input_grads)
                    _add_grad(grads, leaves, owned, x, gi, fresh)
            if not retain_graph:
                node.free()
        for key, leaf in leaves.items():
            g = grads.pop(key, None)
            if g is None:
                continue
            if leaf._hooks:
                g = _run_hooks(leaf._hooks, g, create_graph)
                owned.discard(key)
            if inputs is not None:
                captured[key] = g
            elif leaf.grad is None and key in owned and type(g) is np.ndarray \
                    and g.dtype == leaf.data.dtype:
                leaf.grad = Tensor._wrap(g, False)  # _accumulate_into's first case, inlined
            else:
                _accumulate_into(leaf, g, create_graph, key in owned)
    finally:
        _state.grad_enabled = previous_mode
    if inputs is None:
        return []
    results: list[Tensor | None] = []
    for t in inputs:
        g = captured.get(id(t))
        if g is None and not allow_unused:
            raise RuntimeError(f"grad: input {t!r} is not used to compute the output")
        results.append(None if g is None else _as_tensor_grad(g))
    return results


def _add_grad(grads: dict[int, Any], leaves: dict[int, Tensor], owned: set[int], x: Tensor,
              gi: Any, fresh: bool) -> None:
    """Add ``gi`` to the gradient collected for ``x`` (in place when that array is owned)."""
    if x._node is None:
        key = id(x)
        leaves[key] = x
    else:
        key = id(x._node)
    prev = grads.get(key)
    if prev is None:
        grads[key] = gi
        if fresh:
            owned.add(key)
    elif key in owned:
        np.add(prev, gi, out=prev)
    else:
        grads[key] = total = prev + gi
        if type(total) is np.ndarray:
            owned.add(key)


def _is_fresh(gi: Any, g: Any, node: Node, arrays: Sequence[Any],
              input_grads: Sequence[Any]) -> bool:
    """True if ``gi`` is a new array a registered vjp made, aliased by nothing else.

    Not fresh: a view (it has a base), a numpy scalar, the incoming gradient
    itself (``add`` passes it through), an input's array (``arrays``), the saved
    output or aux (a vjp may return them), or an array returned for two inputs.
    """
    if type(gi) is not np.ndarray or gi.base is not None or gi is g or gi is node.out \
            or gi is node.aux:
        return False
    for a in arrays:
        if gi is a:
            return False
    n = 0
    for other in input_grads:
        if other is gi:
            n += 1
    return n == 1


def _accumulate_into(t: Tensor, g: Any, create_graph: bool, owned: bool = False) -> None:
    """``t.grad += g``, out of place when the graph is recorded.

    ``owned``: ``g`` is a fresh array nothing else refers to, so a leaf without
    a gradient yet can keep it as is instead of a copy.
    """
    if create_graph or isinstance(g, Tensor):
        g = _as_tensor_grad(g)
        t.grad = g if t.grad is None else t.grad + g
        return
    if t.grad is None and owned and g.dtype == t.data.dtype:
        t.grad = Tensor._wrap(g, False)
    elif t.grad is None or t.grad.requires_grad:
        # Own a fresh copy: the vjp may have handed the same array to others.
        fresh = np.array(g, dtype=t.dtype, copy=True)
        t.grad = Tensor._wrap(fresh, False) if t.grad is None else t.grad + fresh
    else:
        t.grad.data += g
        t.grad._vc[0] += 1


def backward(
    tensor: Tensor,
    gradient: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
) -> None:
    """Accumulate d(tensor)/d(leaf) into ``leaf.grad`` for every leaf needing it.

    >>> import autograd_lite as ag
    >>> w = ag.tensor([1.0, 2.0], requires_grad=True)
    >>> backward((w * w).sum())
    >>> w.grad
    tensor([2., 4.], dtype=float32)
    """
    grad_of([tensor], [gradient], retain_graph=retain_graph, create_graph=create_graph)


def with_grad_mode(fn: F) -> F:
    """Decorator: run ``fn`` with grad recording on (used by functional transforms)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with enable_grad():
            return fn(*args, **kwargs)
    return wrapper  # type: ignore[return-value]
