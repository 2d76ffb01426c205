"""Losses: cross_entropy (fused op), nll, mse, bce (+ logits), one_hot, and the loss modules."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite import nn
from autograd_lite.nn import functional as F
from numerical import num_grad

REDUCTIONS = ["mean", "sum", "none"]


def f64(data, requires_grad=True):
    return ag.tensor(data, dtype="float64", requires_grad=requires_grad)


@pytest.fixture
def batch():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(6, 4)) * 2
    labels = rng.integers(0, 4, size=6)
    return logits, labels


def reference_ce(logits, labels):
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -log_p[np.arange(len(labels)), labels]


# ---------------------------------------------------------------- cross entropy

@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_equals_log_softmax_plus_nll(batch, reduction):
    logits, labels = batch
    a, b = f64(logits), f64(logits)
    fused = F.cross_entropy(a, labels, reduction=reduction)
    composed = F.nll_loss(F.log_softmax(b, axis=1), labels, reduction=reduction)
    assert fused.grad_fn.name == "cross_entropy"
    np.testing.assert_allclose(fused.data, composed.data, rtol=1e-12)
    per_row = reference_ce(logits, labels)
    expected = {"mean": per_row.mean(), "sum": per_row.sum(), "none": per_row}[reduction]
    np.testing.assert_allclose(fused.data, expected, rtol=1e-12)
    seed = np.linspace(-1, 1, fused.size).reshape(fused.shape)
    fused.backward(seed)
    composed.backward(seed)
    np.testing.assert_allclose(a.grad.data, b.grad.data, rtol=1e-10, atol=1e-14)


def test_cross_entropy_gradient_is_softmax_minus_one_hot(batch):
    logits, labels = batch
    z = f64(logits)
    F.cross_entropy(z, labels).backward()
    expected = (ag.softmax(f64(logits, False), axis=1).data - np.eye(4)[labels]) / len(labels)
    np.testing.assert_allclose(z.grad.data, expected, rtol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("targets", ["labels", "probabilities"])
def test_cross_entropy_gradcheck(batch, reduction, targets):
    logits, labels = batch
    if targets == "labels":
        assert ag.gradcheck(lambda z: F.cross_entropy(z, labels, reduction), f64(logits))
    else:
        probs = ag.softmax(f64(np.random.default_rng(1).normal(size=(6, 4)), False), axis=1)
        t = f64(probs.data)
        assert ag.gradcheck(lambda z, t: F.cross_entropy(z, t, reduction), f64(logits), t)
        assert ag.gradgradcheck(lambda z, t: F.cross_entropy(z, t, reduction), f64(logits), t)


@pytest.mark.parametrize("targets", ["labels", "probabilities"])
def test_cross_entropy_softmax_kept_by_the_forward_survives_a_retained_backward(batch, targets):
    """The first-order vjp reads the softmax the forward kept (the node's aux): its
    gradient matches central differences, a second backward through the retained graph
    adds the same gradient again (the kept softmax was not modified), and a backward
    without retain_graph drops it."""
    logits, labels = batch
    t = labels if targets == "labels" else np.full((6, 4), 0.25)

    def loss_of(z):
        shifted = z - z.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        picked = log_p[np.arange(6), labels] if targets == "labels" else (t * log_p).sum(1)
        return -picked.mean()

    z = f64(logits)
    loss = F.cross_entropy(z, t)
    assert loss.grad_fn.aux is not None
    loss.backward(retain_graph=True)
    first = z.grad.data.copy()
    np.testing.assert_allclose(first, num_grad(loss_of, logits), rtol=1e-6, atol=1e-9)
    loss.backward()
    np.testing.assert_allclose(z.grad.data, 2 * first, rtol=1e-12)
    assert loss.grad_fn.aux is None


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cross_entropy_is_stable_at_large_logits(dtype):
    z = ag.tensor([[1e3, 0.0, -1e3], [1e3, 1e3, 1e3], [-1e3, 1e3, 0.0]], dtype=dtype,
                  requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")      # no overflow / invalid-value warnings either
        loss = F.cross_entropy(z, [0, 1, 0], reduction="none")
        loss.sum().backward()
    assert loss.dtype == np.dtype(dtype)
    np.testing.assert_allclose(loss.data, [0.0, np.log(3.0), 2e3], rtol=1e-6)
    assert np.all(np.isfinite(z.grad.data))
    np.testing.assert_allclose(z.grad.data, [[0, 0, 0], [1 / 3, -2 / 3, 1 / 3], [-1, 1, 0]],
                               atol=1e-6)


def test_cross_entropy_with_one_hot_targets_equals_integer_labels(batch):
    logits, labels = batch
    a, b = f64(logits), f64(logits)
    with_labels = F.cross_entropy(a, labels)
    with_probs = F.cross_entropy(b, F.one_hot(labels, 4, dtype="float64"))
    np.testing.assert_allclose(with_labels.data, with_probs.data, rtol=1e-12)
    with_labels.backward()
    with_probs.backward()
    np.testing.assert_allclose(a.grad.data, b.grad.data, rtol=1e-12)


def test_cross_entropy_soft_targets(batch):
    logits, _ = batch
    t = np.full((6, 4), 0.25)
    loss = F.cross_entropy(f64(logits), t, reduction="none")
    log_p = ag.log_softmax(f64(logits, False), axis=1).data
    np.testing.assert_allclose(loss.data, -(t * log_p).sum(1), rtol=1e-12)
    # an ndarray target takes the logits' dtype (float32 stays float32)
    assert F.cross_entropy(ag.tensor(logits, dtype="float32"), t).dtype == np.float32


def test_cross_entropy_gradient_to_probability_targets():
    z, t = f64([[1.0, 2.0, 0.5]]), f64([[0.2, 0.3, 0.5]])
    F.cross_entropy(z, t).backward()
    np.testing.assert_allclose(t.grad.data, -ag.log_softmax(z.detach(), axis=1).data)


def test_cross_entropy_accepts_integer_tensors_and_whole_floats():
    z = ag.zeros(3, 4)
    expected = F.cross_entropy(z, [0, 1, 3]).item()
    for labels in (ag.tensor([0, 1, 3]), np.array([0, 1, 3], np.int32), [0.0, 1.0, 3.0]):
        assert F.cross_entropy(z, labels).item() == expected


@pytest.mark.parametrize("labels, match", [
    ([0, 4, 1], r"label 4 \(at position 1\) is out of range for 4 classes; labels must be "
                r"integers in \[0, 4\)"),
    ([0, 1, -1], r"label -1 \(at position 2\) is out of range for 4 classes"),
    ([0, 1.5, 2], r"label 1.5 \(at position 1\) is not an integer"),
    ([0, float("nan"), 2], r"label nan \(at position 1\) is not an integer"),
    ([0, 1], r"target has shape \(2,\), but logits of shape \(3, 4\) need integer labels of "
             r"shape \(3,\) or probabilities of shape \(3, 4\)"),
    (np.zeros((3, 3)), r"target has shape \(3, 3\)"),
])
def test_cross_entropy_label_errors_name_the_label_and_classes(labels, match):
    with pytest.raises(ValueError, match=match):
        F.cross_entropy(ag.zeros(3, 4, requires_grad=True), labels)


def test_cross_entropy_other_errors():
    with pytest.raises(TypeError, match="labels must be integer class indices, got dtype bool"):
        F.cross_entropy(ag.zeros(2, 2), np.array([True, False]))
    with pytest.raises(ValueError, match=r"reduction must be one of 'mean', 'sum', 'none', "
                                         r"not 'avg'"):
        F.cross_entropy(ag.zeros(2, 2), [0, 1], reduction="avg")
    with pytest.raises(ValueError, match=r"logits must have shape \(N, C\).*got \(4,\).*"
                                         r"logits\[None\]"):
        F.cross_entropy(ag.zeros(4), [1])
    with pytest.raises(ValueError, match=r"got \(0, 3\)"):
        F.cross_entropy(ag.zeros(0, 3), np.zeros(0, np.int64))


def test_cross_entropy_keeps_float32():
    loss = F.cross_entropy(ag.zeros(2, 3, requires_grad=True), [0, 2])
    assert loss.dtype == np.float32


# ---------------------------------------------------------------- nll, mse, bce

@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_values_and_gradcheck(batch, reduction):
    logits, labels = batch
    log_p = ag.log_softmax(f64(logits, False), axis=1).data
    loss = F.nll_loss(f64(log_p), labels, reduction=reduction)
    per_row = -log_p[np.arange(6), labels]
    expected = {"mean": per_row.mean(), "sum": per_row.sum(), "none": per_row}[reduction]
    np.testing.assert_allclose(loss.data, expected, rtol=1e-12)
    assert ag.gradcheck(lambda lp: F.nll_loss(lp, labels, reduction), f64(log_p))


def test_nll_loss_errors():
    with pytest.raises(ValueError, match=r"nll_loss: label 3 \(at position 0\) is out of range "
                                         r"for 3 classes"):
        F.nll_loss(ag.zeros(2, 3), [3, 0])
    with pytest.raises(ValueError, match=r"one integer label per row: shape \(2,\)"):
        F.nll_loss(ag.zeros(2, 3), [0, 1, 2])
    with pytest.raises(ValueError, match=r"shape \(N, C\)"):
        F.nll_loss(ag.zeros(3), [0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_loss_values_and_gradcheck(reduction):
    rng = np.random.default_rng(0)
    x, t = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    loss = F.mse_loss(f64(x), t, reduction=reduction)
    sq = (x - t) ** 2
    expected = {"mean": sq.mean(), "sum": sq.sum(), "none": sq}[reduction]
    np.testing.assert_allclose(loss.data, expected, rtol=1e-12)
    assert ag.gradcheck(lambda a, b: F.mse_loss(a, b, reduction), f64(x), f64(t))


def test_mse_loss_refuses_mismatched_shapes():
    with pytest.raises(ValueError, match=r"mse_loss: input has shape \(4, 1\) but target has "
                                         r"shape \(4,\); they must match"):
        F.mse_loss(ag.zeros(4, 1), np.zeros(4))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_values_and_gradcheck(reduction):
    rng = np.random.default_rng(0)
    p, t = rng.uniform(0.05, 0.95, size=(3, 4)), rng.uniform(0, 1, size=(3, 4))
    loss = F.binary_cross_entropy(f64(p), t, reduction=reduction)
    per = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    expected = {"mean": per.mean(), "sum": per.sum(), "none": per}[reduction]
    np.testing.assert_allclose(loss.data, expected, rtol=1e-12)
    assert ag.gradcheck(lambda a, b: F.binary_cross_entropy(a, b, reduction), f64(p), f64(t))


def test_bce_clamps_its_logs_at_certain_wrong_answers():
    p = ag.tensor([0.0, 1.0, 0.0, 1.0], requires_grad=True)
    loss = F.binary_cross_entropy(p, [1.0, 0.0, 0.0, 1.0], reduction="none")
    np.testing.assert_allclose(loss.data, [-np.log(1e-12)] * 2 + [0.0, 0.0], rtol=1e-6)
    loss.sum().backward()
    assert np.all(np.isfinite(p.grad.data))
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\].*\[-0.5, 2\].*"
                                         r"binary_cross_entropy_with_logits"):
        F.binary_cross_entropy(ag.tensor([-0.5, 2.0]), [0.0, 1.0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_matches_bce_of_sigmoid_and_gradchecks(reduction):
    rng = np.random.default_rng(0)
    z, t = rng.normal(size=(3, 4)) * 3, rng.uniform(0, 1, size=(3, 4))
    a = F.binary_cross_entropy_with_logits(f64(z), t, reduction=reduction)
    b = F.binary_cross_entropy(ag.sigmoid(f64(z)), t, reduction=reduction)
    np.testing.assert_allclose(a.data, b.data, rtol=1e-10)
    fn = lambda z, t: F.binary_cross_entropy_with_logits(z, t, reduction)
    assert ag.gradcheck(fn, f64(z), f64(t))
    assert ag.gradgradcheck(fn, f64(z), f64(t))


def test_bce_with_logits_is_stable_and_exact_at_zero():
    z = ag.tensor([0.0, 0.0, 1e3, -1e3, 1e3, -1e3], requires_grad=True)
    t = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 0.0], np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.binary_cross_entropy_with_logits(z, t, reduction="sum")
        loss.backward()
    assert np.isfinite(loss.item())
    np.testing.assert_allclose(loss.item(), 2 * np.log(2) + 2e3, rtol=1e-6)
    # d/dz = sigmoid(z) - t, also at z = 0 where the pieces of the usual formula have kinks
    np.testing.assert_allclose(z.grad.data, [-0.5, 0.5, 0.0, -1.0, 1.0, 0.0], atol=1e-7)


# ---------------------------------------------------------------- one_hot

def test_one_hot():
    out = F.one_hot([2, 0, 2], 3)
    np.testing.assert_array_equal(out.data, [[0, 0, 1], [1, 0, 0], [0, 0, 1]])
    assert out.dtype == np.float32 and not out.requires_grad
    assert F.one_hot(np.array([[1]]), 2, dtype="float64").shape == (1, 1, 2)
    assert F.one_hot(np.array([[1]]), 2, dtype="float64").dtype == np.float64
    with pytest.raises(ValueError, match=r"one_hot: label 5 \(at position 1\) is out of range "
                                         r"for 3 classes"):
        F.one_hot([0, 5], 3)
    with pytest.raises(ValueError, match="num_classes must be a positive int"):
        F.one_hot([0], 0)


# ---------------------------------------------------------------- loss modules

@pytest.mark.parametrize("module, function, make_target", [
    (nn.CrossEntropyLoss, F.cross_entropy, lambda rng: rng.integers(0, 4, 5)),
    (nn.NLLLoss, F.nll_loss, lambda rng: rng.integers(0, 4, 5)),
    (nn.MSELoss, F.mse_loss, lambda rng: rng.normal(size=(5, 4))),
    (nn.BCELoss, F.binary_cross_entropy, lambda rng: rng.uniform(size=(5, 4))),
    (nn.BCEWithLogitsLoss, F.binary_cross_entropy_with_logits,
     lambda rng: rng.uniform(size=(5, 4))),
])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_loss_modules_equal_their_functions(module, function, make_target, reduction):
    rng = np.random.default_rng(0)
    x = rng.uniform(0.1, 0.9, size=(5, 4))
    if module is nn.NLLLoss:
        x = np.log(x)
    target = make_target(rng)
    loss_fn = module(reduction=reduction)
    out = loss_fn(f64(x), target)
    np.testing.assert_array_equal(out.data, function(f64(x), target, reduction=reduction).data)
    assert out.grad_fn.scope == (module.__name__,)
    assert repr(loss_fn) == f"{module.__name__}(reduction={reduction!r})"
    assert ag.gradcheck(lambda x: loss_fn(x, target), f64(x))


def test_loss_modules_validate_reduction():
    with pytest.raises(ValueError, match="MSELoss: reduction must be one of"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(ValueError, match="mse_loss: reduction must be one of"):
        F.mse_loss(ag.zeros(2), np.zeros(2), reduction="avg")
