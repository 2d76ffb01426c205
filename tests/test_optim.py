"""Tests for ``autograd_lite.optim``: SGD, Adam and StepLR.

The update rules are checked against references written here in plain float64
numpy from PyTorch's documented pseudo-code; then convergence, parameter
groups, schedules, state-dict round trips (bit-identical continuation, plain
containers only), ``zero_grad``, dtypes, version counters, allocation-free steps and error messages.
"""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite import optim

SHAPE = (3, 4)
STEPS = 6


def random_grads(n: int = STEPS, shape: tuple[int, ...] = SHAPE, seed: int = 1) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.normal(size=shape) for _ in range(n)]


def start_value(shape: tuple[int, ...] = SHAPE, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape)


# ---------------------------------------------------------------- references (float64)

def reference_sgd(p0: np.ndarray, grads: list[np.ndarray], lr: float, momentum: float = 0.0,
                  dampening: float = 0.0, nesterov: bool = False,
                  weight_decay: float = 0.0) -> list[np.ndarray]:
    """torch.optim.SGD's documented algorithm, in float64; the parameter after each step."""
    p, b, out = np.array(p0, np.float64), None, []
    for g in grads:
        g = np.array(g, np.float64)
        if weight_decay != 0:
            g = g + weight_decay * p
        if momentum != 0:
            b = g.copy() if b is None else momentum * b + (1 - dampening) * g
            g = g + momentum * b if nesterov else b
        p = p - lr * g
        out.append(p.copy())
    return out


def reference_adam(p0: np.ndarray, grads: list[np.ndarray], lr: float = 1e-3,
                   betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                   weight_decay: float = 0.0) -> list[np.ndarray]:
    """torch.optim.Adam's documented algorithm (amsgrad off), in float64."""
    p, out = np.array(p0, np.float64), []
    m, v = np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        g = np.array(g, np.float64)
        if weight_decay != 0:
            g = g + weight_decay * p
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g * g
        m_hat = m / (1 - betas[0] ** t)
        v_hat = v / (1 - betas[1] ** t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(p.copy())
    return out


def run_ours(make: Callable[[list[ag.Tensor]], optim.Optimizer], p0: np.ndarray,
             grads: list[np.ndarray], dtype: Any = np.float64) -> list[np.ndarray]:
    """Our optimizer on the same gradients; the parameter after each step."""
    p = ag.tensor(np.array(p0, dtype), requires_grad=True)
    opt, out = make([p]), []
    for g in grads:
        p.grad = ag.tensor(np.array(g, dtype))
        opt.step()
        out.append(p.data.copy())
    return out


SGD_CONFIGS = [
    dict(lr=0.1),
    dict(lr=0.05, momentum=0.9),
    dict(lr=0.05, momentum=0.9, dampening=0.3),
    dict(lr=0.05, momentum=0.8, nesterov=True),
    dict(lr=0.1, weight_decay=0.01),
    dict(lr=0.05, momentum=0.9, dampening=0.5, weight_decay=0.1),
    dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1),
]
ADAM_CONFIGS = [
    dict(),
    dict(lr=0.1),
    dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6),
    dict(lr=0.01, weight_decay=0.1),
    dict(lr=0.02, betas=(0.0, 0.9), weight_decay=0.5),
]
CASES = ([("SGD", c, reference_sgd) for c in SGD_CONFIGS]
         + [("Adam", c, reference_adam) for c in ADAM_CONFIGS])


