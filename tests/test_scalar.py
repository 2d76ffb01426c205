"""Tests for the scalar engine ``autograd_lite.scalar.Value``."""

from __future__ import annotations

import gc
import math
import sys
import time
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_lite.scalar import Value, topological_order


def floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def away_from_zero(lo: float, hi: float, gap: float) -> st.SearchStrategy[float]:
    """Floats in [lo, hi] with |x| >= gap (for kinks and poles at 0)."""
    return floats(lo, hi).filter(lambda x: abs(x) >= gap)


def readme_example() -> tuple[Value, Value, Value]:
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return a, b, g


def test_micrograd_readme_example() -> None:
    a, b, g = readme_example()
    assert g.data == pytest.approx(24.7041, abs=5e-5)
    g.backward()
    assert a.grad == pytest.approx(138.8338, abs=5e-5)
    assert b.grad == pytest.approx(645.5773, abs=5e-5)


# -- gradients vs central finite differences ----------------------------------

Fn = Callable[..., Value]

# (id, function of Values, strategy per argument); domains avoid kinks and poles.
OPS: list[tuple[str, Fn, tuple[st.SearchStrategy[float], ...]]] = [
    ("add", lambda a, b: a + b, (floats(-1e3, 1e3), floats(-1e3, 1e3))),
    ("radd", lambda a: 2.5 + a, (floats(-1e3, 1e3),)),
    ("sub", lambda a, b: a - b, (floats(-1e3, 1e3), floats(-1e3, 1e3))),
    ("rsub", lambda a: 2.5 - a, (floats(-1e3, 1e3),)),
    ("mul", lambda a, b: a * b, (floats(-1e3, 1e3), floats(-1e3, 1e3))),
    ("rmul", lambda a: 2.5 * a, (floats(-1e3, 1e3),)),
    ("div", lambda a, b: a / b, (floats(-1e3, 1e3), away_from_zero(-1e3, 1e3, 0.1))),
    ("rdiv", lambda a: 2.5 / a, (away_from_zero(-1e3, 1e3, 0.1),)),
    ("neg", lambda a: -a, (floats(-1e3, 1e3),)),
    ("pow_int", lambda a: a**3, (floats(-50, 50),)),
    ("pow_neg_int", lambda a: a**-2, (away_from_zero(-50, 50, 0.1),)),
    ("pow_float", lambda a: a**0.7, (floats(0.1, 100),)),
    ("pow_value", lambda a, b: a**b, (floats(0.1, 10), floats(-3, 3))),
    ("rpow", lambda a: 2.5**a, (floats(-10, 10),)),
    ("relu", lambda a: a.relu(), (away_from_zero(-1e3, 1e3, 1e-3),)),
    ("tanh", lambda a: a.tanh(), (floats(-5, 5),)),
    ("exp", lambda a: a.exp(), (floats(-20, 20),)),
    ("log", lambda a: a.log(), (floats(1e-2, 1e3),)),
    ("sigmoid", lambda a: a.sigmoid(), (floats(-30, 30),)),
    (
        "shared_subexpressions",
        lambda a, b: (a * b + a.tanh() * b) / (1 + a * a) - (b.sigmoid() * a).exp(),
        (floats(-3, 3), floats(-3, 3)),
    ),
]


def finite_difference(fn: Fn, xs: list[float], i: int) -> float:
    h = 1e-6 * max(1.0, abs(xs[i]))
    up, down = list(xs), list(xs)
    up[i] += h
    down[i] -= h
    return (fn(*map(Value, up)).data - fn(*map(Value, down)).data) / (up[i] - down[i])


@pytest.mark.parametrize(("fn", "strategies"), [op[1:] for op in OPS], ids=[op[0] for op in OPS])
@given(data=st.data())
def test_gradient_matches_finite_differences(
    fn: Fn, strategies: tuple[st.SearchStrategy[float], ...], data: st.DataObject
) -> None:
    xs = [data.draw(s) for s in strategies]
    leaves = [Value(x) for x in xs]
    out = fn(*leaves)
    out.backward()
    for i, leaf in enumerate(leaves):
        numeric = finite_difference(fn, xs, i)
        tol = 1e-6 * (1.0 + abs(out.data))  # round-off in the difference scales with |f|
        assert leaf.grad == pytest.approx(numeric, rel=1e-5, abs=tol), (i, xs)


@given(x=floats(-1e3, 1e3), y=away_from_zero(-1e3, 1e3, 1e-3))
def test_results_match_micrograds_decompositions(x: float, y: float) -> None:
    a, b = Value(x), Value(y)
    assert (a - b).data == (a + (-b)).data  # micrograd: a + b * -1
    assert (-a).data == (a * -1).data
    assert (a / b).data == pytest.approx((a * b**-1).data, rel=1e-15)  # one rounding apart


# -- op strings and graph introspection ---------------------------------------


