"""Tests for ``autograd_lite.Tensor``: construction, dtypes, factories, conversion,
broadcasting, indexing, joins, stable softmax, comparisons, in-place rules and
error messages.

Gradients are checked against central differences (``ag.gradcheck`` in float64)
or against closed-form derivatives computed with plain numpy.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd_lite as ag


@pytest.fixture(autouse=True)
def _restore_default_dtype():
    prev = ag.get_default_dtype()
    yield
    ag.set_default_dtype(prev)


def f64(data: Any, requires_grad: bool = True) -> ag.Tensor:
    return ag.tensor(np.asarray(data, dtype=np.float64), requires_grad=requires_grad)


def rnd(*shape: int, seed: int = 0, lo: float = -2.0, hi: float = 2.0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(lo, hi, size=shape)


def grad_of_sum(fn: Callable[[ag.Tensor], ag.Tensor], x: ag.Tensor) -> np.ndarray:
    x.grad = None
    fn(x).sum().backward()
    assert x.grad is not None
    return x.grad.data


# ============================================================== construction

@pytest.mark.parametrize("data", [1.5, [1.0, 2.0], [[1, 2], [3, 4]], True,
                                  np.arange(6.0).reshape(2, 3), np.int32(7)])
def test_tensor_function_and_class_agree(data):
    """``ag.tensor(...)`` and ``ag.Tensor(...)`` build the same data, dtype and flags."""
    a = ag.Tensor(data, name="n")
    b = ag.tensor(data, name="n")
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(a.data, b.data)
    assert a.name == b.name == "n"
    assert a.requires_grad is b.requires_grad is False


def test_tensor_keyword_signature():
    """``Tensor(data, requires_grad, dtype, name)`` accepts all four keywords."""
    t = ag.Tensor(data=[1, 2], requires_grad=True, dtype="float64", name="w")
    assert t.dtype == np.float64 and t.requires_grad and t.name == "w"
    u = ag.tensor(data=[1, 2], requires_grad=True, dtype="float64", name="w")
    assert u.dtype == np.float64 and u.requires_grad and u.name == "w"


def test_python_floats_default_to_float32():
    """Python floats (scalars and nested lists) become float32 by default."""
    assert ag.tensor(1.0).dtype == np.float32
    assert ag.tensor([[1.0, 2.0]]).dtype == np.float32
    assert ag.tensor([1, 2.5]).dtype == np.float32


def test_python_ints_and_bools_keep_numpy_dtypes():
    """Python ints give int64 and bools give bool, as numpy would."""
    assert ag.tensor([1, 2]).dtype == np.int64
    assert ag.tensor([True, False]).dtype == np.bool_


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int32, np.uint8])
def test_ndarrays_keep_their_dtype(dtype):
    """An ndarray's dtype is kept (float64 is not downcast to the default)."""
    arr = np.arange(4).astype(dtype)
    assert ag.tensor(arr).dtype == dtype
    assert ag.Tensor(arr).dtype == dtype


def test_numpy_scalar_keeps_its_dtype():
    """A numpy scalar (np.float64) keeps its dtype."""
    assert ag.tensor(np.float64(1.5)).dtype == np.float64


def test_dtype_argument_overrides():
    """An explicit dtype wins over both Python and ndarray dtypes."""
    assert ag.tensor([1, 2], dtype="float32").dtype == np.float32
    assert ag.tensor(np.ones(2, np.float64), dtype=np.float32).dtype == np.float32
    assert ag.tensor([1.7], dtype="int64").dtype == np.int64


def test_construction_copies_the_data():
    """Tensor(ndarray) copies: later changes to the array do not leak in."""
    arr = np.array([1.0, 2.0])
    t = ag.tensor(arr)
    arr[0] = 100.0
    assert t.data[0] == 1.0


def test_construction_rejects_non_numeric():
    """Strings or objects give a TypeError naming the problem."""
    with pytest.raises(TypeError, match="cannot make a tensor"):
        ag.tensor(["a", "b"])


def test_set_default_dtype_changes_new_float_tensors():
    """set_default_dtype('float64') changes Python-float tensors and float factories."""
    ag.set_default_dtype("float64")
    assert ag.get_default_dtype() == np.float64
    assert ag.tensor([1.0]).dtype == np.float64
    for t in (ag.zeros(2), ag.ones(2), ag.full((2,), 3.0), ag.eye(2), ag.randn(2, seed=0),
              ag.rand(2, seed=0), ag.arange(0.0, 1.0, 0.5)):
        assert t.dtype == np.float64
    # ndarrays and ints are untouched by the default
    assert ag.tensor(np.ones(2, np.float32)).dtype == np.float32
    assert ag.tensor([1, 2]).dtype == np.int64


def test_default_dtype_is_restored_by_fixture():
    """Each test starts with float32 as the default (the fixture restores it)."""
    assert ag.get_default_dtype() == np.float32


@pytest.mark.parametrize("bad", ["int32", "bool", np.int64])
def test_set_default_dtype_rejects_non_float(bad):
    """set_default_dtype refuses non-float dtypes with a TypeError naming the dtype."""
    with pytest.raises(TypeError, match=str(np.dtype(bad))):
        ag.set_default_dtype(bad)
    assert ag.get_default_dtype() == np.float32


# ============================================================== factories

@pytest.mark.parametrize("name", ["zeros", "ones"])
def test_zeros_ones_match_numpy(name):
    """zeros/ones take varargs or a tuple, default to float32, accept dtype."""
    fn, ref = getattr(ag, name), getattr(np, name)
    for t in (fn(2, 3), fn((2, 3)), fn([2, 3])):
        assert t.shape == (2, 3) and t.dtype == np.float32
        np.testing.assert_array_equal(t.data, ref((2, 3)))
    assert fn(3, dtype="float64").dtype == np.float64
    assert fn(3, dtype=np.int32).dtype == np.int32
    assert fn(()).shape == ()
    assert not fn(2).requires_grad and fn(2, requires_grad=True).requires_grad


def test_full_matches_numpy():
    """full(shape, value) fills with the value in the default float dtype."""
    t = ag.full((2, 3), 7)
    np.testing.assert_array_equal(t.data, np.full((2, 3), 7.0))
    assert t.dtype == np.float32
    assert ag.full(4, 1.5).shape == (4,)
    assert ag.full((2,), 2.0, dtype="float64").dtype == np.float64


def test_arange_matches_numpy():
    """arange keeps ints as int64, float arguments give the default float dtype."""
    np.testing.assert_array_equal(ag.arange(5).data, np.arange(5))
    assert ag.arange(5).dtype == np.int64
    np.testing.assert_allclose(ag.arange(0.0, 1.0, 0.25).data, np.arange(0.0, 1.0, 0.25))
    assert ag.arange(0.0, 1.0, 0.25).dtype == np.float32
    np.testing.assert_array_equal(ag.arange(2, 10, 3).data, np.arange(2, 10, 3))
    assert ag.arange(3, dtype="float64").dtype == np.float64


def test_eye_matches_numpy():
    """eye(n) and eye(n, m) equal numpy's identity, in float32."""
    np.testing.assert_array_equal(ag.eye(3).data, np.eye(3))
    np.testing.assert_array_equal(ag.eye(2, 4).data, np.eye(2, 4))
    assert ag.eye(2).dtype == np.float32


@pytest.mark.parametrize("name, value", [("zeros_like", 0), ("ones_like", 1)])
def test_like_factories_keep_shape_and_dtype(name, value):
    """zeros_like/ones_like copy shape and dtype of a Tensor or ndarray."""
    fn = getattr(ag, name)
    src = ag.tensor(np.ones((2, 3), np.float64), requires_grad=True)
    t = fn(src)
    assert t.shape == (2, 3) and t.dtype == np.float64 and not t.requires_grad
    np.testing.assert_array_equal(t.data, np.full((2, 3), value))
    assert fn(np.zeros(4, np.int32)).dtype == np.int32
    assert fn(src, dtype="float32").dtype == np.float32
    assert fn(src, requires_grad=True).requires_grad


@pytest.mark.parametrize("name, draw", [("randn", "standard_normal"), ("rand", "random")])
def test_random_with_int_seed_is_reproducible(name, draw):
    """Same int seed gives the same numbers: those of default_rng(seed), cast to float32."""
    fn = getattr(ag, name)
    a, b = fn(3, 4, seed=123), fn(3, 4, seed=123)
    np.testing.assert_array_equal(a.data, b.data)
    expected = getattr(np.random.default_rng(123), draw)((3, 4)).astype(np.float32)
    np.testing.assert_array_equal(a.data, expected)
    assert a.dtype == np.float32 and a.shape == (3, 4)
    assert not np.array_equal(a.data, fn(3, 4, seed=124).data)


