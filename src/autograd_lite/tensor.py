"""Tensor: an ndarray plus what reverse-mode autodiff needs to know about it.

Operators and methods delegate to the op registry (``autograd_lite.ops``);
this module only holds the data, the dtype rules and the in-place rules.

>>> import autograd_lite as ag
>>> x = ag.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
>>> y = (x @ x.T).sigmoid().sum()
>>> y.backward()
>>> x.grad.shape
(2, 2)
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .autograd import Node

__all__ = ["Tensor", "tensor", "set_default_dtype", "get_default_dtype"]

_default_dtype: np.dtype[Any] = np.dtype(np.float32)


def set_default_dtype(dtype: Any) -> None:
    """Set the dtype of new float tensors made from Python numbers (float32 at start).

    >>> set_default_dtype("float64"); get_default_dtype()
    dtype('float64')
    >>> set_default_dtype("float32")
    """
    global _default_dtype
    d = np.dtype(dtype)
    if d.kind != "f":
        raise TypeError(f"set_default_dtype: {d} is not a floating-point dtype; "
                        "use float32 or float64")
    _default_dtype = d


def get_default_dtype() -> np.dtype[Any]:
    """The dtype of new float tensors made from Python numbers.

    >>> get_default_dtype()
    dtype('float32')
    """
    return _default_dtype


def _to_array(data: Any, dtype: Any) -> np.ndarray:
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        return np.array(data, dtype=dtype)
    if isinstance(data, (np.ndarray, np.generic)):
        return np.array(data)  # ndarrays keep their dtype
    arr = np.array(data)
    if arr.dtype.kind == "f" and arr.dtype != _default_dtype:
        arr = arr.astype(_default_dtype)
    elif arr.dtype.kind not in "biuf":
        raise TypeError(f"Tensor: cannot make a tensor from {type(data).__name__} "
                        f"(numpy dtype {arr.dtype}); pass numbers, nested lists or an ndarray")
    return arr


def as_operand(value: Any, op: str = "operand") -> Any:
    """A Python list or tuple operand as an ndarray made like ``tensor(value)``; others as is.

    So ``[1.0, 2.0] + x`` uses the default float dtype, exactly as if the list
    had been passed to ``ag.tensor`` (numpy would make it float64). Tensors,
    ndarrays and numbers are returned unchanged: Python numbers stay numbers
    (weak under NEP 50), numpy scalars and ndarrays follow numpy's promotion.
    A list holding tensors that require grad is refused: converting it would
    silently drop their graph.

    >>> as_operand([1.0, 2.0]).dtype, as_operand((1, 2)).dtype, as_operand(2.0)
    (dtype('float32'), dtype('int64'), 2.0)
    """
    if type(value) is not list and type(value) is not tuple:
        return value
    if _autograd.is_grad_enabled() and _holds_grad_tensor(value):
        raise TypeError(f"{op}: a list operand holding tensors that require grad would "
                        "drop their graph; join them first with ag.stack([...])")
    return _to_array(value, None)


def _holds_grad_tensor(value: Any) -> bool:
    if isinstance(value, Tensor):
        return value.requires_grad
    if isinstance(value, (list, tuple)):
        return any(_holds_grad_tensor(v) for v in value)
    return False


class _RemovableHandle:
    """Returned by ``register_hook``; ``.remove()`` unregisters the hook."""

    def __init__(self, hooks: list[Callable[..., Any]], hook: Callable[..., Any]) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


class Tensor:
    """An n-dimensional array that can record the operations made with it.

    ``Tensor(data, requires_grad=False, dtype=None, name=None)``: Python floats
    become the default dtype (float32), ndarrays keep theirs, the data is
    copied. Only real floating-point tensors can require grad.

    Operands of operators and elementwise ops: a Python float or int never
    upcasts (``x * 2.0`` stays float32, NEP 50); numpy scalars and ndarrays
    follow numpy (``x * np.float64(2.0)`` is float64); a Python list or tuple
    converts like ``ag.tensor`` (``[1.0, 2.0] + x`` stays float32).

    >>> w = Tensor([1.0, 2.0], requires_grad=True, name="w")
    >>> w
    tensor([1., 2.], dtype=float32, requires_grad=True, name='w')
    """

    __slots__ = ("data", "requires_grad", "grad", "name", "_node", "_vc", "_hooks",
                 "__weakref__")
    # Numpy must hand ufuncs and array functions on Tensors to us (so that
    # `ndarray * tensor` and `np.exp(tensor)` keep the graph), never unwrap them.
    __array_priority__ = 1000

    data: np.ndarray
    grad: Tensor | None
    _node: Node | None

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None,
                 name: str | None = None) -> None:
        self.data = _to_array(data, dtype)
        self.grad = None
        self.name = name
        self._node = None
        self._vc = [0]
        self._hooks: list[Callable[[Tensor], Any]] | None = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, data: np.ndarray, requires_grad: bool = False) -> Tensor:
        """Make a tensor around ``data`` without copying or checks (engine use)."""
        t = cls.__new__(cls)
        t.data = data
        t.requires_grad = requires_grad
        t.grad = None
        t.name = None
        t._node = None
        t._vc = [0]
        t._hooks = None
        return t

    # ------------------------------------------------------------ properties
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype[Any]:
        return self.data.dtype

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def T(self) -> Tensor:
        """The transpose (axes reversed), like ``ndarray.T``."""
        return _ops.transpose(self)

    @property
    def is_leaf(self) -> bool:
        """True for tensors not made by a recorded op (user-created, or no grad)."""
        return self._node is None

    @property
    def grad_fn(self) -> Node | None:
        """The node that made this tensor, or None for a leaf."""
        return self._node

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self) -> Iterator[Tensor]:
        for i in range(len(self)):
            yield self[i]

    # By identity (``__eq__`` is elementwise), as object's C slot: Tensors key the
    # optimizer's state, looked up for every parameter on every step.
    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.data)

    def __int__(self) -> int:
        return int(self.data)

    def __index__(self) -> int:
        if self.dtype.kind not in "iu":
            raise TypeError(f"only integer tensors can be used as an index, not {self.dtype}")
        return int(self.data)

    # ------------------------------------------------------------ conversion
    def numpy(self) -> np.ndarray:
        """The data as an ndarray (shared, not copied; no graph).

        >>> Tensor([1.0]).numpy()
        array([1.], dtype=float32)
        """
        return self.data

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if copy:
            return np.array(self.data, dtype=dtype, copy=True)
        return self.data if dtype is None else self.data.astype(dtype, copy=False)

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number.

        >>> Tensor([[2.5]]).item()
        2.5
        """
        if self.data.size != 1:
            raise ValueError(f"item: only one-element tensors can be converted to a Python "
                             f"number; this one has shape {self.shape}")
        return self.data.item()

    def tolist(self) -> Any:
        """Nested Python lists of the values."""
        return self.data.tolist()

    def to(self, dtype: Any) -> Tensor:
        """Cast to ``dtype``; differentiable between float dtypes.

        >>> Tensor([1.0]).to("float64").dtype
        dtype('float64')
        """
        return _ops.astype(self, np.dtype(dtype))

    def float(self) -> Tensor:
        """Cast to float32."""
        return self.to(np.float32)

    def double(self) -> Tensor:
        """Cast to float64."""
        return self.to(np.float64)

    def clone(self) -> Tensor:
        """A copy with its own memory that stays in the graph."""
        return _ops.copy(self)

    def detach(self) -> Tensor:
        """The same data, cut from the graph (shares memory and version counter).

        >>> w = Tensor([1.0], requires_grad=True)
        >>> (w * 2).detach().requires_grad
        False
        """
        t = Tensor._wrap(self.data, False)
        t._vc = self._vc
        return t

    # ------------------------------------------------------------ autograd
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Start (or stop) recording operations on this leaf; returns self.

        Only real floating dtypes (float16/32/64) can require grad.
        """
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(
                f"requires_grad: only real floating-point tensors can require grad, this one "
                f"is {self.dtype}. Convert it first, e.g. ag.tensor(data, dtype='float32') or "
                "x.float()" + (" (complex gradients are not supported: the vjps do not "
                               "conjugate)" if self.data.dtype.kind == "c" else ""))
        if not requires_grad and self._node is not None:
            raise RuntimeError("requires_grad_: this tensor was made by an op; use .detach() "
                               "to get a tensor that does not require grad")
        self.requires_grad = requires_grad
        return self

    def backward(self, gradient: Any = None, retain_graph: bool | None = None,
                 create_graph: bool = False) -> None:
        """Accumulate the gradient of this tensor into ``.grad`` of the leaves.

        A one-element output seeds 1; others need ``gradient`` of their shape.
        Saved values are freed unless ``retain_graph=True``; ``create_graph=True``
        records the backward pass so that the gradients can be differentiated.

        >>> x = Tensor([1.0, 2.0], requires_grad=True)
        >>> (x ** 2).backward(gradient=[1.0, 1.0])
        >>> x.grad
        tensor([2., 4.], dtype=float32)
        """
        _autograd.grad_of([self], [gradient], retain_graph=retain_graph, create_graph=create_graph)

    def retain_grad(self) -> None:
        """Keep this non-leaf's gradient in ``.grad`` after backward."""
        if self._node is None:
            if not self.requires_grad:
                raise RuntimeError("retain_grad: this tensor does not require grad")
            return
        self._node.retained = _weakref.ref(self)

    def register_hook(self, hook: Callable[[Tensor], Any]) -> _RemovableHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed.

        A hook may return a new gradient to use instead. Returns a handle
        whose ``.remove()`` unregisters it.

        >>> x = Tensor([1.0, 2.0], requires_grad=True)
        >>> h = x.register_hook(lambda g: g * 10)
        >>> (x * 1).sum().backward(); x.grad
        tensor([10., 10.], dtype=float32)
        """
        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that "
                               "does not require grad")
        if self._node is not None:
            if self._node.hooks is None:
                self._node.hooks = []
            hooks = self._node.hooks
        else:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        hooks.append(hook)
        return _RemovableHandle(hooks, hook)

    def zero_(self) -> Tensor:
        """Fill with zeros in place (follows the in-place rules)."""
        self._check_inplace("zero_")
        self.data[...] = 0
        self._vc[0] += 1
        return self

    # ------------------------------------------------------------ in place
    def _check_inplace(self, what: str, other: Any = None) -> None:
        if (isinstance(other, Tensor) and other.requires_grad and not self.requires_grad
                and _autograd.is_grad_enabled()):
            raise RuntimeError(
                f"{what}: the value requires grad but this tensor does not, so its graph "
                "would be silently dropped. Write it out of place (x = x + y), or do it "
                "inside `with ag.no_grad():` if no gradient is wanted.")
        if self.requires_grad and _autograd.is_grad_enabled():
            kind = "a leaf that requires grad" if self._node is None else \
                "a tensor that is part of a graph"
            raise RuntimeError(
                f"{what}: in-place change of {kind} would make its gradient wrong. "
                "Write it out of place (x = x + y), or, to update parameters, do it "
                "inside `with ag.no_grad():`.")

    def _inplace(self, what: str, ufunc: Any, other: Any) -> Tensor:
        self._check_inplace(what, other)
        value = other.data if isinstance(other, Tensor) else other
        ufunc(self.data, value, out=self.data, casting="same_kind")
        self._vc[0] += 1
        return self

    def __iadd__(self, other: Any) -> Tensor:
        return self._inplace("+=", np.add, other)

    def __isub__(self, other: Any) -> Tensor:
        return self._inplace("-=", np.subtract, other)

    def __imul__(self, other: Any) -> Tensor:
        return self._inplace("*=", np.multiply, other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._inplace("/=", np.divide, other)

    def __setitem__(self, index: Any, value: Any) -> None:
        self._check_inplace("x[i] = v", value)
        self.data[_ops.normalize_index(index, copy=False)] = (
            value.data if isinstance(value, Tensor) else value)
        self._vc[0] += 1

    # ------------------------------------------------------------ repr
    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(", precision=4,
                               threshold=50, edgeitems=3)
        extras = [f"dtype={self.dtype}"]
        if self._node is not None:
            extras.append(f"grad_fn=<{self._node.name}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        return f"tensor({body}, {', '.join(extras)})"

    # ------------------------------------------------------------ numpy dispatch
    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        return _ops.dispatch_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        return _ops.dispatch_function(func, args, kwargs)

    # ------------------------------------------------------------ operators
    def __add__(self, other: Any) -> Tensor:
        return _ops.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return _ops.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return _ops.sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return _ops.sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return _ops.mul(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return _ops.mul(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return _ops.div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return _ops.div(other, self)

    def __pow__(self, other: Any) -> Tensor:
        return _ops.pow(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return _ops.pow(other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return _ops.matmul(self, as_operand(other, "matmul"))

    def __rmatmul__(self, other: Any) -> Tensor:
        return _ops.matmul(as_operand(other, "matmul"), self)

    def __neg__(self) -> Tensor:
        return _ops.neg(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return _ops.abs(self)

    def __getitem__(self, index: Any) -> Tensor:
        return _ops.getitem(self, index)

    # Comparisons give boolean tensors that never require grad.
    def __lt__(self, other: Any) -> Tensor:
        return _ops.compare(np.less, self, other)

    def __le__(self, other: Any) -> Tensor:
        return _ops.compare(np.less_equal, self, other)

    def __gt__(self, other: Any) -> Tensor:
        return _ops.compare(np.greater, self, other)

    def __ge__(self, other: Any) -> Tensor:
        return _ops.compare(np.greater_equal, self, other)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _ops.compare(np.equal, self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _ops.compare(np.not_equal, self, other)

    def __and__(self, other: Any) -> Tensor:
        return _ops.compare(np.logical_and, self, other)

    def __or__(self, other: Any) -> Tensor:
        return _ops.compare(np.logical_or, self, other)

    def __invert__(self) -> Tensor:
        return _ops.compare(np.logical_xor, self, True)

    # ------------------------------------------------------------ methods
    def exp(self) -> Tensor:
        return _ops.exp(self)

    def log(self) -> Tensor:
        return _ops.log(self)

    def sqrt(self) -> Tensor:
        return _ops.sqrt(self)

    def tanh(self) -> Tensor:
        return _ops.tanh(self)

    def sigmoid(self) -> Tensor:
        return _ops.sigmoid(self)

    def relu(self) -> Tensor:
        return _ops.relu(self)

    def leaky_relu(self, negative_slope: builtins.float = 0.01) -> Tensor:
        return _ops.leaky_relu(self, negative_slope)

    def abs(self) -> Tensor:
        return _ops.abs(self)

    def clip(self, min: Any = None, max: Any = None) -> Tensor:
        return _ops.clip(self, min, max)

    def maximum(self, other: Any) -> Tensor:
        return _ops.maximum(self, other)

    def minimum(self, other: Any) -> Tensor:
        return _ops.minimum(self, other)

    def sum(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return _ops.sum(self, axis, keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return _ops.mean(self, axis, keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return _ops.max(self, axis, keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return _ops.min(self, axis, keepdims)

    def var(self, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
        return _ops.var(self, axis, keepdims, ddof)

    def logsumexp(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return _ops.logsumexp(self, axis, keepdims)

    def softmax(self, axis: int | tuple[int, ...] | None = -1) -> Tensor:
        return _ops.softmax(self, axis)

    def log_softmax(self, axis: int | tuple[int, ...] | None = -1) -> Tensor:
        return _ops.log_softmax(self, axis)

    def matmul(self, other: Any) -> Tensor:
        return _ops.matmul(self, as_operand(other, "matmul"))

    def reshape(self, *shape: Any) -> Tensor:
        return _ops.reshape(self, *shape)

    def transpose(self, *axes: Any) -> Tensor:
        return _ops.transpose(self, *axes)

    def swapaxes(self, axis1: int, axis2: int) -> Tensor:
        return _ops.swapaxes(self, axis1, axis2)

    def squeeze(self, axis: Any = None) -> Tensor:
        return _ops.squeeze(self, axis)

    def expand_dims(self, axis: Any) -> Tensor:
        return _ops.expand_dims(self, axis)

    def broadcast_to(self, shape: Any) -> Tensor:
        return _ops.broadcast_to(self, shape)

    def flatten(self, start_axis: int = 0) -> Tensor:
        return _ops.flatten(self, start_axis)

    def split(self, indices_or_sections: Any, axis: int = 0) -> list[Tensor]:
        return _ops.split(self, indices_or_sections, axis)


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None,
           name: str | None = None) -> Tensor:
    """Make a Tensor; the same as ``Tensor(...)``.

    >>> tensor([1, 2]).dtype, tensor([1.0, 2.0]).dtype
    (dtype('int64'), dtype('float32'))
    """
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, name=name)


# Bound late: these modules import Tensor from here.
import weakref as _weakref  # noqa: E402

from . import autograd as _autograd  # noqa: E402
from . import ops as _ops  # noqa: E402
