"""Tests for ag.gradcheck and ag.gradgradcheck: verdicts, failure reports, input errors."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd_lite as ag
from autograd_lite.testing import broadcastable_shapes, tensors

rng = np.random.default_rng(0)


def t64(*shape: int, low: float = -2.0, high: float = 2.0, name: str | None = None) -> ag.Tensor:
    """A float64 leaf requiring grad with uniform values in [low, high)."""
    return ag.tensor(rng.uniform(low, high, size=shape), dtype="float64", requires_grad=True,
                     name=name)


class ScaleOneElement(ag.Function):
    """x * w, whose gradient for w is 1.5x too large at exactly w[1, 2]."""

    @staticmethod
    def forward(ctx: ag.FunctionCtx, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x, w)
        return x * w

    @staticmethod
    def backward(ctx: ag.FunctionCtx, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x, w = ctx.saved_tensors
        gw = grad * x
        gw[1, 2] *= 1.5
        return grad * w, gw


class Square(ag.Function):
    """x², correct (but a Function, so not twice differentiable)."""

    @staticmethod
    def forward(ctx: ag.FunctionCtx, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx: ag.FunctionCtx, grad: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        return 2 * x * grad


def cube_frozen_slope(x: ag.Tensor) -> ag.Tensor:
    """x³ with the right value and first derivative 3x², but that slope is detached.

    So the recorded first derivative is a constant: its derivative is 0, not 6x.
    """
    return (x ** 3).detach() + (x - x.detach()) * 3 * x.detach() ** 2


def parse_report(message: str) -> dict[str, Any]:
    """The fields of a gradcheck failure message."""
    m = re.search(r"output element (\d+) w\.r\.t\. input (\d+)(?: \('(.*)'\))? at index "
                  r"\(([\d, ]*)\): analytic (\S+) vs numerical (\S+)", message)
    assert m, message
    index = tuple(int(k) for k in m.group(4).split(",") if k.strip())
    return {"output": int(m.group(1)), "input": int(m.group(2)), "name": m.group(3),
            "index": index, "analytic": float(m.group(5)), "numerical": float(m.group(6))}


# --------------------------------------------------------------------- correct gradients
ONE_INPUT: dict[str, tuple[Callable[[ag.Tensor], Any], tuple[int, ...], float, float]] = {
    "tanh": (lambda x: x.tanh(), (3, 2), -2.0, 2.0),
    "sigmoid": (lambda x: x.sigmoid(), (4,), -2.0, 2.0),
    "exp": (lambda x: x.exp(), (2, 3), -2.0, 2.0),
    "log": (lambda x: x.log(), (5,), 0.5, 3.0),
    "sqrt": (lambda x: x.sqrt(), (2, 2), 0.5, 3.0),
    "pow": (lambda x: x ** 3 - 2 * x ** 2, (3,), -2.0, 2.0),
    "reciprocal": (lambda x: 1.0 / x, (3,), 0.5, 2.0),
    "softmax": (lambda x: x.softmax(axis=-1), (2, 4), -2.0, 2.0),
    "log_softmax": (lambda x: x.log_softmax(axis=0), (3, 2), -2.0, 2.0),
    "logsumexp": (lambda x: x.logsumexp(axis=1), (2, 3), -2.0, 2.0),
    "mean_var": (lambda x: x.mean(axis=0) * x.var(axis=0), (4, 3), -2.0, 2.0),
    "reshape_transpose": (lambda x: (x.reshape(3, 2).T * 2)[1], (2, 3), -2.0, 2.0),
    "scalar": (lambda x: (x * x).exp(), (), -1.0, 1.0),
}


@pytest.mark.parametrize("name", sorted(ONE_INPUT))
def test_gradcheck_true_on_correct_ops(name: str) -> None:
    """gradcheck returns True for correct built-in ops of one input, including 0-d."""
    fn, shape, low, high = ONE_INPUT[name]
    assert ag.gradcheck(fn, t64(*shape, low=low, high=high)) is True


def test_gradcheck_multiple_inputs() -> None:
    """Every input that requires grad is checked: matmul, broadcasting and division."""
    a, b, c = t64(3, 4), t64(4, 2), t64(1, 2, low=0.5, high=2.0)
    assert ag.gradcheck(lambda a, b, c: (a @ b) / c + a.sum(), a, b, c)


@given(broadcastable_shapes(num_shapes=2).flatmap(
    lambda s: st.tuples(*(tensors(shape=x) for x in s[0]))))
def test_gradcheck_broadcasting_ops(xy: tuple[ag.Tensor, ...]) -> None:
    """Broadcasting binary ops pass gradcheck over random broadcastable shapes."""
    x, y = xy
    assert ag.gradcheck(lambda a, b: a * b - (a + b).tanh() + a / (b * b + 1.0), x, y)


def test_gradcheck_tuple_outputs() -> None:
    """A function returning a tuple of Tensors is checked on every output."""
    x = t64(2, 3)
    assert ag.gradcheck(lambda x: (x.tanh(), x.sum(axis=0), (x * x).mean()), x)
    assert ag.gradcheck(lambda x: tuple(x.split(3, axis=1)), t64(2, 3))


def test_gradcheck_non_tensor_and_constant_args() -> None:
    """Numbers, tuples and Tensors without requires_grad are passed through, not checked."""
    x = t64(2, 3)
    const32 = ag.tensor([1.0, 2.0, 3.0], dtype="float32")  # float32 is fine: not checked
    assert ag.gradcheck(lambda x, k, axes, c: (x * k * c).sum(axis=axes), x, 2.5, (0,), const32)


def test_gradcheck_true_on_correct_custom_function() -> None:
    """A correct custom Function passes gradcheck."""
    assert ag.gradcheck(Square.apply, t64(3, 2))


# --------------------------------------------------------------------- failure reports
def test_failure_report_names_input_element_and_values() -> None:
    """The report names the input (index and name), the worst element and both values."""
    x = ag.tensor(np.arange(12.0).reshape(3, 4) - 4.0, dtype="float64", requires_grad=True,
                  name="x")
    w = t64(3, 4, name="w")
    assert x.data[1, 2] == 2.0
    with pytest.raises(ag.GradcheckError) as info:
        ag.gradcheck(ScaleOneElement.apply, x, w)
    message = str(info.value)
    assert "input 1 ('w')" in message
    report = parse_report(message)
    assert report["input"] == 1 and report["name"] == "w"
    assert report["index"] == (1, 2)
    assert report["output"] == 1 * 4 + 2  # the output element that w[1, 2] feeds
    assert report["analytic"] == pytest.approx(3.0)  # 1.5 * x[1, 2]
    assert report["numerical"] == pytest.approx(2.0, rel=1e-6)  # x[1, 2]


def test_failure_report_without_name_and_zero_dim() -> None:
    """An unnamed 0-d input is reported by index alone, with index ()."""
    x = ag.tensor(1.5, dtype="float64", requires_grad=True)
    with pytest.raises(ag.GradcheckError) as info:
        ag.gradcheck(lambda x: x * x.detach(), x)  # analytic x, numerical 2x
    report = parse_report(str(info.value))
    assert report["input"] == 0 and report["name"] is None and report["index"] == ()
    assert report["analytic"] == pytest.approx(1.5)
    assert report["numerical"] == pytest.approx(3.0, rel=1e-6)


def test_gradcheck_error_is_an_assertion_error() -> None:
    """GradcheckError subclasses AssertionError, so test frameworks report it as a failure."""
    assert issubclass(ag.GradcheckError, AssertionError)


def test_raise_exception_false_returns_false() -> None:
    """raise_exception=False returns False instead of raising."""
    x, w = t64(3, 4), t64(3, 4)
    assert ag.gradcheck(ScaleOneElement.apply, x, w, raise_exception=False) is False
    assert ag.gradcheck(lambda x: x * x.detach(), t64(2), raise_exception=False) is False


def test_tolerances_are_used() -> None:
    """A 1% gradient error fails at the default rtol and passes at rtol=0.02."""

    def off_by_one_percent(x: ag.Tensor) -> ag.Tensor:
        return x * 1.01 - (x * 0.01).detach()  # value x, slope 1.01

    x = t64(3, low=1.0, high=2.0)
    assert not ag.gradcheck(off_by_one_percent, x, raise_exception=False)
    assert ag.gradcheck(off_by_one_percent, x, rtol=0.02)


# --------------------------------------------------------------------- input errors
def test_float32_input_is_refused_with_conversion_hint() -> None:
    """A float32 input requiring grad raises TypeError saying how to get float64."""
    x = ag.tensor([1.0, 2.0], dtype="float32", requires_grad=True)
    with pytest.raises(TypeError) as info:
        ag.gradcheck(lambda x: x * 2, x)
    message = str(info.value)
    assert "float64" in message and "double" in message and "input 0" in message


def test_no_input_requiring_grad_is_refused() -> None:
    """With no input requiring grad there is nothing to check: a clear ValueError."""
    x = ag.tensor([1.0, 2.0], dtype="float64")
    with pytest.raises(ValueError, match="no input requires grad"):
        ag.gradcheck(lambda x: x * 2, x)
    with pytest.raises(ValueError, match="requires_grad=True"):
        ag.gradgradcheck(lambda x, k: x * k, x, 3.0)


def test_non_tensor_output_is_refused() -> None:
    """fn must return Tensors; returning an ndarray is a TypeError."""
    with pytest.raises(TypeError, match="must return a Tensor"):
        ag.gradcheck(lambda x: x.data * 2, t64(2))


def test_non_contiguous_input() -> None:
    """Inputs whose data is a non-contiguous view are perturbed correctly."""
    x = ag.tensor(rng.uniform(-1, 1, size=(2, 3)), dtype="float64").T.detach()
    x.requires_grad_()
    assert not x.data.flags["C_CONTIGUOUS"]
    assert ag.gradcheck(lambda x: x * x.exp(), x)


def test_gradcheck_leaves_inputs_and_grads_unchanged() -> None:
    """gradcheck and gradgradcheck restore the inputs' data and leave .grad alone."""
    x, y = t64(2, 3), t64(3, 2)
    x.grad = ag.tensor(np.full((2, 3), 7.0))
    x_before, y_before, grad_before = x.data.copy(), y.data.copy(), x.grad
    assert ag.gradcheck(lambda x, y: (x @ y).tanh(), x, y)
    assert ag.gradgradcheck(lambda x, y: (x @ y).tanh(), x, y)
    np.testing.assert_array_equal(x.data, x_before)  # exactly: restored, not re-added
    np.testing.assert_array_equal(y.data, y_before)
    assert x.grad is grad_before and np.all(x.grad.data == 7.0)
    assert y.grad is None


