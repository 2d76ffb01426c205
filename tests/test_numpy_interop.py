"""Tests for numpy interoperability: ndarray operators with Tensors, numpy ufuncs
and array functions dispatched to autograd_lite ops (graph kept), and numpy
functions autograd_lite does not implement (refused when they would drop a graph).

Gradients are checked with ``ag.gradcheck`` in float64 or against closed-form
derivatives computed with plain numpy.
"""

from __future__ import annotations

import operator

import numpy as np
import pytest

import autograd_lite as ag


def f64(data, requires_grad: bool = True) -> ag.Tensor:
    return ag.tensor(np.asarray(data, dtype=np.float64), requires_grad=requires_grad)


def rnd(*shape: int, seed: int = 0, lo: float = -2.0, hi: float = 2.0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(lo, hi, size=shape)


# ============================================================== ndarray (op) tensor

NDARRAY_LEFT = [
    # (label, f(ndarray, tensor), d sum(f)/d tensor with numpy, given (a, v))
    ("a * t", lambda a, t: a * t, lambda a, v: a),
    ("a + t", lambda a, t: a + t, lambda a, v: np.ones_like(v)),
    ("a - t", lambda a, t: a - t, lambda a, v: -np.ones_like(v)),
    ("a / t", lambda a, t: a / t, lambda a, v: -a / v ** 2),
    ("a ** t", lambda a, t: a ** t, lambda a, v: a ** v * np.log(a)),
]


@pytest.mark.parametrize("label, fn, dfn", NDARRAY_LEFT, ids=[c[0] for c in NDARRAY_LEFT])
def test_ndarray_on_the_left_returns_tensor_with_graph(label, fn, dfn):
    """`ndarray op tensor` returns a Tensor in the graph; backward reaches the tensor."""
    a = rnd(2, 3, seed=1, lo=0.5, hi=2.0)
    v = rnd(2, 3, seed=2, lo=0.5, hi=2.0)
    t = f64(v)
    out = fn(a, t)
    assert isinstance(out, ag.Tensor), label
    assert out.requires_grad and out.grad_fn is not None
    np.testing.assert_allclose(out.data, fn(a, v))
    out.sum().backward()
    np.testing.assert_allclose(t.grad.data, dfn(a, v))


def test_ndarray_times_tensor_broadcasts_and_unbroadcasts():
    """(3,1) ndarray * (4,) tensor broadcasts to (3,4); grad sums back to (4,)."""
    a = rnd(3, 1, seed=3)
    t = f64(rnd(4, seed=4))
    out = a * t
    assert isinstance(out, ag.Tensor) and out.shape == (3, 4)
    out.sum().backward()
    np.testing.assert_allclose(t.grad.data, np.full(4, a.sum()))


def test_ndarray_matmul_tensor():
    """`ndarray @ tensor` is a Tensor; grads match closed form Aᵀ·G and gradcheck."""
    A = rnd(3, 4, seed=5)
    t = f64(rnd(4, 2, seed=6))
    out = A @ t
    assert isinstance(out, ag.Tensor) and out.shape == (3, 2)
    np.testing.assert_allclose(out.data, A @ t.data)
    G = rnd(3, 2, seed=7)
    (out * G).sum().backward()
    np.testing.assert_allclose(t.grad.data, A.T @ G)
    assert ag.gradcheck(lambda x: A @ x, f64(rnd(4, 2, seed=6)))
    assert ag.gradcheck(lambda x: x @ A.T, f64(rnd(2, 4, seed=8)))


def test_ndarray_matmul_tensor_shape_error():
    """A mismatched `ndarray @ tensor` gives the matmul alignment message."""
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3\) and \(2, 3\) are not aligned"):
        np.ones((2, 3)) @ ag.ones((2, 3))


@pytest.mark.parametrize("sym, op, ufunc", [
    (">", operator.gt, np.greater), ("<", operator.lt, np.less),
    (">=", operator.ge, np.greater_equal), ("<=", operator.le, np.less_equal),
    ("==", operator.eq, np.equal), ("!=", operator.ne, np.not_equal)],
    ids=[">", "<", ">=", "<=", "==", "!="])