@pytest.mark.parametrize("name, draw", [("randn", "standard_normal"), ("rand", "random")])
def test_random_with_generator_advances_its_state(name, draw):
    """A Generator seed is used as is: consecutive calls differ and follow its stream."""
    fn = getattr(ag, name)
    gen, twin = np.random.default_rng(7), np.random.default_rng(7)
    first, second = fn(5, seed=gen), fn(5, seed=gen)
    assert not np.array_equal(first.data, second.data)
    np.testing.assert_array_equal(first.data, getattr(twin, draw)(5).astype(np.float32))
    np.testing.assert_array_equal(second.data, getattr(twin, draw)(5).astype(np.float32))


def test_manual_seed_resets_the_global_stream():
    """manual_seed(s) makes unseeded randn/rand repeat exactly."""
    ag.manual_seed(42)
    a, b = ag.randn(4), ag.rand(4)
    ag.manual_seed(42)
    np.testing.assert_array_equal(a.data, ag.randn(4).data)
    np.testing.assert_array_equal(b.data, ag.rand(4).data)


def test_random_options():
    """randn/rand accept a tuple shape, dtype and requires_grad; rand stays in [0, 1)."""
    t = ag.randn((2, 3), seed=0, dtype="float64", requires_grad=True)
    assert t.shape == (2, 3) and t.dtype == np.float64 and t.requires_grad
    u = ag.rand(1000, seed=0)
    assert float(u.data.min()) >= 0.0 and float(u.data.max()) < 1.0


def test_random_rejects_bad_seed():
    """A float seed is a TypeError that names the accepted kinds."""
    with pytest.raises(TypeError, match="Generator"):
        ag.randn(3, seed=1.5)


# ============================================================== dtype rules

