"""Custom ops: subclass ``Function`` and write ``forward`` and ``backward`` on ndarrays.

>>> import numpy as np, autograd_lite as ag
>>> class Cube(ag.Function):
...     formula = ("∂x³/∂x = 3x²",)
...     @staticmethod
...     def forward(ctx, x):
...         ctx.save_for_backward(x)
...         return x ** 3
...     @staticmethod
...     def backward(ctx, grad):
...         (x,) = ctx.saved_tensors
...         return 3 * x ** 2 * grad
>>> x = ag.tensor([2.0], requires_grad=True)
>>> Cube.apply(x).backward(); x.grad
tensor([12.], dtype=float32)
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from . import autograd
from .tensor import Tensor

__all__ = ["Function", "FunctionCtx"]


class FunctionCtx:
    """Passed to ``forward`` and ``backward``: keep what backward needs here.

    ``save_for_backward(*arrays)`` stores values read back as ``saved_tensors``;
    ``needs_input_grad[i]`` tells whether input i wants a gradient. Any other
    attribute may be set freely (``ctx.axis = 1``).
    """

    def __init__(self, needs_input_grad: tuple[bool, ...]) -> None:
        self.needs_input_grad = needs_input_grad
        self.saved_tensors: tuple[Any, ...] = ()

    def save_for_backward(self, *values: Any) -> None:
        self.saved_tensors = values

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)  # declared so type checkers allow ctx.anything

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"FunctionCtx has no attribute {name!r}; set it in forward first")


class _FunctionOp:
    """Adapts a Function subclass to what the engine and viz expect of an op."""

    __slots__ = ("fn", "ctx", "name", "symbol", "formula", "latex")
    saves = "inputs"

    def __init__(self, fn: type[Function], ctx: FunctionCtx) -> None:
        self.fn, self.ctx = fn, ctx
        self.name = fn.__name__
        self.symbol = fn.__name__
        self.formula = fn.formula
        self.latex = fn.latex

    def free(self) -> None:
        """Let go of what forward saved (called when backward frees the graph)."""
        self.ctx.saved_tensors = ()

    def backward_node(self, node: autograd.Node, g: Any, needs: tuple[bool, ...],
                      create_graph: bool) -> list[Any]:
        if create_graph:
            raise RuntimeError(
                f"{self.name}.backward runs on ndarrays, so it cannot be differentiated again "
                "(create_graph=True). Write the backward with autograd_lite ops in a plain "
                "Python function instead of a Function to get higher derivatives.")
        result = self.fn.backward(self.ctx, g)
        grads = list(result) if isinstance(result, (tuple, list)) else [result]
        if len(grads) != len(node.inputs):
            raise RuntimeError(f"{self.name}.backward returned {len(grads)} gradient(s) but "
                               f"forward took {len(node.inputs)} input(s); return one per "
                               "input (None for inputs without a gradient)")
        for i, (x, gi) in enumerate(zip(node.inputs, grads)):
            if not needs[i]:
                grads[i] = None
                continue
            if gi is None:
                raise RuntimeError(f"{self.name}.backward returned None for input {i}, "
                                   "which requires grad")
            gi = np.asarray(gi.data if isinstance(gi, Tensor) else gi)
            if gi.shape != x.shape:
                raise RuntimeError(
                    f"{self.name}.backward returned a gradient of shape {gi.shape} for input "
                    f"{i} of shape {x.shape}; a gradient must have its input's shape "
                    "(sum over broadcast axes yourself)")
            grads[i] = gi.astype(x.dtype, copy=False)
        return grads


class Function:
    """Base class for custom differentiable ops (see the module docstring).

    ``forward(ctx, *inputs)`` receives ndarrays (Tensors are unwrapped, other
    arguments passed as they are) and returns an ndarray; ``backward(ctx,
    grad)`` returns one gradient per input. Only a floating-point output is
    recorded: a bool or integer output never requires grad and has no node.
    Set ``formula``/``latex`` to have the derivative shown in graphs. Call it
    as ``MyFunction.apply(x, ...)``.
    """

    formula: ClassVar[tuple[str, ...]] = ("custom Function",)
    latex: ClassVar[tuple[str, ...]] = (r"\text{custom Function}",)

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any) -> Any:
        raise NotImplementedError("a Function subclass must define forward(ctx, *inputs)")

    @staticmethod
    def backward(ctx: FunctionCtx, grad: Any) -> Any:
        raise NotImplementedError("a Function subclass must define backward(ctx, grad)")

    @classmethod
    def apply(cls, *args: Any) -> Tensor:
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        ctx = FunctionCtx(needs)
        arrays = [a.data if isinstance(a, Tensor) else a for a in args]
        data = np.asarray(cls.forward(ctx, *arrays))
        # Only floating outputs have a gradient; bool/int results come back plain.
        record = autograd.is_grad_enabled() and any(needs) and data.dtype.kind == "f"
        out = Tensor._wrap(data, record)
        if record:
            saved = tuple((a._vc, a._vc[0]) for a in args if isinstance(a, Tensor))
            out._node = autograd.Node(_FunctionOp(cls, ctx), tuple(args), {}, None, saved,
                                      autograd.current_scope())
        if autograd._state.anomaly:
            autograd._check_forward(cls.__name__, out, data)
        return out
