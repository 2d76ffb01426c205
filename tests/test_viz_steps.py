"""viz.steps: backward one node at a time, in backward's order, without touching .grad."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from numerical import num_grad
from viz_random_graphs import build_tensors, build_values, tensor_recipes, value_recipes

import autograd_lite as ag
from autograd_lite.scalar import Value
from autograd_lite.viz import Step, steps
from autograd_lite.viz.examples import two_layer


def leaf_sums(all_steps: list[Step], leaves: list) -> list:
    """What the steps sent to each leaf, summed (None if nothing reached it)."""
    sums: list = [None] * len(leaves)
    for s in all_steps:
        for x, g in zip(s.inputs, s.local_grads):
            for i, leaf in enumerate(leaves):
                if x is leaf and g is not None:
                    sums[i] = g if sums[i] is None else sums[i] + g
    return sums


def assert_backward_order(all_steps: list[Step]) -> None:
    """Every node's step comes before the steps of the nodes it was computed from."""
    position = {id(s.output): i for i, s in enumerate(all_steps)}
    for i, s in enumerate(all_steps):
        for x in s.inputs:
            if id(x) in position:
                assert position[id(x)] > i, f"{s.name} stepped after its input"
    assert [s.index for s in all_steps] == list(range(len(all_steps)))


@given(recipe=tensor_recipes())
def test_tensor_steps_sum_to_the_numerical_gradient(recipe):
    """Random Tensor graphs: steps in backward order; leaf sums equal central differences."""
    xs, ops, _ = recipe
    root = build_tensors(xs, ops, False)
    all_steps = list(steps(root))
    assert all_steps[0].output is root and np.array_equal(all_steps[0].upstream, np.ones(()))
    assert_backward_order(all_steps)
    assert all(x.grad is None for x in xs)  # steps never writes .grad
    for i, (x, total) in enumerate(zip(xs, leaf_sums(all_steps, xs))):
        def f(a: np.ndarray, i: int = i) -> float:
            args = [ag.tensor(a) if k == i else ag.tensor(v.data) for k, v in enumerate(xs)]
            with ag.no_grad():
                return build_tensors(args, ops, False).item()
        expected = num_grad(f, x.data)
        if total is None:  # an input the root does not use
            assert not np.any(expected)
        else:
            np.testing.assert_allclose(total, expected, rtol=1e-5, atol=1e-6)


@given(recipe=value_recipes())
def test_value_steps_sum_to_the_numerical_gradient(recipe):
    """Random Value graphs: local_grads = upstream · derivative; leaf sums equal backward()'s."""
    xs, ops = recipe
    leaves = [Value(x) for x in xs]
    root = build_values(leaves, ops)
    all_steps = list(steps(root))
    assert_backward_order(all_steps)
    assert all(v.grad == 0.0 for v in leaves)
    for s in all_steps:
        assert s.derivatives is not None
        assert s.local_grads == tuple(s.upstream * d for d in s.derivatives)
    sums = leaf_sums(all_steps, leaves)
    root.backward()
    for leaf, total in zip(leaves, sums):
        assert (total or 0.0) == pytest.approx(leaf.grad, rel=1e-12, abs=1e-15)


def test_two_layer_tensor_steps_match_backward():
    """The two-layer network: the order L, e², e, ŷ, u5 … u1; upstreams equal retained grads."""
    L, n = two_layer(kind="tensor")
    all_steps = list(steps(L))
    assert [s.name for s in all_steps] == ["L", "e²", "e", "ŷ", "u5", "u4", "u3", "u2", "u1"]
    assert [s.op for s in all_steps] == ["mean", "pow", "sub", "sigmoid", "add", "matmul",
                                         "sigmoid", "add", "matmul"]
    u2 = all_steps[7]
    assert u2.input_names == ("u1", "b1") and u2.local_grads[1].shape == (2,)
    assert u2.node is n["u2"]._node and u2.output is n["u2"]
    sigmoid = all_steps[6]
    assert sigmoid.formulas == ("σ(u2)(1−σ(u2))",)  # the registry's formula, names filled in
    assert "u3 = sigmoid(u2)" in str(sigmoid) and "ḡ_u2 +=" in str(sigmoid)
    matmul = all_steps[8]
    assert matmul.local_grads[0] is None  # x does not require grad
    for name in ("u1", "u2", "u3", "u4", "u5", "ŷ"):
        n[name].retain_grad()
    L.backward()
    for s in all_steps:
        if s.name in ("u1", "u2", "u3", "u4", "u5", "ŷ"):
            np.testing.assert_allclose(s.upstream, n[s.name].grad.data, rtol=1e-12)
    leaves = [n[k] for k in ("w1", "b1", "w2", "b2")]
    for leaf, total in zip(leaves, leaf_sums(all_steps, leaves)):
        np.testing.assert_allclose(total, leaf.grad.data, rtol=1e-12)


def test_two_layer_value_steps():
    L, n = two_layer(kind="value")
    all_steps = list(steps(L))
    assert [s.name for s in all_steps] == ["L", "e", "ŷ", "u5", "u4", "u3", "u2", "u1"]
    u4 = all_steps[4]
    assert u4.input_names == ("u3", "w2") and u4.derivatives == (n["w2"].data, n["u3"].data)
    assert str(u4).startswith("u4 = u3 × w2: ḡ_u4 = ")


def test_steps_is_lazy_and_freed_graphs_are_refused():
    L, n = two_layer(kind="tensor")
    it = steps(L)
    first = next(it)
    assert isinstance(first, Step) and first.name == "L"
    L.backward()
    with pytest.raises(RuntimeError, match=r"steps: .*freed.*retain_graph=True"):
        steps(L)


def test_steps_after_retained_backward_leaves_grad_alone():
    L, n = two_layer(kind="tensor")
    L.backward(retain_graph=True)
    before = n["w1"].grad.data.copy()
    all_steps = list(steps(L))
    assert np.array_equal(n["w1"].grad.data, before)
    (total,) = leaf_sums(all_steps, [n["w1"]])
    np.testing.assert_allclose(total, before, rtol=1e-12)


def test_steps_refuses_a_root_without_graph():
    with pytest.raises(RuntimeError, match="steps: the output does not require grad"):
        steps(ag.tensor([1.0]) * 2)


def test_steps_on_a_deep_chain():
    x = Value(0.5)
    v = x
    for _ in range(5000):
        v = v * 0.9999
    all_steps = list(steps(v))
    assert len(all_steps) == 5000 and all_steps[-1].inputs[0] is x
    assert all_steps[-1].local_grads[0] == pytest.approx(0.9999 ** 5000, rel=1e-9)