@pytest.mark.parametrize(
    ("make", "op"),
    [
        (lambda a, b: a + b, "+"),
        (lambda a, b: a - b, "-"),
        (lambda a, b: a * b, "*"),
        (lambda a, b: a / b, "/"),
        (lambda a, b: -a, "neg"),
        (lambda a, b: a**2, "**2"),
        (lambda a, b: a**-1, "**-1"),
        (lambda a, b: a**0.5, "**0.5"),
        (lambda a, b: a**b, "**"),
        (lambda a, b: a.relu(), "ReLU"),
        (lambda a, b: a.tanh(), "tanh"),
        (lambda a, b: a.exp(), "exp"),
        (lambda a, b: a.log(), "log"),
        (lambda a, b: a.sigmoid(), "sigmoid"),
    ],
)
def test_op_strings_and_registry_names(make: Callable[[Value, Value], Value], op: str) -> None:
    out = make(Value(2.0), Value(3.0))
    assert out._op == op
    assert Value.op_family(op) in Value.OP_NAMES
    assert len(out._children) == len(out._local_grads)


def test_op_names_mapping() -> None:
    assert Value.OP_NAMES["+"] == "add"
    assert Value.OP_NAMES["ReLU"] == "relu"
    assert Value.OP_NAMES[Value.op_family("**3")] == "pow"
    assert Value(1.0)._op == ""


def test_children_local_grads_and_prev() -> None:
    a, b = Value(3.0, label="a"), Value(4.0, label="b")
    assert a._children == () and a._local_grads == () and a._prev == set()
    q = a / b
    assert q._children == (a, b)
    assert q._local_grads == pytest.approx((0.25, -3.0 / 16.0))
    sq = a * a
    assert sq._children == (a, a) and sq._prev == {a}
    assert sq._local_grads == (3.0, 3.0)
    assert (-a)._local_grads == (-1.0,)
    assert (a**3)._local_grads == (27.0,)


def test_reflected_ops() -> None:
    v = Value(4.0)
    cases = {"+": 2 + v, "*": 2 * v, "-": 2 - v, "/": 2 / v, "**": 2**v}
    expected = {"+": 6.0, "*": 8.0, "-": -2.0, "/": 0.5, "**": 16.0}
    grads = {"+": 1.0, "*": 2.0, "-": -1.0, "/": -2 / 16, "**": 16 * math.log(2)}
    for op, out in cases.items():
        assert out._op == op
        assert out.data == pytest.approx(expected[op])
        constant, operand = out._children  # natural order: constant first
        assert constant.data == 2.0 and operand is v
        out.backward()
        assert v.grad == pytest.approx(grads[op])


def test_numpy_scalars_as_operands_and_data() -> None:
    v = Value(np.float32(1.5))
    assert v.data == 1.5 and type(v.data) is float
    assert Value(np.int64(3)).data == 3.0
    assert (v * np.float64(2.0)).data == 3.0
    minus_one: Any = np.int64(-1)  # numpy's stubs don't know it defers to Value
    assert (minus_one * v).data == -1.5


def test_value_exponent_edge_cases() -> None:
    base, exponent = Value(0.0), Value(2.0)
    out = base**exponent
    out.backward()
    assert out.data == 0.0 and base.grad == 0.0 and exponent.grad == 0.0
    base, exponent = Value(-2.0), Value(3.0)
    out = base**exponent
    out.backward()
    assert out.data == -8.0 and base.grad == 12.0
    assert math.isnan(exponent.grad)  # d/db of (-2)**b has no real value


def test_pow_constant_at_zero() -> None:
    x = Value(0.0)
    (x**0.5).backward()
    assert x.grad == math.inf
    (x**2).backward()
    assert x.grad == 0.0
    (x**1).backward()
    assert x.grad == 1.0
    (x**0).backward()
    assert x.grad == 0.0


def test_topological_order_puts_children_first() -> None:
    a, b = Value(1.0), Value(2.0)
    out = ((a * b).tanh() + a / b) * (a - b).exp()
    order = topological_order(out)
    position = {id(v): i for i, v in enumerate(order)}
    assert len(position) == len(order) and order[-1] is out
    for v in order:
        for c in v._children:
            assert position[id(c)] < position[id(v)]


# A random DAG: each step applies a bounded op to earlier nodes (picked by index).
DAG_OPS: dict[str, Callable[[Value, Value], Value]] = {
    "mean": lambda a, b: (a + b) * 0.5,
    "half_diff": lambda a, b: (a - b) * 0.5,
    "tanh_mul": lambda a, b: (a * b).tanh(),
    "sigmoid": lambda a, b: a.sigmoid(),
    "tanh": lambda a, b: a.tanh(),
}


@st.composite
def dag_recipes(draw: st.DrawFn) -> tuple[list[float], list[tuple[str, int, int]]]:
    leaves = draw(st.lists(floats(-2, 2), min_size=1, max_size=4))
    steps = []
    for n in range(len(leaves), len(leaves) + draw(st.integers(1, 25))):
        op = draw(st.sampled_from(sorted(DAG_OPS)))
        steps.append((op, draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))))
    return leaves, steps


def build_dag(xs: list[Value], steps: list[tuple[str, int, int]]) -> Value:
    nodes = list(xs)
    for op, i, j in steps:
        nodes.append(DAG_OPS[op](nodes[i], nodes[j]))
    return sum(nodes[len(xs) :], Value(0.0))  # every step reaches the root


