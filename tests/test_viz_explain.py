"""viz.explain: chain-rule derivations whose numbers match central differences."""

from __future__ import annotations

import math
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numerical import num_grad

import autograd_lite as ag
from autograd_lite.scalar import Value
from autograd_lite.viz import Explanation, explain
from autograd_lite.viz.examples import two_layer
from viz_random_graphs import build_tensors, build_values, tensor_recipes, value_recipes

# ---------------------------------------------------------------- random Value graphs

def value_finite_difference(recipe: list[tuple[str, int, int]], xs: list[float], i: int) -> float:
    def f(x: np.ndarray) -> float:
        args = list(xs)
        args[i] = float(x)
        return build_values([Value(a) for a in args], recipe).data
    return float(num_grad(f, xs[i]))


@given(recipe=value_recipes(), max_paths=st.sampled_from([0, 1, 4, 10_000]),
       backward_first=st.booleans())
def test_value_explain_matches_central_differences(recipe, max_paths, backward_first):
    """For random Value graphs, explain().value is the numerical gradient for every leaf."""
    xs, ops = recipe
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
    root = build_values(leaves, ops)
    if backward_first:
        root.backward()
    grads_before = [v.grad for v in leaves]
    for i, leaf in enumerate(leaves):
        e = explain(root, wrt=leaf, max_paths=max_paths)
        assert isinstance(e.value, float)
        assert e.value == pytest.approx(value_finite_difference(ops, xs, i), rel=1e-5, abs=1e-6)
        assert e.mode == ("adjoint" if e.n_paths > max_paths else "paths")
    assert [v.grad for v in leaves] == grads_before  # explain never writes .grad


@given(recipe=value_recipes())
def test_value_paths_are_products_of_their_factors_and_sum_to_value(recipe):
    """In path mode every path's value is the product of its factors, and .value their sum."""
    xs, ops = recipe
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
    e = explain(build_values(leaves, ops), wrt=leaves[-1], max_paths=10_000)
    assert len(e.paths) == e.n_paths >= 1
    for p in e.paths:
        assert p.value == math.prod(f.value for f in p.items)
        assert p.nodes[0] == e.root and p.nodes[-1] == e.wrt and len(p.nodes) == len(p.items) + 1
    assert e.value == pytest.approx(sum(p.value for p in e.paths), rel=1e-12, abs=1e-15)


@given(recipe=tensor_recipes(), max_paths=st.sampled_from([0, 2, 10_000]),
       backward_first=st.booleans())
def test_tensor_explain_matches_central_differences(recipe, max_paths, backward_first):
    """For random Tensor graphs of registered ops, explain().value is the numerical gradient."""
    xs, ops, matmul_last = recipe
    for i, x in enumerate(xs):
        x.name = f"x{i}"
    out_shape = np.broadcast_shapes(*[x.shape for x in xs])
    if matmul_last and int(np.prod(out_shape)) != 3:
        matmul_last = False  # the fixed (2, 3) matrix needs three elements
    root = build_tensors(xs, ops, matmul_last)
    if backward_first:
        root.backward(retain_graph=True)
    grads_before = [None if x.grad is None else x.grad.data.copy() for x in xs]
    for i, x in enumerate(xs):
        e = explain(root, wrt=x, max_paths=max_paths)

        def f(a: np.ndarray, i: int = i) -> float:
            args = [ag.tensor(a) if k == i else ag.tensor(v.data) for k, v in enumerate(xs)]
            with ag.no_grad():
                return build_tensors(args, ops, matmul_last).item()

        assert isinstance(e.value, np.ndarray) and e.value.shape == x.shape
        assert "Ḡ" not in str(e) and r"\bar{G}" not in e.to_latex()  # every formula filled in
        np.testing.assert_allclose(e.value, num_grad(f, x.data), rtol=1e-5, atol=1e-6)
    after = [None if x.grad is None else x.grad.data for x in xs]
    for b, a in zip(grads_before, after):
        assert (b is None and a is None) or np.array_equal(a, b)
    if not backward_first:
        assert all(x.grad is None for x in xs)


# ---------------------------------------------------------------- the two-layer network

