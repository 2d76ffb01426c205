"""The engine: backward, retain/create graph, grad mode, hooks, scopes, Function, anomaly.

Every gradient and second derivative is checked against central differences
in float64 (written here or via ``ag.gradcheck``/``ag.gradgradcheck``),
never against the engine itself.
"""

from __future__ import annotations

import inspect
import os
import sys
import threading
import time

import numpy as np
import pytest

import autograd_lite as ag
from numerical import num_grad, num_hessian

F64 = "float64"
THIS_FILE = os.path.basename(__file__)


def t64(data, requires_grad=True):
    return ag.tensor(data, dtype=F64, requires_grad=requires_grad)


def engine_value(fn):
    """A numpy -> float function that evaluates ``fn`` with the engine, recording nothing."""
    def f(a):
        with ag.no_grad():
            return float(fn(ag.tensor(a, dtype=F64)).data)
    return f


# ---------------------------------------------------------------- backward basics

def test_scalar_output_seeds_one():
    """backward() on a 0-d output seeds 1: d(x^2)/dx = 2x."""
    x = t64(3.0)
    (x * x).backward()
    assert x.grad.item() == pytest.approx(6.0)


def test_shape_1x1_output_seeds_one():
    """backward() on a (1, 1) output also seeds 1 and the grad keeps the leaf's shape."""
    x = t64([[2.0]])
    y = x * x * x
    assert y.shape == (1, 1)
    y.backward()
    assert x.grad.shape == (1, 1)
    np.testing.assert_allclose(x.grad.numpy(), [[12.0]])


def test_backward_on_a_leaf_itself():
    """A one-element leaf's own backward() puts 1 into its .grad."""
    x = ag.tensor(3.0, requires_grad=True)
    x.backward()
    assert x.grad.item() == 1.0 and x.grad.dtype == x.dtype


def test_larger_output_needs_gradient():
    """backward() without gradient on a (2, 3) output raises RuntimeError naming the shape."""
    x = t64(np.ones((2, 3)))
    with pytest.raises(RuntimeError, match=r"\(2, 3\)"):
        (x * 2).backward()
    assert x.grad is None


def test_gradient_argument_is_a_vector_jacobian_product():
    """backward(gradient=v) gives vᵀJ: for y = x², x.grad = 2·x·v."""
    xv = np.array([1.0, -2.0, 0.5])
    v = np.array([0.3, 1.0, -4.0])
    x = t64(xv)
    (x * x).backward(gradient=v)
    np.testing.assert_allclose(x.grad.numpy(), 2 * xv * v)


def test_gradient_of_wrong_shape_raises():
    """A gradient whose shape differs from the output's is rejected with both shapes named."""
    x = t64([1.0, 2.0])
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        (x * 2).backward(gradient=np.ones(3))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_grad_is_a_tensor_with_the_leafs_shape_and_dtype(dtype):
    """.grad is a Tensor, numpy-convertible, with the same shape and dtype as the data."""
    x = ag.tensor(np.arange(6.0).reshape(2, 3), dtype=dtype, requires_grad=True)
    (x * x).sum().backward()
    assert isinstance(x.grad, ag.Tensor)
    assert x.grad.shape == x.shape == (2, 3)
    assert x.grad.dtype == x.dtype == np.dtype(dtype)
    arr = np.asarray(x.grad)
    assert isinstance(arr, np.ndarray) and arr.dtype == np.dtype(dtype)
    np.testing.assert_allclose(arr, 2 * np.arange(6.0).reshape(2, 3))


def test_grad_accumulates_across_separate_graphs():
    """Two backward calls on two separate graphs sum into .grad."""
    x = t64([1.0, 2.0])
    (x * x).sum().backward()          # 2x
    (x * 3.0).sum().backward()        # 3
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 7.0])


def test_grad_can_be_reset_between_backwards():
    """Setting .grad = None starts accumulation afresh."""
    x = t64([1.0, 2.0])
    (x * 3.0).sum().backward()
    x.grad = None
    (x * 5.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 5.0])


