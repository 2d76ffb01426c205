"""The op families and their public functions; also how numpy calls reach them.

Importing this package registers every op in ``ops.registry.REGISTRY``.

numpy functions called on Tensors (``np.sum(t, axis=0)``) reach our ops with
numpy's parameters, positional or keyword, mapped to ours (``a_min=``/``a_max=``
-> ``min``/``max``, ``correction=`` -> ``ddof``, ...); ``out=None`` and
``dtype=None`` are dropped. A numpy keyword our op does not support
(``dtype=float64``, ``where=``, ``initial=``, ...) runs plain numpy when no
tensor requires grad, and is a TypeError naming the keyword otherwise.

>>> import numpy as np, autograd_lite as ag
>>> x = ag.tensor([0.0, 1.0], requires_grad=True)
>>> np.exp(x)          # dispatched to ag.exp: the graph is kept
tensor([1.    , 2.7183], dtype=float32, grad_fn=<exp>)
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..autograd import is_grad_enabled
from ..tensor import Tensor, as_operand
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
    np.tanh: tanh, np.maximum: maximum, np.minimum: minimum,
    np.matmul: lambda a, b: matmul(as_operand(a, "matmul"), as_operand(b, "matmul")),
    **{u: (lambda a, b, u=u: compare(u, a, b)) for u in (
        np.less, np.less_equal, np.greater, np.greater_equal, np.equal, np.not_equal)},
}


@dataclass(frozen=True)
class _Adapter:
    """How a numpy function's arguments map onto one of our ops.

    ``params``: numpy's parameter names in positional order (the first is the
    array, or the sequence of arrays, passed to ``op`` positionally);
    ``rename``: numpy keyword -> our keyword (names not listed are unsupported);
    ``ignore``: numpy keyword -> the value that means "not used" (dropped).
    """

    op: Callable[..., Any]
    params: tuple[str, ...]
    rename: dict[str, str]
    ignore: dict[str, Any] = field(default_factory=dict)


def _reshape_kw(x: Any, shape: Any) -> Tensor:
    return reshape(x, shape)


def _transpose_kw(x: Any, axes: Any = None) -> Tensor:
    return transpose(x) if axes is None else transpose(x, axes)


_REDUCE_RENAME = {"axis": "axis", "keepdims": "keepdims"}
_NOT_GIVEN = {"out": None, "dtype": None}  # numpy's "not given" values
_ADAPTERS: dict[Any, _Adapter] = {
    np.sum: _Adapter(sum, ("a", "axis", "dtype", "out", "keepdims", "initial", "where"),
                     _REDUCE_RENAME, _NOT_GIVEN),
    np.mean: _Adapter(mean, ("a", "axis", "dtype", "out", "keepdims"), _REDUCE_RENAME, _NOT_GIVEN),
    np.max: _Adapter(max, ("a", "axis", "out", "keepdims", "initial", "where"),
                     _REDUCE_RENAME, _NOT_GIVEN),
    np.min: _Adapter(min, ("a", "axis", "out", "keepdims", "initial", "where"),
                     _REDUCE_RENAME, _NOT_GIVEN),
    np.var: _Adapter(var, ("a", "axis", "dtype", "out", "ddof", "keepdims"),
                     {**_REDUCE_RENAME, "ddof": "ddof", "correction": "ddof"}, _NOT_GIVEN),
    # numpy 2 spells the bounds a_min/a_max or min/max (not both).
    np.clip: _Adapter(clip, ("a", "a_min", "a_max", "out"),
                      {"a_min": "min", "a_max": "max", "min": "min", "max": "max"}, _NOT_GIVEN),
    # numpy 2.0 calls the shape `newshape`, 2.1+ `shape`; our reshape is C order only.
    np.reshape: _Adapter(_reshape_kw, ("a", "shape", "order"),
                         {"shape": "shape", "newshape": "shape"}, {"order": "C", "copy": None}),
    np.transpose: _Adapter(_transpose_kw, ("a", "axes"), {"axes": "axes"}),
    np.swapaxes: _Adapter(swapaxes, ("a", "axis1", "axis2"), {"axis1": "axis1", "axis2": "axis2"}),
    np.squeeze: _Adapter(squeeze, ("a", "axis"), {"axis": "axis"}),
    np.expand_dims: _Adapter(expand_dims, ("a", "axis"), {"axis": "axis"}),
    np.broadcast_to: _Adapter(broadcast_to, ("array", "shape", "subok"), {"shape": "shape"},
                              {"subok": False}),
    np.concatenate: _Adapter(concatenate, ("arrays", "axis", "out"), {"axis": "axis"},
                             {**_NOT_GIVEN, "casting": "same_kind"}),
    np.stack: _Adapter(stack, ("arrays", "axis", "out"), {"axis": "axis"},
                       {**_NOT_GIVEN, "casting": "same_kind"}),
    np.split: _Adapter(split, ("ary", "indices_or_sections", "axis"),
                       {"indices_or_sections": "indices_or_sections", "axis": "axis"}),
    np.where: _Adapter(where, ("condition", "x", "y"), {"x": "a", "y": "b"}),
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


def _needs_graph(args: Any, kwargs: Any) -> bool:
    return is_grad_enabled() and any(t.requires_grad for t in _tensors_in([args, kwargs]))


def _run_numpy(call: Callable[..., Any], args: Any, kwargs: Any) -> Any:
    result = call(*_unwrap(args), **_unwrap(kwargs))
    return Tensor._wrap(result, False) if isinstance(result, np.ndarray) else result


def _fallback(name: str, call: Callable[..., Any], args: Any, kwargs: Any) -> Any:
    """Run numpy on the plain arrays, unless that would cut a recorded graph."""
    if _needs_graph(args, kwargs):
        package = sys.modules.get(__name__.rpartition(".")[0])  # autograd_lite itself
        instead = (f"Use ag.{name} instead" if package is not None and hasattr(package, name)
                   else "Write it with autograd_lite ops")
        raise TypeError(
            f"numpy.{name} is not differentiable in autograd_lite and would drop the graph "
            f"of a tensor that requires grad. {instead}, or call it on x.detach().numpy().")
    return _run_numpy(call, args, kwargs)


def _unsupported(name: str, keywords: list[str], call: Callable[..., Any], args: Any,
                 kwargs: Any) -> Any:
    """numpy with keywords our op lacks: plain numpy if no graph is at stake, else a TypeError."""
    if _needs_graph(args, kwargs):
        listed = ", ".join(repr(k) for k in keywords)
        raise TypeError(
            f"numpy.{name}: keyword {listed} is not supported by autograd_lite's {name}, and "
            f"running numpy instead would drop the graph of a tensor that requires grad. "
            f"Leave out {listed}, or call it on x.detach().numpy().")
    return _run_numpy(call, args, kwargs)


def _adapt(name: str, adapter: _Adapter, args: tuple[Any, ...],
           kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any], list[str]]:
    """numpy's (args, kwargs) as (our positional args, our kwargs, unsupported keywords)."""
    if len(args) > len(adapter.params):
        raise TypeError(f"numpy.{name}() takes at most {len(adapter.params)} positional "
                        f"arguments ({len(args)} given)")
    given = dict(zip(adapter.params, args))
    for key, value in kwargs.items():
        if key in given:
            raise TypeError(f"numpy.{name}() got multiple values for argument {key!r}")
        given[key] = value
    first = adapter.params[0]
    positional = (given.pop(first),) if first in given else ()
    ours: dict[str, Any] = {}
    unsupported: list[str] = []
    for key, value in given.items():
        if key in adapter.ignore and _is_default(value, adapter.ignore[key]):
            continue
        target = adapter.rename.get(key)
        if target is None:
            unsupported.append(key)
        elif target in ours:
            raise TypeError(f"numpy.{name}() got multiple values for {target!r} "
                            f"(both as {key!r} and as another spelling)")
        else:
            ours[target] = value
    return positional, ours, unsupported


