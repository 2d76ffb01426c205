"""Checkpoints: one atomic, pickle-free .npz that restores model, optimizer, RNGs and progress."""

from __future__ import annotations

import json
import os
import zipfile

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite import nn, optim
from autograd_lite.train import History, Patience, load_checkpoint, save_checkpoint
from autograd_lite.train.checkpoint import (decode_state, dropout_generators, encode_state,
                                            restore_checkpoint)
from autograd_lite.train.history import EpochRecord


def trained(optimizer: str = "sgd", dropout: float = 0.5):
    """A small model and optimizer after one step, so the optimizer has state."""
    model = nn.MLP(6, [5], 3, dropout=dropout, rng=0)
    opt = (optim.SGD(model.parameters(), lr=0.1, momentum=0.9) if optimizer == "sgd"
           else optim.Adam(model.parameters(), lr=0.01))
    x = np.random.default_rng(1).random((8, 6), dtype=np.float32)
    nn.functional.cross_entropy(model(x), np.arange(8) % 3).backward()
    opt.step()
    return model, opt


def history(n: int = 2) -> History:
    return History([EpochRecord(e, 1 / e, 0.5, 0.3, 0.6, 0.1, 0.1) for e in range(1, n + 1)])


def save(path, model, opt, **kw):
    kw.setdefault("epoch", 2)
    kw.setdefault("history", history())
    kw.setdefault("data_rng", np.random.default_rng(7))
    save_checkpoint(path, model=model, optimizer=opt, **kw)


def test_encode_decode_nested_state():
    state = {"state": {0: {"momentum_buffer": np.arange(3, dtype=np.float32), "step": 4}},
             "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0, 1]}],
             "scalar": np.float32(0.5), "__odd": None, "nested": [[1, {"a": np.int8(3)}]]}
    arrays: dict[str, np.ndarray] = {}
    encoded = encode_state(state, arrays, "opt", "state")
    json.dumps(encoded)  # plain JSON
    back = decode_state(json.loads(json.dumps(encoded)), arrays)
    assert back["state"][0]["step"] == 4 and list(back["state"]) == [0]
    assert back["state"][0]["momentum_buffer"].dtype == np.float32
    np.testing.assert_array_equal(back["state"][0]["momentum_buffer"], np.arange(3))
    assert back["param_groups"][0]["betas"] == (0.9, 0.999)
    assert back["scalar"].dtype == np.float32 and back["__odd"] is None
    assert back["nested"][0][1]["a"].dtype == np.int8


def test_encode_refuses_objects_and_names_where():
    with pytest.raises(TypeError, match=r"optimizer.state_dict\(\)\['hook'\] holds a function"):
        encode_state({"hook": lambda: 0}, {}, "optimizer", "optimizer.state_dict()")


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_save_load_restore_round_trip(tmp_path, optimizer):
    model, opt = trained(optimizer)
    rule = Patience("val_loss", 3)
    rule.update(history()[0])
    sched = optim.StepLR(opt, step_size=2, gamma=0.5)
    sched.step()
    data_rng = np.random.default_rng(7)
    data_rng.random(5)
    path = tmp_path / "ckpt.npz"
    save(path, model, opt, data_rng=data_rng, early_stopping=rule, scheduler=sched,
         meta={"config": {"lr": 0.1}})

    ckpt = load_checkpoint(path)
    assert ckpt.epoch == 2 and not ckpt.stopped and ckpt.history == history()
    assert ckpt.meta == {"config": {"lr": 0.1}} and ckpt.path == os.fspath(path)

    model2, opt2 = trained(optimizer)
    model2.load_state_dict(nn.MLP(6, [5], 3, dropout=0.5, rng=9).state_dict())  # other weights
    model2.layers[2].rng.random(3)  # and another dropout state
    rule2, sched2 = Patience("val_loss", 3), optim.StepLR(opt2, step_size=2, gamma=0.5)
    data_rng2 = np.random.default_rng(123)
    restore_checkpoint(ckpt, model=model2, optimizer=opt2, data_rng=data_rng2,
                       early_stopping=rule2, scheduler=sched2)
    for (k, a), (_, b) in zip(model.state_dict().items(), model2.state_dict().items()):
        assert np.array_equal(a, b), k
    sd, sd2 = opt.state_dict(), opt2.state_dict()
    assert sd["param_groups"] == sd2["param_groups"]
    for i, entry in sd["state"].items():
        for key, value in entry.items():
            assert np.array_equal(value, sd2["state"][i][key]) and np.asarray(value).dtype == \
                np.asarray(sd2["state"][i][key]).dtype
    assert rule2.state_dict() == rule.state_dict() and sched2.state_dict() == sched.state_dict()
    assert data_rng2.random() == data_rng.random()
    assert model2.layers[2].rng.random() == model.layers[2].rng.random()