def test_shared_subexpression_sums_paths():
    """A diamond graph sums both paths: d(2x·3x)/dx = 12x."""
    x = t64([1.5, -2.0])
    a = x * 2.0
    b = x * 3.0
    (a * b).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 12 * np.array([1.5, -2.0]))


def test_broadcast_inputs_get_unbroadcast_grads():
    """A (3,) bias added to a (2, 3) input gets the column sums of the upstream gradient."""
    w = t64(np.arange(6.0).reshape(2, 3))
    b = t64([1.0, 2.0, 3.0])
    ((w + b) ** 2).sum().backward()
    expected_b = num_grad(lambda bb: ((np.arange(6.0).reshape(2, 3) + bb) ** 2).sum(),
                          [1.0, 2.0, 3.0])
    assert b.grad.shape == (3,)
    np.testing.assert_allclose(b.grad.numpy(), expected_b, rtol=1e-6)


def test_backward_on_output_without_grad_raises():
    """backward() on a tensor that does not require grad raises RuntimeError."""
    x = t64([1.0], requires_grad=False)
    with pytest.raises(RuntimeError, match="does not require grad"):
        (x * 2).sum().backward()


def test_non_leaf_grad_stays_none():
    """Only leaves get .grad: an intermediate keeps .grad None after backward."""
    x = t64([1.0, 2.0])
    y = x * x
    (y * 3.0).sum().backward()
    assert y.grad is None
    assert x.grad is not None


def test_retain_grad_keeps_non_leaf_grad():
    """retain_grad() on an intermediate used twice stores its total gradient."""
    xv = np.array([1.0, 2.0])
    x = t64(xv)
    y = x * x
    y.retain_grad()
    (y * 3.0 + y * y).sum().backward()   # d/dy = 3 + 2y
    np.testing.assert_allclose(y.grad.numpy(), 3 + 2 * xv ** 2)
    np.testing.assert_allclose(x.grad.numpy(), (3 + 2 * xv ** 2) * 2 * xv)
    assert y.grad.shape == y.shape and y.grad.dtype == y.dtype


def test_backward_frees_saved_values():
    """Without retain_graph the saved values are dropped and the nodes marked freed."""
    x = t64([0.5, 1.0])
    y = x.exp()
    node = y.grad_fn
    assert node.out is not None          # exp saves its output for the vjp
    y.sum().backward()
    assert node.out is None
    assert node.freed


def test_second_backward_through_freed_graph_raises():
    """A second backward through a freed graph raises RuntimeError saying retain_graph=True."""
    x = t64([1.0, 2.0])
    z = (x * x).sum()
    z.backward()
    with pytest.raises(RuntimeError, match=r"retain_graph=True"):
        z.backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])   # unchanged by the failed call


def test_retain_graph_allows_second_backward_and_doubles_grad():
    """With retain_graph=True the saved values stay and a second backward doubles .grad."""
    xv = np.array([0.3, -1.2])
    x = t64(xv)
    z = (x.tanh() * x).sum()
    z.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    np.testing.assert_allclose(first, num_grad(lambda a: (np.tanh(a) * a).sum(), xv), rtol=1e-6)
    assert not z.grad_fn.freed
    z.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first)


# ---------------------------------------------------------------- create_graph

def test_create_graph_makes_grad_differentiable():
    """With create_graph=True .grad requires grad, and its grad is d²(x³)/dx² = 6x."""
    x = t64(2.0)
    (x ** 3).backward(create_graph=True)
    g = x.grad
    assert g.requires_grad and not g.is_leaf
    assert g.item() == pytest.approx(12.0)
    x.grad = None
    g.backward()
    assert x.grad.item() == pytest.approx(12.0)
    f = lambda a: float(a ** 3)  # noqa: E731
    h = 1e-4
    assert x.grad.item() == pytest.approx((f(2 + h) - 2 * f(2.0) + f(2 - h)) / h ** 2, rel=1e-6)


