"""run(config): the pieces built from a TrainConfig, the files written, resume, the demo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import autograd_lite
from autograd_lite import nn, optim
from autograd_lite.train import History, RunResult, TrainConfig, learning_curves, run
from autograd_lite.train.build import build_data, build_loss, build_model, build_optimizer
from autograd_lite.train.history import EpochRecord
from autograd_lite.train.run import OUTPUT_FILES

SMALL = dict(hidden=(32,), epochs=2, train_size=600, early_stop="none")


def test_run_writes_every_output(tmp_path):
    cfg = TrainConfig(**SMALL)
    result = run(cfg, tmp_path / "out", progress=False)
    out = tmp_path / "out"
    assert sorted(os.listdir(out)) == sorted(OUTPUT_FILES)
    assert TrainConfig.from_json((out / "config.json").read_text()) == cfg
    assert History.from_json((out / "history.json").read_text()) == result.history
    assert (out / "curves.png").read_bytes()[:4] == b"\x89PNG"
    metrics = json.loads((out / "result.json").read_text())
    assert metrics["test_accuracy"] == result.test_accuracy and metrics["epochs"] == 2
    # model.npz holds the trained weights
    splits = build_data(cfg)
    fresh = build_model(cfg, 784, 10, rng=1)
    fresh.load_state_dict(nn.load_state(out / "model.npz"))
    scores = fresh.eval()(splits.test.x).data
    assert np.mean(scores.argmax(axis=1) == splits.test.y) == result.test_accuracy
    assert result.summary().splitlines()[-1] == f"test accuracy: {result.test_accuracy:.4f}"


def test_run_is_reproducible_and_seeded():
    a = run(TrainConfig(**SMALL, dropout=0.2), progress=False)
    b = run(TrainConfig(**SMALL, dropout=0.2), progress=False)
    assert a.test_accuracy == b.test_accuracy and a.history["train_loss"] == b.history["train_loss"]
    c = run(TrainConfig(**SMALL, dropout=0.2, seed=1), progress=False)
    assert c.history["train_loss"] != a.history["train_loss"]


def test_resume_through_run_matches_an_uninterrupted_run(tmp_path):
    cfg = TrainConfig(**{**SMALL, "epochs": 3}, dropout=0.3)
    whole = run(cfg, tmp_path / "whole", progress=False)
    run(TrainConfig(**{**SMALL, "epochs": 1}, dropout=0.3), tmp_path / "part", progress=False)
    resumed = run(cfg, tmp_path / "part", progress=False,
                  resume=tmp_path / "part" / "checkpoint.npz")
    assert resumed.history["train_loss"] == whole.history["train_loss"]
    assert resumed.test_accuracy == whole.test_accuracy
    assert (tmp_path / "part" / "model.npz").read_bytes() == \
        (tmp_path / "whole" / "model.npz").read_bytes()
    with pytest.raises(ValueError, match=r"different settings \(lr: 0.1 -> 0.2\)"):
        run(TrainConfig(**{**SMALL, "epochs": 3}, dropout=0.3, lr=0.2), progress=False,
            resume=tmp_path / "part" / "checkpoint.npz")


@pytest.mark.parametrize("settings", [
    dict(output_activation="sigmoid", loss="mse", lr=0.5),
    dict(output_activation="softmax", loss="mse", lr=0.5),
    dict(output_activation="sigmoid", loss="bce", lr=0.5),
    dict(optimizer="adam", lr=1e-3),
    dict(dtype="float64", init="kaiming-normal", activation="relu", lr_step=1),
])
def test_config_variants_train(settings):
    """Each loss / output / optimizer / dtype combination learns (mse on sigmoid slowly)."""
    result = run(TrainConfig(**SMALL, **settings), progress=False)
    losses = result.history["train_loss"]
    assert losses[1] < losses[0] and result.train_loss < losses[0]
    assert result.test_accuracy > 0.12  # ten classes: chance is 0.1
    params = list(result.model.parameters())  # type: ignore[union-attr]
    assert params[0].dtype == np.dtype(settings.get("dtype", "float32"))


def test_bce_on_logits_equals_bce_on_sigmoid_outputs():
    """loss "bce" without an output activation is the same loss, computed from the logits."""
    on_logits = run(TrainConfig(**SMALL, loss="bce", lr=0.5), progress=False)
    on_probs = run(TrainConfig(**SMALL, loss="bce", output_activation="sigmoid", lr=0.5),
                   progress=False)
    np.testing.assert_allclose(on_logits.history["train_loss"], on_probs.history["train_loss"],
                               rtol=1e-5)


def test_build_pieces():
    cfg = TrainConfig(hidden=(100,), val_fraction=0.1, train_size=3000)
    splits = build_data(cfg)
    assert len(splits.train.y) == 3000 and len(splits.val.y) == 400  # type: ignore[union-attr]
    assert len(splits.test.y) == 1000 and splits.num_classes == 10
    assert build_data(TrainConfig(val_fraction=0.0)).val is None
    with pytest.raises(ValueError, match="train_size 5000 is more than the 3600 training images"):
        build_data(TrainConfig(train_size=5000))
    assert build_data(TrainConfig(dtype="float64")).train.x.dtype == np.float64
    model = build_model(cfg, 784, 10)
    assert [p.shape for p in model.parameters()] == [(784, 100), (100,), (100, 10), (10,)]
    assert type(build_optimizer(TrainConfig(optimizer="adam", momentum=0.8), model.parameters())
                ).__name__ == "Adam"
    assert build_optimizer(TrainConfig(optimizer="adam", momentum=0.8),
                           model.parameters()).param_groups[0]["betas"] == (0.8, 0.999)
    logits = model(splits.test.x[:4])
    assert float(build_loss(cfg, 10)(logits, splits.test.y[:4]).item()) > 0


def test_no_validation_split():
    result = run(TrainConfig(**SMALL, val_fraction=0.0), progress=False)
    assert result.val_accuracy is None and result.history.last.val_loss is None
    assert result.summary().splitlines()[2].split() == ["val", "-", "-"]


def test_learning_curves(tmp_path):
    h = History([EpochRecord(e, 1 / e, 0.5 + e / 10, None, None, 1.0, 0.1) for e in (1, 2)])
    assert learning_curves(h, tmp_path / "c.png", title="t") == str(tmp_path / "c.png")
    assert (tmp_path / "c.png").stat().st_size > 1000 and os.listdir(tmp_path) == ["c.png"]
    with pytest.raises(ValueError, match="the history is empty"):
        learning_curves(History(), tmp_path / "d.png")
    with pytest.raises(TypeError, match="expects a History"):
        learning_curves([], tmp_path / "d.png")  # type: ignore[arg-type]


def test_missing_matplotlib_is_reported_before_training(tmp_path, monkeypatch):
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match=r"pip install autograd-lite\[train\]"):
        run(TrainConfig(**SMALL), tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()
    run(TrainConfig(**{**SMALL, "epochs": 1}), progress=False)  # no out_dir: no plot needed


def test_importing_train_loads_no_optional_package():
    """tqdm and matplotlib are imported only when a bar or a plot is made."""
    src = Path(autograd_lite.__file__).resolve().parent.parent
    code = ("import sys, autograd_lite.train, autograd_lite.cli, autograd_lite.demo\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'tqdm', 'matplotlib'}))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_demo(tmp_path, capsys):
    """The pinned `make demo` run: measured test accuracy 0.939, about 2 s on 2 cores."""
    from autograd_lite import demo

    assert demo.main(str(tmp_path / "demo")) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1].startswith("test accuracy: ")
    assert float(lines[-1].split(": ")[1]) >= 0.92
    assert sum(line.lstrip()[:1].isdigit() for line in lines) >= demo.DEMO_CONFIG.epochs // 2
    assert (tmp_path / "demo" / "model.npz").exists()


# ---------------------------------------------------------------- regressions

def test_a_refused_resume_writes_no_file(tmp_path):
    """Every check runs before run() writes anything: config.json keeps the original run's."""
    out = tmp_path / "out"
    run(TrainConfig(**SMALL), out, progress=False)
    before = {name: (out / name).read_bytes() for name in os.listdir(out)}
    ckpt = out / "checkpoint.npz"
    with pytest.raises(ValueError, match=r"different settings \(lr: 0.1 -> 0.2\)"):
        run(TrainConfig(**{**SMALL, "lr": 0.2}), out, progress=False, resume=ckpt)
    with pytest.raises(ValueError, match="already trained 2 epochs, more than epochs=1"):
        run(TrainConfig(**{**SMALL, "epochs": 1}), out, progress=False, resume=ckpt)
    assert {name: (out / name).read_bytes() for name in os.listdir(out)} == before
    with pytest.raises(ValueError, match="different settings"):
        run(TrainConfig(**{**SMALL, "lr": 0.2}), tmp_path / "new", progress=False, resume=ckpt)
    assert not (tmp_path / "new").exists()