def test_pcg64_state_survives_as_json_text(tmp_path):
    """PCG64's 128-bit state integers are stored as JSON text, exactly."""
    rng = np.random.default_rng(2**100)
    model, opt = trained()
    save(tmp_path / "c.npz", model, opt, data_rng=rng)
    with np.load(tmp_path / "c.npz", allow_pickle=False) as f:
        text = str(f["data_rng"])
    assert json.loads(text) == rng.bit_generator.state
    assert json.loads(text)["state"]["state"] > 2**64


def test_global_generators_are_saved_and_restored(tmp_path):
    """rng=None means ag.manual_seed's generator, for data order and for dropout."""
    ag.manual_seed(5)
    model = nn.MLP(4, [3], 2, dropout=0.5)  # Dropout(rng=None): the global generator
    assert dropout_generators(model) == [None]
    opt = optim.SGD(model.parameters(), lr=0.1)
    save(tmp_path / "c.npz", model, opt, data_rng=None)
    expected = ag.randn(3).numpy()
    ag.manual_seed(99)
    restore_checkpoint(load_checkpoint(tmp_path / "c.npz"), model=model, optimizer=opt,
                       data_rng=None)
    assert np.array_equal(ag.randn(3).numpy(), expected)


def test_checkpoint_is_plain_npz_without_pickle(tmp_path):
    model, opt = trained("adam")
    save(tmp_path / "c.npz", model, opt)
    with np.load(tmp_path / "c.npz", allow_pickle=False) as f:
        entries = {k: f[k] for k in f.files}
    assert all(not a.dtype.hasobject for a in entries.values())
    assert {"__checkpoint__", "epoch", "history", "optimizer", "data_rng", "dropout_rngs",
            "model/layers.0.weight"} <= set(entries)


def test_save_is_atomic(tmp_path, monkeypatch):
    """A save that fails half-way leaves the previous checkpoint intact and no temp file."""
    model, opt = trained()
    path = tmp_path / "c.npz"
    save(path, model, opt, epoch=1)
    before = path.read_bytes()
    calls = {"n": 0}
    real = np.lib.format.write_array

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", failing)
    with pytest.raises(OSError, match="disk full"):
        save(path, model, opt, epoch=2)
    monkeypatch.undo()
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["c.npz"]
    assert load_checkpoint(path).epoch == 1


def test_load_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_checkpoint(tmp_path / "missing.npz")
    model, opt = trained()
    good = tmp_path / "c.npz"
    save(good, model, opt)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    with pytest.raises(ValueError, match="truncated.npz"):
        load_checkpoint(truncated)
    weights = tmp_path / "model.npz"
    nn.save(model, weights)
    with pytest.raises(ValueError, match="not a training checkpoint"):
        load_checkpoint(weights)
    newer = tmp_path / "newer.npz"
    with np.load(good, allow_pickle=False) as f:
        entries = {k: f[k] for k in f.files}
    np.savez(newer, **{**entries, "__checkpoint__": np.array(99)})
    with pytest.raises(ValueError, match="format version .*99"):
        load_checkpoint(newer)
    assert zipfile.is_zipfile(good)


def test_restore_refuses_a_different_setup(tmp_path):
    model, opt = trained(dropout=0.5)
    save(tmp_path / "c.npz", model, opt, early_stopping=Patience("val_loss", 2))
    ckpt = load_checkpoint(tmp_path / "c.npz")
    plain, plain_opt = trained(dropout=0.0)
    with pytest.raises(ValueError, match="1 dropout generator.* the model has 0"):
        restore_checkpoint(ckpt, model=plain, optimizer=plain_opt, data_rng=None,
                           early_stopping=Patience("val_loss", 2))
    same, same_opt = trained()
    with pytest.raises(ValueError, match=r"stopped early by Patience\('val_loss', patience=2, "
                                         r"min_delta=0\), this one by None; pass the same"):
        restore_checkpoint(ckpt, model=same, optimizer=same_opt, data_rng=None)
    with pytest.raises(ValueError, match="this one by Patience.*patience=3"):
        restore_checkpoint(ckpt, model=same, optimizer=same_opt, data_rng=None,
                           early_stopping=Patience("val_loss", 3))
    wide = nn.MLP(6, [7], 3, dropout=0.5, rng=0)
    with pytest.raises(ValueError, match=r"(?s)resume from .*shape \(6, 5\) but the model has \(6, 7\)"):
        restore_checkpoint(ckpt, model=wide, optimizer=optim.SGD(wide.parameters(), lr=0.1),
                           data_rng=None, early_stopping=Patience("val_loss", 2))


# ---------------------------------------------------------------- regressions: a refused resume

def snapshot(model, opt, sched=None, data_rng=None):
    """Everything a resume could change, as plain comparable data."""
    weights = {k: v.copy() for k, v in model.state_dict().items()}
    opt_sd = opt.state_dict()
    rngs = [g.bit_generator.state for g in dropout_generators(model) if g is not None]
    return (weights, opt_sd, None if sched is None else sched.state_dict(),
            None if data_rng is None else data_rng.bit_generator.state, rngs)


