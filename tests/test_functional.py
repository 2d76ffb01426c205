"""Function transforms: grad, value_and_grad, vjp, jacobian, hessian.

Derivatives are compared with central differences in float64 computed here
(or with closed forms), never with the engine's own gradients.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import autograd_lite as ag
from numerical import num_grad, num_hessian, num_jacobian

F64 = np.float64


# ---------------------------------------------------------------- grad

def test_grad_of_python_float():
    """grad(f)(2.0) for f = x³ gives 12 as a 0-d Tensor of the default dtype."""
    g = ag.grad(lambda x: x ** 3)(2.0)
    assert isinstance(g, ag.Tensor)
    assert g.shape == () and g.dtype == ag.get_default_dtype()
    assert g.item() == pytest.approx(12.0)


def test_grad_of_list_and_ndarray_args():
    """Lists and float64 ndarrays are accepted; ndarrays keep float64."""
    f = lambda x: (x.sigmoid() * x).sum()  # noqa: E731
    ref = lambda a: (a / (1 + np.exp(-a))).sum()  # noqa: E731
    xv = np.array([0.3, -1.2, 2.0])
    g_arr = ag.grad(f)(xv)
    assert g_arr.dtype == np.float64 and g_arr.shape == (3,)
    np.testing.assert_allclose(g_arr.numpy(), num_grad(ref, xv), rtol=1e-6)
    g_list = ag.grad(f)(xv.tolist())
    np.testing.assert_allclose(g_list.numpy(), num_grad(ref, xv), rtol=1e-4)


def test_grad_does_not_modify_the_input_array():
    """The argument array is copied: grad neither mutates it nor attaches anything to it."""
    xv = np.array([1.0, 2.0])
    before = xv.copy()
    ag.grad(lambda x: (x * x).sum())(xv)
    np.testing.assert_array_equal(xv, before)


def test_grad_argnums_int_and_tuple():
    """argnums picks which arguments are differentiated; a tuple gives a tuple of grads."""
    f = lambda x, y, z: (x * ag.tanh(y) + z).sum()  # noqa: E731
    xv, yv, zv = np.array([1.0, 2.0]), np.array([0.5, -0.3]), np.array([4.0, 5.0])
    gy = ag.grad(f, argnums=1)(xv, yv, zv)
    np.testing.assert_allclose(gy.numpy(), num_grad(lambda y: (xv * np.tanh(y) + zv).sum(), yv),
                               rtol=1e-6)
    gx, gz = ag.grad(f, argnums=(0, 2))(xv, yv, zv)
    np.testing.assert_allclose(gx.numpy(), np.tanh(yv))
    np.testing.assert_allclose(gz.numpy(), [1.0, 1.0])
    (g_neg,) = ag.grad(f, argnums=(-1,))(xv, yv, zv)
    np.testing.assert_allclose(g_neg.numpy(), [1.0, 1.0])


def test_grad_non_differentiated_args_pass_through():
    """Arguments not in argnums reach f unchanged (an int exponent, a string mode)."""
    def f(x, n, mode):
        assert isinstance(n, int) and mode == "sum"
        return (x ** n).sum()

    g = ag.grad(f)(np.array([1.0, 2.0]), 3, "sum")
    np.testing.assert_allclose(g.numpy(), [3.0, 12.0])


def test_grad_of_unused_argument_is_zero():
    """An argument f does not use gets a zero gradient of its shape."""
    gx, gy = ag.grad(lambda x, y: (x * 2).sum(), argnums=(0, 1))(np.ones(2), np.ones((3, 1)))
    np.testing.assert_allclose(gx.numpy(), [2.0, 2.0])
    assert gy.shape == (3, 1) and not gy.numpy().any()


def test_grad_of_grad_matches_numerical_second_derivative():
    """grad(grad(f)) matches the central-difference second derivative."""
    f = lambda x: (x * x).sigmoid() * x.tanh()  # noqa: E731

    def ref(a):
        return 1 / (1 + np.exp(-a * a)) * np.tanh(a)

    x0, h = 0.7, 1e-4
    expected = (ref(x0 + h) - 2 * ref(x0) + ref(x0 - h)) / h ** 2
    d2 = ag.grad(ag.grad(f))(np.float64(x0))
    assert d2.dtype == np.float64
    assert d2.item() == pytest.approx(expected, rel=1e-5)
    d1 = ag.grad(f)(np.float64(x0))
    assert d1.item() == pytest.approx((ref(x0 + 1e-6) - ref(x0 - 1e-6)) / 2e-6, rel=1e-7)


def test_grad_of_grad_of_grad():
    """Third derivative of x⁴ at 1.5 is 24·1.5."""
    d3 = ag.grad(ag.grad(ag.grad(lambda x: x ** 4)))(np.float64(1.5))
    assert d3.item() == pytest.approx(36.0)


def test_grad_with_a_leaf_tensor_leaves_its_grad_alone():
    """grad() returns the gradient without accumulating into the argument's .grad."""
    x = ag.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    g = ag.grad(lambda t: (t * t).sum())(x)
    np.testing.assert_allclose(np.asarray(g), [2.0, 4.0])
    assert x.grad is None