def case_id(case: tuple[str, dict[str, Any], Any]) -> str:
    name, config, _ = case
    return name + "(" + ",".join(f"{k}={v}" for k, v in config.items()) + ")"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_matches_reference_float64(case):
    """Several steps with random gradients follow the documented algorithm to round-off."""
    name, config, reference = case
    p0, grads = start_value(), random_grads()
    ours = run_ours(lambda ps: getattr(optim, name)(ps, **config), p0, grads)
    for t, (a, b) in enumerate(zip(ours, reference(p0, grads, **config)), start=1):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14, err_msg=f"step {t}")


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_matches_reference_float32(case):
    """float32 parameters stay float32 and follow the float64 reference to float32 precision."""
    name, config, reference = case
    p0, grads = start_value(), random_grads()
    ours = run_ours(lambda ps: getattr(optim, name)(ps, **config), p0, grads, np.float32)
    assert all(a.dtype == np.float32 for a in ours)
    np.testing.assert_allclose(ours[-1], reference(p0, grads, **config)[-1], rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------- behaviour

def quadratic(w: ag.Tensor, scale: np.ndarray, target: np.ndarray) -> ag.Tensor:
    return (0.5 * scale * (w - target) ** 2).sum()


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.15),
    lambda ps: optim.SGD(ps, lr=0.02, momentum=0.9),
    lambda ps: optim.SGD(ps, lr=0.02, momentum=0.9, nesterov=True),
    lambda ps: optim.Adam(ps, lr=0.1),
], ids=["sgd", "momentum", "nesterov", "adam"])
def test_minimizes_a_quadratic(make):
    """Driven by real backward passes, each optimizer finds the minimum of an ill-scaled bowl."""
    rng = np.random.default_rng(0)
    scale, target = rng.uniform(1.0, 10.0, size=5), rng.normal(size=5)
    w = ag.tensor(np.zeros(5), dtype="float64", requires_grad=True)
    opt = make([w])
    sched = optim.StepLR(opt, step_size=100, gamma=0.3)
    for _ in range(400):
        opt.zero_grad()
        quadratic(w, scale, target).backward()
        opt.step()
        sched.step()
    np.testing.assert_allclose(w.data, target, atol=1e-4)


def test_param_groups_use_their_own_options():
    """Per-group lr / momentum override the defaults; each group follows its own reference."""
    p0a, p0b = start_value(seed=0), start_value((5,), seed=1)
    ga, gb = random_grads(seed=2), random_grads(shape=(5,), seed=3)
    a = ag.tensor(p0a, dtype="float64", requires_grad=True)
    b = ag.tensor(p0b, dtype="float64", requires_grad=True)
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.01, "momentum": 0.5}],
                    lr=0.1, momentum=0.9)
    assert [(g["lr"], g["momentum"]) for g in opt.param_groups] == [(0.1, 0.9), (0.01, 0.5)]
    for g1, g2 in zip(ga, gb):
        a.grad, b.grad = ag.tensor(g1), ag.tensor(g2)
        opt.step()
    np.testing.assert_allclose(a.data, reference_sgd(p0a, ga, lr=0.1, momentum=0.9)[-1],
                               rtol=1e-12)
    np.testing.assert_allclose(b.data, reference_sgd(p0b, gb, lr=0.01, momentum=0.5)[-1],
                               rtol=1e-12)


def test_add_param_group_and_changed_lr_take_effect():
    """A group added later is stepped; an lr edited in param_groups is used at the next step."""
    a, b = ag.zeros(2, requires_grad=True), ag.zeros(2, requires_grad=True)
    opt = optim.SGD([a], lr=1.0)
    opt.add_param_group({"params": [b], "lr": 0.5})
    opt.param_groups[0]["lr"] = 2.0
    a.grad, b.grad = ag.ones(2), ag.ones(2)
    opt.step()
    assert a.data.tolist() == [-2.0, -2.0] and b.data.tolist() == [-0.5, -0.5]


def test_parameters_without_grad_are_skipped():
    """A parameter whose .grad is None is neither changed nor given state (Adam's step too)."""
    a, b = ag.ones(3, requires_grad=True), ag.ones(3, requires_grad=True)
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = ag.ones(3)
    opt.step()
    opt.step()
    assert b.data.tolist() == [1.0, 1.0, 1.0] and b not in opt.state
    assert opt.state[a]["step"] == 2
    b.grad = ag.ones(3)
    opt.step()
    assert opt.state[a]["step"] == 3 and opt.state[b]["step"] == 1
    assert list(opt.state_dict()["state"]) == [0, 1]