def test_without_create_graph_grad_has_no_graph():
    """An ordinary backward leaves a plain .grad that does not require grad."""
    x = t64(2.0)
    (x ** 3).backward()
    assert not x.grad.requires_grad and x.grad.grad_fn is None


W_SOFTMAX = np.array([0.5, -1.0, 2.0, 0.25])

SECOND_ORDER_CASES = {
    "cube": (lambda x: (x ** 3).sum(), [0.7, -1.3, 2.0, 0.1]),
    "tanh": (lambda x: x.tanh().sum(), [0.2, -0.9, 1.4, 0.0]),
    "sigmoid_times_x": (lambda x: (x.sigmoid() * x).sum(), [0.3, -1.1, 2.2, 0.6]),
    "softmax_weighted": (lambda x: (ag.softmax(x) * W_SOFTMAX).sum(), [0.1, 0.7, -0.4, 1.2]),
    "log_softmax_pick": (lambda x: ag.log_softmax(x * x)[2], [0.1, 0.7, -0.4, 1.2]),
    "quadratic_form": (lambda x: (x @ ag.tensor(np.array([[2.0, 1.0, 0.0, 0.5],
                                                          [1.0, 3.0, 0.2, 0.0],
                                                          [0.0, 0.2, 1.0, 0.4],
                                                          [0.5, 0.0, 0.4, 2.0]])) @ x).tanh(),
                       [0.1, -0.2, 0.3, 0.05]),
}


@pytest.mark.parametrize("name", sorted(SECOND_ORDER_CASES))
def test_create_graph_hessian_matches_central_differences(name):
    """Hessian rows from backward(create_graph=True) then backward match central differences."""
    fn, point = SECOND_ORDER_CASES[name]
    x = t64(point)
    fn(x).backward(create_graph=True)
    g = x.grad
    assert g.requires_grad
    rows = []
    for i in range(x.size):
        x.grad = None
        g[i].backward(retain_graph=True)
        rows.append(x.grad.numpy().copy())
    H = np.stack(rows)
    expected = num_hessian(engine_value(fn), point)
    np.testing.assert_allclose(H, expected, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(H, H.T, rtol=1e-10, atol=1e-12)


def test_create_graph_matmul_mixed_partials():
    """For f(A, B) = Σ tanh(A @ B), ∂/∂B of ⟨∂f/∂A, V⟩ matches mixed central differences."""
    rng = np.random.default_rng(0)
    A0 = rng.standard_normal((2, 3)) * 0.5
    B0 = rng.standard_normal((3, 2)) * 0.5
    V = rng.standard_normal((2, 3))
    A, B = t64(A0), t64(B0)
    ag.tanh(A @ B).sum().backward(create_graph=True)
    gA = A.grad
    np.testing.assert_allclose(gA.numpy(),
                               num_grad(lambda a: np.tanh(a @ B0).sum(), A0), rtol=1e-6, atol=1e-9)
    A.grad = None
    B.grad = None
    (gA * V).sum().backward()
    f = lambda a, b: np.tanh(a @ b).sum()  # noqa: E731
    h = 1e-4
    mixed = np.zeros_like(B0)
    for k in np.ndindex(B0.shape):
        e = np.zeros_like(B0)
        e[k] = h
        mixed[k] = (f(A0 + h * V, B0 + e) - f(A0 + h * V, B0 - e)
                    - f(A0 - h * V, B0 + e) + f(A0 - h * V, B0 - e)) / (4 * h * h)
    np.testing.assert_allclose(B.grad.numpy(), mixed, rtol=1e-4, atol=1e-7)
    # and the A-part: ∂/∂A ⟨∂f/∂A, V⟩ = (Hessian wrt A) · V
    hvp = np.zeros_like(A0)
    for k in np.ndindex(A0.shape):
        e = np.zeros_like(A0)
        e[k] = h
        hvp[k] = (f(A0 + h * V + e, B0) - f(A0 + h * V - e, B0)
                  - f(A0 - h * V + e, B0) + f(A0 - h * V - e, B0)) / (4 * h * h)
    np.testing.assert_allclose(A.grad.numpy(), hvp, rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("fn", [
    lambda x, y: (x * y).sigmoid() * x,
    lambda x, y: ag.softmax(x @ y, axis=-1),
    lambda x, y: (x / (y * y + 1.0)).tanh(),
], ids=["sigmoid_mul", "softmax_matmul", "div_tanh"])
def test_gradgradcheck_two_inputs(fn):
    """gradcheck and gradgradcheck pass for two-input functions."""
    rng = np.random.default_rng(1)
    x = t64(rng.standard_normal((2, 2)))
    y = t64(rng.standard_normal((2, 2)))
    assert ag.gradcheck(fn, x, y)
    assert ag.gradgradcheck(fn, x, y)


# ---------------------------------------------------------------- detach, requires_grad_, leaves

def test_detach_shares_data_and_stops_gradient():
    """detach() shares memory, requires no grad, is a leaf, and gradients stop there."""
    xv = np.array([1.0, 3.0])
    x = t64(xv)
    d = x.detach()
    assert np.shares_memory(d.numpy(), x.numpy())
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    (x * d).sum().backward()                      # d is a constant: grad = d, not 2x
    np.testing.assert_allclose(x.grad.numpy(), xv)
    assert d.grad is None


def test_detach_of_non_leaf_cuts_graph():
    """Detaching an intermediate makes the rest of the graph see a constant."""
    x = t64([2.0])
    y = (x * x).detach()
    z = y * x
    z.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0])


