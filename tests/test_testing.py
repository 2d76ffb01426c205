"""Tests for autograd_lite.testing: the strategies, and that assert_gradients_correct
accepts correct ops and rejects deliberately broken custom Functions."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

import autograd_lite as ag
from autograd_lite.testing import (
    assert_gradients_correct,
    assume_away_from,
    broadcastable_shapes,
    shapes,
    tensors,
)

SRC = str(Path(ag.__file__).resolve().parent.parent)

# The inner @given tests below are *expected* to fail: keep their falsifying
# examples out of the example database, and skip the (slow) explain phase.
expect_failure = settings(database=None, phases=[Phase.generate, Phase.shrink])

square_shapes = st.integers(1, 4).map(lambda n: (n, n))


def _sum_to(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Undo numpy broadcasting: sum ``g`` back down to ``shape``."""
    g = g.sum(axis=tuple(range(g.ndim - len(shape))))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return g.sum(axis=axes, keepdims=True)


def _broadcast_pair(max_side: int = 4) -> st.SearchStrategy[tuple[ag.Tensor, ...]]:
    """Two float64 tensors of mutually broadcastable shapes."""
    return broadcastable_shapes(2, max_side=max_side).flatmap(
        lambda s: st.tuples(*(tensors(shape=shape) for shape in s[0])))


# --------------------------------------------------------------------- custom Functions
class Exp(ag.Function):
    """exp, correct."""

    @staticmethod
    def forward(ctx: ag.FunctionCtx, x: np.ndarray) -> np.ndarray:
        out = np.exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: ag.FunctionCtx, grad: np.ndarray) -> np.ndarray:
        (out,) = ctx.saved_tensors
        return out * grad


class ExpOffByOnePercent(Exp):
    """Bug (a): the vjp is 1% too large."""

    @staticmethod
    def backward(ctx: ag.FunctionCtx, grad: np.ndarray) -> np.ndarray:
        return 1.01 * Exp.backward(ctx, grad)


