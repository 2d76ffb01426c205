"""The op families and their public functions; also how numpy calls reach them.

Importing this package registers every op in ``ops.registry.REGISTRY``.

>>> import numpy as np, autograd_lite as ag
>>> x = ag.tensor([0.0, 1.0], requires_grad=True)
>>> np.exp(x)          # dispatched to ag.exp: the graph is kept
tensor([1.    , 2.7183], dtype=float32, grad_fn=<exp>)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..autograd import is_grad_enabled
from ..tensor import Tensor
from .elementwise import (abs, add, astype, clip, copy, div, exp, leaky_relu, log, maximum,
                          minimum, mul, neg, pow, relu, sigmoid, sqrt, sub, tanh, where)
from .fused import cross_entropy, linear
from .linalg import matmul
from .reduce import logsumexp, max, mean, min, normalize_axis, sum, var
from ..registry import REGISTRY
from .shape import (broadcast_to, concatenate, expand_dims, flatten, getitem, normalize_index,
                    reshape, split, squeeze, stack, swapaxes, transpose)
from .softmax import log_softmax, softmax

__all__ = [
    "REGISTRY", "abs", "add", "astype", "clip", "copy", "div", "exp", "leaky_relu", "log",
    "maximum", "minimum", "mul", "neg", "pow", "relu", "sigmoid", "sqrt", "sub", "tanh", "where",
    "matmul", "logsumexp", "max", "mean", "min", "sum", "var", "broadcast_to", "concatenate",
    "expand_dims", "flatten", "getitem", "reshape", "split", "squeeze", "stack", "swapaxes",
    "transpose", "softmax", "log_softmax", "linear", "cross_entropy", "compare", "normalize_axis",
    "normalize_index", "dispatch_ufunc", "dispatch_function",
]


def compare(ufunc: Any, a: Any, b: Any) -> Tensor:
    """A boolean tensor from a numpy comparison ufunc; it never requires grad.

    >>> import autograd_lite as ag
    >>> compare(np.greater, ag.tensor([1.0, 3.0]), 2.0)
    tensor([False,  True], dtype=bool)
    """
    a = a.data if isinstance(a, Tensor) else a
    b = b.data if isinstance(b, Tensor) else b
    return Tensor._wrap(np.asarray(ufunc(a, b)), False)


_UFUNCS: dict[Any, Callable[..., Any]] = {
    np.add: add, np.subtract: sub, np.multiply: mul, np.divide: div, np.power: pow,
    np.negative: neg, np.absolute: abs, np.exp: exp, np.log: log, np.sqrt: sqrt,
    np.tanh: tanh, np.maximum: maximum, np.minimum: minimum, np.matmul: matmul,
    **{u: (lambda a, b, u=u: compare(u, a, b)) for u in (
        np.less, np.less_equal, np.greater, np.greater_equal, np.equal, np.not_equal)},
}
_FUNCTIONS: dict[Any, Callable[..., Any]] = {
    np.sum: sum, np.mean: mean, np.max: max, np.min: min, np.var: var, np.clip: clip,
    np.reshape: reshape, np.transpose: transpose, np.swapaxes: swapaxes, np.squeeze: squeeze,
    np.expand_dims: expand_dims, np.broadcast_to: broadcast_to, np.concatenate: concatenate,
    np.stack: stack, np.split: split, np.where: where, np.matmul: matmul,
}


def _tensors_in(obj: Any) -> list[Tensor]:
    if isinstance(obj, Tensor):
        return [obj]
    if isinstance(obj, (list, tuple)):
        return [t for item in obj for t in _tensors_in(item)]
    if isinstance(obj, dict):
        return _tensors_in(list(obj.values()))
    return []


def _unwrap(obj: Any) -> Any:
    if isinstance(obj, Tensor):
        return obj.data
    if isinstance(obj, (list, tuple)):
        return type(obj)(_unwrap(item) for item in obj)
    if isinstance(obj, dict):
        return {k: _unwrap(v) for k, v in obj.items()}
    return obj


def _fallback(name: str, call: Callable[..., Any], args: Any, kwargs: Any) -> Any:
    """Run numpy on the plain arrays, unless that would cut a recorded graph."""
    if is_grad_enabled() and any(t.requires_grad for t in _tensors_in([args, kwargs])):
        raise TypeError(
            f"numpy.{name} is not differentiable in autograd_lite and would drop the graph "
            f"of a tensor that requires grad. Use the autograd_lite op of the same name if "
            f"there is one (ag.{name}), or call it on x.detach().numpy().")
    result = call(*_unwrap(args), **_unwrap(kwargs))
    return Tensor._wrap(result, False) if isinstance(result, np.ndarray) else result


def dispatch_ufunc(ufunc: Any, method: str, inputs: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``Tensor.__array_ufunc__``: route numpy ufuncs to our ops.

    >>> import autograd_lite as ag
    >>> np.ones(2) * ag.tensor([1.0, 2.0], requires_grad=True)
    tensor([1., 2.], dtype=float64, grad_fn=<mul>)
    """
    op = _UFUNCS.get(ufunc)
    if op is not None and method == "__call__" and not kwargs:
        return op(*inputs)
    return _fallback(ufunc.__name__, getattr(ufunc, method), inputs, kwargs)


def dispatch_function(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``Tensor.__array_function__``: route numpy functions to our ops.

    >>> import autograd_lite as ag
    >>> np.sum(ag.tensor([1.0, 2.0], requires_grad=True))
    tensor(3., dtype=float32, grad_fn=<sum>)
    """
    op = _FUNCTIONS.get(func)
    if func is np.where and len(args) + len(kwargs) == 1:
        op = None  # np.where(cond) alone is np.nonzero: indices, no graph
    if op is not None:
        return op(*args, **kwargs)
    return _fallback(func.__name__, func, args, kwargs)