def test_a_resume_the_model_cannot_take_writes_no_file(tmp_path):
    """A checkpoint without the run's config (fit's own) is still checked before writing."""
    from autograd_lite.train import fit
    from autograd_lite.train.build import build_early_stopping, seed_streams

    cfg = TrainConfig(**SMALL)
    splits = build_data(cfg)
    model = build_model(cfg, 784, 10)
    opt = optim.Adam(model.parameters(), lr=1e-3)  # the config says sgd
    ckpt = tmp_path / "fit.npz"
    fit(model, build_loss(cfg, 10), opt, splits.train, splits.val, epochs=1,
        early_stopping=build_early_stopping(cfg), rng=seed_streams(0)[1], progress=False,
        checkpoint=ckpt)
    with pytest.raises(ValueError, match="resume from"):
        run(cfg, tmp_path / "out", progress=False, resume=ckpt)
    assert not (tmp_path / "out").exists()


def test_missing_tqdm_is_reported_before_any_file_is_written(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    with pytest.raises(ImportError, match=r"pip install autograd-lite\[train\]"):
        run(TrainConfig(**SMALL), tmp_path / "out", progress=True)
    assert not (tmp_path / "out").exists()


def _dataset_with_labels(name: str, train_y, test_y):
    from autograd_lite.data import Dataset, Split

    def split(y):
        y = np.asarray(y, dtype=np.int64)
        return Split(np.zeros((len(y), 4), np.float32), y)
    return Dataset(name, split(train_y), split(test_y))


def test_named_datasets_have_ten_classes(monkeypatch):
    """Not the largest label + 1: a named dataset has 10 classes even if a split lacks some."""
    from autograd_lite.train import build

    fake = _dataset_with_labels("mnist-sample", np.arange(40) % 5, np.arange(10) % 5)
    monkeypatch.setattr(build.data, "load_dataset", lambda name: fake)
    assert build_data(TrainConfig(val_fraction=0.0)).num_classes == 10


def _idx(array: np.ndarray) -> bytes:
    code = {np.dtype(np.uint8): 0x08}[array.dtype]
    dims = b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return bytes([0, 0, code, array.ndim]) + dims + array.tobytes()


def _idx_dir(path: Path, train_y, test_y) -> Path:
    path.mkdir()
    for prefix, y in (("train", train_y), ("t10k", test_y)):
        y = np.asarray(y, np.uint8)
        (path / f"{prefix}-images-idx3-ubyte").write_bytes(_idx(np.zeros((len(y), 2, 2), np.uint8)))
        (path / f"{prefix}-labels-idx1-ubyte").write_bytes(_idx(y))
    return path


def test_directory_labels_must_be_0_to_k_minus_1(tmp_path):
    good = _idx_dir(tmp_path / "good", [0, 1, 2, 0, 1, 2], [2, 1, 0])
    assert build_data(TrainConfig(dataset=str(good), val_fraction=0.0)).num_classes == 3
    gap = _idx_dir(tmp_path / "gap", [0, 1, 3, 0, 1, 3], [0, 1])
    with pytest.raises(ValueError, match=r"labels .*0\.\.2.*unexpected label\(s\) \[3\]"):
        build_data(TrainConfig(dataset=str(gap), val_fraction=0.0))


def test_report_seconds_per_epoch_is_the_median_epoch_time():
    """scripts/report.py: the median of the per-epoch times, not the whole run / epochs."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "report", Path(__file__).resolve().parent.parent / "scripts" / "report.py")
    assert spec is not None and spec.loader is not None
    report = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(report)
    history = History([EpochRecord(e, 1.0, 0.5, None, None, s, 0.1)
                       for e, s in enumerate([0.2, 5.0, 0.3], 1)])
    result = RunResult(TrainConfig(), history, 0.1, 0.9, None, None, 0.2, 0.8, seconds=60.0)
    assert report.seconds_per_epoch(result) == 0.3