def _is_default(value: Any, default: Any) -> bool:
    return value is default if default is None or isinstance(default, bool) else (
        isinstance(value, str) and value == default)


def dispatch_ufunc(ufunc: Any, method: str, inputs: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``Tensor.__array_ufunc__``: route numpy ufuncs to our ops.

    >>> import autograd_lite as ag
    >>> np.ones(2) * ag.tensor([1.0, 2.0], requires_grad=True)
    tensor([1., 2.], dtype=float64, grad_fn=<mul>)
    """
    op = _UFUNCS.get(ufunc)
    if op is not None and method == "__call__":
        if not kwargs:  # numpy has already dropped out=None
            return op(*inputs)
        return _unsupported(ufunc.__name__, sorted(kwargs), ufunc, inputs, kwargs)
    name = ufunc.__name__ if method == "__call__" else f"{ufunc.__name__}.{method}"
    return _fallback(name, getattr(ufunc, method), inputs, kwargs)


def dispatch_function(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``Tensor.__array_function__``: route numpy functions to our ops.

    >>> import autograd_lite as ag
    >>> np.sum(ag.tensor([1.0, 2.0], requires_grad=True))
    tensor(3., dtype=float32, grad_fn=<sum>)
    >>> np.clip(ag.tensor([-2.0, 2.0], requires_grad=True), a_min=-1.0, a_max=1.0)
    tensor([-1.,  1.], dtype=float32, grad_fn=<clip>)
    """
    adapter = _ADAPTERS.get(func)
    if func is np.where and len(args) + len(kwargs) == 1:
        adapter = None  # np.where(cond) alone is np.nonzero: indices, no graph
    if adapter is None:
        return _fallback(func.__name__, func, args, kwargs)
    positional, ours, unsupported = _adapt(func.__name__, adapter, args, kwargs)
    if unsupported:
        return _unsupported(func.__name__, unsupported, func, args, kwargs)
    return adapter.op(*positional, **ours)