@given(recipe=dag_recipes())
def test_random_dags_order_and_gradients(
    recipe: tuple[list[float], list[tuple[str, int, int]]],
) -> None:
    xs, steps = recipe
    leaves = [Value(x) for x in xs]
    out = build_dag(leaves, steps)
    order = topological_order(out)
    position = {id(v): i for i, v in enumerate(order)}
    assert len(position) == len(order) and order[-1] is out
    assert all(position[id(c)] < position[id(v)] for v in order for c in v._children)
    out.backward()

    def fn(*vs: Value) -> Value:
        return build_dag(list(vs), steps)

    for i, leaf in enumerate(leaves):
        assert leaf.grad == pytest.approx(finite_difference(fn, xs, i), rel=1e-5, abs=1e-6)


def test_repr_and_slots() -> None:
    v = Value(1.5)
    assert repr(v) == "Value(data=1.5, grad=0.0)"
    assert not hasattr(v, "__dict__")
    assert Value(2.0, label="x").label == "x"


# -- backward semantics --------------------------------------------------------


def test_second_backward_resets_grads() -> None:
    a, b, g = readme_example()
    g.backward()
    first = (a.grad, b.grad)
    g.backward()
    assert (a.grad, b.grad) == first


def test_backward_accumulate_adds_like_pytorch() -> None:
    x = Value(3.0)
    h = x * x  # intermediate
    y = h + x
    y.backward()
    assert (x.grad, h.grad, y.grad) == (7.0, 1.0, 1.0)
    y.backward(accumulate=True)
    assert (x.grad, h.grad, y.grad) == (14.0, 2.0, 2.0)
    z = x.exp()
    z.backward(accumulate=True)
    assert x.grad == pytest.approx(14.0 + math.exp(3.0))
    z.backward()  # the default resets again
    assert x.grad == pytest.approx(math.exp(3.0))


def test_backward_on_leaf() -> None:
    x = Value(2.0)
    x.backward()
    assert x.grad == 1.0


def test_million_deep_chain_at_default_recursion_limit() -> None:
    assert sys.getrecursionlimit() <= 1000
    x = Value(0.5)
    v = x
    for _ in range(1_000_000):
        v = v + 1.0
    start = time.perf_counter()
    v.backward()
    assert x.grad == 1.0
    assert v.data == 1_000_000.5
    del v  # freeing a deep chain must not overflow the C stack either
    assert time.perf_counter() - start < 10.0


def test_graphs_have_no_reference_cycles() -> None:
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        a, b = Value(1.5), Value(-0.5)
        hidden = (a * b + 2).tanh()
        out = (hidden**2 + hidden.exp() / (1 - b)).relu().log()
        out.backward()
        refs = [weakref.ref(v) for v in (a, b, hidden, out)]
        del a, b, hidden, out
        assert all(r() is None for r in refs)
    finally:
        if gc_was_enabled:
            gc.enable()


# -- errors --------------------------------------------------------------------


def test_log_domain_error_names_op_and_value() -> None:
    with pytest.raises(ValueError, match=r"^log: input -1\.0 is not > 0$"):
        Value(-1).log()
    with pytest.raises(ValueError, match="log: input 0.0"):
        Value(0.0).log()


untyped: Any = Value  # to call Value with wrong types without type-checker noise


@pytest.mark.parametrize("bad", ["1.0", None, [1.0], 1j, np.array([1.0, 2.0])])
def test_non_number_data_is_a_type_error(bad: object) -> None:
    with pytest.raises(TypeError, match="must be a real number"):
        untyped(bad)


def test_other_type_errors() -> None:
    with pytest.raises(TypeError, match="use the Value itself"):
        untyped(Value(1.0))
    with pytest.raises(TypeError, match="label must be a str"):
        untyped(1.0, label=3)
    with pytest.raises(TypeError):
        untyped(1.0) + "a"
    with pytest.raises(TypeError):
        "a" * untyped(1.0)


def test_arithmetic_domain_errors() -> None:
    with pytest.raises(ZeroDivisionError, match="div: division by zero"):
        Value(1.0) / 0
    with pytest.raises(ZeroDivisionError, match="pow: 0.0 cannot be raised"):
        Value(0.0) ** -1
    with pytest.raises(ValueError, match="pow: negative base -8.0 with non-integer exponent"):
        Value(-8.0) ** (1 / 3)
    with pytest.raises(OverflowError, match="exp: input 1000.0 overflows"):
        Value(1000.0).exp()
    with pytest.raises(OverflowError, match="pow: "):
        Value(1e200) ** 3


@settings(max_examples=20)
@given(x=floats(-800, 800))
def test_sigmoid_and_tanh_are_stable(x: float) -> None:
    s, t = Value(x).sigmoid(), Value(x).tanh()
    assert 0.0 <= s.data <= 1.0 and -1.0 <= t.data <= 1.0
    assert math.isfinite(s._local_grads[0]) and math.isfinite(t._local_grads[0])
