"""The op registry: every differentiable primitive is defined once, here.

An :class:`Op` holds a forward on ndarrays, a vector-Jacobian product (vjp),
its name and its local-derivative formula as text and LaTeX. The vjp is
written once against a namespace ``xp`` whose functions have the op names:
during ordinary backward ``xp`` runs each op's ndarray forward (fast, no graph);
under ``backward(create_graph=True)`` it runs the ops on Tensors, so the
backward pass is itself recorded and can be differentiated again.

>>> from autograd_lite.registry import REGISTRY
>>> REGISTRY["exp"].formula
('∂out/∂x = exp(x) = out',)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Op", "VjpContext", "REGISTRY", "register", "numpy_ns", "tensor_ns", "unbroadcast"]


@dataclass(frozen=True, slots=True, eq=False)
class Op:
    """One primitive: forward on ndarrays, vjp, and how to explain it.

    ``forward(*arrays, **params) -> ndarray``; ``vjp(ctx, g) -> tuple`` of one
    gradient (or None) per input, in the input's broadcast shape: the engine
    unbroadcasts and casts to the input dtype afterwards, once for every op.
    ``formula``/``latex`` hold the local derivative per differentiable input.
    ``n_inputs`` is the number of tensor inputs (-1: one sequence of them).
    ``saves`` says what the vjp reads: "inputs", "output", "both" or "" (the
    engine checks those tensors were not modified in place before backward).
    ``view`` marks ops whose output may share memory with their input.
    ``forward_aux`` (optional) is the forward that also returns a by-product
    for the first-order vjp, ``(out, aux)``: the engine calls it when it
    records a node and hands ``aux`` to the vjp as ``ctx.aux`` (None when the
    vjp runs on Tensors or from a drawing; the vjp then recomputes it).
    """

    name: str
    forward: Callable[..., Any]
    vjp: Callable[[VjpContext, Any], tuple[Any, ...]]
    formula: tuple[str, ...]
    latex: tuple[str, ...]
    symbol: str
    n_inputs: int = 1
    saves: str = "inputs"
    view: bool = False
    forward_aux: Callable[..., tuple[Any, Any]] | None = None

    saves_inputs: bool = field(init=False)
    saves_output: bool = field(init=False)

    def __post_init__(self) -> None:
        if self.saves not in ("", "inputs", "output", "both"):
            raise ValueError(f"register: saves={self.saves!r} for op {self.name!r}; use "
                             "'', 'inputs', 'output' or 'both'")
        # Plain fields, not properties: the engine reads them on every op.
        object.__setattr__(self, "saves_inputs", self.saves in ("inputs", "both"))
        object.__setattr__(self, "saves_output", self.saves in ("output", "both"))


class VjpContext:
    """What a vjp may read: the namespace, inputs, output, params, needs.

    ``inputs`` are ndarrays (first-order backward) or Tensors (create_graph);
    ``out`` is the forward's result in the same kind (recomputed on demand
    under create_graph so that it, too, is differentiable); ``needs[i]`` says
    whether input i wants a gradient, so a vjp can skip expensive work;
    ``aux`` is what the op's ``forward_aux`` kept (an ndarray the vjp must not
    modify, since a retained graph is walked again), or None.
    """

    __slots__ = ("xp", "inputs", "params", "needs", "_out", "_op", "aux")

    def __init__(
        self,
        xp: Any,
        op: Op,
        inputs: Sequence[Any],
        params: dict[str, Any],
        needs: tuple[bool, ...],
        out: Any,
        aux: Any = None,
    ) -> None:
        self.xp = xp
        self.aux = aux
        self._op = op
        self.inputs = inputs
        self.params = params
        self.needs = needs
        self._out = out

    @property
    def out(self) -> Any:
        if self._out is None:
            fn = getattr(self.xp, self._op.name)
            args = (self.inputs,) if self._op.n_inputs == -1 else self.inputs
            self._out = fn(*args, **self.params)
        return self._out


REGISTRY: dict[str, Op] = {}


class _Namespace:
    """Attribute access to every registered op, as ndarray or Tensor functions."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __repr__(self) -> str:
        return f"<{self.kind} op namespace: {', '.join(sorted(REGISTRY))}>"


numpy_ns: Any = _Namespace("ndarray")
tensor_ns: Any = _Namespace("Tensor")


def register(
    name: str,
    forward: Callable[..., Any],
    vjp: Callable[[VjpContext, Any], tuple[Any, ...]],
    *,
    formula: str | tuple[str, ...],
    latex: str | tuple[str, ...],
    symbol: str | None = None,
    n_inputs: int = 1,
    saves: str = "inputs",
    view: bool = False,
    forward_aux: Callable[..., tuple[Any, Any]] | None = None,
) -> Op:
    """Add an op to the registry and to both namespaces; return it.

    >>> REGISTRY["mul"].symbol
    '×'
    """
    if name in REGISTRY:
        raise ValueError(f"register: an op named {name!r} is already registered")
    as_tuple = (lambda s: (s,) if isinstance(s, str) else tuple(s))
    op = Op(name, forward, vjp, as_tuple(formula), as_tuple(latex), symbol or name,
            n_inputs, saves, view, forward_aux)
    REGISTRY[name] = op
    setattr(numpy_ns, name, forward)
    setattr(tensor_ns, name, _tensor_function(op))
    return op


def _tensor_function(op: Op) -> Callable[..., Any]:
    from .autograd import apply  # the engine imports this module; bind lazily

    if op.n_inputs == -1:
        def run_seq(seq: Sequence[Any], **params: Any) -> Any:
            return apply(op, tuple(seq), params)
        return run_seq

    def run(*inputs: Any, **params: Any) -> Any:
        return apply(op, inputs, params)
    return run


def unbroadcast(xp: Any, g: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``g`` over the axes numpy broadcasting added to reach ``shape``.

    >>> import numpy as np
    >>> unbroadcast(numpy_ns, np.ones((2, 3)), (1, 3))
    array([[2., 2., 2.]])
    """
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1
    )
    if axes:
        g = xp.sum(g, axis=axes, keepdims=True)
    if lead:
        g = xp.reshape(g, shape=shape)
    return g
