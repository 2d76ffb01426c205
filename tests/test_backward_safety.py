"""Backward never gives a silently wrong gradient and frees what it no longer needs."""

from __future__ import annotations

import gc
import tracemalloc

import numpy as np
import pytest

import autograd_lite as ag


def test_create_graph_catches_an_input_changed_after_an_output_saving_op() -> None:
    """exp saves its output, but a recorded backward recomputes it from x: x's version counts."""
    x = ag.tensor([1.0], requires_grad=True)
    y = x.exp()
    with ag.no_grad():
        x += 1
    with pytest.raises(RuntimeError, match="'exp'.*modified in place"):
        y.sum().backward(create_graph=True)


def test_first_order_backward_of_an_output_saving_op_ignores_its_input_version() -> None:
    """Plain backward of exp reads only the saved output, so changing x afterwards is harmless."""
    x = ag.tensor([1.0], requires_grad=True)
    y = x.exp()
    with ag.no_grad():
        x += 1
    y.sum().backward()
    assert np.allclose(x.grad.numpy(), np.exp(1.0))


def test_backward_frees_intermediate_activations_while_the_output_lives_on() -> None:
    """A loss kept alive after backward (say, appended to a list) no longer holds activations."""
    w = ag.tensor(np.random.default_rng(0).random((500, 500)), requires_grad=True)
    gc.collect()
    tracemalloc.start()
    try:
        h = w
        for _ in range(8):
            h = (h * 1.0001).tanh()
        loss = h.sum()
        del h
        before, _ = tracemalloc.get_traced_memory()
        loss.backward()
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    one_array = 500 * 500 * 8
    assert before > 12 * one_array  # 16 intermediate arrays were alive
    assert after < before - 12 * one_array  # ... and are gone, though `loss` is alive
    assert loss.grad_fn is not None and loss.grad_fn.freed
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        loss.backward()


def test_freed_inputs_keep_shape_dtype_and_structure() -> None:
    """After backward the graph's structure (nodes, shapes, dtypes) is still there to inspect."""
    x = ag.ones((2, 3), requires_grad=True)
    h = x.sigmoid()
    y = (h * 2).sum()
    del h
    y.backward()
    (stand_in, _) = y.grad_fn.inputs[0].grad_fn.inputs
    assert stand_in.shape == (2, 3) and stand_in.dtype == np.float32
    assert stand_in.grad_fn.name == "sigmoid"
    assert stand_in.grad_fn.inputs[0] is x  # leaves stay as they are


def test_a_hook_returning_a_wrong_shape_is_an_error() -> None:
    """A hook must give back a gradient of the tensor's shape."""
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: ag.tensor([1.0, 2.0, 3.0]))
    with pytest.raises(RuntimeError, match=r"shape \(3,\) for a tensor of shape \(2,\)"):
        (x * 2).sum().backward()


@pytest.mark.parametrize("create_graph", [False, True])
def test_a_hook_result_is_cast_to_the_gradient_dtype(create_graph: bool) -> None:
    """grad dtype == data dtype even when a hook returns float64 for a float32 leaf."""
    x = ag.tensor([1.0], requires_grad=True)
    x.register_hook(lambda g: ag.tensor([5.0], dtype="float64"))
    (x * 2).sum().backward(create_graph=create_graph)
    assert x.grad.dtype == np.float32 and x.grad.item() == 5.0


def test_a_float64_seed_is_cast_under_create_graph() -> None:
    """backward(gradient=float64 tensor, create_graph=True) on float32 gives float32 grads."""
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).backward(gradient=ag.tensor([1.0, 1.0], dtype="float64"), create_graph=True)
    assert x.grad.dtype == np.float32
    assert np.allclose(x.grad.numpy(), [3.0, 3.0])


def test_grad_of_a_parameter_outside_any_transform_is_plain() -> None:
    """ag.grad(f)(w) for a leaf that requires grad returns a graph-free gradient; w.grad untouched."""
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    g = ag.grad(lambda w: (w ** 2).sum())(w)
    assert not g.requires_grad and g.grad_fn is None
    assert np.allclose(g.numpy(), [2.0, 4.0])
    assert w.grad is None


def test_grad_of_grad_still_records_the_inner_backward() -> None:
    """Inside an outer transform the inner gradient stays differentiable (d²/dx² x³ = 6x)."""
    second = ag.grad(ag.grad(lambda x: x ** 3))(ag.tensor(1.5, dtype="float64"))
    assert second.item() == pytest.approx(9.0)


def test_jacobian_needs_a_single_argnum() -> None:
    """jacobian(f, argnums=(0, 1)) is refused with a message, not an unpacking error."""
    with pytest.raises(TypeError, match="argnums must be one int"):
        ag.jacobian(lambda a, b: a * b, argnums=(0, 1))


def test_an_op_whose_result_is_complex_cannot_require_grad() -> None:
    """Mixing a tensor that requires grad with complex data is refused, not silently wrong."""
    x = ag.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="mul: the result is complex128"):
        x * np.array([1j])


def test_transforms_refuse_complex_arguments() -> None:
    """ag.grad of a complex argument says only real floats can be differentiated."""
    with pytest.raises(TypeError, match="grad: argument 0 is complex"):
        ag.grad(lambda z: (z * z).sum())(np.array([1 + 1j]))
