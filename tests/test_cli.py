"""The command line: flags -> TrainConfig, output format, files, errors (exit 2) and failures (1)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import autograd_lite
from autograd_lite.cli import main, parse_config
from autograd_lite.train import History, TrainConfig

ROOT = Path(__file__).resolve().parent.parent
LAST_LINE = re.compile(r"^test accuracy: [01]\.\d{4}$")
QUICK = ["--hidden", "16", "--epochs", "1", "--train-size", "300"]


def test_every_config_field_has_a_flag(capsys):
    assert main(["train", "--help"]) == 0
    help_text = capsys.readouterr().out
    for field in TrainConfig().to_dict():
        assert f"--{field.replace('_', '-')} " in help_text, field


def test_flags_map_to_the_config():
    cfg = parse_config([
        "--dataset", "mnist-sample", "--val-fraction", "0.2", "--train-size", "3000",
        "--hidden", "110", "--activation", "tanh", "--output-activation", "sigmoid",
        "--loss", "mse", "--dropout", "0.1", "--init", "xavier-normal", "--dtype", "float64",
        "--optimizer", "sgd", "--lr", "0.5", "--momentum", "0.5", "--nesterov",
        "--weight-decay", "1e-4", "--batch-size", "10", "--epochs", "7", "--early-stop",
        "patience", "--tolerance", "0.01", "--patience", "3", "--lr-step", "2",
        "--lr-gamma", "0.5", "--seed", "4"])
    assert cfg == TrainConfig(
        dataset="mnist-sample", val_fraction=0.2, train_size=3000, hidden=(110,),
        activation="tanh", output_activation="sigmoid", loss="mse", dropout=0.1,
        init="xavier-normal", dtype="float64", optimizer="sgd", lr=0.5, momentum=0.5,
        nesterov=True, weight_decay=1e-4, batch_size=10, epochs=7, early_stop="patience",
        tolerance=0.01, patience=3, lr_step=2, lr_gamma=0.5, seed=4)


def test_defaults_and_hidden_layers():
    assert parse_config([]) == TrainConfig()
    assert parse_config([]).hidden == ()  # no --hidden: a single layer
    assert parse_config(["--hidden", "100", "--hidden", "50"]).hidden == (100, 50)
    assert parse_config(["--hidden", "none"]).hidden == ()


def test_toml_config_with_flags_on_top(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text('hidden = [100]\nlr = 0.05\nepochs = 9\noutput_activation = "none"\n')
    cfg = parse_config(["--config", str(path), "--epochs", "3", "--no-nesterov"])
    assert (cfg.hidden, cfg.lr, cfg.epochs, cfg.nesterov) == ((100,), 0.05, 3, False)
    assert parse_config(["--config", str(path), "--hidden", "none"]).hidden == ()


@pytest.mark.parametrize("argv, message", [
    (["--lr", "-1"], "argument --lr: must be > 0, got -1.0"),
    (["--lr", "fast"], "argument --lr: expected a number, got 'fast'"),
    (["--dropout", "1.5"], "argument --dropout: must be in [0, 1), got 1.5"),
    (["--batch-size", "0"], "argument --batch-size: must be >= 1, got 0"),
    (["--epochs", "2.5"], "argument --epochs: expected an int, got '2.5'"),
    (["--hidden", "0"], "argument --hidden: a layer width must be >= 1, got 0"),
    (["--hidden", "wide"], "argument --hidden: expected a layer width"),
    (["--hidden", "none", "--hidden", "10"], "argument --hidden: 'none' (a single layer) cannot"),
    (["--activation", "gelu"], "argument --activation: must be one of 'sigmoid', 'relu', 'tanh'"),
    (["--optimizer", "rmsprop"], "argument --optimizer: must be one of 'sgd', 'adam'"),
    (["--init", "he"], "argument --init: must be one of 'zeros', 'normal'"),
    (["--dataset", "cifar"], "argument --dataset: 'cifar' is neither one of mnist-sample"),
    (["--output-activation", "sigmoid"], "loss 'cross-entropy' works on logits"),
    (["--dropout", "0.5"], "argument --dropout: is 0.5 but there is no hidden layer"),
    (["--optimizer", "adam", "--nesterov"], "argument --nesterov: needs optimizer 'sgd'"),
    (["--resume", "nowhere.npz"], "argument --resume: no such file 'nowhere.npz'"),
    (["--config", "nowhere.toml"], "argument --config: no such file 'nowhere.toml'"),
    (["--lrr", "0.1"], "unrecognized arguments: --lrr"),
])
def test_bad_flags_exit_2_with_a_message(argv, message, capsys):
    assert main(["train", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "usage: autograd-lite" in err


def test_bad_toml_exits_2_naming_the_file(tmp_path, capsys):
    path = tmp_path / "run.toml"
    path.write_text("learning_rate = 0.1\n")
    assert main(["train", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "argument --config:" in err and "'learning_rate' is not a setting" in err
    assert "run.toml" in err


def test_help_version_and_no_command(capsys):
    assert main(["train", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--hidden WIDTH" in out and "--early-stop" in out and "(default: 0.1)" in out
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"autograd-lite {autograd_lite.__version__}"
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().err


def test_train_in_process(tmp_path, capsys):
    out_dir = tmp_path / "run"
    assert main(["train", *QUICK, "--out", str(out_dir), "--seed", "3"]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert LAST_LINE.match(lines[-1]), lines[-1]
    assert lines[-5].split() == ["split", "accuracy", "loss"]
    assert [line.split()[0] for line in lines[-4:-1]] == ["train", "val", "test"]
    assert lines[1].startswith("epoch  train loss") and lines[2].split()[0] == "1"
    assert "epoch 1/1" in captured.err  # the progress bar is on stderr
    assert {"model.npz", "history.json", "curves.png", "config.json"} <= set(os.listdir(out_dir))
    assert TrainConfig.from_json((out_dir / "config.json").read_text()).seed == 3


def test_quiet_prints_only_the_summary(capsys):
    assert main(["train", *QUICK, "--quiet"]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == 5 and LAST_LINE.match(lines[-1]) and captured.err == ""


def test_resume_continues_the_run(tmp_path, capsys):
    straight, part = tmp_path / "straight", tmp_path / "part"
    args = ["--hidden", "16", "--train-size", "300", "--dropout", "0.2", "--quiet"]
    assert main(["train", *args, "--epochs", "3", "--out", str(straight)]) == 0
    expected = capsys.readouterr().out.splitlines()[-1]
    assert main(["train", *args, "--epochs", "2", "--out", str(part)]) == 0
    assert main(["train", *args, "--epochs", "3", "--out", str(part),
                 "--resume", str(part / "checkpoint.npz")]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == expected
    history = History.from_json((part / "history.json").read_text())
    assert len(history) == 3
    assert main(["train", *args, "--epochs", "3", "--lr", "0.3",
                 "--resume", str(part / "checkpoint.npz")]) == 1
    assert "different settings (lr: 0.1 -> 0.3)" in capsys.readouterr().err


def test_a_failed_run_exits_1(tmp_path, capsys):
    empty = tmp_path / "not-idx"
    empty.mkdir()
    assert main(["train", "--dataset", str(empty), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("autograd-lite train: error: ") and "Traceback" not in err


def test_console_script_is_declared():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"autograd-lite": "autograd_lite.cli:main"}


def _run_module(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    src = Path(autograd_lite.__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "autograd_lite", *args], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=300, check=False)


def test_python_dash_m_train(tmp_path):
    proc = _run_module("train", "--hidden", "32", "--epochs", "1", "--out", "tmp", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert LAST_LINE.match(proc.stdout.splitlines()[-1]), proc.stdout
    assert {"model.npz", "history.json", "curves.png"} <= set(os.listdir(tmp_path / "tmp"))
    bad = _run_module("train", "--lr", "-1", cwd=tmp_path)
    assert bad.returncode == 2 and "argument --lr: must be > 0" in bad.stderr


# ---------------------------------------------------------------- regressions

def test_toml_settings_are_validated_after_the_flags(tmp_path):
    """A file is not checked alone: flags may complete a combination the file starts."""
    sigmoid = tmp_path / "a.toml"
    sigmoid.write_text('output_activation = "sigmoid"\n')
    cfg = parse_config(["--config", str(sigmoid), "--loss", "mse"])
    assert (cfg.output_activation, cfg.loss) == ("sigmoid", "mse")
    dropout = tmp_path / "b.toml"
    dropout.write_text("dropout = 0.2\n")
    cfg = parse_config(["--config", str(dropout), "--hidden", "10"])
    assert (cfg.dropout, cfg.hidden) == (0.2, (10,))
    hyphens = tmp_path / "c.toml"
    hyphens.write_text('batch-size = 64\nlr-step = "none"\ntrain_size = "none"\n')
    cfg = parse_config(["--config", str(hyphens), "--lr-step", "3"])
    assert (cfg.batch_size, cfg.lr_step, cfg.train_size) == (64, 3, None)


@pytest.mark.parametrize("text, flags, message", [
    ("dropout = 0.2\n", [], "dropout is 0.2 but there is no hidden layer"),
    ('output_activation = "sigmoid"\n', [], "'cross-entropy' works on logits"),
    ("lr = -1\n", [], "lr must be > 0, got -1.0"),
    ("lr = 0.1\nlr-step = 0\n", [], "lr_step must be >= 1, got 0"),
    ("batch-size = 8\nbatch_size = 9\n", [], "batch_size is given twice"),
])
def test_errors_from_the_toml_file_name_the_file(tmp_path, capsys, text, flags, message):
    path = tmp_path / "run.toml"
    path.write_text(text)
    assert main(["train", "--config", str(path), *flags]) == 2
    err = capsys.readouterr().err
    assert "argument --config:" in err and message in err and str(path) in err


def test_a_flag_that_breaks_a_combination_is_named(tmp_path, capsys):
    path = tmp_path / "run.toml"
    path.write_text('hidden = [10]\noutput_activation = "sigmoid"\nloss = "mse"\n')
    assert main(["train", "--config", str(path), "--loss", "cross-entropy"]) == 2
    assert "argument --loss: 'cross-entropy' works on logits" in capsys.readouterr().err


def test_without_tqdm_the_cli_trains_without_a_bar(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    assert main(["train", *QUICK]) == 0
    captured = capsys.readouterr()
    assert LAST_LINE.match(captured.out.splitlines()[-1])
    notes = [line for line in captured.err.splitlines() if "tqdm" in line]
    assert len(notes) == 1 and notes[0].startswith("autograd-lite train: note:"), captured.err
    assert "progress=False" not in captured.err
    assert main(["train", *QUICK, "--quiet"]) == 0
    assert capsys.readouterr().err == ""


def test_softmax_is_a_hidden_activation():
    assert parse_config(["--hidden", "10", "--activation", "softmax"]).activation == "softmax"


def test_early_stop_may_be_given_bare():
    assert parse_config(["--early-stop", "none"]).early_stop == "none"
    assert parse_config(["--early-stop", "none", "--early-stop"]).early_stop == "relative"
    assert parse_config(["--early-stop", "--epochs", "3"]).epochs == 3
    assert parse_config(["--early-stop", "patience"]).early_stop == "patience"


@pytest.mark.parametrize("name, canonical", [
    ("MNIST", "mnist"), ("mnist_sample", "mnist-sample"), ("Fashion_MNIST", "fashion-mnist"),
    (" mnist-sample ", "mnist-sample"),
])
def test_dataset_names_are_normalised_like_load_dataset(name, canonical):
    assert parse_config(["--dataset", name]).dataset == canonical


def test_dataset_name_variants_train(capsys):
    assert main(["train", *QUICK, "--dataset", "MNIST_Sample", "--quiet"]) == 0
    assert LAST_LINE.match(capsys.readouterr().out.splitlines()[-1])


def test_a_refused_resume_leaves_the_run_directory_alone(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["--hidden", "16", "--train-size", "300", "--quiet", "--out", str(out)]
    assert main(["train", *args, "--epochs", "2"]) == 0
    before = {name: (out / name).read_bytes() for name in os.listdir(out)}
    ckpt = str(out / "checkpoint.npz")
    assert main(["train", *args, "--epochs", "2", "--lr", "0.3", "--resume", ckpt]) == 1
    assert "different settings" in capsys.readouterr().err
    assert main(["train", *args, "--epochs", "1", "--resume", ckpt]) == 1
    assert "already trained 2 epochs" in capsys.readouterr().err
    assert {name: (out / name).read_bytes() for name in os.listdir(out)} == before