def test_requires_grad_in_place():
    """requires_grad_() returns self and makes later ops record a graph; int tensors refuse."""
    x = ag.tensor([1.0, 2.0], dtype=F64)
    assert not (x * 2).requires_grad
    assert x.requires_grad_() is x
    y = (x * x).sum()
    assert y.requires_grad
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])
    x.requires_grad_(False)
    assert not (x * 2).requires_grad
    with pytest.raises(TypeError, match="floating-point"):
        ag.tensor([1, 2]).requires_grad_()


def test_requires_grad_false_on_non_leaf_raises():
    """requires_grad_(False) on a tensor made by an op points to detach()."""
    y = t64([1.0]) * 2
    with pytest.raises(RuntimeError, match="detach"):
        y.requires_grad_(False)


def test_leaf_and_non_leaf():
    """User tensors are leaves (no grad_fn); op results are non-leaves whose grad_fn names it."""
    x = t64([1.0])
    c = ag.tensor([1.0])
    y = x * c
    assert x.is_leaf and x.grad_fn is None
    assert c.is_leaf and c.grad_fn is None
    assert not y.is_leaf and y.grad_fn is not None and y.grad_fn.name == "mul"
    assert (c * 2).is_leaf                          # no input needs grad: nothing recorded


# ---------------------------------------------------------------- grad mode

def test_no_grad_context_manager():
    """Inside no_grad() results record nothing; the mode comes back afterwards."""
    x = t64([1.0])
    with ag.no_grad():
        assert not ag.is_grad_enabled()
        y = x * 2
    assert ag.is_grad_enabled()
    assert not y.requires_grad and y.is_leaf
    assert (x * 2).requires_grad


def test_no_grad_restores_mode_after_exception():
    """An exception inside no_grad() still restores grad mode."""
    with pytest.raises(KeyError):
        with ag.no_grad():
            raise KeyError("boom")
    assert ag.is_grad_enabled()


def test_no_grad_and_enable_grad_as_decorators():
    """no_grad() and enable_grad() work as decorators and restore the mode on return."""
    x = t64([1.0])

    @ag.no_grad()
    def infer(t):
        return t * 2, ag.is_grad_enabled()

    @ag.enable_grad()
    def train(t):
        return t * 2, ag.is_grad_enabled()

    y, mode = infer(x)
    assert not y.requires_grad and mode is False
    assert ag.is_grad_enabled()
    with ag.no_grad():
        z, mode = train(x)
        assert not ag.is_grad_enabled()
    assert z.requires_grad and mode is True


