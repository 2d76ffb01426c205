"""Function transforms: grad, value_and_grad, vjp, jacobian, hessian.

Each wraps a Python function of Tensors. They compose: inside another
transform, an argument that the outer one is tracing is differentiated
with its backward recorded, which is why ``grad(grad(f))`` works. Outside
any transform the arguments are copied into fresh leaves, so
``ag.grad(f)(w)`` for a parameter ``w`` returns a plain gradient and leaves
``w.grad`` alone.

>>> import autograd_lite as ag
>>> f = lambda x: x ** 3
>>> ag.grad(f)(2.0), ag.grad(ag.grad(f))(2.0)
(tensor(12., dtype=float32), tensor(12., dtype=float32))
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from .autograd import enable_grad, grad_of, is_grad_enabled
from .tensor import Tensor, get_default_dtype

__all__ = ["grad", "value_and_grad", "vjp", "jacobian", "hessian"]

ArgNums = int | Sequence[int]


class _Depth(threading.local):
    value = 0


_depth = _Depth()  # how many transforms are running f right now (per thread)


@contextlib.contextmanager
def _tracing() -> Iterator[None]:
    """Run the user's function with grad on, as one more level of transform."""
    _depth.value += 1
    try:
        with enable_grad():
            yield
    finally:
        _depth.value -= 1


def _prepare(args: Sequence[Any], argnums: ArgNums, fname: str) -> tuple[list[Any], list[Tensor], bool]:
    """Make the differentiated arguments Tensors that require grad.

    Returns the new argument list, the targets, and whether an outer transform
    is tracing an argument (then the backward must be recorded: create_graph).
    """
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    args = list(args)
    targets: list[Tensor] = []
    nested = False
    for i in nums:
        if not -len(args) <= i < len(args):
            raise ValueError(f"{fname}: argnums {i} is out of range for {len(args)} argument(s)")
        a = args[i]
        if (_depth.value and isinstance(a, Tensor) and a.requires_grad
                and is_grad_enabled()):
            nested = True
            t = a
        else:
            data = Tensor(a).data  # copies; Python numbers get the default dtype
            if data.dtype.kind == "c":
                raise TypeError(f"{fname}: argument {i} is complex ({data.dtype}); only real "
                                "floating-point arguments can be differentiated")
            if data.dtype.kind != "f":
                data = data.astype(get_default_dtype())
            t = Tensor._wrap(data, True)
        args[i] = t
        targets.append(t)
    return args, targets, nested


def _filled(grads: list[Tensor | None], targets: list[Tensor]) -> list[Tensor]:
    """Unused inputs get zero gradients, as the math says."""
    return [g if g is not None else Tensor._wrap(np.zeros_like(t.data)) for g, t in
            zip(grads, targets)]


def value_and_grad(f: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., tuple[Any, Any]]:
    """A function returning ``(f(*args), df/d(args[argnums]))``; f must return one number.

    >>> import autograd_lite as ag
    >>> ag.value_and_grad(lambda x, y: (x * y).sum(), argnums=(0, 1))(2.0, 3.0)
    (tensor(6., dtype=float32), (tensor(3., dtype=float32), tensor(2., dtype=float32)))
    """

    def wrapped(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        new_args, targets, nested = _prepare(args, argnums, "grad")
        with _tracing():
            out = f(*new_args, **kwargs)
        if not isinstance(out, Tensor) or out.size != 1:
            shape = getattr(out, "shape", type(out).__name__)
            raise TypeError(f"grad: f must return a single-element Tensor, got {shape}; "
                            "use ag.jacobian or ag.vjp for other outputs")
        if not out.requires_grad:
            grads: list[Tensor] = _filled([None] * len(targets), targets)
        else:
            grads = _filled(grad_of([out], inputs=targets, create_graph=nested), targets)
        value = out if nested else out.detach()
        return value, (grads[0] if isinstance(argnums, int) else tuple(grads))

    return wrapped


def grad(f: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., Any]:
    """A function returning the gradient of ``f`` (a scalar function) w.r.t. ``args[argnums]``.

    >>> import autograd_lite as ag
    >>> ag.grad(lambda x: (x ** 2).sum())(ag.tensor([1.0, 2.0]))
    tensor([2., 4.], dtype=float32)
    """

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return value_and_grad(f, argnums)(*args, **kwargs)[1]

    return wrapped


def vjp(f: Callable[..., Any], *args: Any) -> tuple[Tensor, Callable[[Any], tuple[Tensor, ...]]]:
    """``(f(*args), vjp_fn)`` where ``vjp_fn(v)`` gives vᵀ·J for each argument.

    >>> import autograd_lite as ag
    >>> out, vjp_fn = ag.vjp(lambda x: x * 3, ag.tensor([1.0, 2.0]))
    >>> vjp_fn([1.0, 10.0])
    (tensor([ 3., 30.], dtype=float32),)
    """
    new_args, targets, nested = _prepare(args, tuple(range(len(args))), "vjp")
    with _tracing():
        out = f(*new_args)
    if not isinstance(out, Tensor):
        raise TypeError(f"vjp: f must return a Tensor, got {type(out).__name__}")

    def vjp_fn(v: Any) -> tuple[Tensor, ...]:
        if not out.requires_grad:
            return tuple(_filled([None] * len(targets), targets))
        grads = grad_of([out], [v], inputs=targets, retain_graph=True, create_graph=nested)
        return tuple(_filled(grads, targets))

    return (out if nested else out.detach()), vjp_fn


def jacobian(f: Callable[..., Any], argnums: int = 0) -> Callable[..., Tensor]:
    """A function returning ∂f/∂x with shape ``f(x).shape + x.shape``.

    >>> import autograd_lite as ag
    >>> ag.jacobian(lambda x: x ** 2)(ag.tensor([1.0, 2.0]))
    tensor([[2., 0.],
            [0., 4.]], dtype=float32)
    """

    if not isinstance(argnums, int):
        raise TypeError(f"jacobian: argnums must be one int, got {argnums!r}; call jacobian "
                        "once per argument")

    def wrapped(*args: Any, **kwargs: Any) -> Tensor:
        new_args, (x,), nested = _prepare(args, argnums, "jacobian")
        with _tracing():
            out = f(*new_args, **kwargs)
        if not isinstance(out, Tensor):
            raise TypeError(f"jacobian: f must return a Tensor, got {type(out).__name__}")
        rows: list[Tensor] = []
        for i in range(out.size):
            seed = np.zeros(out.size, dtype=out.dtype)
            seed[i] = 1
            if out.requires_grad:
                (g,) = grad_of([out], [seed.reshape(out.shape)], inputs=[x], retain_graph=True,
                               create_graph=nested)
            else:
                g = None
            rows.append(_filled([g], [x])[0])
        if nested:
            from .ops import reshape, stack
            return reshape(stack(rows), out.shape + x.shape)
        data = np.stack([r.data for r in rows]) if rows else np.zeros((0,) + x.shape, x.dtype)
        return Tensor._wrap(data.reshape(out.shape + x.shape))

    return wrapped


def hessian(f: Callable[..., Any], argnums: int = 0) -> Callable[..., Tensor]:
    """A function returning the matrix of second derivatives of a scalar ``f``.

    >>> import autograd_lite as ag
    >>> ag.hessian(lambda x: (x[0] ** 2) * x[1])(ag.tensor([1.0, 3.0]))
    tensor([[6., 2.],
            [2., 0.]], dtype=float32)
    """
    return jacobian(grad(f, argnums), argnums)