def sigma_prime(v: float) -> float:
    s = 1 / (1 + math.exp(-v))
    return s * (1 - s)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_value_two_layer_matches_the_hand_derivation(seed):
    """∂L/∂w1 = L'(ŷ)·σ'(u5)·w2·σ'(u2)·x, with L = (ŷ − y)², as one path of named factors."""
    L, n = two_layer(kind="value", seed=seed)
    d = {k: v.data for k, v in n.items()}
    hand = 2 * (d["ŷ"] - d["y"]) * sigma_prime(d["u5"]) * d["w2"] * sigma_prime(d["u2"]) * d["x"]
    e = explain(L, wrt=n["w1"])
    assert n["w1"].grad == 0.0  # no backward was run
    assert e.n_paths == 1 and e.mode == "paths"
    assert e.value == pytest.approx(hand, rel=1e-12)
    names = [f.name for f in e.paths[0].items]
    assert names == ["∂L/∂e", "∂e/∂ŷ", "∂ŷ/∂u5", "∂u5/∂u4", "∂u4/∂u3", "∂u3/∂u2", "∂u2/∂u1",
                     "∂u1/∂w1"]
    factors = {f.name: f for f in e.paths[0].items}
    assert factors["∂ŷ/∂u5"].value == pytest.approx(sigma_prime(d["u5"]), rel=1e-12)
    assert factors["∂u4/∂u3"].value == d["w2"] and factors["∂u1/∂w1"].value == d["x"]
    text = str(e)
    assert "∂L/∂e · ∂e/∂ŷ · ∂ŷ/∂u5 · ∂u5/∂u4" in text
    assert "∂ŷ/∂u5 = σ(u5)(1−σ(u5))" in text  # the registry's sigmoid formula, names filled in
    assert "∂u4/∂u3 = w2" in text and "∂u1/∂w1 = x" in text
    L.backward()
    for leaf in ("w1", "b1", "w2", "b2"):
        assert explain(L, wrt=n[leaf]).value == pytest.approx(n[leaf].grad, rel=1e-12)


@pytest.mark.parametrize("loss", ["mse", "cross-entropy"])
def test_tensor_two_layer_steps_and_values(loss):
    """The vjp steps name tensors and shapes; values equal central differences for each parameter."""
    L, n = two_layer(kind="tensor", loss=loss, n_in=2, n_hidden=3)
    e = explain(L, wrt=n["w1"])
    text = str(e)
    assert "ḡ_u2 = ḡ_u3 ⊙ σ(u2)(1−σ(u2))" in text
    assert "ḡ_w1 = xᵀ·ḡ_u1" in text
    assert "ḡ_u3 = ḡ_u4·w2ᵀ" in text
    step = {s.target: s for s in e.paths[0].items}
    assert step["w1"].shape == (2, 3) and step["u2"].shape == (1, 3) and step["u5"].shape == (1, 1)
    b1_text = str(explain(L, wrt=n["b1"]))
    assert "ḡ_b1 = " in b1_text and "(3,)" in b1_text
    params = {k: n[k] for k in ("w1", "b1", "w2", "b2")}
    for name, p in params.items():
        def f(a: np.ndarray, name: str = name) -> float:
            return _rebuild(loss, {**{k: v.data for k, v in params.items()}, name: a}, n)

        np.testing.assert_allclose(explain(L, wrt=p).value, num_grad(f, p.data), rtol=1e-6,
                                   atol=1e-8)
    assert all(p.grad is None for p in params.values())


def _rebuild(loss: str, values: dict[str, np.ndarray], n: dict) -> float:
    """The two-layer loss at other parameter values (same x, y), in float64."""
    x, y = n["x"].data, n["y"].data
    with ag.no_grad():
        t = {k: ag.tensor(v) for k, v in values.items()}
        y_hat = ((ag.tensor(x) @ t["w1"] + t["b1"]).sigmoid() @ t["w2"] + t["b2"]).sigmoid()
        if loss == "mse":
            return float(((y_hat - ag.tensor(y)) ** 2).mean().item())
        yt = ag.tensor(y)
        return float((-(yt * y_hat.log() + (1 - yt) * (1 - y_hat).log())).mean().item())


def test_latex_uses_the_registry_latex():
    """to_latex and _repr_latex_ give aligned LaTeX with \\frac (Values) and \\bar{g} (Tensors)."""
    L, n = two_layer(kind="value")
    tex = explain(L, wrt=n["w1"]).to_latex()
    assert tex.startswith(r"\begin{aligned}") and tex.endswith(r"\end{aligned}")
    assert r"\frac{\partial L}{\partial w_{1}}" in tex
    assert r"\frac{\partial \hat{y}}{\partial u_{5}} = \sigma({u_{5}})\,(1-\sigma({u_{5}}))" in tex
    LT, nt = two_layer(kind="tensor")
    e = explain(LT, wrt=nt["w1"])
    tex = e.to_latex()
    assert r"\bar{g}_{w_{1}} = {x}^\top \bar{g}_{u_{1}}" in tex
    assert r"\bar{g}_{u_{2}} = \bar{g}_{u_{3}} \odot \sigma({u_{2}})" in tex
    assert e._repr_latex_() == f"$${tex}$$"
    assert tex.count("{") == tex.count("}")


def test_repr_is_short_and_names_the_derivative():
    L, n = two_layer(kind="value")
    e = explain(L, wrt=n["b2"])
    assert isinstance(e, Explanation)
    r = repr(e)
    assert r.startswith("<Explanation ∂L/∂b2: Value, 1 path, paths, value=") and "\n" not in r