def test_grad_mode_nesting():
    """no_grad / enable_grad / set_grad_enabled nest, each restoring the enclosing mode."""
    x = t64([1.0])
    with ag.no_grad():
        with ag.enable_grad():
            assert (x * 2).requires_grad
            with ag.no_grad():
                assert not (x * 2).requires_grad
            assert ag.is_grad_enabled()
        assert not ag.is_grad_enabled()
        with ag.set_grad_enabled(True):
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad
    assert ag.is_grad_enabled()


def test_same_no_grad_instance_reentrant():
    """One no_grad instance entered recursively (a decorated recursive function) unwinds."""
    @ag.no_grad()
    def depth(n):
        assert not ag.is_grad_enabled()
        return 0 if n == 0 else 1 + depth(n - 1)

    assert depth(5) == 5
    assert ag.is_grad_enabled()


def test_set_grad_enabled_context_and_decorator():
    """set_grad_enabled(mode) works as a context manager and as a decorator."""
    x = t64([1.0])
    with ag.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert ag.is_grad_enabled()

    @ag.set_grad_enabled(False)
    def f():
        return (x * 2).requires_grad

    assert f() is False
    assert ag.is_grad_enabled()


def test_grad_mode_is_per_thread():
    """no_grad in one thread does not affect another thread."""
    seen = {}
    with ag.no_grad():
        th = threading.Thread(target=lambda: seen.setdefault("mode", ag.is_grad_enabled()))
        th.start()
        th.join()
    assert seen["mode"] is True


def test_shared_decorator_is_thread_safe():
    """A no_grad()-decorated function run by two interleaved threads restores each one's mode."""
    a_in, b_in, b_done = threading.Event(), threading.Event(), threading.Event()
    result = {}

    @ag.no_grad()
    def work(wait_for, announce):
        announce.set()
        assert wait_for.wait(5)

    def thread_a():                     # grad enabled; enters first, leaves while B is inside
        work(b_in, a_in)
        result["a"] = ag.is_grad_enabled()

    def thread_b():                     # grad disabled; enters second, leaves last
        assert a_in.wait(5)
        with ag.set_grad_enabled(False):
            work(b_done, b_in)
            result["b"] = ag.is_grad_enabled()

    ta, tb = threading.Thread(target=thread_a), threading.Thread(target=thread_b)
    ta.start()
    tb.start()
    ta.join(5)
    b_done.set()
    tb.join(5)
    assert result == {"a": True, "b": False}


# ---------------------------------------------------------------- hooks

def test_hook_on_leaf_sees_total_gradient():
    """A leaf hook is called once with the total gradient (a Tensor) of the leaf."""
    x = t64([1.0, 2.0])
    seen = []
    x.register_hook(lambda g: seen.append(np.array(g)))
    (x * 3.0 + x * x).sum().backward()
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0], [5.0, 7.0])
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 7.0])


def test_hook_return_value_replaces_gradient_and_remove_works():
    """A hook returning a value replaces the leaf's gradient; handle.remove() unregisters it."""
    x = t64([1.0, 2.0])
    handle = x.register_hook(lambda g: g * 10)
    (x * 2.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [20.0, 20.0])
    handle.remove()
    x.grad = None
    (x * 2.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])
    handle.remove()                                   # removing twice is harmless


def test_hook_on_non_leaf_sees_and_replaces_gradient():
    """A non-leaf hook sees d(out)/d(y); its return value flows on to the leaves."""
    xv = np.array([1.0, -2.0])
    x = t64(xv)
    y = x * x
    seen = []
    h1 = y.register_hook(lambda g: seen.append(np.array(g)))
    h2 = y.register_hook(lambda g: g * 0.5)
    (y * 4.0).sum().backward()
    np.testing.assert_allclose(seen[0], [4.0, 4.0])
    np.testing.assert_allclose(x.grad.numpy(), 0.5 * 4.0 * 2 * xv)
    assert y.grad is None                            # a hook does not retain the grad
    h1.remove()
    h2.remove()
    x.grad = None
    (x * x * 4.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 4.0 * 2 * xv)
    y2 = x * x
    h = y2.register_hook(lambda g: g * 0.5)
    h.remove()
    x.grad = None
    (y2 * 4.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 4.0 * 2 * xv)
    assert len(seen) == 1