# --------------------------------------------------------------------- second order
SMOOTH: dict[str, tuple[Callable[..., Any], tuple[tuple[int, ...], ...]]] = {
    "sigmoid": (lambda x: x.sigmoid(), ((3, 2),)),
    "tanh": (lambda x: x.tanh() * x, ((4,),)),
    "exp": (lambda x: x.exp().sum(), ((2, 2),)),
    "mul": (lambda x, y: x * y * x, ((2, 3), (1, 3))),
    "matmul": (lambda a, b: a @ b, ((2, 3), (3, 2))),
    "softmax": (lambda x: x.softmax(axis=-1), ((2, 3),)),
}


@pytest.mark.parametrize("name", sorted(SMOOTH))
def test_gradgradcheck_true_on_smooth_ops(name: str) -> None:
    """gradgradcheck returns True for twice-differentiable built-in ops."""
    fn, shapes = SMOOTH[name]
    assert ag.gradgradcheck(fn, *(t64(*s) for s in shapes)) is True


def test_gradgradcheck_catches_wrong_second_derivative() -> None:
    """A function with right first but wrong second derivative passes gradcheck only."""
    x = t64(3, low=0.5, high=2.0, name="x")
    assert ag.gradcheck(cube_frozen_slope, x)
    assert ag.gradgradcheck(cube_frozen_slope, x, raise_exception=False) is False
    with pytest.raises(ag.GradcheckError) as info:
        ag.gradgradcheck(cube_frozen_slope, x)
    report = parse_report(str(info.value))
    assert report["name"] == "x" and report["analytic"] == 0.0  # the slope was detached
    assert report["numerical"] != pytest.approx(0.0)


def test_gradgradcheck_on_function_explains_create_graph() -> None:
    """A custom Function cannot be differentiated twice: a RuntimeError names create_graph."""
    with pytest.raises(RuntimeError, match="create_graph"):
        ag.gradgradcheck(Square.apply, t64(3))