UNARY_AND_BINARY = [
    ("mul", lambda x: x * x),
    ("div", lambda x: x / (x * x + 1)),
    ("exp", lambda x: x.exp()),
    ("tanh", lambda x: x.tanh()),
    ("sigmoid", lambda x: x.sigmoid()),
    ("matmul", lambda x: x @ x.T),
    ("softmax", lambda x: x.softmax(axis=-1)),
    ("logsumexp", lambda x: x.logsumexp(axis=0)),
    ("getitem", lambda x: x[[0, 0, 1]]),
    ("var", lambda x: x.var(axis=1)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, fn", UNARY_AND_BINARY, ids=[n for n, _ in UNARY_AND_BINARY])
def test_grad_dtype_equals_data_dtype(dtype, name, fn):
    """Forward output and .grad keep the input's float dtype (float32 and float64)."""
    x = ag.tensor(rnd(2, 3).astype(dtype), requires_grad=True)
    y = fn(x)
    assert y.dtype == dtype
    y.sum().backward()
    assert x.grad is not None and x.grad.dtype == dtype and x.grad.shape == x.shape


NEP50_CASES = [
    # (label, fn, d/dx of fn at x computed independently with numpy in float64)
    ("x * 2.0", lambda x: x * 2.0, lambda v: np.full_like(v, 2.0)),
    ("2.0 * x", lambda x: 2.0 * x, lambda v: np.full_like(v, 2.0)),
    ("2.0 ** x", lambda x: 2.0 ** x, lambda v: 2.0 ** v * np.log(2.0)),
    ("x ** 2.0", lambda x: x ** 2.0, lambda v: 2.0 * v),
    ("x ** 3", lambda x: x ** 3, lambda v: 3.0 * v ** 2),
    ("x + 1", lambda x: x + 1, lambda v: np.ones_like(v)),
    ("1 + x", lambda x: 1 + x, lambda v: np.ones_like(v)),
    ("x - 1.5", lambda x: x - 1.5, lambda v: np.ones_like(v)),
    ("1.5 - x", lambda x: 1.5 - x, lambda v: -np.ones_like(v)),
    ("x / 3", lambda x: x / 3, lambda v: np.full_like(v, 1 / 3)),
    ("3 / x", lambda x: 3 / x, lambda v: -3.0 / v ** 2),
    ("maximum(x, 0.5)", lambda x: ag.maximum(x, 0.5), lambda v: (v > 0.5).astype(float)),
    ("where(x>1, x, 0.0)", lambda x: ag.where(x > 1, x, 0.0), lambda v: (v > 1).astype(float)),
]


@pytest.mark.parametrize("label, fn, dfn", NEP50_CASES, ids=[c[0] for c in NEP50_CASES])
def test_python_scalars_never_upcast_float32(label, fn, dfn):
    """NEP 50: a Python scalar operand keeps a float32 tensor (and its grad) float32."""
    v = np.array([0.25, 1.5, 2.0])
    x = ag.tensor(v.astype(np.float32), requires_grad=True)
    y = fn(x)
    assert y.dtype == np.float32, label
    y.sum().backward()
    assert x.grad.dtype == np.float32, label
    np.testing.assert_allclose(x.grad.data, dfn(v), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("data, dtype_name", [
    ([1, 2], "int64"), (np.array([1, 2], np.int32), "int32"), ([True, False], "bool"),
    (np.array([1, 2], np.uint8), "uint8")])
def test_integer_and_bool_tensors_cannot_require_grad(data, dtype_name):
    """requires_grad on an int/bool tensor is a TypeError naming the dtype and a conversion."""
    for make in (lambda: ag.tensor(data, requires_grad=True),
                 lambda: ag.Tensor(data, requires_grad=True),
                 lambda: ag.tensor(data).requires_grad_()):
        with pytest.raises(TypeError) as info:
            make()
        msg = str(info.value)
        assert dtype_name in msg
        assert "float" in msg  # says how to convert (dtype='float32' or x.float())


def test_integer_factories_cannot_require_grad():
    """Factories with an integer dtype refuse requires_grad=True too."""
    with pytest.raises(TypeError, match="int64"):
        ag.arange(3, requires_grad=True)
    with pytest.raises(TypeError, match="int32"):
        ag.zeros(3, dtype=np.int32, requires_grad=True)


def test_to_float_double_forward():
    """.to/.float/.double cast the values like ndarray.astype."""
    x = ag.tensor([1.5, -2.25])
    assert x.double().dtype == np.float64 and x.float().dtype == np.float32
    assert x.to("float64").dtype == np.float64
    assert x.to(np.float16).dtype == np.float16
    np.testing.assert_array_equal(x.double().data, np.array([1.5, -2.25]))
    i = ag.tensor([1, 2])
    assert i.float().dtype == np.float32 and i.double().dtype == np.float64
    assert ag.tensor([1.7, -1.7]).to("int64").tolist() == [1, -1]


@pytest.mark.parametrize("src, cast", [(np.float32, "double"), (np.float64, "float"),
                                       (np.float32, "to64"), (np.float64, "to32")])
def test_casts_are_differentiable_in_the_original_dtype(src, cast):
    """Gradients flow through a cast and arrive in the source dtype with the right values."""
    v = np.array([0.5, -1.0, 2.0])
    x = ag.tensor(v.astype(src), requires_grad=True)
    y = {"double": x.double, "float": x.float, "to64": lambda: x.to(np.float64),
         "to32": lambda: x.to("float32")}[cast]()
    assert y.requires_grad and y.grad_fn is not None
    (y * y * y).sum().backward()
    assert x.grad.dtype == src
    np.testing.assert_allclose(x.grad.data, 3 * v ** 2, rtol=1e-6)


def test_cast_gradcheck():
    """Round-tripping float64 -> float32 -> float64 passes gradcheck (loose tolerance)."""
    x = f64([0.3, -0.7, 1.1])
    assert ag.gradcheck(lambda t: t.float().double() * 2.0, x, eps=1e-3, atol=1e-3)


def test_cast_to_int_of_grad_tensor_is_refused():
    """Casting a tensor that requires grad to an int dtype is a TypeError (grad would vanish)."""
    with pytest.raises(TypeError, match="int64"):
        ag.tensor([1.0], requires_grad=True).to("int64")


# ============================================================== conversion & properties

def test_numpy_returns_the_data():
    """.numpy() returns an ndarray with the tensor's values and dtype."""
    t = ag.tensor([[1.0, 2.0], [3.0, 4.0]])
    a = t.numpy()
    assert isinstance(a, np.ndarray) and a.dtype == np.float32
    np.testing.assert_array_equal(a, [[1.0, 2.0], [3.0, 4.0]])


def test_array_protocol():
    """np.asarray/np.array on a tensor give plain ndarrays (dtype and copy honoured)."""
    t = ag.tensor([1.0, 2.0], requires_grad=True)
    a = np.asarray(t)
    assert type(a) is np.ndarray and a.dtype == np.float32
    np.testing.assert_array_equal(a, [1.0, 2.0])
    b = np.asarray(t, dtype=np.float64)
    assert b.dtype == np.float64
    c = np.array(t, copy=True)
    c[0] = 99.0
    assert t.data[0] == 1.0


@pytest.mark.parametrize("shape", [(), (4,), (2, 3), (2, 3, 4)])
def test_shape_ndim_dtype_size_T(shape):
    """shape/ndim/dtype/size/T mirror the ndarray's."""
    arr = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    t = ag.tensor(arr)
    assert t.shape == arr.shape and t.ndim == arr.ndim
    assert t.dtype == arr.dtype and t.size == arr.size
    assert isinstance(t.T, ag.Tensor)
    np.testing.assert_array_equal(t.T.data, arr.T)


def test_T_is_differentiable():
    """x.T passes gradcheck and its grad is the transpose of the cotangent."""
    x = f64(rnd(2, 3, 4))
    assert ag.gradcheck(lambda t: t.T * f64(rnd(4, 3, 2, seed=1), False), x)
    w = rnd(3, 2, seed=2)
    x2 = f64(rnd(2, 3))
    (x2.T * w).sum().backward()
    np.testing.assert_allclose(x2.grad.data, w.T)


@pytest.mark.parametrize("value", [2.5, [2.5], [[2.5]]])
def test_item_of_single_element(value):
    """item() returns a Python float for any one-element tensor."""
    out = ag.tensor(value, dtype="float64").item()
    assert type(out) is float and out == 2.5
    assert type(ag.tensor([3]).item()) is int


def test_item_of_many_elements_raises():
    """item() on several elements is a ValueError naming the shape."""
    with pytest.raises(ValueError, match=r"\(2, 2\)"):
        ag.ones((2, 2)).item()


def test_name_attribute():
    """name defaults to None and is kept (and settable)."""
    assert ag.tensor([1.0]).name is None
    t = ag.tensor([1.0], name="bias")
    assert t.name == "bias"
    t.name = "b2"
    assert t.name == "b2"


def test_repr_leaf():
    """repr shows values, dtype, requires_grad and name."""
    r = repr(ag.tensor([1.0, 2.0], requires_grad=True, name="w"))
    assert r.startswith("tensor([1., 2.]")
    assert "dtype=float32" in r and "requires_grad=True" in r and "name='w'" in r


def test_repr_non_leaf_shows_grad_fn():
    """repr of an op's result names its grad_fn op."""
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    r = repr(w * 3)
    assert "grad_fn=<mul>" in r and "[3., 6.]" in r
    assert "grad_fn=<sigmoid>" in repr(w.sigmoid())
    assert "grad_fn" not in repr(ag.tensor([1.0]) * 3)
    assert "dtype=int64" in repr(ag.tensor([1, 2]))


def test_repr_of_large_tensor_is_summarised():
    """Large tensors are summarised with '...' rather than printed in full."""
    r = repr(ag.zeros(10_000))
    assert "..." in r and len(r) < 500


# ============================================================== broadcasting

BROADCAST_SHAPES = [((3, 1), (4,)), ((2, 1, 3), (5, 1)), ((), (2, 3)), ((2, 3), ()),
                    ((1,), (3,)), ((1, 3), (2, 1)), ((2, 1, 1), (1, 3, 1)), ((4, 1), (1,))]
BINARY_OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a ** b,
    "maximum": ag.maximum,
    "minimum": ag.minimum,
    "where": lambda a, b: ag.where(a > b, a * 2, b),
}
NP_BINARY = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide, "pow": np.power,
    "maximum": np.maximum, "minimum": np.minimum,
    "where": lambda a, b: np.where(a > b, a * 2, b),
}


@pytest.mark.parametrize("sa, sb", BROADCAST_SHAPES, ids=str)
@pytest.mark.parametrize("op", list(BINARY_OPS))
def test_binary_ops_broadcast_forward_and_backward(op, sa, sb):
    """Binary ops broadcast like numpy forward; grads (gradcheck) keep each input's shape."""
    va = rnd(*sa, seed=1, lo=0.5, hi=2.0)  # positive: pow and div are smooth there
    vb = rnd(*sb, seed=2, lo=0.5, hi=2.0)
    a, b = f64(va), f64(vb)
    out = BINARY_OPS[op](a, b)
    assert out.shape == np.broadcast_shapes(sa, sb)
    np.testing.assert_allclose(out.data, NP_BINARY[op](va, vb))
    out.sum().backward()
    assert a.grad.shape == sa and b.grad.shape == sb
    assert ag.gradcheck(BINARY_OPS[op], f64(va), f64(vb))


@pytest.mark.parametrize("sa, sb", BROADCAST_SHAPES, ids=str)
def test_broadcast_add_grad_counts_copies(sa, sb):
    """d sum(a + b)/da is the number of times each a element was broadcast (closed form)."""
    a, b = f64(np.ones(sa)), f64(np.ones(sb))
    (a + b).sum().backward()
    out_size = int(np.prod(np.broadcast_shapes(sa, sb)))
    np.testing.assert_array_equal(a.grad.data, np.full(sa, out_size / max(1, int(np.prod(sa)))))
    np.testing.assert_array_equal(b.grad.data, np.full(sb, out_size / max(1, int(np.prod(sb)))))


def test_broadcast_mul_grad_closed_form():
    """(2,1,3)*(5,1): grad of a is b summed over the broadcast axis, and vice versa."""
    va, vb = rnd(2, 1, 3, seed=3), rnd(5, 1, seed=4)
    a, b = f64(va), f64(vb)
    (a * b).sum().backward()
    np.testing.assert_allclose(a.grad.data, np.broadcast_to(vb.sum(), (2, 1, 3)))
    np.testing.assert_allclose(b.grad.data, np.full((5, 1), va.sum()))


def test_broadcast_matmul_batches():
    """matmul broadcasts batch dims ((2,1,3,4) @ (5,4,2)) and passes gradcheck."""
    a, b = f64(rnd(2, 1, 3, 4, seed=5)), f64(rnd(5, 4, 2, seed=6))
    assert (a @ b).shape == (2, 5, 3, 2)
    np.testing.assert_allclose((a @ b).data, a.data @ b.data)
    assert ag.gradcheck(lambda x, y: x @ y, a, b)


@pytest.mark.parametrize("sa, sb", [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2))])
def test_matmul_with_vectors(sa, sb):
    """1-D matmul operands are promoted like numpy; gradcheck passes."""
    a, b = f64(rnd(*sa, seed=7)), f64(rnd(*sb, seed=8))
    np.testing.assert_allclose((a @ b).data, a.data @ b.data)
    assert ag.gradcheck(lambda x, y: x @ y, a, b)


def test_scalar_tensors():
    """0-d tensors combine with any shape and get 0-d gradients."""
    s = f64(1.5)
    x = f64(rnd(2, 3))
    (s * x).sum().backward()
    assert s.grad.shape == ()
    np.testing.assert_allclose(s.grad.data, x.data.sum())
    assert ag.gradcheck(lambda a, b: a * b + a / (b * b + 1), f64(1.5), f64(rnd(2, 3)))


def test_broadcast_to_and_size_one_axes():
    """broadcast_to and reductions with keepdims sum grads back over size-1 axes."""
    x = f64(rnd(3, 1))
    assert ag.gradcheck(lambda t: t.broadcast_to((2, 3, 4)) * f64(rnd(2, 3, 4), False), x)
    y = f64(rnd(1, 4))
    assert ag.gradcheck(lambda t: t - t.mean(axis=1, keepdims=True), y)
    z = f64(rnd(2, 1, 3))
    assert ag.gradcheck(lambda t: t.squeeze(1) * t.sum(axis=(0, 2), keepdims=True), z)


@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                 min_side=1, max_side=3),
       op=st.sampled_from(["add", "sub", "mul", "div"]),
       seed=st.integers(0, 2**16))