def test_hook_requires_grad():
    """register_hook on a tensor that does not require grad raises RuntimeError."""
    with pytest.raises(RuntimeError, match="require grad"):
        ag.tensor([1.0]).register_hook(lambda g: g)


# ---------------------------------------------------------------- scopes

def test_scope_tags_nodes():
    """ag.scope tags nodes made inside; nesting gives a tuple path; outside nodes get ()."""
    x = t64([1.0, 2.0])
    outside = x * 2
    with ag.scope("encoder") as path:
        assert path == ("encoder",)
        a = x * 3
        with ag.scope("act") as inner:
            assert inner == ("encoder", "act")
            b = a.tanh()
        c = b + 1
    d = c.sum()
    assert outside.grad_fn.scope == ()
    assert a.grad_fn.scope == ("encoder",)
    assert b.grad_fn.scope == ("encoder", "act")
    assert c.grad_fn.scope == ("encoder",)
    assert d.grad_fn.scope == ()
    d.backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * (1 - np.tanh(3 * np.array([1.0, 2.0])) ** 2))


def test_scope_restored_after_exception():
    """Leaving a scope by an exception restores the enclosing scope."""
    x = t64([1.0])
    with ag.scope("outer"):
        with pytest.raises(ValueError):
            with ag.scope("inner"):
                raise ValueError
        assert (x * 2).grad_fn.scope == ("outer",)
    assert (x * 2).grad_fn.scope == ()


# ---------------------------------------------------------------- deep graphs

def test_million_op_chain_backward():
    """A 1,000,000-op chain backpropagates at the default recursion limit in well under 30 s."""
    limit = sys.getrecursionlimit()
    x = ag.tensor(0.5, dtype=F64, requires_grad=True)
    start = time.perf_counter()
    y = x
    for _ in range(10 ** 6):
        y = y + 1.0
    y.backward()
    elapsed = time.perf_counter() - start
    assert sys.getrecursionlimit() == limit
    assert y.item() == pytest.approx(1_000_000.5)
    assert x.grad.item() == 1.0
    assert elapsed < 30, f"1e6-op chain took {elapsed:.1f} s"
    del y  # freeing a million-node chain must not overflow the C stack either


# ---------------------------------------------------------------- custom Function

class ScaledMul(ag.Function):
    """out = k · a · b with a non-tensor ``k``; records what backward was asked for."""

    calls: list[tuple[bool, ...]] = []

    @staticmethod
    def forward(ctx, a, b, k):
        ctx.save_for_backward(a, b)
        ctx.k = k
        return k * a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ScaledMul.calls.append(ctx.needs_input_grad)
        ga = grad * ctx.k * b if ctx.needs_input_grad[0] else None
        gb = grad * ctx.k * a if ctx.needs_input_grad[1] else None
        return ga, gb, None


def test_function_gradcheck():
    """A custom Function with a non-tensor argument passes gradcheck for both tensor inputs."""
    rng = np.random.default_rng(2)
    a = t64(rng.standard_normal((2, 3)))
    b = t64(rng.standard_normal((2, 3)))
    assert ag.gradcheck(lambda a, b: ScaledMul.apply(a, b, 2.5).tanh(), a, b)


def test_function_needs_input_grad_and_values():
    """ctx.needs_input_grad is True only for tensors that require grad; grads land on them."""
    ScaledMul.calls.clear()
    a = t64([1.0, 2.0])
    b = t64([3.0, 4.0], requires_grad=False)
    out = ScaledMul.apply(a, b, 2.0)
    assert out.grad_fn is not None and out.grad_fn.name == "ScaledMul"
    np.testing.assert_allclose(out.numpy(), [6.0, 16.0])
    out.sum().backward()
    assert ScaledMul.calls == [(True, False, False)]
    np.testing.assert_allclose(a.grad.numpy(), [6.0, 8.0])
    assert b.grad is None