def test_steplr_schedule():
    """lr = base_lr * gamma ** (epoch // step_size) for every group; the optimizer sees it."""
    a, b = ag.zeros(1, requires_grad=True), ag.zeros(1, requires_grad=True)
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.9)
    sched = optim.StepLR(opt, step_size=3, gamma=0.1)
    seen = []
    for _ in range(10):
        seen.append(sched.get_last_lr())
        assert [g["lr"] for g in opt.param_groups] == seen[-1]
        sched.step()
    expected = [[0.1 * 0.1 ** (e // 3), 0.5 * 0.1 ** (e // 3)] for e in range(10)]
    np.testing.assert_allclose(seen, expected, rtol=1e-15)
    assert sched.last_epoch == 10
    assert sched.state_dict() == {"step_size": 3, "gamma": 0.1, "base_lrs": [0.1, 0.5],
                                  "last_epoch": 10}


def test_steplr_state_round_trip():
    """A new scheduler loaded mid-way continues with the same learning rates."""
    opt = optim.SGD([ag.zeros(1, requires_grad=True)], lr=1.0)
    sched = optim.StepLR(opt, step_size=2, gamma=0.5)
    for _ in range(3):
        sched.step()
    saved = json.loads(json.dumps(sched.state_dict()))
    opt2 = optim.SGD([ag.zeros(1, requires_grad=True)], lr=123.0)
    sched2 = optim.StepLR(opt2, step_size=7, gamma=0.9)
    sched2.load_state_dict(saved)
    assert sched2.get_last_lr() == sched.get_last_lr() == [0.5]
    assert opt2.param_groups[0]["lr"] == 0.5
    for _ in range(4):
        sched.step()
        sched2.step()
        assert sched2.get_last_lr() == sched.get_last_lr()


# ---------------------------------------------------------------- state dict

def regression_problem() -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(16, 5)).astype(np.float32)
    y = rng.normal(size=(16, 3)).astype(np.float32)
    init = [rng.normal(size=(5, 3)).astype(np.float32), np.zeros(3, np.float32)]
    return x, y, init


def train(opt: optim.Optimizer, params: list[ag.Tensor], x: np.ndarray, y: np.ndarray,
          steps: int) -> None:
    w, b = params
    for _ in range(steps):
        opt.zero_grad()
        (((ag.tensor(x) @ w + b) - y) ** 2).mean().backward()
        opt.step()


def to_json_and_back(state: Any) -> Any:
    """ndarrays as nested lists, through a JSON string (int dict keys become strings)."""
    return json.loads(json.dumps(state, default=lambda a: a.tolist()))


ROUND_TRIP_MAKERS = {
    "sgd-nesterov-wd": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True,
                                            weight_decay=0.01),
    "sgd-dampening": lambda ps: optim.SGD([{"params": ps[:1]}, {"params": ps[1:], "lr": 0.2}],
                                          lr=0.05, momentum=0.9, dampening=0.2),
    "adam-wd": lambda ps: optim.Adam(ps, lr=0.01, betas=(0.8, 0.95), weight_decay=0.05),
}


@pytest.mark.parametrize("via_json", [False, True], ids=["dict", "json"])
@pytest.mark.parametrize("kind", list(ROUND_TRIP_MAKERS))
def test_state_dict_round_trip_continues_bit_identically(kind, via_json):
    """N steps, save, fresh parameters + fresh optimizer + load, M steps == N+M uninterrupted."""
    make = ROUND_TRIP_MAKERS[kind]
    x, y, init = regression_problem()
    n, m = 4, 5

    straight = [ag.tensor(a.copy(), requires_grad=True) for a in init]
    train(make(straight), straight, x, y, n + m)

    first = [ag.tensor(a.copy(), requires_grad=True) for a in init]
    opt = make(first)
    train(opt, first, x, y, n)
    saved = opt.state_dict()
    if via_json:
        saved = to_json_and_back(saved)
    resumed = [ag.tensor(p.data.copy(), requires_grad=True) for p in first]
    opt2 = make(resumed)
    for group in opt2.param_groups:  # proves the hyperparameters come from the state
        group["lr"] = 99.0
    opt2.load_state_dict(saved)
    train(opt2, resumed, x, y, m)

    for a, b in zip(straight, resumed):
        assert a.dtype == b.dtype == np.float32
        np.testing.assert_array_equal(a.data, b.data)


def assert_plain(obj: Any, path: str = "state_dict") -> None:
    """Only numbers, lists, dicts (int/str keys) and non-object ndarrays, all the way down."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            assert type(k) in (int, str), f"{path}: key {k!r}"
            assert_plain(v, f"{path}[{k!r}]")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            assert_plain(v, f"{path}[{i}]")
    elif isinstance(obj, np.ndarray):
        assert obj.dtype.kind in "biuf", f"{path}: ndarray of {obj.dtype}"
    else:
        assert type(obj) in (int, float, bool), f"{path}: {type(obj).__name__} {obj!r}"


@pytest.mark.parametrize("kind", list(ROUND_TRIP_MAKERS))
def test_state_dict_holds_only_plain_data(kind):
    """No Tensors, tuples or other objects: savable to .npz / JSON without pickle."""
    x, y, init = regression_problem()
    params = [ag.tensor(a, requires_grad=True) for a in init]
    opt = ROUND_TRIP_MAKERS[kind](params)
    train(opt, params, x, y, 2)
    state = opt.state_dict()
    assert_plain(state)
    assert [g["params"] for g in state["param_groups"]] in ([[0, 1]], [[0], [1]])
    assert sorted(state["state"]) == [0, 1]
    json.dumps(state, default=lambda a: a.tolist())  # serialisable once arrays are lists


def test_state_dict_is_a_snapshot():
    """The returned arrays are copies: later steps do not change a saved state dict."""
    w = ag.ones(3, requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    w.grad = ag.ones(3)
    opt.step()
    saved = opt.state_dict()
    opt.step()
    assert saved["state"][0]["momentum_buffer"].tolist() == [1.0, 1.0, 1.0]


def test_load_state_dict_validates_before_changing_anything():
    """Group counts, parameter counts, shapes, optimizer kind and keys are checked, with the fix."""
    w = ag.ones(3, requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    w.grad = ag.ones(3)
    opt.step()
    good = opt.state_dict()

    other = optim.SGD([ag.ones(3, requires_grad=True), ag.ones(2, requires_grad=True)], lr=0.3)
    with pytest.raises(ValueError, match=r"param group 0 has 1 parameter\(s\) in the saved state "
                                         r"but 2 here"):
        other.load_state_dict(good)
    two_groups = optim.SGD([{"params": [ag.ones(3, requires_grad=True)]},
                            {"params": [ag.ones(2, requires_grad=True)]}], lr=0.3)
    with pytest.raises(ValueError, match=r"has 1 parameter group\(s\) but this optimizer has 2"):
        two_groups.load_state_dict(good)
    wrong_shape = optim.SGD([ag.ones(4, requires_grad=True)], lr=0.3, momentum=0.5)
    with pytest.raises(ValueError, match=r"momentum_buffer has shape \(3,\) but the parameter "
                                         r"has shape \(4,\)"):
        wrong_shape.load_state_dict(good)
    assert wrong_shape.param_groups[0]["lr"] == 0.3 and not wrong_shape.state  # untouched
    adam = optim.Adam([ag.ones(3, requires_grad=True)])
    with pytest.raises(ValueError, match="unknown option.*another optimizer"):
        adam.load_state_dict(good)
    with pytest.raises(ValueError, match="expected a dict with keys 'state' and 'param_groups'"):
        opt.load_state_dict({"state": {}})
    bad_entry = {"state": {0: {"exp_avg": np.ones(3)}}, "param_groups": good["param_groups"]}
    with pytest.raises(ValueError, match="has keys \\['exp_avg'\\] but SGD keeps"):
        opt.load_state_dict(bad_entry)
    bad_index = {"state": {7: {"momentum_buffer": np.ones(3)}},
                 "param_groups": good["param_groups"]}
    with pytest.raises(ValueError, match="no parameter 7"):
        opt.load_state_dict(bad_index)
    bad_lr = {"state": {}, "param_groups": [{**good["param_groups"][0], "lr": -1.0}]}
    with pytest.raises(ValueError, match="lr must be >= 0"):
        opt.load_state_dict(bad_lr)


def test_load_state_dict_casts_to_the_parameter_dtype():
    """State saved from float64 parameters loads into float32 ones as float32."""
    w64 = ag.ones(3, dtype="float64", requires_grad=True)
    opt = optim.Adam([w64])
    w64.grad = ag.ones(3, dtype="float64")
    opt.step()
    w32 = ag.ones(3, requires_grad=True)
    opt32 = optim.Adam([w32])
    opt32.load_state_dict(opt.state_dict())
    assert opt32.state[w32]["exp_avg"].dtype == np.float32 and opt32.state[w32]["step"] == 1


# ---------------------------------------------------------------- grads, dtypes, versions

def test_zero_grad():
    """set_to_none=True drops .grad; False zeroes it in place (same Tensor, same dtype)."""
    w = ag.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    grad = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is grad and w.grad.dtype == np.float64 and w.grad.data.tolist() == [0.0, 0.0]
    (w * w).sum().backward()
    assert w.grad.data.tolist() == [2.0, 4.0]  # accumulated onto the zeros
    opt.zero_grad()
    assert w.grad is None
    opt.zero_grad(set_to_none=False)  # nothing to zero: no error
    assert w.grad is None


def test_zero_grad_drops_a_recorded_gradient_graph():
    """A .grad made with create_graph=True is replaced by zeros that do not require grad."""
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w ** 3).sum().backward(create_graph=True)
    assert w.grad is not None and w.grad.requires_grad
    opt.zero_grad(set_to_none=False)
    assert not w.grad.requires_grad and w.grad.data.tolist() == [0.0, 0.0]


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=np.float64(0.1), momentum=np.float64(0.9), nesterov=True,
                         weight_decay=np.float64(1e-3)),
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01),
    lambda ps: optim.Adam(ps, lr=np.float64(1e-2), betas=(np.float64(0.9), 0.99),
                          weight_decay=0.1),
], ids=["sgd-nesterov", "sgd-dampening", "adam"])
def test_float32_stays_float32_in_place(make):
    """Parameters and state stay float32, even with numpy float64 hyperparameters; the
    parameter's array is updated in place and its version counter bumped once per step."""
    w = ag.tensor(start_value(), dtype="float32", requires_grad=True)
    data, version = w.data, w._vc[0]
    opt = make([w])
    for g in random_grads(3):
        w.grad = ag.tensor(g.astype(np.float32))
        opt.step()
    assert w.data is data and w.dtype == np.float32
    assert w._vc[0] == version + 3
    arrays = [v for v in opt.state[w].values() if isinstance(v, np.ndarray)]
    assert arrays and all(a.dtype == np.float32 for a in arrays)


def test_step_invalidates_graphs_that_saved_the_parameter():
    """Backward through a graph that saved a parameter's old value raises after step()."""
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    y = (w * w).sum()
    w.grad = ag.ones(2)
    opt.step()
    with pytest.raises(RuntimeError, match="saved"):
        y.backward()


def test_state_follows_a_parameter_cast_to_another_dtype():
    """After model.to(float64) replaces p.data, the momentum buffer follows the new dtype."""
    w = ag.ones(3, requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    w.grad = ag.ones(3)
    opt.step()
    w.data = w.data.astype(np.float64)
    w.grad = ag.ones(3, dtype="float64")
    opt.step()
    assert w.dtype == np.float64 and opt.state[w]["momentum_buffer"].dtype == np.float64
    np.testing.assert_allclose(w.data, reference_sgd(np.ones(3), [np.ones(3)] * 2, lr=0.1,
                                                     momentum=0.9)[-1], rtol=1e-6)


BIG = 1_000_000


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.01),
    lambda ps: optim.SGD(ps, lr=0.01, momentum=0.9),
    lambda ps: optim.SGD(ps, lr=0.01, momentum=0.9, dampening=0.1, weight_decay=1e-4),
    lambda ps: optim.SGD(ps, lr=0.01, momentum=0.9, nesterov=True, weight_decay=1e-4),
    lambda ps: optim.Adam(ps, lr=1e-3, weight_decay=1e-4),
], ids=["sgd", "momentum", "dampening-wd", "nesterov-wd", "adam-wd"])
def test_steps_after_the_first_allocate_nothing_big(make):
    """tracemalloc around steps 2..N on a 10^6-float parameter: the peak grows by far less
    than one parameter (4 MB): no temporaries, the buffers are reused."""
    w = ag.tensor(np.ones(BIG, np.float32), requires_grad=True)
    w.grad = ag.tensor(np.full(BIG, 0.5, np.float32))
    opt = make([w])
    opt.step()  # the first step allocates the state and scratch buffers
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        for _ in range(5):
            opt.step()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if not was_tracing:
            tracemalloc.stop()
    assert peak - before < w.data.nbytes // 50, f"peak grew by {peak - before} bytes"


