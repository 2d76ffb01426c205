"""batches (every example once per epoch, seeded shuffles), train_val_split, Split and Dataset."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd_lite.data import Dataset, Split, batches, train_val_split


def toy(n: int, classes: int = 3, features: int = 2) -> Split:
    x = np.arange(n * features, dtype=np.float32).reshape(n, features)
    return Split(x, np.arange(n, dtype=np.int64) % classes)


# --- batches -------------------------------------------------------------------------------------

@given(n=st.integers(0, 60), batch_size=st.integers(1, 70), shuffle=st.booleans(),
       drop_last=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_every_example_exactly_once_per_epoch(n: int, batch_size: int, shuffle: bool,
                                              drop_last: bool, seed: int) -> None:
    x = np.arange(n * 2).reshape(n, 2)
    y = np.arange(n)
    got = list(batches(x, y, batch_size, shuffle=shuffle, rng=seed, drop_last=drop_last))
    sizes = [len(yb) for _, yb in got]
    full, rest = divmod(n, batch_size)
    assert sizes == [batch_size] * full + ([rest] if rest and not drop_last else [])
    seen = np.concatenate([yb for _, yb in got]) if got else np.zeros(0, int)
    expected = n - rest if drop_last else n
    assert len(seen) == len(set(seen.tolist())) == expected  # no repeats
    if not drop_last:
        assert sorted(seen.tolist()) == list(range(n))
    for xb, yb in got:  # rows stay paired with their labels
        np.testing.assert_array_equal(xb[:, 0] // 2, yb)
    if not shuffle:
        assert seen.tolist() == list(range(expected))


def test_same_seed_same_order_other_seed_other_order() -> None:
    x, y = np.zeros((100, 1)), np.arange(100)

    def order(rng: object) -> list[int]:
        return np.concatenate([yb for _, yb in batches(x, y, 32, rng=rng)]).tolist()

    assert order(7) == order(7) == order(np.random.default_rng(7))
    assert order(7) != order(8)
    assert order(7) != list(range(100))


def test_one_generator_gives_a_new_reproducible_order_each_epoch() -> None:
    x, y = np.zeros((50, 1)), np.arange(50)

    def epochs(seed: int) -> list[list[int]]:
        rng = np.random.default_rng(seed)
        return [np.concatenate([yb for _, yb in batches(x, y, 10, rng=rng)]).tolist()
                for _ in range(3)]

    first = epochs(1)
    assert first == epochs(1)
    assert first[0] != first[1] != first[2]


def test_no_shuffle_yields_views_in_order() -> None:
    x, y = np.arange(12).reshape(6, 2), np.arange(6)
    xb, yb = next(batches(x, y, 4, shuffle=False))
    assert np.shares_memory(xb, x) and yb.tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize(("batch_size", "error", "message"), [
    (0, ValueError, "batch_size must be at least 1, got 0"),
    (-3, ValueError, "batch_size must be at least 1, got -3"),
    (True, ValueError, "batch_size must be at least 1, got True"),
    (2.0, TypeError, "batch_size must be an integer, got float"),
    ("8", TypeError, "batch_size must be an integer, got str"),
])
def test_bad_batch_size_raises_when_called(batch_size: object, error: type[Exception],
                                           message: str) -> None:
    with pytest.raises(error, match=message):
        batches(np.zeros((3, 1)), np.zeros(3), batch_size)


def test_mismatched_lengths_raise_when_called() -> None:
    with pytest.raises(ValueError, match="x has 4 rows but y has 3"):
        batches(np.zeros((4, 2)), np.zeros(3), 2)


def test_numpy_integer_batch_size_is_fine() -> None:
    assert len(list(batches(np.zeros((5, 1)), np.zeros(5), np.int64(2)))) == 3


# --- train_val_split -----------------------------------------------------------------------------

def test_stratified_counts_and_disjoint_cover() -> None:
    split = Split(np.arange(300, dtype=np.float32)[:, None],
                  np.repeat(np.arange(3), [100, 150, 50]).astype(np.int64))
    train, val = train_val_split(split, val_fraction=0.2, seed=3)
    assert np.bincount(val.y).tolist() == [20, 30, 10]
    assert np.bincount(train.y).tolist() == [80, 120, 40]
    ids = np.r_[train.x[:, 0], val.x[:, 0]]
    assert sorted(ids.tolist()) == list(range(300))
    for part in (train, val):  # original order kept, pairs intact
        assert np.all(np.diff(part.x[:, 0]) > 0)
        np.testing.assert_array_equal(split.y[part.x[:, 0].astype(int)], part.y)


def test_seeded_and_reproducible() -> None:
    split = toy(90)
    a, b = train_val_split(split, seed=5), train_val_split(split, seed=5)
    np.testing.assert_array_equal(a[1].x, b[1].x)
    c = train_val_split(split, seed=6)
    assert not np.array_equal(a[1].x, c[1].x)
    d = train_val_split(split, seed=np.random.default_rng(5))
    np.testing.assert_array_equal(a[1].x, d[1].x)


def test_default_fraction_is_a_tenth() -> None:
    train, val = train_val_split(toy(100, classes=5))
    assert (len(train), len(val)) == (90, 10)
    assert np.bincount(val.y).tolist() == [2] * 5


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 1.5])
def test_fraction_out_of_range(fraction: float) -> None:
    with pytest.raises(ValueError, match="val_fraction must be between 0 and 1"):
        train_val_split(toy(10), val_fraction=fraction)


def test_a_split_that_would_be_empty_is_an_error() -> None:
    with pytest.raises(ValueError, match="leaves the validation part empty"):
        train_val_split(toy(6, classes=3), val_fraction=0.1)
    with pytest.raises(ValueError, match="leaves the training part empty"):
        train_val_split(toy(3, classes=3), val_fraction=0.9)


def test_train_val_split_wants_a_split() -> None:
    with pytest.raises(TypeError, match="expected a Split, got tuple"):
        train_val_split((np.zeros((2, 1)), np.zeros(2)))


# --- Split / Dataset -----------------------------------------------------------------------------

@pytest.mark.parametrize(("x", "y", "error", "message"), [
    (np.zeros((2, 3)), np.zeros(2, np.int64), TypeError, "x must be float32, got float64"),
    (np.zeros((2, 3), np.float32), np.zeros(2, np.int32), TypeError, "y must be int64, got int32"),
    (np.zeros(3, np.float32), np.zeros(3, np.int64), ValueError, "x must be 2-D"),
    (np.zeros((2, 3), np.float32), np.zeros(3, np.int64), ValueError,
     "x has 2 examples but y has 3 labels"),
    ([[0.0]], np.zeros(1, np.int64), TypeError, "must be numpy arrays, got list"),
])
def test_split_validates(x: object, y: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        Split(x, y)


def test_split_and_dataset_are_frozen_with_short_reprs() -> None:
    split = toy(4)
    ds = Dataset("toy", split, split, note="n")
    with pytest.raises(AttributeError):
        ds.name = "other"
    assert repr(split) == "Split(x=float32(4, 2), y=int64(4,))" and len(split) == 4
    assert repr(ds).startswith("Dataset(name='toy', train=Split(")