def test_ndarray_compared_to_tensor(sym, op, ufunc):
    """`ndarray > tensor` (and friends) return bool Tensors that do not require grad."""
    a = np.array([1.0, 2.0, 3.0])
    v = np.array([3.0, 2.0, 1.0])
    t = f64(v)
    out = op(a, t)  # the ndarray is the left operand
    assert isinstance(out, ag.Tensor)
    assert out.dtype == np.bool_ and not out.requires_grad and out.grad_fn is None
    np.testing.assert_array_equal(out.data, ufunc(a, v))


def test_ndarray_comparison_usable_as_mask():
    """The bool Tensor from `ndarray > tensor` works as a mask and in ag.where with grads."""
    v = np.array([-1.0, 2.0, 0.5])
    t = f64(v)
    mask = np.zeros(3) < t
    out = ag.where(mask, t * 2, t * 0)
    out.sum().backward()
    np.testing.assert_array_equal(t.grad.data, 2.0 * (v > 0))


def test_mixed_dtype_follows_numpy_promotion_and_grad_keeps_dtype():
    """float64 ndarray * float32 tensor is float64 (numpy rules); the grad stays float32."""
    t = ag.tensor([1.0, 2.0], requires_grad=True)
    out = np.array([3.0, 4.0]) * t
    assert out.dtype == np.float64
    out.sum().backward()
    assert t.grad.dtype == np.float32
    np.testing.assert_array_equal(t.grad.data, [3.0, 4.0])


def test_float32_ndarray_keeps_float32():
    """float32 ndarray + float32 tensor stays float32."""
    t = ag.tensor([1.0, 2.0], requires_grad=True)
    assert (np.ones(2, np.float32) + t).dtype == np.float32


def test_python_list_operand():
    """A Python list on the left broadcasts like an array and keeps the graph."""
    t = f64([1.0, 2.0])
    out = [3.0, 4.0] * t
    assert isinstance(out, ag.Tensor)
    out.sum().backward()
    np.testing.assert_array_equal(t.grad.data, [3.0, 4.0])


# ============================================================== numpy ufuncs kept in graph

UFUNCS = [
    ("exp", np.exp, lambda v: np.exp(v)),
    ("log", np.log, lambda v: 1 / v),
    ("sqrt", np.sqrt, lambda v: 0.5 / np.sqrt(v)),
    ("tanh", np.tanh, lambda v: 1 - np.tanh(v) ** 2),
    ("negative", np.negative, lambda v: -np.ones_like(v)),
    ("absolute", np.abs, lambda v: np.sign(v)),
]


@pytest.mark.parametrize("name, ufunc, dfn", UFUNCS, ids=[u[0] for u in UFUNCS])
def test_numpy_unary_ufuncs_keep_graph(name, ufunc, dfn):
    """np.exp(t) etc. return Tensors in the graph with the right values and grads."""
    v = rnd(2, 3, lo=0.5, hi=2.0)
    t = f64(v)
    out = ufunc(t)
    assert isinstance(out, ag.Tensor) and out.requires_grad
    np.testing.assert_allclose(out.data, ufunc(v))
    out.sum().backward()
    np.testing.assert_allclose(t.grad.data, dfn(v))
    assert ag.gradcheck(ufunc, f64(v))


@pytest.mark.parametrize("ufunc", [np.maximum, np.minimum, np.add, np.subtract, np.multiply,
                                   np.divide, np.power])
def test_numpy_binary_ufuncs_keep_graph(ufunc):
    """np.maximum(t, u) and other binary ufuncs keep the graph (gradcheck, broadcasting)."""
    va = rnd(3, 1, seed=1, lo=0.5, hi=2.0)
    vb = rnd(4, seed=2, lo=0.5, hi=2.0)
    out = ufunc(f64(va), f64(vb))
    assert isinstance(out, ag.Tensor) and out.requires_grad and out.shape == (3, 4)
    np.testing.assert_allclose(out.data, ufunc(va, vb))
    assert ag.gradcheck(ufunc, f64(va), f64(vb))
    assert ag.gradcheck(lambda t: ufunc(t, vb), f64(va))  # ndarray second operand