def test_broadcasting_property(shapes, op, seed):
    """For any pair of broadcastable shapes, forward equals numpy and gradcheck passes."""
    sa, sb = shapes.input_shapes
    va = rnd(*sa, seed=seed, lo=0.5, hi=2.0)
    vb = rnd(*sb, seed=seed + 1, lo=0.5, hi=2.0)
    a, b = f64(va), f64(vb)
    out = BINARY_OPS[op](a, b)
    assert out.shape == shapes.result_shape
    np.testing.assert_allclose(out.data, NP_BINARY[op](va, vb))
    assert ag.gradcheck(BINARY_OPS[op], a, b)


# ============================================================== indexing

INDICES = [
    ("slice", np.s_[1:3]),
    ("step slice", np.s_[::2]),
    ("int", 1),
    ("negative int", -1),
    ("tuple ints", (0, -2)),
    ("row slice col int", np.s_[:, 1]),
    ("int array", [0, 2, 2]),
    ("negative int array", [-1, 0]),
    ("2-d int array", np.array([[0, 1], [2, 2]])),
    ("bool mask", np.array([True, False, True])),
    ("ellipsis", np.s_[..., 0]),
    ("newaxis", np.s_[None, 1:]),
    ("mixed adv", (np.array([0, 2]), np.array([1, 1]))),
    ("slice + array", np.s_[1:, [0, 3, 0]]),
]


@pytest.mark.parametrize("label, index", INDICES, ids=[i[0] for i in INDICES])
def test_indexing_forward_matches_numpy(label, index):
    """x[index] equals numpy's result for slices, ints, arrays, masks, ellipsis, None."""
    arr = np.arange(12.0).reshape(3, 4)
    out = ag.tensor(arr)[index]
    np.testing.assert_array_equal(out.data, arr[index])


@pytest.mark.parametrize("label, index", INDICES, ids=[i[0] for i in INDICES])
def test_indexing_grad_closed_form(label, index):
    """Grad of sum(x[index] * w) is w scattered back with np.add.at (repeats accumulate)."""
    arr = rnd(3, 4)
    x = f64(arr)
    w = rnd(*np.shape(arr[index]), seed=9)
    (x[index] * w).sum().backward()
    expected = np.zeros_like(arr)
    np.add.at(expected, index, w)
    np.testing.assert_allclose(x.grad.data, expected)


@pytest.mark.parametrize("label, index", INDICES, ids=[i[0] for i in INDICES])
def test_indexing_gradcheck(label, index):
    """Indexing passes gradcheck for every kind of index."""
    x = f64(rnd(3, 4))
    assert ag.gradcheck(lambda t: t[index] * t[index], x)


def test_repeated_indices_accumulate():
    """x[[0, 0, 1]].sum() gives grad [2, 1, 0]."""
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 1]].sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 1.0, 0.0])
    assert x.grad.dtype == np.float32


def test_tensor_indices_and_masks():
    """Integer and boolean Tensors work as indices, like their ndarrays."""
    arr = np.array([5.0, -1.0, 3.0, -2.0])
    x = ag.tensor(arr, requires_grad=True)
    mask = x > 0
    np.testing.assert_array_equal(x[mask].data, arr[arr > 0])
    np.testing.assert_array_equal(x[ag.tensor([3, 3, 0])].data, arr[[3, 3, 0]])
    x[mask].sum().backward()
    np.testing.assert_array_equal(x.grad.data, (arr > 0).astype(np.float32))


def test_index_list_of_bools():
    """A Python list of bools is a mask, as in numpy."""
    arr = np.arange(3.0)
    mask = [True, False, True]
    np.testing.assert_array_equal(ag.tensor(arr)[mask].data, arr[mask])


def test_index_out_of_range():
    """An out-of-range index is an IndexError naming the shape."""
    with pytest.raises(IndexError, match=r"\(3,\)"):
        ag.ones(3)[5]
    with pytest.raises(IndexError):
        ag.ones((2, 2))[0, 0, 0]


def test_iteration_and_len():
    """len() and iteration walk the first axis, each row in the graph."""
    x = f64(rnd(3, 2))
    assert len(x) == 3
    rows = list(x)
    np.testing.assert_array_equal(np.stack([r.data for r in rows]), x.data)
    sum(r.sum() * (i + 1) for i, r in enumerate(rows)).backward()
    np.testing.assert_array_equal(x.grad.data, [[1, 1], [2, 2], [3, 3]])


# ============================================================== concatenate / stack / split

@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concatenate(axis):
    """concatenate equals numpy forward and passes gradcheck on every input."""
    rows = [(2, 1), (2, 2), (2, 4)]
    shapes = {0: [(1, 3), (2, 3), (3, 3)], 1: rows, -1: rows}
    vals = [rnd(*s, seed=i) for i, s in enumerate(shapes[axis])]
    ts = [f64(v) for v in vals]
    np.testing.assert_array_equal(ag.concatenate(ts, axis=axis).data,
                                  np.concatenate(vals, axis=axis))
    assert ag.gradcheck(lambda *xs: ag.concatenate(xs, axis=axis) ** 2, *ts)


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_stack(axis):
    """stack equals numpy forward and passes gradcheck on every input."""
    vals = [rnd(2, 3, seed=i) for i in range(3)]
    ts = [f64(v) for v in vals]
    np.testing.assert_array_equal(ag.stack(ts, axis=axis).data, np.stack(vals, axis=axis))
    assert ag.gradcheck(lambda *xs: ag.stack(xs, axis=axis) ** 2, *ts)


@pytest.mark.parametrize("how, axis", [(3, 0), ([1, 4], 0), (2, 1), ([1], -1), ([0, 6], 0)])
def test_split(how, axis):
    """split equals numpy (sections or indices) and passes gradcheck."""
    arr = rnd(6, 4)
    parts = ag.split(f64(arr), how, axis=axis)
    expected = np.split(arr, how, axis=axis)
    assert len(parts) == len(expected)
    for p, e in zip(parts, expected):
        np.testing.assert_array_equal(p.data, e)
    weights = [rnd(*e.shape, seed=i + 10) for i, e in enumerate(expected)]
    assert ag.gradcheck(
        lambda t: ag.concatenate([(p * w).reshape(-1) for p, w in
                                  zip(ag.split(t, how, axis=axis), weights)]),
        f64(arr))


def test_split_method_matches_function():
    """Tensor.split gives the same pieces as ag.split."""
    x = ag.arange(8.0)
    for a, b in zip(x.split(4), ag.split(x, 4)):
        np.testing.assert_array_equal(a.data, b.data)


def test_split_concat_roundtrip_grad():
    """concatenate(split(x)) is the identity, so its grad is all ones."""
    x = f64(rnd(4, 3))
    ag.concatenate(ag.split(x, [1, 3])).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.ones((4, 3)))


def test_join_errors():
    """Mismatched shapes, empty lists and unequal split sections are ValueErrors."""
    with pytest.raises(ValueError, match="concatenate"):
        ag.concatenate([ag.ones((2, 3)), ag.ones((2, 4))], axis=0)
    with pytest.raises(ValueError, match="stack"):
        ag.stack([ag.ones(2), ag.ones(3)])
    with pytest.raises(ValueError):
        ag.concatenate([])
    with pytest.raises(ValueError, match="equal sections"):
        ag.split(ag.ones(5), 2)


# ============================================================== stable softmax family

LARGE_LOGITS = [
    np.array([[1e3, 1e3 - 1.0, 1e3 + 0.5]]),
    np.array([[-1e3, -1e3 + 1.0, -1e3 - 0.5]]),
    np.array([[1e3, -1e3, 0.0], [-1e3, -1e3, -1e3], [1e3, 1e3, 1e3]]),
]


def np_log_softmax(v: np.ndarray) -> np.ndarray:
    """Reference computed in float64 with numpy (log-sum-exp trick)."""
    m = v.max(axis=-1, keepdims=True)
    return v - m - np.log(np.exp(v - m).sum(axis=-1, keepdims=True))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("logits", LARGE_LOGITS, ids=["+1e3", "-1e3", "mixed"])