# ---------------------------------------------------------------- many paths

def diamonds(k: int, x: Value) -> Value:
    """k diamonds in a row: 2**k paths from the result to x."""
    v = x
    for _ in range(k):
        v = v.tanh() + v * 0.5
    return v


@pytest.mark.parametrize("k", [1, 3, 6])
def test_max_paths_switches_to_adjoint_sums(k):
    """2**k paths: listed while ≤ max_paths, otherwise one adjoint sum per node; same value."""
    x = Value(0.3, label="x")
    root = diamonds(k, x)
    listed = explain(root, wrt=x, max_paths=2 ** k)
    summed = explain(root, wrt=x, max_paths=2 ** k - 1)
    assert listed.n_paths == summed.n_paths == 2 ** k
    assert listed.mode == "paths" and len(listed.paths) == 2 ** k and not listed.adjoints
    assert summed.mode == "adjoint" and not summed.paths
    assert summed.adjoints[0].name == listed.root and summed.adjoints[-1].name == "x"
    numerical = float(num_grad(lambda a: diamonds(k, Value(float(a))).data, 0.3))
    assert listed.value == pytest.approx(numerical, rel=1e-6)
    assert summed.value == pytest.approx(numerical, rel=1e-6)
    text = str(summed)
    assert f"{2 ** k} paths" in text and "adjoint" in text and "ḡ_x = " in text
    assert " + " in text  # a node used twice sums two terms


def test_tensor_diamond_adjoint_sums():
    """A Tensor diamond past max_paths lists ḡ_n as a sum of vjp terms, with shapes."""
    x = ag.tensor([[0.2, -0.4, 0.9]], dtype="float64", requires_grad=True, name="x")
    h = x.tanh()
    h.name = "h"
    root = (h * h.sigmoid() + h).sum()
    e = explain(root, wrt=x, max_paths=1)
    assert e.mode == "adjoint" and e.n_paths == 3
    rows = {a.name: a for a in e.adjoints}
    assert rows["h"].text.count(" + ") == 2 and rows["h"].shape == (1, 3)
    f = lambda a: float(np.sum(np.tanh(a) / (1 + np.exp(-np.tanh(a))) + np.tanh(a)))
    np.testing.assert_allclose(e.value, num_grad(f, x.data), rtol=1e-6)
    paths = explain(root, wrt=x)
    assert paths.mode == "paths" and len(paths.paths) == 3
    np.testing.assert_allclose(paths.value, e.value, rtol=1e-12)


# ---------------------------------------------------------------- graph state and errors

def test_freed_graph_says_to_retain_it():
    L, n = two_layer(kind="tensor")
    L.backward()
    with pytest.raises(RuntimeError, match=r"explain: .*freed.*retain_graph=True"):
        explain(L, wrt=n["w1"])


def test_after_retained_backward_explain_matches_grad():
    L, n = two_layer(kind="tensor")
    L.backward(retain_graph=True)
    for k in ("w1", "b1", "w2", "b2"):
        np.testing.assert_allclose(explain(L, wrt=n[k]).value, n[k].grad.data, rtol=1e-12)


def test_intermediate_wrt_and_unreached_wrt():
    """wrt may be an intermediate; a tensor the root does not use gets zero and zero paths."""
    L, n = two_layer(kind="value")
    e = explain(L, wrt=n["u3"])
    assert [f.name for f in e.paths[0].items][-1] == "∂u4/∂u3"
    stranger = Value(1.0, label="z")
    none = explain(L, wrt=stranger)
    assert none.value == 0.0 and none.n_paths == 0 and "0 paths" in str(none)
    LT, nt = two_layer(kind="tensor")
    zero = explain(LT, wrt=ag.tensor([1.0, 2.0], requires_grad=True))
    assert np.array_equal(zero.value, np.zeros(2))


def test_auto_names_and_params_names():
    """Unnamed nodes become u1, u2, … and leaves v1, …; params= names tensors like torchviz."""
    w = ag.tensor([0.5, -1.0], dtype="float64", requires_grad=True)
    out = (w * w).tanh().sum()
    text = str(explain(out, wrt=w))
    assert "ḡ_u1 = ḡ_u2 ⊙ (1 − tanh²(u1))" in text and "ḡ_v1 = ḡ_u1 ⊙ v1" in text
    text = str(explain(out, wrt=w, params={"weight": w}))
    assert "ḡ_weight = ḡ_u1 ⊙ weight" in text