def test_np_maximum_grad_closed_form():
    """np.maximum(t, 0) passes the gradient only where t > 0."""
    v = np.array([-1.0, 0.5, 2.0, -0.1])
    t = f64(v)
    np.maximum(t, 0.0).sum().backward()
    np.testing.assert_array_equal(t.grad.data, (v > 0).astype(float))


# ============================================================== numpy functions kept in graph

def test_np_sum_axis():
    """np.sum(t, axis=0) is a Tensor in the graph; grad is all ones; gradcheck passes."""
    v = rnd(3, 4)
    t = f64(v)
    out = np.sum(t, axis=0)
    assert isinstance(out, ag.Tensor) and out.requires_grad
    np.testing.assert_allclose(out.data, v.sum(axis=0))
    (out * np.arange(4.0)).sum().backward()
    np.testing.assert_array_equal(t.grad.data, np.broadcast_to(np.arange(4.0), (3, 4)))
    assert ag.gradcheck(lambda x: np.sum(x * x, axis=1, keepdims=True), f64(v))


@pytest.mark.parametrize("fn", [
    lambda t: np.mean(t, axis=1), lambda t: np.max(t, axis=0), lambda t: np.min(t),
    lambda t: np.var(t, axis=0), lambda t: np.reshape(t, (4, 3)), lambda t: np.transpose(t),
    lambda t: np.swapaxes(t, 0, 1), lambda t: np.expand_dims(t, 0),
    lambda t: np.squeeze(np.expand_dims(t, 0)), lambda t: np.clip(t, -0.5, 0.5),
    lambda t: np.broadcast_to(t, (2, 3, 4)), lambda t: np.matmul(t, t.T)],
    ids=["mean", "max", "min", "var", "reshape", "transpose", "swapaxes", "expand_dims",
         "squeeze", "clip", "broadcast_to", "matmul"])
def test_numpy_functions_keep_graph(fn):
    """Implemented numpy functions on tensors equal numpy on arrays and pass gradcheck."""
    v = rnd(3, 4, seed=11)
    out = fn(f64(v))
    assert isinstance(out, ag.Tensor) and out.requires_grad
    np.testing.assert_allclose(out.data, fn(v))
    assert ag.gradcheck(fn, f64(v))


def test_np_concatenate_and_stack():
    """np.concatenate / np.stack of tensors keep the graph to every input."""
    va, vb = rnd(2, 3, seed=1), rnd(1, 3, seed=2)
    a, b = f64(va), f64(vb)
    out = np.concatenate([a, b])
    assert isinstance(out, ag.Tensor) and out.requires_grad
    np.testing.assert_array_equal(out.data, np.concatenate([va, vb]))
    w = rnd(3, 3, seed=3)
    (out * w).sum().backward()
    np.testing.assert_array_equal(a.grad.data, w[:2])
    np.testing.assert_array_equal(b.grad.data, w[2:])
    assert ag.gradcheck(lambda x, y: np.concatenate((x, y), axis=0) ** 2, f64(va), f64(vb))
    assert ag.gradcheck(lambda x, y: np.stack([x, y], axis=1) ** 2, f64(va), f64(va + 1))