# ---------------------------------------------------------------- errors

def p3() -> ag.Tensor:
    return ag.zeros(3, requires_grad=True)


@pytest.mark.parametrize("make, error, match", [
    (lambda: optim.SGD([p3()], lr=-0.1), ValueError, "SGD: lr must be >= 0, got -0.1 .a negative"),
    (lambda: optim.SGD([p3()], lr=float("nan")), ValueError, "SGD: lr must be finite"),
    (lambda: optim.SGD([p3()], lr="0.1"), TypeError, "lr must be a real number, got '0.1'"),
    (lambda: optim.SGD([p3()], lr=True), TypeError, "lr must be a real number"),
    (lambda: optim.SGD([p3()], lr=0.1, momentum=-0.9), ValueError, "momentum must be >= 0"),
    (lambda: optim.SGD([p3()], lr=0.1, dampening=1.5), ValueError, r"dampening must be in \[0, 1\]"),
    (lambda: optim.SGD([p3()], lr=0.1, weight_decay=-1e-4), ValueError, "weight_decay must be >= 0"),
    (lambda: optim.SGD([p3()], lr=0.1, nesterov=True), ValueError,
     "nesterov=True needs momentum > 0 and dampening = 0, got momentum=0.0"),
    (lambda: optim.SGD([p3()], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), ValueError,
     "nesterov=True needs momentum > 0 and dampening = 0.*dampening=0.1"),
    (lambda: optim.SGD([p3()], lr=0.1, nesterov="yes"), TypeError, "nesterov must be True or False"),
    (lambda: optim.Adam([p3()], lr=-1e-3), ValueError, "Adam: lr must be >= 0"),
    (lambda: optim.Adam([p3()], betas=(0.9,)), ValueError, r"betas must be a pair"),
    (lambda: optim.Adam([p3()], betas=(1.0, 0.999)), ValueError, r"betas\[0\] must be in \[0, 1\)"),
    (lambda: optim.Adam([p3()], betas=(0.9, -0.1)), ValueError, r"betas\[1\] must be in \[0, 1\)"),
    (lambda: optim.Adam([p3()], eps=-1e-8), ValueError, "eps must be >= 0"),
    (lambda: optim.Adam([p3()], weight_decay=-0.1), ValueError, "weight_decay must be >= 0"),
], ids=lambda v: "" if callable(v) or isinstance(v, type) else v[:40])
def test_bad_hyperparameters(make, error, match):
    with pytest.raises(error, match=match):
        make()