def assert_unchanged(before, after):
    (w0, o0, s0, d0, r0), (w1, o1, s1, d1, r1) = before, after
    assert w0.keys() == w1.keys() and all(np.array_equal(w0[k], w1[k]) for k in w0)
    assert o0["param_groups"] == o1["param_groups"] and o0["state"].keys() == o1["state"].keys()
    for i, entry in o0["state"].items():
        assert entry.keys() == o1["state"][i].keys()
        assert all(np.array_equal(entry[k], o1["state"][i][k]) for k in entry)
    assert (s0, d0, r0) == (s1, d1, r1)


def blob_data():
    x = np.random.default_rng(3).random((24, 6), dtype=np.float32)
    return x, np.arange(24) % 3


def test_fit_refusing_a_resume_with_another_optimizer_changes_nothing(tmp_path):
    """Adam on an SGD checkpoint: refused, and the model and Adam keep their state."""
    from autograd_lite.train import fit

    model, opt = trained("sgd")
    save(tmp_path / "c.npz", model, opt)
    other, adam = trained("adam")
    other.load_state_dict(nn.MLP(6, [5], 3, dropout=0.5, rng=4).state_dict())
    data_rng = np.random.default_rng(11)
    before = snapshot(other, adam, data_rng=data_rng)
    with pytest.raises(ValueError, match="resume from .*c.npz"):
        fit(other, nn.CrossEntropyLoss(), adam, blob_data(), epochs=3, rng=data_rng,
            progress=False, resume=tmp_path / "c.npz")
    assert_unchanged(before, snapshot(other, adam, data_rng=data_rng))


def test_a_data_generator_of_another_kind_is_refused_before_anything_changes(tmp_path):
    model, opt = trained()
    save(tmp_path / "c.npz", model, opt, data_rng=np.random.Generator(np.random.MT19937(0)))
    other, other_opt = trained()
    other.load_state_dict(nn.MLP(6, [5], 3, dropout=0.5, rng=4).state_dict())
    data_rng = np.random.default_rng(11)  # PCG64
    before = snapshot(other, other_opt, data_rng=data_rng)
    with pytest.raises(ValueError, match=r"data order generator.*MT19937.*PCG64"):
        restore_checkpoint(load_checkpoint(tmp_path / "c.npz"), model=other,
                           optimizer=other_opt, data_rng=data_rng)
    assert_unchanged(before, snapshot(other, other_opt, data_rng=data_rng))


def test_a_dropout_generator_of_another_kind_is_refused_before_anything_changes(tmp_path):
    model = nn.MLP(6, [5], 3, dropout=0.5, rng=np.random.Generator(np.random.MT19937(0)))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    save(tmp_path / "c.npz", model, opt)
    other, other_opt = trained()  # its dropout draws from a PCG64 generator
    before = snapshot(other, other_opt)
    with pytest.raises(ValueError, match=r"dropout generator 0.*MT19937.*PCG64"):
        restore_checkpoint(load_checkpoint(tmp_path / "c.npz"), model=other,
                           optimizer=other_opt, data_rng=np.random.default_rng(0))
    assert_unchanged(before, snapshot(other, other_opt))


def test_a_bad_scheduler_state_is_refused_before_anything_changes(tmp_path):
    model, opt = trained()
    sched = optim.StepLR(opt, step_size=2)
    path = tmp_path / "c.npz"
    save(path, model, opt, scheduler=sched)
    ckpt = load_checkpoint(path)
    ckpt.scheduler_state = {**ckpt.scheduler_state, "base_lrs": [0.1, 0.1]}  # two groups
    other, other_opt = trained()
    other.load_state_dict(nn.MLP(6, [5], 3, dropout=0.5, rng=4).state_dict())
    other_sched = optim.StepLR(other_opt, step_size=2)
    before = snapshot(other, other_opt, other_sched)
    with pytest.raises(ValueError, match="resume from .*2 learning rate"):
        restore_checkpoint(ckpt, model=other, optimizer=other_opt, data_rng=None,
                           scheduler=other_sched)
    assert_unchanged(before, snapshot(other, other_opt, other_sched))


def test_a_bad_early_stopping_state_is_refused_before_anything_changes(tmp_path):
    model, opt = trained()
    path = tmp_path / "c.npz"
    save(path, model, opt, early_stopping=Patience("val_loss", 2))
    ckpt = load_checkpoint(path)
    ckpt.early_stopping_state = {**ckpt.early_stopping_state, "state": {"best": 0.5}}
    other, other_opt = trained()
    other.load_state_dict(nn.MLP(6, [5], 3, dropout=0.5, rng=4).state_dict())
    rule = Patience("val_loss", 2)
    before = snapshot(other, other_opt)
    with pytest.raises(ValueError, match="resume from .*early.stopping"):
        restore_checkpoint(ckpt, model=other, optimizer=other_opt, data_rng=None,
                           early_stopping=rule)
    assert_unchanged(before, snapshot(other, other_opt))
    assert rule.state_dict() == Patience("val_loss", 2).state_dict()