def test_np_concatenate_mixing_ndarray_and_tensor():
    """np.concatenate([tensor, ndarray]) still reaches the tensor."""
    t = f64([1.0, 2.0])
    out = np.concatenate([t, np.array([3.0])])
    assert isinstance(out, ag.Tensor)
    np.testing.assert_array_equal(out.data, [1.0, 2.0, 3.0])
    (out * np.array([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(t.grad.data, [1.0, 2.0])


def test_np_split():
    """np.split of a tensor gives Tensors in the graph."""
    t = f64(rnd(6))
    parts = np.split(t, 3)
    assert all(isinstance(p, ag.Tensor) and p.requires_grad for p in parts)
    (parts[1] * 2).sum().backward()
    np.testing.assert_array_equal(t.grad.data, [0, 0, 2, 2, 0, 0])


def test_np_where_three_args():
    """np.where(cond, t, u) keeps the graph; grads go to the chosen side only."""
    va, vb = rnd(2, 3, seed=1), rnd(2, 3, seed=2)
    a, b = f64(va), f64(vb)
    cond = a > b
    out = np.where(cond, a, b)
    assert isinstance(out, ag.Tensor) and out.requires_grad
    np.testing.assert_array_equal(out.data, np.where(va > vb, va, vb))
    out.sum().backward()
    np.testing.assert_array_equal(a.grad.data, (va > vb).astype(float))
    np.testing.assert_array_equal(b.grad.data, (va <= vb).astype(float))
    assert ag.gradcheck(lambda x: np.where(x > 0, x * x, -x), f64(rnd(2, 3, seed=4)))


def test_np_where_with_ndarray_condition_and_scalar():
    """np.where(ndarray_cond, t, 0.0) keeps the graph."""
    t = f64([1.0, -2.0, 3.0])
    out = np.where(np.array([True, False, True]), t, 0.0)
    assert isinstance(out, ag.Tensor)
    out.sum().backward()
    np.testing.assert_array_equal(t.grad.data, [1.0, 0.0, 1.0])


def test_np_where_single_argument_gives_indices():
    """np.where(bool_tensor) alone behaves like numpy (indices of True elements)."""
    v = np.array([[1.0, -1.0], [2.0, 0.0]])
    result = np.where(ag.tensor(v) > 0)
    expected = np.where(v > 0)
    assert len(result) == len(expected)
    for r, e in zip(result, expected):
        np.testing.assert_array_equal(np.asarray(r), e)


# ============================================================== unimplemented numpy functions

UNIMPLEMENTED = [
    ("sin", lambda t: np.sin(t)),
    ("cos", lambda t: np.cos(t)),
    ("log1p", lambda t: np.log1p(t)),
    ("cumsum", lambda t: np.cumsum(t)),
    ("sort", lambda t: np.sort(t)),
    ("prod", lambda t: np.prod(t)),
    ("diff", lambda t: np.diff(t)),
    ("add.reduce", lambda t: np.add.reduce(t)),
    ("exp(out=)", lambda t: np.exp(t, out=np.empty(t.shape))),
]


@pytest.mark.parametrize("name, fn", UNIMPLEMENTED, ids=[u[0] for u in UNIMPLEMENTED])
def test_unimplemented_numpy_function_refuses_grad_tensor(name, fn):
    """A numpy function we do not implement raises TypeError naming it (never drops the graph)."""
    t = ag.tensor([0.5, 1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError) as info:
        fn(t)
    expected_name = name.split(".")[0].split("(")[0]
    assert f"numpy.{expected_name}" in str(info.value)


def test_unimplemented_refused_when_grad_tensor_is_inside_a_list():
    """A grad tensor nested in a list argument is refused too."""
    t = ag.tensor([0.5, 1.0], requires_grad=True)
    with pytest.raises(TypeError, match="numpy.hstack"):
        np.hstack([t, t])


@pytest.mark.parametrize("name, fn", UNIMPLEMENTED, ids=[u[0] for u in UNIMPLEMENTED])
def test_unimplemented_numpy_function_works_without_grad(name, fn):
    """On a tensor not requiring grad the numpy function just returns numpy's values."""
    v = np.array([0.5, 1.0, 2.0], np.float32)
    out = fn(ag.tensor(v))
    np.testing.assert_allclose(np.asarray(out), fn(v), rtol=1e-6)
    if isinstance(out, ag.Tensor):
        assert not out.requires_grad


@pytest.mark.parametrize("name, fn", UNIMPLEMENTED, ids=[u[0] for u in UNIMPLEMENTED])
def test_unimplemented_numpy_function_works_under_no_grad(name, fn):
    """Under no_grad the numpy function runs on a grad tensor and returns plain values."""
    v = np.array([0.5, 1.0, 2.0], np.float32)
    t = ag.tensor(v, requires_grad=True)
    with ag.no_grad():
        out = fn(t)
    np.testing.assert_allclose(np.asarray(out), fn(v), rtol=1e-6)
    if isinstance(out, ag.Tensor):
        assert not out.requires_grad


def test_unimplemented_result_types():
    """Array results come back as Tensors, scalar results as numpy scalars."""
    out = np.cumsum(ag.tensor([1.0, 2.0, 3.0]))
    assert isinstance(out, ag.Tensor)
    np.testing.assert_array_equal(out.data, [1.0, 3.0, 6.0])


def test_detach_numpy_escape_hatch():
    """The message's suggestion, x.detach().numpy(), works with any numpy function."""
    t = ag.tensor([0.0, np.pi / 2], requires_grad=True)
    np.testing.assert_allclose(np.sin(t.detach().numpy()), [0.0, 1.0], atol=1e-7)


def test_asarray_is_an_explicit_exit_from_the_graph():
    """np.asarray(t) returns the plain ndarray values (an explicit, graph-free conversion)."""
    t = ag.tensor([1.0, 2.0], requires_grad=True)
    a = np.asarray(t)
    assert type(a) is np.ndarray
    np.testing.assert_array_equal(np.sin(a), np.sin(np.array([1.0, 2.0], np.float32)))


# ============================================================== review fixes (regressions)

@pytest.mark.parametrize("requires_grad", [False, True])
@pytest.mark.parametrize("label, call, expected", [
    ("transpose(axes=)", lambda t: np.transpose(t, axes=(1, 0)), lambda v: np.transpose(v, (1, 0))),
    ("reshape(shape=)", lambda t: np.reshape(t, shape=(3, 2)), lambda v: v.reshape(3, 2)),
    ("reshape(order='C')", lambda t: np.reshape(t, (6,), order="C"), lambda v: v.reshape(6)),
    ("clip(a_min=, a_max=)", lambda t: np.clip(t, a_min=-0.5, a_max=0.5),
     lambda v: np.clip(v, -0.5, 0.5)),
    ("clip(min=, max=)", lambda t: np.clip(t, min=-0.5, max=0.5), lambda v: np.clip(v, -0.5, 0.5)),
    ("clip(a_max=)", lambda t: np.clip(t, None, a_max=0.5), lambda v: np.clip(v, None, 0.5)),
    ("sum(out=None)", lambda t: np.sum(t, out=None), lambda v: np.sum(v)),
    ("sum(t, 0, None, None, True)", lambda t: np.sum(t, 0, None, None, True),
     lambda v: np.sum(v, 0, keepdims=True)),
    ("mean(axis=, keepdims=)", lambda t: np.mean(t, axis=1, keepdims=True),
     lambda v: v.mean(axis=1, keepdims=True)),
    ("max(t, 1, None)", lambda t: np.max(t, 1, None), lambda v: v.max(1)),
    ("var(ddof=)", lambda t: np.var(t, axis=0, ddof=1), lambda v: v.var(axis=0, ddof=1)),
    ("var(correction=)", lambda t: np.var(t, correction=1), lambda v: v.var(ddof=1)),
    ("swapaxes(axis1=, axis2=)", lambda t: np.swapaxes(t, axis1=0, axis2=1), lambda v: v.T),
    ("expand_dims(axis=)", lambda t: np.expand_dims(t, axis=0), lambda v: v[None]),
    ("broadcast_to(shape=)", lambda t: np.broadcast_to(t, shape=(4, 2, 3)),
     lambda v: np.broadcast_to(v, (4, 2, 3))),
    ("concatenate(axis=, out=None)", lambda t: np.concatenate([t, t], axis=1, out=None),
     lambda v: np.concatenate([v, v], axis=1)),
    ("stack(axis=)", lambda t: np.stack([t, t], axis=-1), lambda v: np.stack([v, v], axis=-1)),
    ("split(indices_or_sections=, axis=)",
     lambda t: np.split(t, indices_or_sections=3, axis=1)[2], lambda v: v[:, 2:]),
])
def test_numpy_keyword_names_are_mapped(requires_grad, label, call, expected):
    """numpy's keyword names (and positional order) reach our ops; the graph is kept."""
    v = rnd(2, 3, seed=11)
    t = f64(v, requires_grad=requires_grad)
    out = call(t)
    assert isinstance(out, ag.Tensor)
    np.testing.assert_allclose(out.data, expected(v))
    assert out.requires_grad == requires_grad
    if requires_grad:
        out.sum().backward()
        assert t.grad is not None and t.grad.shape == t.shape


@pytest.mark.parametrize("label, call", [
    ("sum(dtype=)", lambda t: np.sum(t, dtype=np.float32)),
    ("sum(where=)", lambda t: np.sum(t, where=np.array([True, False, True]))),
    ("mean(dtype=)", lambda t: np.mean(t, dtype=np.float32)),
    ("max(initial=)", lambda t: np.max(t, initial=10.0)),
    ("concatenate(dtype=)", lambda t: np.concatenate([t, t], dtype=np.float32)),
    ("add(where=)", lambda t: np.add(t, 1.0, where=True)),
    ("exp(dtype=)", lambda t: np.exp(t, dtype=np.float32)),
])
def test_unsupported_numpy_keyword_falls_back_without_grad(label, call):
    """An unsupported keyword runs numpy when no tensor requires grad."""
    v = np.array([0.5, 1.0, 2.0])
    out = call(ag.tensor(v))
    np.testing.assert_allclose(np.asarray(out), np.asarray(call(v)), rtol=1e-6)
    with ag.no_grad():
        out = call(ag.tensor(v, requires_grad=True))
    np.testing.assert_allclose(np.asarray(out), np.asarray(call(v)), rtol=1e-6)


@pytest.mark.parametrize("name, keyword, call", [
    ("sum", "dtype", lambda t: np.sum(t, dtype=np.float32)),
    ("sum", "where", lambda t: np.sum(t, where=np.array([True, False, True]))),
    ("mean", "dtype", lambda t: np.mean(t, dtype=np.float64)),
    ("max", "initial", lambda t: np.max(t, initial=10.0)),
    ("clip", "dtype", lambda t: np.clip(t, 0, 1, dtype=np.float64)),
    ("concatenate", "casting", lambda t: np.concatenate([t, t], casting="unsafe")),
    ("add", "where", lambda t: np.add(t, 1.0, where=True)),
    ("exp", "dtype", lambda t: np.exp(t, dtype=np.float64)),
])
def test_unsupported_numpy_keyword_with_grad_names_function_and_keyword(name, keyword, call):
    """With a grad tensor, an unsupported keyword is a TypeError naming function and keyword."""
    t = ag.tensor([0.5, 1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError) as info:
        call(t)
    msg = str(info.value)
    assert f"numpy.{name}" in msg and repr(keyword) in msg
    assert "not differentiable" not in msg


def test_numpy_duplicate_argument_is_a_type_error():
    """Giving a parameter both positionally and by keyword is refused, like numpy."""
    with pytest.raises(TypeError, match="axis"):
        np.sum(ag.ones((2, 2)), 0, axis=1)
    with pytest.raises(TypeError, match="max"):
        np.clip(ag.ones(2), a_max=1.0, max=1.0)


@pytest.mark.parametrize("name, fn, suggested", [
    ("dot", lambda t: np.dot(t, t), False),
    ("array_split", lambda t: np.array_split(t, 2), False),
    ("zeros_like", lambda t: np.zeros_like(t), True),
])
def test_fallback_suggests_ag_name_only_when_it_exists(name, fn, suggested):
    """The refusal suggests ag.<name> only when autograd_lite has that attribute."""
    t = ag.tensor([0.5, 1.0], requires_grad=True)
    with pytest.raises(TypeError) as info:
        fn(t)
    assert f"numpy.{name}" in str(info.value)
    assert (f"ag.{name}" in str(info.value)) == suggested


def test_np_concatenate_axis_none_flattens():
    """np.concatenate(..., axis=None) on tensors ravels first, like numpy, keeping the graph."""
    t = f64(rnd(2, 2, seed=3))
    out = np.concatenate([t, t], axis=None)
    assert out.shape == (8,) and out.requires_grad
    out.sum().backward()
    np.testing.assert_array_equal(t.grad.data, np.full((2, 2), 2.0))


def test_python_float_list_operand_uses_default_dtype():
    """[1., 2.] + float32 tensor is float32: a list converts like ag.tensor, not like numpy."""
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    for out in ([1.0, 2.0] + x, x + [1.0, 2.0], np.add([1.0, 2.0], x), [1.0, 2.0] * x):
        assert out.dtype == np.float32