def test_softmax_large_logits_finite(logits, dtype):
    """softmax/log_softmax/logsumexp of ±1e3 logits: finite values and grads, right values."""
    for fn in (ag.softmax, ag.log_softmax, lambda t: ag.logsumexp(t, axis=-1)):
        x = ag.tensor(logits.astype(dtype), requires_grad=True)
        y = fn(x)
        assert np.isfinite(y.data).all()
        (y * ag.tensor(rnd(*y.shape).astype(dtype))).sum().backward()
        assert np.isfinite(x.grad.data).all()
    ls = np_log_softmax(logits)
    np.testing.assert_allclose(ag.softmax(ag.tensor(logits.astype(dtype))).data, np.exp(ls),
                               atol=1e-6)
    np.testing.assert_allclose(ag.log_softmax(ag.tensor(logits.astype(dtype))).data, ls,
                               rtol=1e-6, atol=1e-3 if dtype == np.float32 else 1e-9)


@pytest.mark.parametrize("logits", LARGE_LOGITS[:2], ids=["+1e3", "-1e3"])
def test_softmax_large_logits_gradcheck(logits):
    """softmax and log_softmax pass gradcheck at logits near ±1e3."""
    assert ag.gradcheck(ag.softmax, f64(logits))
    assert ag.gradcheck(ag.log_softmax, f64(logits))
    assert ag.gradcheck(lambda t: ag.logsumexp(t, axis=-1), f64(logits))


def test_softmax_grad_closed_form():
    """softmax vjp equals s * (g - sum(g * s)) computed with numpy."""
    v, g = rnd(2, 4), rnd(2, 4, seed=3)
    x = f64(v)
    (ag.softmax(x, axis=1) * g).sum().backward()
    s = np.exp(np_log_softmax(v))
    np.testing.assert_allclose(x.grad.data, s * (g - (g * s).sum(axis=1, keepdims=True)))


def test_softmax_rows_sum_to_one_on_any_axis():
    """softmax sums to 1 along the chosen axis, including axis 0."""
    x = ag.tensor(rnd(3, 4) * 500)
    np.testing.assert_allclose(ag.softmax(x, axis=0).data.sum(axis=0), 1.0, rtol=1e-5)
    np.testing.assert_allclose(x.softmax().data.sum(axis=-1), 1.0, rtol=1e-5)


def test_logsumexp_all_neg_inf_row_is_neg_inf():
    """logsumexp of a row of all -inf is -inf (not nan); other rows are unaffected."""
    x = ag.tensor(np.array([[-np.inf, -np.inf, -np.inf], [0.0, 1.0, 2.0]]))
    out = ag.logsumexp(x, axis=1)
    assert out.data[0] == -np.inf
    np.testing.assert_allclose(out.data[1], np.log(np.exp([0.0, 1.0, 2.0]).sum()), rtol=1e-6)
    assert not np.isnan(out.data).any()
    assert ag.logsumexp(ag.tensor([-np.inf, -np.inf])).item() == -np.inf


def test_logsumexp_all_neg_inf_no_warning():
    """The all -inf row raises no numpy divide-by-zero warning."""
    with np.errstate(all="raise"):
        assert ag.logsumexp(ag.tensor([[-np.inf, -np.inf]]), axis=1).data[0] == -np.inf


# ============================================================== comparisons

COMPARISONS = [("<", operator.lt, np.less), ("<=", operator.le, np.less_equal),
               (">", operator.gt, np.greater), (">=", operator.ge, np.greater_equal),
               ("==", operator.eq, np.equal), ("!=", operator.ne, np.not_equal)]


@pytest.mark.parametrize("sym, op, ufunc", COMPARISONS, ids=[c[0] for c in COMPARISONS])
def test_comparisons_are_boolean_without_grad(sym, op, ufunc):
    """Comparisons give bool tensors equal to numpy's, never requiring grad."""
    va, vb = np.array([1.0, 2.0, 3.0]), np.array([3.0, 2.0, 1.0])
    a = ag.tensor(va, requires_grad=True)
    b = ag.tensor(vb, requires_grad=True)
    for other, ref in ((b, vb), (2.0, 2.0), (vb, vb)):
        out = op(a, other)
        assert isinstance(out, ag.Tensor)
        assert out.dtype == np.bool_
        assert out.requires_grad is False and out.grad_fn is None
        np.testing.assert_array_equal(out.data, ufunc(va, ref))


def test_logical_ops_on_bool_tensors():
    """&, | and ~ on bool tensors follow numpy's logical ops."""
    x = ag.tensor([1.0, -1.0, 2.0, -2.0])
    a, b = x > 0, x > 1
    np.testing.assert_array_equal((a & b).data, [False, False, True, False])
    np.testing.assert_array_equal((a | b).data, [True, False, True, False])
    np.testing.assert_array_equal((~a).data, [False, True, False, True])


# ============================================================== in place

INPLACE = [
    ("+=", lambda t, v: t.__iadd__(v), np.add),
    ("-=", lambda t, v: t.__isub__(v), np.subtract),
    ("*=", lambda t, v: t.__imul__(v), np.multiply),
    ("/=", lambda t, v: t.__itruediv__(v), np.divide),
]


@pytest.mark.parametrize("sym, op, ufunc", INPLACE, ids=[c[0] for c in INPLACE])
def test_inplace_on_plain_tensor(sym, op, ufunc):
    """In-place ops on tensors that need no grad change values like numpy, keep identity."""
    v = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    for other in (2.0, np.array([1.0, 4.0], np.float32), ag.tensor([1.0, 4.0])):
        x = ag.tensor(v)
        ident = id(x)
        x = op(x, other)
        assert id(x) == ident
        ref = np.asarray(other.data if isinstance(other, ag.Tensor) else other)
        np.testing.assert_allclose(x.data, ufunc(v, ref))
        assert x.dtype == np.float32


def test_inplace_statement_forms():
    """The `x += ...` statement forms rebind to the same tensor with new values."""
    x = ag.tensor([1.0, 2.0])
    t = x
    x += 1
    x -= 0.5
    x *= 4
    x /= 2
    assert x is t
    np.testing.assert_allclose(x.data, ((np.array([1.0, 2.0]) + 1 - 0.5) * 4) / 2)


def test_inplace_integer_tensor_follows_numpy_casting():
    """int += int works; int /= int is refused by numpy's same_kind casting."""
    x = ag.tensor([1, 2])
    x += 3
    np.testing.assert_array_equal(x.data, [4, 5])
    assert x.dtype == np.int64
    with pytest.raises(TypeError):
        x /= 2


def test_setitem_on_plain_tensor():
    """x[i] = v on a tensor that needs no grad works like numpy (slices, masks, tensors)."""
    v = np.arange(6.0).reshape(2, 3)
    x, ref = ag.tensor(v), v.astype(np.float32)
    x[0, 1] = 10.0
    ref[0, 1] = 10.0
    x[:, -1] = ag.tensor([7.0, 8.0])
    ref[:, -1] = [7.0, 8.0]
    x[x > 7] = 0.0
    ref[ref > 7] = 0.0
    x[[1, 1], [0, 1]] = -1.0
    ref[[1, 1], [0, 1]] = -1.0
    np.testing.assert_array_equal(x.data, ref)


@pytest.mark.parametrize("sym, op, ufunc", INPLACE, ids=[c[0] for c in INPLACE])
def test_inplace_on_grad_leaf_under_no_grad(sym, op, ufunc):
    """Under no_grad a leaf that requires grad may be updated in place and stays a leaf."""
    v = np.array([1.0, 2.0], np.float32)
    w = ag.tensor(v, requires_grad=True)
    with ag.no_grad():
        op(w, 2.0)
        w[0] = w[0] + 1  # setitem too
    expected = ufunc(v, 2.0)
    expected[0] += 1
    np.testing.assert_allclose(w.data, expected)
    assert w.requires_grad and w.is_leaf and w.dtype == np.float32
    (w * w).sum().backward()  # still usable afterwards
    np.testing.assert_allclose(w.grad.data, 2 * expected)


def test_sgd_step_pattern():
    """The optimizer pattern `with no_grad(): w -= lr * w.grad` updates and keeps the leaf."""
    w = ag.tensor([1.0, -2.0], requires_grad=True)
    (w * w).sum().backward()
    with ag.no_grad():
        w -= 0.25 * w.grad
    np.testing.assert_allclose(w.data, [0.5, -1.0])
    assert w.is_leaf and w.requires_grad


@pytest.mark.parametrize("sym, op, ufunc", INPLACE + [("x[i] = v", None, None)],
                         ids=[c[0] for c in INPLACE] + ["setitem"])