@pytest.mark.parametrize("make, error, match", [
    (lambda: optim.SGD([], lr=0.1), ValueError, "SGD: got an empty parameter list"),
    (lambda: optim.Adam(iter([])), ValueError, "Adam: got an empty parameter list"),
    (lambda: optim.SGD(p3(), lr=0.1), TypeError, r"single Tensor; wrap it in a list"),
    (lambda: optim.SGD([np.zeros(3)], lr=0.1), TypeError, "parameter 0 is a ndarray, not a Tensor"),
    (lambda: optim.SGD([p3(), ag.zeros(2)], lr=0.1), ValueError,
     r"param group 0, parameter 1 \(shape \(2,\), float32\) does not require grad.*requires_grad_"),
    (lambda: optim.SGD([p3() * 2], lr=0.1), ValueError, "is not a leaf .it was made by op 'mul'"),
    (lambda: (lambda p: optim.SGD([p, p], lr=0.1))(p3()), ValueError, "appears more than once"),
    (lambda: (lambda p: optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1))(p3()), ValueError,
     "param group 1, parameter 0 .* appears more than once"),
    (lambda: optim.SGD([{"params": [p3()], "learning_rate": 0.1}], lr=0.1), ValueError,
     "param group 0: unknown option.*'learning_rate'.*the options are lr, momentum"),
    (lambda: optim.SGD([{"params": [p3()]}, {"params": [p3()], "lr": -1}], lr=0.1), ValueError,
     "SGD: param group 1: lr must be >= 0"),
    (lambda: optim.SGD([{"params": []}], lr=0.1), ValueError, "'params' is empty"),
    (lambda: optim.SGD([{"lr": 0.1}], lr=0.1), TypeError, "with a 'params' entry"),
    (lambda: optim.SGD([{"params": [p3()]}, p3()], lr=0.1), TypeError, "mixes dicts and tensors"),
    (lambda: optim.StepLR(optim.SGD([p3()], lr=0.1), step_size=0), ValueError,
     "step_size must be an int >= 1"),
    (lambda: optim.StepLR(optim.SGD([p3()], lr=0.1), step_size=2.5), ValueError,
     "step_size must be an int >= 1"),
    (lambda: optim.StepLR(optim.SGD([p3()], lr=0.1), step_size=2, gamma=0), ValueError,
     "gamma must be > 0"),
    (lambda: optim.StepLR([p3()], step_size=2), TypeError, "optimizer must be an Optimizer"),
], ids=lambda v: "" if callable(v) or isinstance(v, type) else v[:40])
def test_bad_parameters(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_errors_found_at_step_time():
    """A negative lr set into param_groups, or a .grad of the wrong shape, fails at step()."""
    w = p3()
    opt = optim.SGD([w], lr=0.1)
    w.grad = ag.ones(3)
    opt.param_groups[0]["lr"] = -0.5
    with pytest.raises(ValueError, match="SGD.step: param group 0: lr must be >= 0"):
        opt.step()
    opt.param_groups[0]["lr"] = 0.5
    w.grad = ag.ones(4)
    with pytest.raises(ValueError, match=r"parameter 0 has shape \(3,\) but its .grad has shape "
                                         r"\(4,\)"):
        opt.step()


def test_steplr_needs_every_group():
    """Adding a group after making the scheduler is reported at its next step."""
    opt = optim.SGD([p3()], lr=0.1)
    sched = optim.StepLR(opt, step_size=1)
    opt.add_param_group({"params": [p3()]})
    with pytest.raises(ValueError, match="make the scheduler after adding every group"):
        sched.step()


def test_repr():
    opt = optim.Adam([p3(), p3()], lr=0.01)
    assert repr(opt) == ("Adam(lr=0.01, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.0; "
                         "2 parameter(s))")
    assert repr(optim.StepLR(opt, 5)) == "StepLR(step_size=5, gamma=0.1, last_epoch=0, lr=[0.01])"


@pytest.mark.parametrize("key, value, error", [
    ("lr", -0.1, ValueError), ("lr", float("nan"), ValueError), ("momentum", "0.9", TypeError),
    ("nesterov", 1, TypeError),  # equal to True, but not a bool
])
def test_a_group_option_changed_between_steps_is_checked_again(key, value, error):
    """step() validates each group's options again whenever one changed since the last step."""
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    (w * w).sum().backward()
    opt.step()
    opt.param_groups[0][key] = value
    with pytest.raises(error, match=f"SGD.step: param group 0: {key}"):
        opt.step()
    opt.param_groups[0][key] = {"lr": 0.5, "momentum": 0.5, "nesterov": False}[key]
    before = w.data.copy()
    opt.step()  # valid again: the new value is used
    assert not np.array_equal(w.data, before)