def test_function_under_no_grad_records_nothing():
    """Function.apply inside no_grad gives a leaf that does not require grad."""
    a = t64([1.0])
    with ag.no_grad():
        out = ScaledMul.apply(a, a, 1.0)
    assert not out.requires_grad and out.is_leaf


def test_function_node_gets_scope():
    """A Function's node is tagged with the current scope."""
    a = t64([1.0])
    with ag.scope("custom"):
        out = ScaledMul.apply(a, a, 1.0)
    assert out.grad_fn.scope == ("custom",)


def test_function_wrong_number_of_grads():
    """Returning fewer gradients than inputs raises a RuntimeError saying how many were expected."""
    class TooFew(ag.Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, grad):
            return grad

    x = t64([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"TooFew\.backward returned 1 gradient.*2 input"):
        TooFew.apply(x, 3.0).sum().backward()


def test_function_wrongly_shaped_grad():
    """A gradient of the wrong shape raises a RuntimeError naming both shapes."""
    class Summed(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad.sum()

    x = t64([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"shape \(\).*shape \(2,\)"):
        Summed.apply(x).sum().backward()


def test_function_none_grad_for_needed_input():
    """Returning None for an input that requires grad raises a RuntimeError."""
    class NoGrad(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return None

    x = t64([1.0])
    with pytest.raises(RuntimeError, match="None for input 0"):
        NoGrad.apply(x).sum().backward()


def test_function_create_graph_raises():
    """backward(create_graph=True) through a Function raises a clear RuntimeError."""
    x = t64([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"ScaledMul.*create_graph=True"):
        ScaledMul.apply(x, x, 1.0).sum().backward(create_graph=True)


# ---------------------------------------------------------------- detect_anomaly

def test_anomaly_forward_names_op_and_line():
    """The first NaN made in forward raises AnomalyError naming the op and this file:line."""
    x = t64([1.0, 2.0])
    with ag.detect_anomaly():
        y = x * 2.0                                    # finite: no error
        with pytest.raises(ag.AnomalyError) as info, np.errstate(invalid="ignore"):
            line = inspect.currentframe().f_lineno + 1
            ag.log(y - 3.0)
    msg = str(info.value)
    assert msg.startswith("log produced nan in forward")
    assert f"{THIS_FILE}:{line}" in msg
    assert isinstance(info.value, FloatingPointError)


def test_anomaly_forward_in_custom_function():
    """An inf made by a custom Function's forward names the Function and the call line."""
    class Recip(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return 1.0 / x

        @staticmethod
        def backward(ctx, grad):
            raise AssertionError("not reached")

    x = t64([0.0, 1.0])
    with ag.detect_anomaly(), np.errstate(divide="ignore"):
        with pytest.raises(ag.AnomalyError) as info:
            line = inspect.currentframe().f_lineno + 1
            Recip.apply(x)
    msg = str(info.value)
    assert "Recip" in msg and "inf" in msg and f"{THIS_FILE}:{line}" in msg


@pytest.mark.parametrize("op", ["sqrt", "pow"])
def test_anomaly_backward_names_op_and_forward_site(op):
    """sqrt(x) or x**0.5 at 0 gives an inf gradient: the error names the op and forward line."""
    x = t64([0.0, 4.0])
    with ag.detect_anomaly(), np.errstate(divide="ignore"):
        line = inspect.currentframe().f_lineno + 1
        y = ag.sqrt(x) if op == "sqrt" else x ** 0.5
        with pytest.raises(ag.AnomalyError) as info:
            y.sum().backward()
    msg = str(info.value)
    assert msg.startswith(f"{op} produced inf in backward")
    assert f"{THIS_FILE}:{line}" in msg


def test_anomaly_backward_in_custom_function():
    """An inf returned by a custom Function's backward names the Function and its forward's site."""
    class Sqrt(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.sqrt(x)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad / (2 * np.sqrt(x))

    x = t64([0.0, 1.0])
    with ag.detect_anomaly(), np.errstate(divide="ignore"):
        line = inspect.currentframe().f_lineno + 1
        y = Sqrt.apply(x)
        with pytest.raises(ag.AnomalyError) as info:
            y.sum().backward()
    msg = str(info.value)
    assert "Sqrt" in msg and "backward" in msg and f"{THIS_FILE}:{line}" in msg


def test_no_anomaly_error_outside_detect_anomaly():
    """Outside detect_anomaly, NaN/inf in forward and backward pass through silently."""
    x = t64([0.0, 4.0])
    with np.errstate(divide="ignore", invalid="ignore"):
        bad = ag.log(x - 1.0)
        assert np.isnan(bad.numpy()[0])
        ag.sqrt(x).sum().backward()
    assert np.isinf(x.grad.numpy()[0]) and x.grad.numpy()[1] == pytest.approx(0.25)


def test_detect_anomaly_as_decorator_and_restored():
    """detect_anomaly works as a decorator and is off again afterwards."""
    x = t64([-1.0])

    @ag.detect_anomaly()
    def bad():
        return ag.log(x)

    with np.errstate(invalid="ignore"):
        with pytest.raises(ag.AnomalyError, match="log"):
            bad()
        assert np.isnan(ag.log(x).numpy()[0])


# ---------------------------------------------------------------- review fixes (regressions)

class IsPositive(ag.Function):
    @staticmethod
    def forward(ctx, x):
        return x > 0

    @staticmethod
    def backward(ctx, grad):
        raise AssertionError("never called: a bool output has no gradient")


class ArgMax(ag.Function):
    @staticmethod
    def forward(ctx, x):
        return np.argmax(x, axis=-1)

    @staticmethod
    def backward(ctx, grad):
        raise AssertionError("never called: an integer output has no gradient")


@pytest.mark.parametrize("fn, dtype", [(IsPositive, np.bool_), (ArgMax, np.int64)])
def test_function_with_non_float_output_does_not_require_grad(fn, dtype):
    """A Function returning bool/int data gives a tensor without grad and without a node."""
    x = t64([[-1.0, 2.0], [3.0, -4.0]])
    out = fn.apply(x)
    assert out.dtype == dtype
    assert not out.requires_grad and out.grad_fn is None
    with pytest.raises(RuntimeError, match="does not require grad"):
        out.sum().backward()


def test_function_with_float_output_still_records():
    """A float output of a Function still records its node."""
    class Double(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    x = t64([1.0, 2.0])
    out = Double.apply(x)
    assert out.requires_grad and out.grad_fn is not None
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])


@pytest.mark.parametrize("build", [
    lambda a, b: a + b,                      # add hands its incoming gradient to both inputs
    lambda a, b: a - b,                      # sub hands it to a alone
    lambda a, b: (a * b).reshape(2, 1).reshape(2),   # reshape's gradient is a view
    lambda a, b: (a + b) * 1.0,
    lambda a, b: a * b + a,                  # a's gradient is a sum of two contributions
    lambda a, b: ag.ops.linear(a[None], ag.stack([b, b]).T).reshape(2),
])
def test_leaf_gradients_never_alias_each_other_or_the_seed(build):
    """The engine hands fresh arrays to .grad without a copy; none may be shared, so a second
    backward accumulates into each leaf alone and the caller's seed is never written."""
    a, b = t64([1.0, 2.0]), t64([3.0, -1.0])
    seed = np.array([1.0, 10.0])
    seed_before = seed.copy()
    build(a, b).backward(gradient=seed)
    first = a.grad.numpy().copy(), b.grad.numpy().copy()
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    assert not np.shares_memory(a.grad.numpy(), seed) and not np.shares_memory(b.grad.numpy(), seed)
    build(a, b).backward(gradient=seed)
    np.testing.assert_array_equal(a.grad.numpy(), 2 * first[0])
    np.testing.assert_array_equal(b.grad.numpy(), 2 * first[1])
    np.testing.assert_array_equal(seed, seed_before)