def test_bad_arguments_are_explained():
    x = Value(1.0)
    with pytest.raises(TypeError, match="explain: root and wrt must both be Values or both"):
        explain(x * 2, wrt=ag.tensor(1.0))
    with pytest.raises(ValueError, match="max_paths must be an int >= 0"):
        explain(x * 2, wrt=x, max_paths=-1)
    with pytest.raises(TypeError, match="root must be an autograd_lite Tensor or Value"):
        explain(3.0, wrt=3.0)
    t = ag.tensor([1.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        explain(t * 2, wrt=t)


def test_custom_function_uses_its_backward_and_formula():
    """A custom Function's node is explained with its backward and its formula text."""

    class Cube(ag.Function):
        formula = ("∂x³/∂x = 3x²",)

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 3 * x ** 2 * grad

    x = ag.tensor([1.0, -2.0], dtype="float64", requires_grad=True, name="x")
    e = explain(Cube.apply(x).sum(), wrt=x)
    assert "ḡ_x = ḡ_u1 ⊙ 3x²" in str(e)
    np.testing.assert_allclose(e.value, [3.0, 12.0])


def test_non_scalar_root_is_seeded_with_ones():
    """A Tensor root with several elements is explained as root.sum() would be."""
    x = ag.tensor([[0.3, -0.7], [1.1, 0.2]], dtype="float64", requires_grad=True, name="x")
    root = (x * x.sigmoid())
    e = explain(root, wrt=x)
    f = lambda a: float(np.sum(a / (1 + np.exp(-a))))
    np.testing.assert_allclose(e.value, num_grad(f, x.data), rtol=1e-6)
    assert e.paths[0].items[0].text == "ḡ_u2 = 1" and e.paths[0].items[0].shape == (2, 2)


def test_constants_show_their_number_and_an_unlabelled_wrt_gets_a_name():
    """``1 − ŷ`` reads as 1 − ŷ; an unlabelled Value asked about is named v1, not by its number."""
    L, n = two_layer(kind="value", loss="cross-entropy")
    text = str(explain(L, wrt=n["w2"]))
    assert "∂(1−ŷ)/∂ŷ" in text and "∂ln(1−ŷ)/∂(1−ŷ) = 1/(1−ŷ)" in text
    a = Value(0.5)
    y = 3 * a
    e = explain(y, wrt=a)
    assert e.wrt == "v1" and "∂u1/∂v1 = 3 = 3" not in str(e) and "∂u1/∂v1" in str(e)
    assert e.value == 3.0


def test_sequence_shape_and_softmax_ops_explained_from_their_formulas():
    """concatenate/stack/getitem/softmax/where/max/var: right numbers, registry text, no raw Ḡ."""
    a = ag.tensor([0.3, -0.5, 0.9], dtype="float64", requires_grad=True, name="a")
    b = ag.tensor([[1.0], [2.0]], dtype="float64", requires_grad=True, name="b")
    weights = np.array([1.0, 2.0, 3.0])

    def forward(a, b):
        c = ag.concatenate([a, a * 2], axis=0)
        d = ag.stack([c[:3], c[3:]]) * b
        e = ag.where(d.data > 0.5, d.exp(), d * d)
        p = e.softmax(axis=-1)
        return (p * ag.tensor(weights)).sum() + d.max() + d.reshape(-1).var(), (c, d, e, p)

    root, (c, d, e, p) = forward(a, b)
    for t, name in ((c, "c"), (d, "d"), (e, "e"), (p, "p")):
        t.name = name
    for wrt, x in ((a, a.data), (b, b.data)):
        def f(v: np.ndarray, wrt=wrt) -> float:
            with ag.no_grad():
                args = (ag.tensor(v), ag.tensor(b.data)) if wrt is a else (ag.tensor(a.data),
                                                                             ag.tensor(v))
                return forward(*args)[0].item()
        for max_paths in (0, 10_000):
            ex = explain(root, wrt=wrt, max_paths=max_paths)
            np.testing.assert_allclose(ex.value, num_grad(f, x), rtol=1e-6, atol=1e-9)
            assert "Ḡ" not in str(ex) and r"\bar{G}" not in ex.to_latex()
    text = str(explain(root, wrt=a, max_paths=0))
    assert "ḡ_e = p ⊙ (ḡ_p − Σ ḡ_p⊙p)" in text  # softmax's vjp formula, names filled in
    assert "ḡ_c = " in text and "scattered back to positions" in text
    assert "at index k of the new axis" in text and "the slice of ḡ_c where" in text


def test_deep_chains_need_no_recursion():
    """Graph walks are iterative: chains far deeper than the recursion limit are explained."""
    x = Value(0.5, label="x")
    v = x
    for _ in range(5000):
        v = v * 0.9999
    e = explain(v, wrt=x)
    assert e.value == pytest.approx(0.9999 ** 5000, rel=1e-9)
    t = ag.tensor([0.5], dtype="float64", requires_grad=True)
    u = t
    for _ in range(3000):
        u = u * 0.9999
    np.testing.assert_allclose(explain(u.sum(), wrt=t, max_paths=0).value, [0.9999 ** 3000])