def test_inplace_on_grad_leaf_outside_no_grad_raises(sym, op, ufunc):
    """In-place on a leaf requiring grad (grad mode on) is a RuntimeError pointing to no_grad."""
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError) as info:
        if op is None:
            w[0] = 5.0
        else:
            op(w, 2.0)
    assert "no_grad" in str(info.value)
    np.testing.assert_array_equal(w.data, [1.0, 2.0])  # unchanged


def test_inplace_on_non_leaf_in_graph_raises():
    """In-place on an op's output (grad mode on) is a RuntimeError pointing to no_grad."""
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    y = w * 2
    with pytest.raises(RuntimeError, match="no_grad"):
        y += 1
    with pytest.raises(RuntimeError, match="no_grad"):
        y[0] = 0.0


def test_zero_follows_inplace_rules():
    """zero_() is allowed under no_grad and refused on a grad leaf outside it."""
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        w.zero_()
    with ag.no_grad():
        w.zero_()
    np.testing.assert_array_equal(w.data, [0.0, 0.0])


def _mutators() -> list[tuple[str, Callable[[ag.Tensor], None]]]:
    def iadd(t: ag.Tensor) -> None:
        t += 1

    def imul(t: ag.Tensor) -> None:
        t *= 2

    def setitem(t: ag.Tensor) -> None:
        t[0] = 5.0

    def nograd_iadd(t: ag.Tensor) -> None:
        with ag.no_grad():
            t += 1

    return [("+=", iadd), ("*=", imul), ("setitem", setitem), ("no_grad +=", nograd_iadd)]


MUTATORS = _mutators()


@pytest.mark.parametrize("how, mutate", MUTATORS, ids=[m[0] for m in MUTATORS])
@pytest.mark.parametrize("op, build", [
    ("mul", lambda w, x: w * x),
    ("div", lambda w, x: w / (x + 0)),
    ("matmul", lambda w, x: w @ x),
], ids=["mul", "div", "matmul"])
def test_modifying_saved_tensor_raises_at_backward(op, build, how, mutate):
    """Changing in place a tensor that an op saved for backward is caught, naming the op."""
    w = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x = ag.tensor([1.0, 1.0, 2.0])
    y = w * x if op == "mul" else (w / x if op == "div" else w @ x)
    mutate(x)
    with pytest.raises(RuntimeError) as info:
        y.sum().backward()
    msg = str(info.value)
    assert op in msg and "in place" in msg


VIEWS = [
    ("reshape(-1)", lambda x: x.reshape(-1)),
    ("x[0:1]", lambda x: x[0:1]),
    ("x[0]", lambda x: x[0]),
    ("x[..., 1]", lambda x: x[..., 1]),
    ("x.T", lambda x: x.T),
    ("transpose", lambda x: x.transpose(1, 0)),
    ("swapaxes", lambda x: x.swapaxes(0, 1)),
    ("expand_dims", lambda x: x.expand_dims(0)),
    ("flatten", lambda x: x.flatten()),
    ("view of view", lambda x: x.T[1:].expand_dims(0)),
]


@pytest.mark.parametrize("label, view", VIEWS, ids=[v[0] for v in VIEWS])
def test_inplace_on_view_of_saved_tensor_raises(label, view):
    """In-place through a view of a saved tensor bumps the shared version: caught at backward."""
    w = ag.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    x = ag.tensor([[1.0, 1.0], [2.0, 2.0]])
    y = w * x
    v = view(x)
    v += 1
    with pytest.raises(RuntimeError, match=r"mul.*in place"):
        y.sum().backward()


@pytest.mark.parametrize("label, view", VIEWS, ids=[v[0] for v in VIEWS])
def test_inplace_on_base_of_saved_view_raises(label, view):
    """Changing the base after one of its views was saved by an op is caught too."""
    x = ag.tensor([[1.0, 1.0], [2.0, 2.0]])
    v = view(x)
    w = ag.tensor(np.ones(v.shape, np.float32), requires_grad=True)
    y = w * v
    x[0, 0] = 9.0
    with pytest.raises(RuntimeError, match=r"mul.*in place"):
        y.sum().backward()


def test_inplace_on_view_made_under_no_grad_is_caught():
    """A view made under no_grad still shares the version counter of its base."""
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    x = ag.tensor([1.0, 2.0])
    with ag.no_grad():
        v = x.reshape(2)
    y = w * x
    v *= 3
    with pytest.raises(RuntimeError, match="in place"):
        y.sum().backward()


@pytest.mark.parametrize("op", ["sigmoid", "exp", "tanh", "sqrt", "softmax"])
@pytest.mark.parametrize("how", ["+=", "setitem", "view"])
def test_modifying_saved_output_raises(op, how):
    """Outputs saved by sigmoid/exp/tanh/... modified under no_grad make backward fail."""
    w = ag.tensor([0.5, 1.5], requires_grad=True)
    y = getattr(w, op)()
    with ag.no_grad():
        if how == "+=":
            y += 1
        elif how == "setitem":
            y[0] = 0.0
        else:
            y.reshape(-1)[1] = 0.0
    with pytest.raises(RuntimeError) as info:
        y.sum().backward()
    assert op in str(info.value) and "in place" in str(info.value)


def test_inplace_on_unsaved_tensors_is_fine():
    """Modifying tensors no op saved (add's input, index copies, clones) is no error."""
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    x = ag.tensor([1.0, 1.0])
    y = w + x  # add saves nothing
    x += 100
    y.sum().backward()
    np.testing.assert_array_equal(w.grad.data, [1.0, 1.0])

    w.grad = None
    x = ag.tensor([[1.0, 2.0], [3.0, 4.0]])
    y = w * x[0]
    copy = x[[1]]  # advanced index: a copy, its own version
    copy += 1
    c = x.clone()
    c += 1
    r = x.T.reshape(-1)  # reshape of a transposed array is a copy in numpy, not a view
    r += 1
    y.sum().backward()
    np.testing.assert_array_equal(w.grad.data, [1.0, 2.0])


def test_inplace_with_grad_requiring_value_does_not_drop_graph():
    """`acc += w` with w requiring grad never silently drops w's graph (error or recorded)."""
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    acc = ag.zeros(2)
    try:
        acc += w * 3
    except RuntimeError:
        pass
    else:
        assert acc.requires_grad, "acc += w*3 silently dropped the graph"
        acc.sum().backward()
        np.testing.assert_array_equal(w.grad.data, [3.0, 3.0])
    acc2 = ag.zeros(2)
    try:
        acc2[0] = w[1]
    except RuntimeError:
        pass
    else:
        assert acc2.requires_grad, "acc[0] = w[1] silently dropped the graph"


def test_inplace_with_grad_value_under_no_grad_is_allowed():
    """Under no_grad, `acc += w` (w requiring grad) just adds the values."""
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    acc = ag.zeros(2)
    with ag.no_grad():
        acc += w
        acc[0] = w[1]
    np.testing.assert_array_equal(acc.data, [2.0, 2.0])


# ============================================================== error messages

def test_matmul_shape_error_message():
    """matmul mismatch: 'matmul: shapes (256, 784) and (100, 10) are not aligned (784 != 100)'."""
    with pytest.raises(ValueError) as info:
        ag.ones((256, 784)) @ ag.ones((100, 10))
    assert "matmul: shapes (256, 784) and (100, 10) are not aligned (784 != 100)" in str(info.value)


def test_matmul_scalar_and_batch_errors():
    """matmul rejects 0-d operands and non-broadcastable batch dims, naming the shapes."""
    with pytest.raises(ValueError, match="matmul"):
        ag.tensor(2.0) @ ag.ones(3)
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)|batch"):
        ag.ones((2, 3, 4)) @ ag.ones((3, 4, 5))


def test_reshape_error_message():
    """Impossible reshape names both shapes and the element count."""
    with pytest.raises(ValueError) as info:
        ag.ones((2, 3)).reshape(4, 2)
    msg = str(info.value)
    assert "reshape" in msg and "(2, 3)" in msg and "(4, 2)" in msg and "6" in msg


@pytest.mark.parametrize("call", [
    lambda x: x.sum(axis=2), lambda x: x.mean(axis=-3), lambda x: x.max(axis=5),
    lambda x: x.softmax(axis=2), lambda x: ag.concatenate([x, x], axis=3),
    lambda x: x.swapaxes(0, 4), lambda x: x.squeeze(axis=2)],
    ids=["sum", "mean", "max", "softmax", "concatenate", "swapaxes", "squeeze"])