def test_grad_of_non_scalar_function_raises_type_error():
    """grad of a function returning a non-scalar raises TypeError pointing to jacobian."""
    with pytest.raises(TypeError, match="jacobian"):
        ag.grad(lambda x: x * 2)(np.array([1.0, 2.0]))


def test_grad_of_non_tensor_result_raises_type_error():
    """grad of a function returning a Python float raises TypeError."""
    with pytest.raises(TypeError, match="jacobian"):
        ag.grad(lambda x: 3.0)(1.0)


@pytest.mark.parametrize("argnums", [2, -3, (0, 5)])
def test_grad_argnums_out_of_range(argnums):
    """argnums out of range raises ValueError naming the index and the argument count."""
    with pytest.raises(ValueError, match=r"argnums -?\d+ is out of range for 2 argument"):
        ag.grad(lambda x, y: (x * y).sum(), argnums=argnums)(1.0, 2.0)


@given(arrays(F64, st.integers(1, 4), elements=st.floats(-2, 2)),
       st.floats(-3, 3), st.floats(-3, 3))
def test_grad_of_cubic_matches_closed_form(x, a, b):
    """For f = Σ a·x³ + b·x, grad is 3a·x² + b elementwise."""
    g = ag.grad(lambda t: (a * t ** 3 + b * t).sum())(x)
    np.testing.assert_allclose(g.numpy(), 3 * a * x ** 2 + b, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- value_and_grad

def test_value_and_grad():
    """value_and_grad returns f's value (no graph) and the gradient."""
    xv = np.array([0.5, -1.5, 2.0])
    ref = lambda a: np.log(np.exp(a).sum())  # noqa: E731
    value, g = ag.value_and_grad(lambda x: ag.logsumexp(x))(xv)
    assert value.item() == pytest.approx(ref(xv))
    assert not value.requires_grad
    np.testing.assert_allclose(g.numpy(), num_grad(ref, xv), rtol=1e-6)


def test_value_and_grad_tuple_argnums():
    """With tuple argnums value_and_grad returns (value, (g0, g1))."""
    value, (gx, gy) = ag.value_and_grad(lambda x, y: (x * y).sum(), argnums=(0, 1))(
        np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    assert value.item() == pytest.approx(11.0)
    np.testing.assert_allclose(gx.numpy(), [3.0, 4.0])
    np.testing.assert_allclose(gy.numpy(), [1.0, 2.0])


# ---------------------------------------------------------------- vjp

def test_vjp_applies_cotangent_and_is_reusable():
    """vjp_fn(v) gives vᵀJ for every argument, and can be called twice with different v."""
    A = np.array([[1.0, 2.0, -1.0], [0.5, 0.0, 3.0]])
    xv = np.array([0.2, -0.4, 0.9])
    sv = np.array([2.0, -1.0])

    def f(x, s):
        return (ag.tensor(A) @ x).tanh() * s

    def ref(x, s):
        return np.tanh(A @ x) * s

    out, vjp_fn = ag.vjp(f, xv, sv)
    np.testing.assert_allclose(out.numpy(), ref(xv, sv))
    assert not out.requires_grad
    Jx = num_jacobian(lambda x: ref(x, sv), xv)
    Js = num_jacobian(lambda s: ref(xv, s), sv)
    for v in (np.array([1.0, 0.0]), np.array([0.3, -2.0])):
        gx, gs = vjp_fn(v)
        np.testing.assert_allclose(gx.numpy(), v @ Jx, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(gs.numpy(), v @ Js, rtol=1e-6, atol=1e-9)
    gx_list, _ = vjp_fn([1.0, 1.0])
    np.testing.assert_allclose(gx_list.numpy(), np.ones(2) @ Jx, rtol=1e-6, atol=1e-9)


# ---------------------------------------------------------------- jacobian

def test_jacobian_shape_and_values_vector():
    """jacobian of R³ -> R² has shape (2, 3) and matches central differences."""
    A = np.array([[1.0, 2.0, -1.0], [0.5, 0.0, 3.0]])
    xv = np.array([0.2, -0.4, 0.9])
    J = ag.jacobian(lambda x: (ag.tensor(A) @ x).sigmoid())(xv)
    assert J.shape == (2, 3)
    np.testing.assert_allclose(J.numpy(),
                               num_jacobian(lambda x: 1 / (1 + np.exp(-(A @ x))), xv),
                               rtol=1e-6, atol=1e-9)


def test_jacobian_shape_matrix_in_matrix_out():
    """jacobian of X ↦ softmax(X Xᵀ) for X of shape (2, 3) has shape (2, 2, 2, 3)."""
    rng = np.random.default_rng(3)
    xv = rng.standard_normal((2, 3))

    def ref(x):
        z = x @ x.T
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    J = ag.jacobian(lambda x: ag.softmax(x @ x.T, axis=-1))(xv)
    assert J.shape == (2, 2, 2, 3)
    np.testing.assert_allclose(J.numpy(), num_jacobian(ref, xv), rtol=1e-5, atol=1e-9)


def test_jacobian_scalar_output_and_argnums():
    """A scalar output gives a Jacobian of x's shape; argnums selects the argument."""
    xv, yv = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    J = ag.jacobian(lambda x, y: (x * y).sum(), argnums=1)(xv, yv)
    assert J.shape == (2,)
    np.testing.assert_allclose(J.numpy(), xv)


# ---------------------------------------------------------------- hessian

def test_hessian_matches_numerical_and_is_symmetric():
    """hessian of a non-quadratic scalar function matches central differences and is symmetric."""
    xv = np.array([0.3, -0.8, 1.1])
    W = np.array([[1.0, 0.5, 0.0], [0.5, 2.0, -0.3], [0.0, -0.3, 1.5]])

    def f(x):
        return (x @ ag.tensor(W) @ x).tanh() + (x ** 3).sum() * x[0]

    def ref(x):
        return np.tanh(x @ W @ x) + (x ** 3).sum() * x[0]

    H = ag.hessian(f)(xv)
    assert H.shape == (3, 3)
    np.testing.assert_allclose(H.numpy(), num_hessian(ref, xv), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(H.numpy(), H.numpy().T, rtol=1e-12, atol=1e-12)


def test_hessian_of_matrix_argument():
    """hessian w.r.t. a (2, 2) argument has shape (2, 2, 2, 2) and matches central differences."""
    xv = np.array([[0.5, -0.2], [0.1, 0.9]])

    def ref(x):
        return np.log(np.exp(x).sum()) * (x ** 2).sum()

    H = ag.hessian(lambda x: ag.logsumexp(x) * (x * x).sum())(xv)
    assert H.shape == (2, 2, 2, 2)
    np.testing.assert_allclose(H.numpy(), num_hessian(ref, xv), rtol=1e-5, atol=1e-6)
    flat = H.numpy().reshape(4, 4)
    np.testing.assert_allclose(flat, flat.T, atol=1e-12)


def test_hessian_argnums():
    """hessian(f, argnums=1) differentiates the second argument twice."""
    xv, yv = np.array([2.0]), np.array([0.5, -1.0])
    H = ag.hessian(lambda x, y: (x * y ** 3).sum(), argnums=1)(xv, yv)
    np.testing.assert_allclose(H.numpy(), np.diag(6 * xv[0] * yv))


def test_hessian_of_linear_function_is_zero():
    """A linear function has an all-zero Hessian of shape x.shape * 2."""
    H = ag.hessian(lambda x: (x * 2.0).sum())(np.array([1.0, 3.0]))
    assert H.shape == (2, 2) and not H.numpy().any()


def test_transforms_work_inside_no_grad():
    """grad and hessian turn recording on for f even when called inside no_grad()."""
    xv = np.array([1.0, 3.0])
    with ag.no_grad():
        g = ag.grad(lambda x: (x ** 3).sum())(xv)
        H = ag.hessian(lambda x: (x ** 3).sum())(xv)
        assert not ag.is_grad_enabled()
    np.testing.assert_allclose(g.numpy(), 3 * xv ** 2)
    np.testing.assert_allclose(H.numpy(), np.diag(6 * xv))


def test_grad_of_grad_through_custom_function_raises():
    """A custom Function's ndarray backward cannot be differentiated: grad(grad(.)) says so."""
    class Square(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 2 * x * grad

    assert ag.grad(lambda x: Square.apply(x).sum())(np.array([2.0])).item() == 4.0
    with pytest.raises(RuntimeError, match="create_graph"):
        ag.grad(ag.grad(lambda x: Square.apply(x)))(np.float64(2.0))
