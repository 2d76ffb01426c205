"""Layers: Linear (one fused op), Sequential, activations, Flatten, Dropout, MLP.

Every layer is gradient-checked in float64 with respect to its input and its
parameters (``check_module``).
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite import nn
from autograd_lite.nn import functional as F


def check_module(module: nn.Module, *shape: int, seed: int = 0, low: float = -2.0,
                 high: float = 2.0) -> None:
    """gradcheck ``module`` (in float64) w.r.t. a random input and every parameter."""
    module.double()
    x = ag.tensor(np.random.default_rng(seed).uniform(low, high, shape), dtype="float64",
                  requires_grad=True)
    params = list(module.parameters())
    assert ag.gradcheck(lambda x, *ps: module(x), x, *params)


def away_from_zero(*shape: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.uniform(0.2, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


# ---------------------------------------------------------------- Linear

def test_linear_is_x_at_w_plus_b_with_weight_in_by_out():
    layer = nn.Linear(3, 2, rng=0)
    assert layer.weight.shape == (3, 2) and layer.bias.shape == (2,)
    assert isinstance(layer.weight, nn.Parameter) and layer.weight.dtype == np.float32
    with ag.no_grad():
        layer.bias[...] = [0.5, -0.5]
    x = np.arange(12.0, dtype=np.float32).reshape(4, 3)
    y = layer(x)
    np.testing.assert_allclose(y.data, x @ layer.weight.data + layer.bias.data, rtol=1e-6)
    assert y.dtype == np.float32 and y.shape == (4, 2)


def test_linear_forward_is_one_fused_node_but_user_code_stays_two_ops():
    layer = nn.Linear(3, 2, rng=0)
    x = ag.ones(4, 3)
    node = layer(x).grad_fn
    assert node.name == "linear"
    assert node.inputs[0] is x and node.inputs[1] is layer.weight and node.inputs[2] is layer.bias
    mine = x @ layer.weight + layer.bias
    assert mine.grad_fn.name == "add" and mine.grad_fn.parents[0].grad_fn.name == "matmul"
    no_bias = nn.Linear(3, 2, bias=False, rng=0)
    assert no_bias(x).grad_fn.name == "linear" and no_bias(x).grad_fn.inputs[2] is None


@pytest.mark.parametrize("shape", [(4, 3), (3,), (2, 5, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_gradcheck(shape, bias):
    check_module(nn.Linear(3, 2, bias=bias, rng=0), *shape)


def test_linear_gradients_match_the_textbook_formulas():
    layer = nn.Linear(3, 2, rng=0)
    x = ag.tensor(np.arange(12.0).reshape(4, 3), dtype="float32", requires_grad=True)
    layer(x).sum().backward()
    g = np.ones((4, 2), np.float32)
    np.testing.assert_allclose(x.grad.data, g @ layer.weight.data.T, rtol=1e-6)
    np.testing.assert_allclose(layer.weight.grad.data, x.data.T @ g, rtol=1e-6)
    np.testing.assert_allclose(layer.bias.grad.data, g.sum(0), rtol=1e-6)


def test_linear_shape_errors_name_both_shapes_and_the_fix():
    with pytest.raises(ValueError, match=r"x has shape \(8, 5\) but the weight has shape "
                                         r"\(3, 2\).*in_features = 3"):
        nn.Linear(3, 2)(ag.ones(8, 5))
    with pytest.raises(ValueError, match=r"bias must have shape \(2,\)"):
        ag.ops.linear(ag.ones(1, 3), ag.ones(3, 2), ag.ones(3))
    with pytest.raises(ValueError, match="2-D"):
        ag.ops.linear(ag.ones(1, 3), ag.ones(3))
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="in_features must be a positive int"):
            nn.Linear(bad, 2)


def test_linear_init_is_seeded_and_biases_start_at_zero():
    a, b, c = nn.Linear(20, 10, rng=3), nn.Linear(20, 10, rng=3), nn.Linear(20, 10, rng=4)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    assert not np.array_equal(a.weight.data, c.weight.data)
    assert not np.any(a.bias.data)
    for name in nn.init.INIT_NAMES:
        layer = nn.Linear(20, 10, init=name, rng=0)
        assert not np.any(layer.bias.data)
        assert np.any(layer.weight.data) == (name != "zeros")
    calls = []
    custom = nn.Linear(2, 2, init=lambda w, rng: calls.append(rng) or nn.init.constant_(w, 0.5),
                       rng=7)
    assert calls == [7] and np.all(custom.weight.data == 0.5)
    with pytest.raises(ValueError, match="valid names: 'zeros', 'normal', 'xavier-uniform'"):
        nn.Linear(2, 2, init="glorot")


def test_linear_without_rng_follows_manual_seed():
    ag.manual_seed(11)
    a = nn.Linear(5, 5)
    ag.manual_seed(11)
    b = nn.Linear(5, 5)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)


# ---------------------------------------------------------------- Sequential and friends

def test_sequential_runs_in_order_and_indexes_like_a_list():
    first, second = nn.Linear(3, 4, rng=0), nn.Tanh()
    model = nn.Sequential(first, second)
    x = ag.ones(2, 3)
    np.testing.assert_array_equal(model(x).data, second(first(x)).data)
    assert len(model) == 2 and list(model) == [first, second]
    assert model[0] is first and model[-1] is second
    assert isinstance(model[1:], nn.Sequential) and model[1:][0] is second
    with pytest.raises(IndexError, match="out of range for 2 modules"):
        model[5]
    with pytest.raises(TypeError, match="nn.ReLU"):
        nn.Sequential(nn.ReLU(), ag.relu)


def test_sequential_gradcheck():
    check_module(nn.Sequential(nn.Linear(3, 4, rng=0), nn.Tanh(), nn.Linear(4, 2, rng=1)), 5, 3)


@pytest.mark.parametrize("module, reference", [
    (nn.Sigmoid(), ag.sigmoid),
    (nn.Tanh(), ag.tanh),
    (nn.ReLU(), ag.relu),
    (nn.Softmax(), lambda x: ag.softmax(x, axis=-1)),
    (nn.Softmax(axis=0), lambda x: ag.softmax(x, axis=0)),
    (nn.LogSoftmax(), lambda x: ag.log_softmax(x, axis=-1)),
    (nn.LogSoftmax(axis=0), lambda x: ag.log_softmax(x, axis=0)),
], ids=lambda v: repr(v) if isinstance(v, nn.Module) else "")
def test_activation_modules_match_the_ops_and_gradcheck(module, reference):
    x = ag.tensor(away_from_zero(3, 4), dtype="float64", requires_grad=True)
    np.testing.assert_array_equal(module(x).data, reference(x).data)
    assert module(x).grad_fn.scope == (type(module).__name__,)
    assert ag.gradcheck(module, x)


def test_functional_activations_are_the_engine_ops():
    assert F.sigmoid is ag.sigmoid and F.relu is ag.relu and F.tanh is ag.tanh
    assert F.softmax is ag.softmax and F.log_softmax is ag.log_softmax
    assert F.linear is ag.ops.linear and F.cross_entropy is ag.ops.cross_entropy


def test_identity_and_flatten():
    x = ag.ones(2, 3, 4, requires_grad=True)
    assert nn.Identity()(x) is x
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Flatten(start_axis=0)(x).shape == (24,)
    assert repr(nn.Flatten()) == "Flatten(start_axis=1)"
    check_module(nn.Flatten(), 2, 3, 2)
    check_module(nn.Identity(), 3)


# ---------------------------------------------------------------- Dropout

def test_dropout_statistics_preserve_the_mean():
    p = 0.3
    y = nn.Dropout(p, rng=0)(ag.ones(200_000)).data
    dropped = np.mean(y == 0)
    assert abs(dropped - p) < 0.005
    assert set(np.unique(y)) == {0.0, np.float32(1 / (1 - p))}
    assert abs(y.mean() - 1.0) < 0.01
    assert y.dtype == np.float32


def test_dropout_is_deterministic_with_a_seed_and_fresh_on_every_call():
    a, b = nn.Dropout(0.5, rng=5), nn.Dropout(0.5, rng=5)
    x = ag.ones(1000)
    first, second = a(x).data, a(x).data
    assert not np.array_equal(first, second)            # a new mask each call
    np.testing.assert_array_equal(first, b(x).data)     # the same sequence per seed
    np.testing.assert_array_equal(second, b(x).data)
    gen_a, gen_b = np.random.default_rng(1), np.random.default_rng(1)
    np.testing.assert_array_equal(nn.Dropout(0.5, rng=gen_a)(x).data,
                                  nn.Dropout(0.5, rng=gen_b)(x).data)
    np.testing.assert_array_equal(F.dropout(x, 0.5, rng=9).data, F.dropout(x, 0.5, rng=9).data)
    ag.manual_seed(4)
    c = nn.Dropout(0.5)(x).data
    ag.manual_seed(4)
    np.testing.assert_array_equal(c, nn.Dropout(0.5)(x).data)


def test_dropout_is_the_identity_in_eval_mode_and_at_p_zero():
    x = ag.ones(50, requires_grad=True)
    drop = nn.Dropout(0.5, rng=0).eval()
    assert drop(x) is x
    assert nn.Dropout(0.0)(x) is x
    assert F.dropout(x, 0.9, training=False) is x
    assert drop.train()(x) is not x


@pytest.mark.parametrize("p", [1.0, -0.1, 1.5, "0.5", True, None])
def test_dropout_p_is_validated(p):
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\)"):
        nn.Dropout(p)
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\)"):
        F.dropout(ag.ones(2), p)


def test_dropout_gradient_is_the_scaled_mask():
    x = ag.ones(1000, requires_grad=True)
    y = nn.Dropout(0.25, rng=0)(x)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, y.data)  # y = mask / (1 - p) when x = 1
    x64 = ag.tensor(away_from_zero(4, 5), dtype="float64", requires_grad=True)
    assert ag.gradcheck(lambda x: F.dropout(x, 0.4, rng=3), x64)  # a seed: the same mask


# ---------------------------------------------------------------- MLP

def test_mlp_structure_matches_the_spec():
    model = nn.MLP(784, [100, 50], 10, activation="tanh", dropout=0.5, rng=0)
    kinds = [type(m).__name__ for m in model.layers]
    assert kinds == ["Linear", "Tanh", "Dropout", "Linear", "Tanh", "Dropout", "Linear"]
    assert [(m.in_features, m.out_features) for m in model.layers if isinstance(m, nn.Linear)] \
        == [(784, 100), (100, 50), (50, 10)]
    assert (model.in_features, model.hidden_sizes, model.out_features) == (784, [100, 50], 10)
    single = nn.MLP(784, [], 10, rng=0)
    assert [type(m).__name__ for m in single.layers] == ["Linear"]
    assert sum(p.size for p in single.parameters()) == 7850
    assert sum(p.size for p in nn.MLP(784, [100], 10, rng=0).parameters()) == 79510


@pytest.mark.parametrize("output_activation", [None, "sigmoid", "softmax"])
def test_mlp_output_activation(output_activation):
    model = nn.MLP(6, [5], 3, output_activation=output_activation, rng=0)
    x = ag.tensor(np.random.default_rng(0).normal(size=(4, 6)), dtype="float32")
    out = model(x).data
    logits = model.layers[2](model.layers[1](model.layers[0](x))).data
    expected = {None: logits, "sigmoid": ag.sigmoid(logits).data,
                "softmax": ag.softmax(logits, axis=-1).data}[output_activation]
    np.testing.assert_allclose(out, expected, rtol=1e-6)


@pytest.mark.parametrize("activation", ["sigmoid", "relu", "tanh", "softmax"])
def test_mlp_gradcheck(activation):
    check_module(nn.MLP(3, [4], 2, activation=activation, output_activation="softmax", rng=0),
                 5, 3, low=0.3, high=1.5)


def test_mlp_with_dropout_gradcheck_in_eval_mode():
    check_module(nn.MLP(3, [4, 3], 2, dropout=0.5, rng=0).eval(), 2, 3)


def test_mlp_same_seed_same_model_and_masks():
    a = nn.MLP(8, [6], 3, dropout=0.5, rng=2)
    b = nn.MLP(8, [6], 3, dropout=0.5, rng=2)
    for (na, pa), (nb, pb) in zip(a.named_parameters(), b.named_parameters()):
        assert na == nb
        np.testing.assert_array_equal(pa.data, pb.data)
    x = ag.ones(4, 8)
    np.testing.assert_array_equal(a(x).data, b(x).data)
    c = nn.MLP(8, [6], 3, dropout=0.5, rng=3)
    assert not np.array_equal(a.layers[0].weight.data, c.layers[0].weight.data)
    assert not np.array_equal(a.layers[0].weight.data, a.layers[3].weight.data[:6])


def test_mlp_errors_list_the_valid_choices():
    with pytest.raises(ValueError, match=r"activation 'gelu'; valid names: 'sigmoid', 'relu', "
                                         r"'tanh', 'softmax'"):
        nn.MLP(4, [3], 2, activation="gelu")
    with pytest.raises(ValueError, match=r"output_activation 'relu'; valid: None, 'sigmoid', "
                                         r"'softmax'"):
        nn.MLP(4, [3], 2, output_activation="relu")
    with pytest.raises(TypeError, match=r"list of layer widths such as \[100\]"):
        nn.MLP(4, 3, 2)
    with pytest.raises(ValueError, match="each hidden size must be a positive int"):
        nn.MLP(4, [3, 0], 2)
    with pytest.raises(ValueError, match=r"MLP: p must be in \[0, 1\)"):
        nn.MLP(4, [3], 2, dropout=1.0)


def test_mlp_trains_on_a_toy_problem():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 2)).astype(np.float32)
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)        # XOR-like quadrants
    model = nn.MLP(2, [16], 2, activation="tanh", rng=0)
    first = None
    for _ in range(300):
        loss = F.cross_entropy(model(x), y)
        first = first if first is not None else loss.item()
        model.zero_grad()
        loss.backward()
        with ag.no_grad():
            for p in model.parameters():
                p -= 0.5 * p.grad
    assert loss.item() < 0.25 * first