def test_bad_axis_error_message(call):
    """An out-of-range axis is a ValueError saying the axis is out of range for 2 dims."""
    with pytest.raises(ValueError) as info:
        call(ag.ones((2, 3)))
    assert "out of range" in str(info.value) and "2 dimension" in str(info.value)


def test_squeeze_non_one_axis_error_message():
    """squeeze of an axis that is not size 1 names the axis, the shape and its size."""
    with pytest.raises(ValueError) as info:
        ag.ones((1, 3)).squeeze(1)
    msg = str(info.value)
    assert "squeeze" in msg and "(1, 3)" in msg and "3" in msg and "not 1" in msg


def test_broadcast_to_error_message():
    """An impossible broadcast_to names both shapes."""
    with pytest.raises(ValueError) as info:
        ag.ones((2, 3)).broadcast_to((3,))
    assert "broadcast_to" in str(info.value) and "(2, 3)" in str(info.value)
    with pytest.raises(ValueError, match=r"\(3,\).*\(4,\)"):
        ag.broadcast_to(ag.ones(3), (4,))


def test_binary_op_shape_mismatch_is_valueerror():
    """Elementwise ops on non-broadcastable shapes raise numpy's ValueError."""
    with pytest.raises(ValueError):
        ag.ones(3) + ag.ones(4)


def test_backward_non_scalar_without_gradient_names_shape():
    """backward() on a non-scalar without gradient is a RuntimeError naming its shape."""
    x = ag.ones((2, 3), requires_grad=True)
    with pytest.raises(RuntimeError) as info:
        (x * 2).backward()
    assert "(2, 3)" in str(info.value) and "gradient" in str(info.value)


def test_backward_gradient_of_wrong_shape():
    """backward(gradient=...) of the wrong shape names both shapes."""
    x = ag.ones((2, 3), requires_grad=True)
    with pytest.raises(ValueError) as info:
        (x * 2).backward(gradient=np.ones(3))
    assert "(3,)" in str(info.value) and "(2, 3)" in str(info.value)


def test_backward_with_explicit_gradient():
    """backward(gradient=g) on a non-scalar gives g times the local derivative."""
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    g = np.array([0.5, -1.0, 2.0])
    (x * x).backward(gradient=g)
    np.testing.assert_allclose(x.grad.data, 2 * np.array([1.0, 2.0, 3.0]) * g)
    assert x.grad.dtype == np.float32


def test_backward_on_tensor_not_requiring_grad():
    """backward() on something that does not require grad is a RuntimeError saying so."""
    with pytest.raises(RuntimeError, match="does not require grad"):
        ag.ones(3).sum().backward()
    w = ag.ones(3, requires_grad=True)
    with ag.no_grad():
        y = (w * 2).sum()
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_len_of_0d_tensor_raises():
    """len() of a 0-d tensor is a TypeError."""
    with pytest.raises(TypeError, match="0-d"):
        len(ag.tensor(1.0))


# ============================================================== review fixes (regressions)

@pytest.mark.parametrize("make_index", [
    lambda: ag.tensor([0, 1]), lambda: np.array([0, 1]),
    lambda: ag.tensor([True, True, False]), lambda: np.array([True, True, False]),
], ids=["int tensor", "int ndarray", "bool tensor", "bool ndarray"])
def test_getitem_owns_its_index_array(make_index):
    """Mutating the index array after x[index] does not change the gradient."""
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    index = make_index()
    y = x[index]
    arr = index.data if isinstance(index, ag.Tensor) else index
    arr[...] = np.roll(arr, 1) if arr.dtype == bool else arr + 1  # now names [1, 2] / [F, T, T]
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0, 0.0])


def test_getitem_index_tensor_inplace_add_after_indexing():
    """The brief's case: `it += 1` after `x[it]` leaves x.grad as [1, 1, 0]."""
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    it = ag.tensor([0, 1])
    y = x[it]
    it += 1
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0, 0.0])


def test_setitem_with_index_array_still_writes():
    """x[i] = v with an integer-array index still writes through (no copy needed there)."""
    x = ag.zeros(4)
    x[np.array([1, 3])] = 5.0
    np.testing.assert_array_equal(x.data, [0.0, 5.0, 0.0, 5.0])


@pytest.mark.parametrize("axes", [(0, 1, 5), (0, 1, -4), (3, 0, 1)])
def test_transpose_rejects_out_of_range_axes(axes):
    """An axis outside [-ndim, ndim) is a ValueError naming the axes and the shape."""
    with pytest.raises(ValueError) as info:
        ag.zeros((2, 3, 4)).transpose(*axes)
    msg = str(info.value)
    assert "transpose" in msg and str(axes) in msg and "(2, 3, 4)" in msg


def test_transpose_negative_axes_still_work():
    """Negative axes in range are still accepted."""
    assert ag.zeros((2, 3, 4)).transpose(-1, 0, -2).shape == (4, 2, 3)


def test_concatenate_axis_none_flattens_like_numpy():
    """axis=None ravels every input first, like numpy; gradients flow back in shape."""
    a = f64(rnd(2, 2, seed=1))
    b = f64(rnd(3, seed=2))
    out = ag.concatenate([a, b], axis=None)
    np.testing.assert_array_equal(out.data, np.concatenate([a.data, b.data], axis=None))
    assert out.shape == (7,)
    w = rnd(7, seed=3)
    (out * w).sum().backward()
    np.testing.assert_array_equal(a.grad.data, w[:4].reshape(2, 2))
    np.testing.assert_array_equal(b.grad.data, w[4:])
    assert ag.gradcheck(lambda p, q: ag.concatenate([p, q], axis=None), a, b)


def test_concatenate_axis_none_same_inputs():
    """The brief's case: two (2, 2) inputs with axis=None give (8,)."""
    x = ag.zeros((2, 2))
    assert ag.concatenate([x, x], axis=None).shape == (8,)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [(0, 1), (-1, 0), (1, 2)])
def test_softmax_tuple_axis_matches_numpy_and_gradchecks(name, axis):
    """A tuple axis normalizes over all the axes jointly; the vjp passes gradcheck."""
    v = rnd(2, 3, 4, seed=5)
    x = f64(v)
    out = getattr(ag, name)(x, axis=axis)
    shifted = v - v.max(axis=axis, keepdims=True)
    log_s = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    np.testing.assert_allclose(out.data, log_s if name == "log_softmax" else np.exp(log_s))
    w = f64(rnd(2, 3, 4, seed=6), requires_grad=False)
    assert ag.gradcheck(lambda t: getattr(ag, name)(t, axis=axis) * w, x)
    assert ag.gradgradcheck(lambda t: getattr(ag, name)(t, axis=axis) * w, x)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_axis_none_normalizes_over_all_axes(name):
    """axis=None means every axis (it used to mean only the first one)."""
    v = rnd(2, 3, seed=9)
    out = getattr(ag, name)(f64(v), axis=None)
    expected = getattr(ag, name)(f64(v.ravel())).data.reshape(2, 3)
    np.testing.assert_allclose(out.data, expected)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_of_0d_tensor_is_a_clear_error(name):
    """A 0-d input has no axis to normalize over."""
    with pytest.raises(ValueError, match=f"{name}: needs at least 1 dimension"):
        getattr(ag, name)(ag.tensor(1.0))


def test_pow_zero_base_zero_exponent_grad_is_zero():
    """d(z**0)/dz at z = 0 is 0, not nan."""
    z = ag.tensor([0.0], requires_grad=True)
    (z ** 0).sum().backward()
    np.testing.assert_array_equal(z.grad.data, [0.0])
    z.grad = None
    (z ** ag.tensor([0.0])).sum().backward()
    np.testing.assert_array_equal(z.grad.data, [0.0])


def test_pow_zero_base_grads_match_value_engine():
    """At a zero base, d/da and d/db agree with ag.Value (d(0**b)/db = 0)."""
    for b_val in (0.0, 0.5, 1.0, 2.0, 3.0):
        a = ag.tensor([0.0], dtype="float64", requires_grad=True)
        b = ag.tensor([b_val], dtype="float64", requires_grad=True)
        with np.errstate(divide="ignore"):  # d/da = inf for 0 < b < 1, as for Value
            (a ** b).sum().backward()
        va, vb = ag.Value(0.0), ag.Value(b_val)
        (va ** vb).backward()
        assert a.grad.data[0] == va.grad, b_val
        assert b.grad.data[0] == vb.grad, b_val


