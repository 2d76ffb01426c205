"""Property-based testing helpers: hypothesis strategies and a gradient assertion.

Import it explicitly (``import autograd_lite`` does not, so hypothesis stays
optional): ``from autograd_lite.testing import tensors, assert_gradients_correct``.
Needs the ``testing`` extra: ``pip install autograd-lite[testing]``.

>>> from hypothesis import given
>>> import autograd_lite as ag
>>> from autograd_lite.testing import assert_gradients_correct, tensors
>>> @given(tensors())
... def test_tanh(x):
...     assert_gradients_correct(lambda x: x.tanh() * x, x)
>>> test_tanh()
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

try:
    from hypothesis import assume
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
except ImportError as exc:  # pragma: no cover - exercised only without hypothesis
    raise ImportError(
        "autograd_lite.testing needs hypothesis, which is not installed; install it with "
        "`pip install autograd-lite[testing]`") from exc

from . import autograd as _autograd
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .tensor import Tensor

__all__ = ["shapes", "broadcastable_shapes", "tensors", "assert_gradients_correct",
           "assume_away_from"]

Shape = tuple[int, ...]


def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 1,
           max_side: int = 4) -> st.SearchStrategy[Shape]:
    """Array shapes; 0-d ``()`` and size-1 axes are included by default.

    >>> from hypothesis import find
    >>> find(shapes(), lambda s: len(s) == 0), find(shapes(), lambda s: len(s) == 2)
    ((), (1, 1))
    """
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def broadcastable_shapes(num_shapes: int = 2, *, base_shape: Shape = (), min_dims: int = 0,
                         max_dims: int = 3, min_side: int = 1,
                         max_side: int = 4) -> st.SearchStrategy[tuple[tuple[Shape, ...], Shape]]:
    """``(input_shapes, result_shape)``: ``num_shapes`` shapes that broadcast together.

    Built on ``hypothesis.extra.numpy.mutually_broadcastable_shapes``; the
    result shape is what numpy broadcasting of the inputs gives.

    >>> from hypothesis import find
    >>> ins, out = find(broadcastable_shapes(), lambda s: s[0][0] != s[0][1])
    >>> np.broadcast_shapes(*ins) == out
    True
    """
    strategy = hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes, base_shape=base_shape, min_dims=min_dims, max_dims=max_dims,
        min_side=min_side, max_side=max_side)
    return strategy.map(lambda b: (tuple(b.input_shapes), tuple(b.result_shape)))


def _representable(value: float, dtype: np.dtype[Any], toward: float) -> float:
    """``value`` rounded to ``dtype``, moved inward (toward ``toward``) if rounding overshot."""
    rounded = dtype.type(value)
    if (toward > value and rounded < value) or (toward < value and rounded > value):
        rounded = np.nextafter(rounded, dtype.type(toward))
    return float(rounded)


def _default_elements(dtype: np.dtype[Any], lo: float, hi: float) -> st.SearchStrategy[Any]:
    if lo > hi:
        raise ValueError(f"tensors: min_value={lo} is greater than max_value={hi}")
    if dtype.kind == "f":
        lo_r, hi_r = _representable(lo, dtype, hi), _representable(hi, dtype, lo)
        return hnp.from_dtype(dtype, min_value=lo_r, max_value=hi_r, allow_nan=False,
                              allow_infinity=False)
    if dtype.kind in "iu":
        return hnp.from_dtype(dtype, min_value=int(np.ceil(lo)), max_value=int(np.floor(hi)))
    return hnp.from_dtype(dtype)


def tensors(shape: Shape | int | st.SearchStrategy[Shape] | None = None,
            dtype: Any = "float64", elements: st.SearchStrategy[Any] | None = None,
            requires_grad: bool = True, min_value: float = -3.0, max_value: float = 3.0,
            name: str | None = None) -> st.SearchStrategy[Tensor]:
    """Tensors of ``dtype`` (float64 by default) that require grad by default.

    ``shape`` is a tuple, an int, or a strategy of shapes (default
    :func:`shapes`, so 0-d and size-1 axes occur). Default elements are finite
    floats in ``[min_value, max_value]`` (moderate, so exp/tanh stay well
    conditioned); pass ``elements`` to draw values another way (then
    ``min_value``/``max_value`` are ignored).

    >>> from hypothesis import find
    >>> find(tensors(shape=(2,)), lambda t: True)
    tensor([0., 0.], dtype=float64, requires_grad=True)
    >>> t = find(tensors(shape=(3,), dtype="float32", min_value=1, max_value=2), lambda t: True)
    >>> t.dtype, bool((t.data >= 1).all())
    (dtype('float32'), True)
    """
    dt = np.dtype(dtype)
    if requires_grad and dt.kind not in "fc":
        raise TypeError(f"tensors: only floating-point tensors can require grad, not {dt}; "
                        "pass a float dtype or requires_grad=False")
    if shape is None:
        shape = shapes()
    elems = elements if elements is not None else _default_elements(dt, min_value, max_value)
    arrays = hnp.arrays(dt, shape, elements=elems)
    return arrays.map(lambda a: Tensor(a, requires_grad=requires_grad, dtype=dt, name=name))


def _as_input(x: Any) -> Any:
    """Float ndarrays and lists become float64 Tensors requiring grad; the rest pass as is."""
    if isinstance(x, list) or (isinstance(x, np.ndarray) and x.dtype.kind == "f"):
        return Tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    return x


def _raised_in_backward(exc: BaseException) -> bool:
    """Whether ``exc`` was raised while backpropagating (inside the engine's ``grad_of``)."""
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code is _autograd.grad_of.__code__:
            return True
        tb = tb.tb_next
    return False


def assert_gradients_correct(fn: Callable[..., Any], *inputs: Any, eps: float = 1e-6,
                             atol: float = 1e-5, rtol: float = 1e-3,
                             check_second_order: bool = False) -> None:
    """Assert that ``fn``'s gradients at ``inputs`` match central differences.

    Runs :func:`autograd_lite.gradcheck` (and :func:`gradgradcheck` with
    ``check_second_order=True``). Tensor inputs must be float64 (a TypeError
    says how to convert); float ndarrays and lists are turned into float64
    Tensors with ``requires_grad=True``; other arguments (numbers, tuples,
    integer arrays) are passed to ``fn`` unchanged. Raises AssertionError (a
    :class:`GradcheckError`) naming the input, element and both values. An
    error raised during the backward pass, such as a custom Function whose
    backward returns a wrongly-shaped gradient, is re-raised as AssertionError
    too, so a broken op fails the test instead of crashing it.

    >>> import autograd_lite as ag
    >>> assert_gradients_correct(lambda x, y: (x * y).sum(), [1.0, 2.0], [[3.0], [4.0]])
    >>> assert_gradients_correct(lambda x: x * x.detach(), [1.0, 2.0])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    autograd_lite.gradcheck.GradcheckError: gradcheck failed: gradient of output element 1 ...
    """
    args = tuple(_as_input(x) for x in inputs)
    try:
        gradcheck(fn, *args, eps=eps, atol=atol, rtol=rtol)
    except AssertionError:
        raise
    except Exception as exc:
        if not _raised_in_backward(exc):
            raise
        raise AssertionError(f"backward failed: {type(exc).__name__}: {exc}") from exc
    if check_second_order:
        try:
            gradgradcheck(fn, *args, eps=eps, atol=atol, rtol=rtol)
        except GradcheckError as exc:
            raise GradcheckError(f"second derivatives: {exc}") from exc


def assume_away_from(x: Any, points: float | Iterable[float] = 0.0,
                     margin: float = 1e-3) -> None:
    """Inside a hypothesis test, discard the example if any value of ``x`` is near a kink.

    ``x`` is a Tensor, ndarray, number, or a tuple/list of them; ``points`` the
    non-differentiable points (e.g. 0 for relu/abs). Keep ``margin`` well above
    gradcheck's ``eps`` so the central differences do not straddle the kink.

    >>> from hypothesis import given
    >>> @given(tensors())
    ... def test_abs(x):
    ...     assume_away_from(x, 0.0)
    ...     assert_gradients_correct(lambda x: x.abs(), x)
    >>> test_abs()
    """
    items = x if isinstance(x, (tuple, list)) else [x]
    arrays = [np.asarray(v.data if isinstance(v, Tensor) else v, dtype=np.float64).ravel()
              for v in items]
    values = np.concatenate(arrays) if arrays else np.zeros(0)
    pts = [points] if isinstance(points, (int, float)) else list(points)
    for p in pts:
        assume(bool(np.all(np.abs(values - p) > margin)))