class BroadcastMul(ag.Function):
    """a * b with numpy broadcasting, correct: gradients summed back to each input's shape."""

    @staticmethod
    def forward(ctx: ag.FunctionCtx, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx: ag.FunctionCtx, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a, b = ctx.saved_tensors
        return _sum_to(grad * b, a.shape), _sum_to(grad * a, b.shape)


class BroadcastMulNoUnbroadcast(BroadcastMul):
    """Bug (b): gradients left in the output's (broadcast) shape."""

    @staticmethod
    def backward(ctx: ag.FunctionCtx, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a, b = ctx.saved_tensors
        return grad * b, grad * a


class SumAxis0(ag.Function):
    """Sum of a matrix over axis 0, correct: the gradient is copied down every column."""

    @staticmethod
    def forward(ctx: ag.FunctionCtx, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x.shape)
        return x.sum(axis=0)

    @staticmethod
    def backward(ctx: ag.FunctionCtx, grad: np.ndarray) -> np.ndarray:
        return np.broadcast_to(grad[None, :], ctx.saved_tensors[0])


class SumAxis0WrongAxis(SumAxis0):
    """Bug (c): the gradient is expanded along axis 1 (runs on square inputs, but wrong)."""

    @staticmethod
    def backward(ctx: ag.FunctionCtx, grad: np.ndarray) -> np.ndarray:
        return np.broadcast_to(grad[:, None], ctx.saved_tensors[0])


# --------------------------------------------------------------------- strategies
def test_shapes_include_scalars_and_size_one_axes() -> None:
    """shapes() generates 0-d shapes and shapes with size-1 axes by default."""
    assert find(shapes(), lambda s: s == ()) == ()
    assert 1 in find(shapes(), lambda s: len(s) == 3 and 1 in s)
    assert find(shapes(), lambda s: len(s) == 3 and min(s) == 4) == (4, 4, 4)


@given(shapes(min_dims=1, max_dims=2, min_side=2, max_side=3))
def test_shapes_respect_bounds(shape: tuple[int, ...]) -> None:
    """shapes() stays within the requested number of dims and side lengths."""
    assert 1 <= len(shape) <= 2
    assert all(2 <= n <= 3 for n in shape)


@given(broadcastable_shapes(num_shapes=3))
def test_broadcastable_shapes_broadcast_to_the_result(s: Any) -> None:
    """broadcastable_shapes() gives num_shapes shapes whose numpy broadcast is the result."""
    input_shapes, result = s
    assert isinstance(input_shapes, tuple) and len(input_shapes) == 3
    assert np.broadcast_shapes(*input_shapes) == result
    assert len(result) <= 3 and all(1 <= n <= 4 for n in result)


def test_broadcastable_shapes_really_broadcast() -> None:
    """broadcastable_shapes() includes different ranks and size-1 axes that stretch."""
    ins, _ = find(broadcastable_shapes(), lambda s: len(s[0][0]) != len(s[0][1]))
    assert len(ins[0]) != len(ins[1])
    ins, out = find(broadcastable_shapes(),
                    lambda s: any(len(x) == len(s[1]) and x != s[1] for x in s[0]))
    assert any(len(x) == len(out) and 1 in x and x != out for x in ins)


@given(tensors())
def test_tensors_default_to_float64_requiring_grad_in_range(x: ag.Tensor) -> None:
    """tensors() gives float64 Tensors that require grad, with finite values in [-3, 3]."""
    assert isinstance(x, ag.Tensor)
    assert x.dtype == np.float64 and x.requires_grad and x.is_leaf
    assert np.all(np.isfinite(x.data)) and np.all(np.abs(x.data) <= 3)
    assert x.ndim <= 3


@given(tensors(shape=(2, 3), dtype="float32", requires_grad=False, min_value=0.1,
               max_value=0.2, name="w"))
def test_tensors_honour_shape_dtype_range_and_name(x: ag.Tensor) -> None:
    """tensors() honours a fixed shape, dtype, requires_grad=False, value range and name."""
    assert x.shape == (2, 3) and x.dtype == np.float32
    assert not x.requires_grad and x.name == "w"
    assert np.all((x.data >= 0.1) & (x.data <= 0.2))


@given(tensors(shape=square_shapes, elements=st.just(1.5)))
def test_tensors_take_a_shape_strategy_and_elements(x: ag.Tensor) -> None:
    """tensors() accepts a strategy of shapes and a strategy of elements."""
    assert x.ndim == 2 and x.shape[0] == x.shape[1]
    assert np.all(x.data == 1.5)


def test_tensors_generate_zero_dim() -> None:
    """tensors() generates 0-d tensors."""
    assert find(tensors(), lambda t: t.ndim == 0).shape == ()


def test_tensors_refuse_integer_requires_grad() -> None:
    """tensors(dtype=int) with requires_grad=True is refused up front."""
    with pytest.raises(TypeError, match="floating-point"):
        tensors(dtype="int64")
    x = find(tensors(shape=(3,), dtype="int64", requires_grad=False), lambda t: True)
    assert x.dtype == np.int64


def _run(code: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=SRC)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=60)


def test_importing_autograd_lite_does_not_import_hypothesis() -> None:
    """`import autograd_lite` keeps hypothesis optional (it is only needed by .testing)."""
    r = _run("import sys, autograd_lite; print('hypothesis' in sys.modules)")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"


def test_testing_module_without_hypothesis_says_how_to_install() -> None:
    """Without hypothesis, importing autograd_lite.testing names the `testing` extra."""
    r = _run("import sys; sys.modules['hypothesis'] = None; import autograd_lite.testing")
    assert r.returncode != 0
    assert "ImportError" in r.stderr
    assert "pip install autograd-lite[testing]" in r.stderr


# --------------------------------------------------------------------- correct functions pass
@given(_broadcast_pair())
def test_accepts_correct_broadcasting_ops(xy: tuple[ag.Tensor, ...]) -> None:
    """Correct built-in ops pass, over random broadcastable shapes."""
    x, y = xy
    assert_gradients_correct(lambda a, b: (a * b).tanh() + a - b.sigmoid(), x, y)


@given(_broadcast_pair())
def test_accepts_correct_custom_broadcasting_function(xy: tuple[ag.Tensor, ...]) -> None:
    """A correct custom Function that unbroadcasts its gradients passes."""
    assert_gradients_correct(BroadcastMul.apply, *xy)


@given(tensors())
def test_accepts_correct_custom_exp(x: ag.Tensor) -> None:
    """A correct custom elementwise Function passes."""
    assert_gradients_correct(Exp.apply, x)


@given(tensors(shape=square_shapes))
def test_accepts_correct_custom_reduction(x: ag.Tensor) -> None:
    """A correct custom reduction Function passes."""
    assert_gradients_correct(SumAxis0.apply, x)


def test_converts_lists_and_arrays_and_passes_other_args() -> None:
    """Lists and float arrays become float64 Tensors; numbers and tuples pass unchanged."""
    seen: list[Any] = []

    def f(x: ag.Tensor, y: ag.Tensor, axis: int, shape: tuple[int, ...]) -> ag.Tensor:
        seen.append((x, y, axis, shape))
        return (x * y).sum(axis=axis).reshape(shape)

    y32 = np.array([0.5, -1.5], dtype=np.float32)
    assert_gradients_correct(f, [[1.0, 2.0], [3.0, 4.0]], y32, 0, (1, 2))
    x, y, axis, shape = seen[0]
    assert isinstance(x, ag.Tensor) and x.dtype == np.float64 and x.requires_grad
    assert isinstance(y, ag.Tensor) and y.dtype == np.float64 and y.requires_grad
    assert axis == 0 and shape == (1, 2)


def test_requires_float64_tensors() -> None:
    """A float32 Tensor is refused with gradcheck's TypeError, not silently converted."""
    x = ag.tensor([1.0, 2.0], dtype="float32", requires_grad=True)
    with pytest.raises(TypeError, match="float64"):
        assert_gradients_correct(lambda t: t * 2, x)


def test_check_second_order() -> None:
    """check_second_order=True passes smooth ops and rejects a wrong second derivative."""
    x = ag.tensor([0.3, -1.2, 2.0], dtype="float64", requires_grad=True)
    assert_gradients_correct(lambda t: (t.tanh() * t).exp(), x, check_second_order=True)

    def cube_frozen_slope(t: ag.Tensor) -> ag.Tensor:
        # value t³ and slope 3t², but the slope is a constant of the graph
        return (t ** 3).detach() + (t - t.detach()) * 3 * t.detach() ** 2

    assert_gradients_correct(cube_frozen_slope, x)
    with pytest.raises(AssertionError, match="second derivatives"):
        assert_gradients_correct(cube_frozen_slope, x, check_second_order=True)


@given(tensors())
def test_assume_away_from_keeps_examples_off_kinks(x: ag.Tensor) -> None:
    """assume_away_from discards examples near a kink, so abs/relu check cleanly."""
    assume_away_from(x, [0.0, 1.0], margin=1e-2)
    assert np.all(np.abs(x.data) > 1e-2) and np.all(np.abs(x.data - 1.0) > 1e-2)
    assert_gradients_correct(lambda t: t.abs() + (t - 1.0).relu(), x)


# --------------------------------------------------------------------- broken functions fail
def test_hypothesis_rejects_vjp_off_by_one_percent() -> None:
    """Bug (a): a backward 1% too large is found by hypothesis and reported."""

    @expect_failure
    @given(tensors())
    def check(x: ag.Tensor) -> None:
        assert_gradients_correct(ExpOffByOnePercent.apply, x)

    with pytest.raises(ag.GradcheckError, match="analytic .* vs numerical") as info:
        check()
    analytic, numerical = _values(str(info.value))
    assert analytic == pytest.approx(1.01 * numerical, rel=1e-4)


def test_hypothesis_rejects_missing_unbroadcast() -> None:
    """Bug (b): a broadcasting op whose backward skips unbroadcasting is found and reported."""
    same_shape = np.ones((2, 3)), np.full((2, 3), 2.0)
    assert_gradients_correct(BroadcastMulNoUnbroadcast.apply, *same_shape)  # right if no broadcast

    @expect_failure
    @given(_broadcast_pair(max_side=3))
    def check(xy: tuple[ag.Tensor, ...]) -> None:
        assert_gradients_correct(BroadcastMulNoUnbroadcast.apply, *xy)

    with pytest.raises(AssertionError, match="BroadcastMulNoUnbroadcast.backward returned "
                       "a gradient of shape") as info:
        check()
    assert isinstance(info.value.__cause__, RuntimeError)


def test_hypothesis_rejects_reduction_expanded_over_wrong_axis() -> None:
    """Bug (c): a sum over axis 0 whose backward expands along axis 1 is found."""
    assert_gradients_correct(SumAxis0WrongAxis.apply, np.ones((1, 1)))  # right when 1x1

    @expect_failure
    @given(tensors(shape=square_shapes))
    def check(x: ag.Tensor) -> None:
        assert_gradients_correct(SumAxis0WrongAxis.apply, x)

    with pytest.raises(ag.GradcheckError, match="analytic 1 vs numerical 0|analytic 0 vs "):
        check()


def _values(message: str) -> tuple[float, float]:
    """The analytic and numerical numbers from a gradcheck failure message."""
    after = message.split("analytic ", 1)[1]
    analytic, rest = after.split(" vs numerical ", 1)
    return float(analytic), float(rest.split(" ", 1)[0])
