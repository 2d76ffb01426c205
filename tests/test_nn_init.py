"""nn.init: distributions (mean/std/bounds on big tensors), seeding, in-place rules, names."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite import nn
from autograd_lite.nn import init

FAN_IN, FAN_OUT = 400, 600
SHAPE = (FAN_IN, FAN_OUT)   # (in_features, out_features): 240,000 samples


def filled(fn, *args, **kwargs) -> np.ndarray:
    return fn(ag.zeros(*SHAPE, dtype="float64"), *args, **kwargs).data


def check_uniform(w: np.ndarray, bound: float) -> None:
    assert w.min() >= -bound and w.max() <= bound
    assert w.min() < -0.99 * bound and w.max() > 0.99 * bound   # it reaches the bounds
    assert abs(w.mean()) < 0.01 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound


def check_normal(w: np.ndarray, mean: float, std: float) -> None:
    assert abs(w.mean() - mean) < 0.01 * std
    assert abs(w.std() - std) < 0.01 * std
    assert abs(np.mean(np.abs(w - mean) < std) - 0.6827) < 0.005  # really Gaussian


def test_uniform_and_normal():
    check_uniform(filled(init.uniform_, -0.5, 0.5, rng=0), 0.5)
    w = filled(init.uniform_, 2.0, 3.0, rng=0)
    assert w.min() >= 2.0 and w.max() < 3.0 and abs(w.mean() - 2.5) < 0.01
    check_normal(filled(init.normal_, 1.0, 0.2, rng=0), 1.0, 0.2)
    with pytest.raises(ValueError, match="a < b"):
        init.uniform_(ag.zeros(2), 1.0, 1.0)
    with pytest.raises(ValueError, match="std must be >= 0"):
        init.normal_(ag.zeros(2), 0.0, -1.0)


def test_xavier():
    check_uniform(filled(init.xavier_uniform_, rng=0), math.sqrt(6 / (FAN_IN + FAN_OUT)))
    check_uniform(filled(init.xavier_uniform_, gain=2.0, rng=0),
                  2 * math.sqrt(6 / (FAN_IN + FAN_OUT)))
    check_normal(filled(init.xavier_normal_, rng=0), 0.0, math.sqrt(2 / (FAN_IN + FAN_OUT)))


@pytest.mark.parametrize("mode, fan", [("fan_in", FAN_IN), ("fan_out", FAN_OUT)])
@pytest.mark.parametrize("nonlinearity", ["relu", "tanh", "linear"])
def test_kaiming(mode, fan, nonlinearity):
    gain = init.calculate_gain(nonlinearity)
    check_uniform(filled(init.kaiming_uniform_, mode=mode, nonlinearity=nonlinearity, rng=0),
                  gain * math.sqrt(3 / fan))
    check_normal(filled(init.kaiming_normal_, mode=mode, nonlinearity=nonlinearity, rng=0),
                 0.0, gain / math.sqrt(fan))


def test_fan_in_is_the_first_axis_because_layers_compute_x_at_w():
    w = init.kaiming_normal_(ag.zeros(50, 5000, dtype="float64"), rng=0).data
    assert abs(w.std() - math.sqrt(2 / 50)) < 0.01 * math.sqrt(2 / 50)


def test_constant_and_zeros():
    assert np.all(filled(init.constant_, 0.25) == 0.25)
    t = ag.ones(3)
    assert init.zeros_(t) is t and not np.any(t.data)


@pytest.mark.parametrize("fn", [init.uniform_, init.normal_, init.xavier_uniform_,
                                init.xavier_normal_, init.kaiming_uniform_,
                                init.kaiming_normal_])
def test_seeding_and_in_place_rules(fn):
    a, b = fn(ag.zeros(30, 20), rng=5), fn(ag.zeros(30, 20), rng=5)
    np.testing.assert_array_equal(a.data, b.data)
    assert a.dtype == np.float32
    gen = np.random.default_rng(5)
    first, second = fn(ag.zeros(30, 20), rng=gen), fn(ag.zeros(30, 20), rng=gen)
    np.testing.assert_array_equal(first.data, a.data)       # seed 5 == a fresh Generator(5)
    assert not np.array_equal(first.data, second.data)       # a Generator moves on
    p = nn.Parameter(np.zeros((30, 20), np.float32))
    assert fn(p, rng=0) is p and p.requires_grad and p.is_leaf  # fills a Parameter under no_grad
    assert ag.is_grad_enabled()


def test_errors_name_the_function_and_the_fix():
    with pytest.raises(ValueError, match=r"xavier_uniform_: needs a 2-D weight of shape "
                                         r"\(in_features, out_features\).*got shape \(5,\)"):
        init.xavier_uniform_(ag.zeros(5))
    with pytest.raises(TypeError, match="normal_: expects a Tensor to fill in place, got ndarray"):
        init.normal_(np.zeros(3))
    with pytest.raises(TypeError, match="only floating-point tensors"):
        init.zeros_(ag.tensor([1, 2]))
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out'"):
        init.kaiming_normal_(ag.zeros(2, 2), mode="fan_avg")
    with pytest.raises(ValueError, match="unknown nonlinearity 'gelu'"):
        init.calculate_gain("gelu")


def test_initializer_names():
    assert init.INIT_NAMES == ("zeros", "normal", "xavier-uniform", "xavier-normal",
                               "kaiming-uniform", "kaiming-normal")
    check_normal(init.get_initializer("normal")(ag.zeros(*SHAPE, dtype="float64"), rng=0).data,
                 0.0, 0.01)
    check_uniform(init.get_initializer("xavier-uniform")(ag.zeros(*SHAPE, dtype="float64"),
                                                         rng=0).data,
                  math.sqrt(6 / (FAN_IN + FAN_OUT)))
    custom = lambda w, rng=None: w
    assert init.get_initializer(custom) is custom
    with pytest.raises(ValueError, match="unknown initializer 'xavier_uniform'; valid names"):
        init.get_initializer("xavier_uniform")


def test_every_initializer_can_be_passed_to_linear_as_a_callable():
    for fn in (init.zeros_, init.uniform_, init.normal_, init.xavier_uniform_,
               init.xavier_normal_, init.kaiming_uniform_, init.kaiming_normal_):
        a, b = nn.Linear(4, 3, init=fn, rng=1), nn.Linear(4, 3, init=fn, rng=1)
        np.testing.assert_array_equal(a.weight.data, b.weight.data)