def test_pow_zero_base_grad_for_constant_base():
    """0.0 ** b with b requiring grad: d/db is 0 (not nan)."""
    b = ag.tensor([1.0, 2.0], requires_grad=True)
    (0.0 ** b).sum().backward()
    np.testing.assert_array_equal(b.grad.data, [0.0, 0.0])


def test_pow_zero_base_under_create_graph():
    """Under create_graph the zero-base gradients are finite and differentiate again."""
    a = ag.tensor([0.0, 2.0], dtype="float64", requires_grad=True)
    b = ag.tensor([2.0, 3.0], dtype="float64", requires_grad=True)
    (a ** b).sum().backward(create_graph=True)
    ga, gb = a.grad, b.grad
    assert ga.requires_grad and gb.requires_grad
    np.testing.assert_allclose(ga.data, [0.0, 3 * 2.0 ** 2])
    np.testing.assert_allclose(gb.data, [0.0, 8.0 * np.log(2.0)])
    a.grad = b.grad = None
    ga.sum().backward()
    # d/da (b a^(b-1)) = b (b-1) a^(b-2);  d/db (b a^(b-1)) = a^(b-1) (1 + b ln a) (0 at a = 0)
    np.testing.assert_allclose(a.grad.data, [2.0, 6.0 * 2.0])
    np.testing.assert_allclose(b.grad.data, [0.0, 4.0 * (1 + 3 * np.log(2.0))])
    z = ag.tensor([0.0], requires_grad=True)
    (z ** 0).sum().backward(create_graph=True)
    np.testing.assert_array_equal(z.grad.data, [0.0])


def test_pow_gradcheck_away_from_zero_still_holds():
    """The where-guarded vjp is still the ordinary one for a > 0 (and second order too)."""
    a = f64(rnd(3, seed=7, lo=0.5, hi=2.0))
    b = f64(rnd(3, seed=8, lo=-1.0, hi=2.0))
    assert ag.gradcheck(lambda p, q: p ** q, a, b)
    assert ag.gradgradcheck(lambda p, q: p ** q, a, b)


def test_pow_second_order_at_a_zero_exponent_and_nonzero_base():
    """At b = 0 with a != 0 the zero-base guard must not cut d/db of b·a^(b-1) = a^(b-1)(1 + b ln a).

    Hypothesis found this (a = 0.5, b = 0): the guard used to swap the exponent at every b = 0.
    """
    a = ag.tensor([0.5, 2.0, 3.0], dtype="float64", requires_grad=True)
    b = ag.tensor([0.0, 0.0, 0.0], dtype="float64", requires_grad=True)
    assert ag.gradgradcheck(lambda p, q: p ** q, a, b)
    (a ** b).sum().backward(create_graph=True)
    ga = a.grad
    a.grad = b.grad = None
    ga.sum().backward()
    np.testing.assert_allclose(b.grad.data, 1 / a.data)


def test_getitem_does_no_dry_run_on_a_copy_of_the_shape():
    """Indexing a huge broadcast view works (no np.empty(shape) dry run is made)."""
    big = ag.broadcast_to(ag.tensor([1.0, 2.0, 3.0]), (10 ** 8, 10 ** 8, 3))  # 3e16 elements
    out = big[5, [0, 7], 1:]
    np.testing.assert_array_equal(out.data, [[2.0, 3.0], [2.0, 3.0]])


@pytest.mark.parametrize("index", [5, (0, 7), [0, 9], np.array([True, False])])
def test_getitem_out_of_range_names_op_index_and_shape(index):
    """A bad index is an IndexError naming getitem, the index and the shape."""
    x = ag.zeros((3, 4))
    with pytest.raises(IndexError) as info:
        x[index]
    msg = str(info.value)
    assert "getitem" in msg and "(3, 4)" in msg


@pytest.mark.parametrize("shape, axis, ddof", [((3,), None, 3), ((2, 3), 1, 4), ((2, 3), (0, 1), 6)])
def test_var_ddof_without_degrees_of_freedom_raises(shape, axis, ddof):
    """ddof >= the number of reduced elements is a ValueError at forward time."""
    x = ag.ones(shape, requires_grad=True)
    n = x.data.size if axis is None else int(np.prod(np.take(shape, axis)))
    with pytest.raises(ValueError) as info:
        x.var(axis=axis, ddof=ddof)
    assert f"var: ddof={ddof} leaves no degrees of freedom over {n} elements" in str(info.value)


def test_var_ddof_message_example():
    """The brief's wording."""
    with pytest.raises(ValueError, match="var: ddof=3 leaves no degrees of freedom over 3 elements"):
        ag.var(ag.tensor([1.0, 2.0, 3.0]), ddof=3)
    assert float(ag.var(ag.tensor([1.0, 2.0, 3.0]), ddof=2).data) == pytest.approx(2.0)


def test_split_of_empty_axis_gives_empty_sections():
    """Splitting a size-0 axis into n sections gives n empty tensors, like numpy."""
    parts = ag.split(ag.zeros((0, 2)), 2)
    assert [p.shape for p in parts] == [a.shape for a in np.split(np.zeros((0, 2)), 2)]
    assert [p.shape for p in ag.zeros((2, 0)).split(3, axis=1)] == [(2, 0)] * 3
    with pytest.raises(ValueError, match="equal sections"):
        ag.split(ag.zeros((0, 2)), 0)


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_complex_tensors_cannot_require_grad(dtype):
    """Only real floating tensors can require grad (vjps do not conjugate)."""
    with pytest.raises(TypeError, match="only real floating-point tensors can require grad"):
        ag.tensor(np.array([1 + 2j], dtype=dtype), requires_grad=True)
    t = ag.tensor(np.array([1 + 2j], dtype=dtype))
    with pytest.raises(TypeError, match=dtype):
        t.requires_grad_()
    with pytest.raises(TypeError, match="astype"):
        ag.tensor([1.0], requires_grad=True).to(dtype)


def test_zeros_like_and_ones_like_of_a_list_use_the_default_dtype():
    """A Python list converts like ag.tensor (float -> default dtype, ints stay int)."""
    assert ag.zeros_like([1.0]).dtype == np.float32
    assert ag.ones_like([[1.0, 2.0]]).dtype == np.float32
    assert ag.zeros_like([1, 2]).dtype == ag.tensor([1, 2]).dtype
    ag.set_default_dtype("float64")
    assert ag.ones_like([1.0]).dtype == np.float64
    assert ag.zeros_like(np.ones(2, np.float32)).dtype == np.float32


@pytest.mark.parametrize("shape", [np.int64(2), np.int32(2), 2])
def test_full_accepts_numpy_integer_shape(shape):
    """ag.full takes a numpy integer as a shape, like numpy."""
    t = ag.full(shape, 1.0)
    assert t.shape == (2,) and t.dtype == np.float32


@pytest.mark.parametrize("op", [operator.add, operator.sub, operator.mul, operator.truediv,
                                operator.pow, ag.maximum, ag.minimum])
@pytest.mark.parametrize("container", [list, tuple])
def test_list_operand_converts_like_ag_tensor(op, container):
    """A Python list/tuple operand becomes the default float dtype, on either side."""
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    other = container([1.0, 2.0])
    for out in (op(other, x), op(x, other)):
        assert out.dtype == np.float32
    op(other, x).sum().backward()
    assert x.grad.dtype == np.float32


def test_list_operand_matmul_and_where_use_default_dtype():
    """@ and ag.where convert a list operand like ag.tensor too."""
    x = ag.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert ([[1.0, 0.0], [0.0, 1.0]] @ x).dtype == np.float32
    assert (x @ [1.0, 1.0]).dtype == np.float32
    assert ag.where(x > 2, x, [0.5, 0.5]).dtype == np.float32


def test_numpy_scalar_operand_follows_numpy():
    """numpy scalars are strong under NEP 50: np.float64 upcasts float32; Python floats do not."""
    x = ag.tensor([1.0, 2.0])
    assert (x * np.float64(2.0)).dtype == np.float64
    assert (x * 2.0).dtype == np.float32 and (x * 2).dtype == np.float32


def test_list_operand_holding_grad_tensors_is_refused():
    """A list of tensors that require grad as an operand would drop their graph: refused."""
    w = ag.tensor(1.0, requires_grad=True)
    x = ag.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match="ag.stack"):
        x + [w, w]
    with ag.no_grad():
        assert (x + [w, w]).dtype == np.float32
