"""Early stopping rules, checked on constructed metric sequences: the exact stopping epoch."""

from __future__ import annotations

import pytest

from autograd_lite.train import Patience, RelativeChange
from autograd_lite.train.history import EpochRecord


def records(train_losses=None, val_losses=None, val_accs=None):
    n = len(train_losses or val_losses or val_accs)
    return [EpochRecord(i + 1, (train_losses or [1.0] * n)[i], 0.5,
                        None if val_losses is None and val_accs is None
                        else (val_losses or [1.0] * n)[i],
                        None if val_accs is None and val_losses is None
                        else (val_accs or [0.5] * n)[i], 1.0, 0.1) for i in range(n)]


def first_stop(rule, recs):
    """The epoch at which ``rule`` says stop (feeding records until it does), or None."""
    for r in recs:
        if rule.update(r):
            return r.epoch
    return None


def test_relative_change_stops_at_the_first_change_below_the_tolerance():
    # relative changes: 0.5, 0.2, 0.0009765625 (< 1e-3): stop at epoch 4
    losses = [2.0, 1.0, 0.8, 0.8 * (1 - 2 ** -10), 0.1]
    rule = RelativeChange("train_loss", 1e-3)
    assert first_stop(rule, records(losses)) == 4
    assert rule.reason == "train_loss changed by 0.0977% (< 0.1%) from epoch 3 to epoch 4"


def test_relative_change_boundary_and_direction():
    """A change of 2^-9 (0.195%) is not below 0.1%; an increase counts by its size."""
    assert first_stop(RelativeChange(tol=1e-3), records([1.0, 1 - 2 ** -9, 1.0])) is None
    assert first_stop(RelativeChange(tol=1e-3), records([1.0, 2.0, 2.0 * (1 + 2 ** -11)])) == 3
    assert first_stop(RelativeChange(tol=0.25), records([1.0, 0.8])) == 2  # 20% < 25%
    assert first_stop(RelativeChange(tol=0.2), records([1.0, 0.75])) is None  # 25% >= 20%
    assert first_stop(RelativeChange(tol=1e-3), records([5.0])) is None  # one epoch: no pair


def test_relative_change_is_strict_at_an_exact_boundary():
    """|Δ| == tol·|previous| exactly (0.5 -> 0.375 with tol 0.25) does not stop."""
    assert first_stop(RelativeChange(tol=0.25), records([0.5, 0.375])) is None


def test_patience_counts_epochs_without_improvement():
    # best 0.5 at epoch 2; epochs 3, 4, 5 are no better: stop at 5 with patience 3
    rule = Patience("val_loss", patience=3)
    assert first_stop(rule, records(val_losses=[0.9, 0.5, 0.6, 0.5, 0.55, 0.1])) == 5
    assert rule.reason == "val_loss has not improved on 0.5 (epoch 2) for 3 epochs"
    # an improvement resets the count
    assert first_stop(Patience("val_loss", 2), records(val_losses=[1, 1.1, 0.9, 1.0, 1.0])) == 5


def test_patience_min_delta_and_accuracy_direction():
    rule = Patience("val_loss", patience=2, min_delta=0.1)
    assert first_stop(rule, records(val_losses=[1.0, 0.95, 0.91, 0.5])) == 3
    acc = Patience("val_accuracy", patience=2)
    assert first_stop(acc, records(val_accs=[0.5, 0.6, 0.7, 0.65, 0.7, 0.9])) == 5
    assert "val_accuracy has not improved on 0.7 (epoch 3)" in acc.reason


@pytest.mark.parametrize("make", [lambda: RelativeChange("train_loss", 0.01),
                                  lambda: Patience("val_loss", 3)])
def test_state_dict_resumes_the_same_decisions(make):
    recs = records([1.0, 0.9, 0.85, 0.849, 0.8, 0.7], val_losses=[0.5, 0.4, 0.45, 0.46, 0.47, 0.1])
    whole = make()
    decisions = [whole.update(r) for r in recs]
    first = make()
    head = [first.update(r) for r in recs[:3]]
    second = make()
    second.load_state_dict(first.state_dict())
    assert head + [second.update(r) for r in recs[3:]] == decisions
    assert second.state_dict() == whole.state_dict()


def test_rule_errors():
    with pytest.raises(ValueError, match="unknown metric 'loss'; choose one of 'train_loss'"):
        RelativeChange("loss")
    with pytest.raises(ValueError, match="tol must be > 0"):
        RelativeChange(tol=-1)
    with pytest.raises(ValueError, match="patience must be an int >= 1"):
        Patience(patience=0)
    with pytest.raises(ValueError, match="min_delta must be >= 0"):
        Patience(min_delta=-0.1)
    with pytest.raises(ValueError, match="epoch 1 has no val_loss .* pass val=... to fit"):
        Patience("val_loss").update(records([1.0])[0])
    assert repr(Patience()) == "Patience('val_loss', patience=5, min_delta=0)"
