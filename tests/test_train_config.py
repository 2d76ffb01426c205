"""TrainConfig: defaults, conversions (dict, JSON, TOML), and errors that name the key."""

from __future__ import annotations

import dataclasses
import json

import pytest

from autograd_lite import data, nn
from autograd_lite.nn.mlp import ACTIVATIONS as NN_ACTIVATIONS
from autograd_lite.nn.mlp import OUTPUT_ACTIVATIONS as NN_OUTPUT_ACTIVATIONS
from autograd_lite.train import ConfigError, TrainConfig
from autograd_lite.train import config as C


def test_defaults_are_valid_and_documented():
    cfg = TrainConfig()
    assert cfg.dataset == "mnist-sample" and cfg.hidden == () and cfg.epochs == 50
    assert cfg.loss == "cross-entropy" and cfg.output_activation is None
    assert cfg.early_stop == "relative" and cfg.tolerance == 1e-3
    assert set(C.FIELD_HELP) == {f.name for f in dataclasses.fields(TrainConfig)}


def test_choices_match_the_nn_and_data_modules():
    """The names the config accepts are the ones the lower layers implement."""
    assert C.INITS == nn.init.INIT_NAMES
    assert set(C.ACTIVATIONS) <= set(NN_ACTIVATIONS)
    assert set(C.OUTPUT_ACTIVATIONS) == set(NN_OUTPUT_ACTIVATIONS)
    assert C.DATASETS == data.DATASET_NAMES


def test_round_trips_through_dict_json_and_toml(tmp_path):
    cfg = TrainConfig(hidden=(100, 50), dropout=0.2, lr=0.05, nesterov=True, train_size=3000,
                      lr_step=5, output_activation="softmax", loss="mse", dtype="float64")
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg
    assert TrainConfig.from_json(cfg.to_json()) == cfg
    lines = []
    for key, value in cfg.to_dict().items():
        if value is None:
            continue  # TOML has no null: leave the key out
        lines.append(f"{key} = {json.dumps(value)}")  # JSON scalars and lists are valid TOML
    path = tmp_path / "run.toml"
    path.write_text("\n".join(lines) + "\n")
    assert TrainConfig.from_toml(path) == cfg


def test_to_json_is_canonical():
    a = TrainConfig.from_dict({"lr": 0.05, "hidden": [100]})
    b = TrainConfig.from_dict({"hidden": (100,), "lr": 0.05})
    assert a.to_json() == b.to_json()
    text = a.to_json()
    assert " " not in text and list(json.loads(text)) == sorted(json.loads(text))
    assert TrainConfig().to_json() != a.to_json()


def test_to_dict_is_plain_data():
    d = TrainConfig(hidden=(100,)).to_dict()
    assert d["hidden"] == [100] and d["output_activation"] is None
    json.dumps(d)


def test_numbers_are_normalised():
    cfg = TrainConfig.from_dict({"lr": 1, "momentum": 0, "hidden": [100]})
    assert isinstance(cfg.lr, float) and cfg.lr == 1.0 and isinstance(cfg.momentum, float)
    assert TrainConfig(hidden=100).hidden == (100,)  # type: ignore[arg-type]
    assert TrainConfig(hidden=[100, 10]).hidden == (100, 10)  # type: ignore[arg-type]


def test_none_spelled_as_a_string():
    """TOML and the CLI cannot write null: "none" means None for output_activation."""
    cfg = TrainConfig.from_dict({"output_activation": "none"})
    assert cfg.output_activation is None


def test_hyphenated_keys_are_accepted_once():
    assert TrainConfig.from_dict({"batch-size": 64, "val-fraction": 0.2}).batch_size == 64
    with pytest.raises(ConfigError, match="batch_size is given twice"):
        TrainConfig.from_dict({"batch-size": 64, "batch_size": 32})


def test_unknown_key_is_named_with_a_suggestion():
    with pytest.raises(ConfigError) as info:
        TrainConfig.from_dict({"learning_rate": 0.1})
    assert "'learning_rate' is not a setting" in str(info.value)
    assert "valid keys: dataset" in str(info.value)
    with pytest.raises(ConfigError, match="did you mean 'epochs'"):
        TrainConfig.from_dict({"epoch": 3})


@pytest.mark.parametrize("key, value, message", [
    ("batch_size", "32", "batch_size must be an int, got '32' (str)"),
    ("batch_size", True, "batch_size must be an int, got True (bool)"),
    ("epochs", 2.5, "epochs must be an int, got 2.5 (float)"),
    ("lr", "0.1", "lr must be a number, got '0.1' (str)"),
    ("lr", False, "lr must be a number, got False (bool)"),
    ("nesterov", "yes", "nesterov must be true or false, got 'yes'"),
    ("nesterov", 1, "nesterov must be true or false, got 1"),
    ("hidden", "100", "hidden must be a list of layer widths such as [100]"),
    ("hidden", [100, "a"], "hidden must hold positive ints (layer widths), got [100, 'a']"),
    ("hidden", [100, True], "hidden must hold positive ints"),
    ("dataset", 3, "dataset must be one of 'mnist-sample', 'mnist', 'fashion-mnist' or a path"),
    ("dataset", "", "dataset must be one of"),
    ("train_size", 3000.0, "train_size must be an int"),
    ("activation", "gelu",
     "activation must be one of 'sigmoid', 'relu', 'tanh', 'softmax', got 'gelu'"),
    ("output_activation", "relu", "output_activation must be one of none, 'sigmoid', 'softmax'"),
    ("loss", "nll", "loss must be one of 'cross-entropy', 'mse', 'bce', got 'nll'"),
    ("init", "he", "init must be one of 'zeros', 'normal', 'xavier-uniform'"),
    ("dtype", "float16", "dtype must be one of 'float32', 'float64'"),
    ("optimizer", "rmsprop", "optimizer must be one of 'sgd', 'adam'"),
    ("early_stop", "never", "early_stop must be one of 'relative', 'patience', 'none'"),
])
def test_wrong_types_and_names_are_reported_with_the_key(key, value, message):
    with pytest.raises(ConfigError) as info:
        TrainConfig.from_dict({key: value})
    assert info.value.key == key
    assert message in str(info.value)


@pytest.mark.parametrize("key, value, bound", [
    ("lr", 0, "must be > 0"), ("lr", -1, "must be > 0"), ("lr", float("nan"), "must be > 0"),
    ("lr", float("inf"), "must be > 0"),
    ("dropout", 1.5, "must be in [0, 1)"), ("dropout", 1.0, "must be in [0, 1)"),
    ("dropout", -0.1, "must be in [0, 1)"),
    ("val_fraction", 1.0, "must be in [0, 1)"), ("momentum", 1.0, "must be in [0, 1)"),
    ("weight_decay", -1e-4, "must be >= 0"), ("batch_size", 0, "must be >= 1"),
    ("epochs", 0, "must be >= 1"), ("patience", 0, "must be >= 1"),
    ("train_size", 0, "must be >= 1"), ("tolerance", 0, "must be > 0"),
    ("lr_step", 0, "must be >= 1"), ("lr_gamma", 0, "must be in (0, 1]"),
    ("lr_gamma", 1.5, "must be in (0, 1]"), ("seed", -1, "must be >= 0"),
    ("hidden", [100, 0], "positive ints"),
])
def test_out_of_range_values_are_reported_with_the_bound(key, value, bound):
    with pytest.raises(ConfigError) as info:
        TrainConfig(**{key: value})
    assert info.value.key == key and bound in info.value.problem


def test_edges_that_are_allowed():
    TrainConfig(lr_gamma=1.0, val_fraction=0.0, momentum=0.0, weight_decay=0.0, seed=0,
                early_stop="relative")
    TrainConfig(hidden=(100,), dropout=0.0)


@pytest.mark.parametrize("settings, key, message", [
    ({"output_activation": "sigmoid"}, "loss", "'cross-entropy' works on logits"),
    ({"output_activation": "softmax"}, "loss", "output_activation must be none, not 'softmax'"),
    ({"optimizer": "adam", "nesterov": True}, "nesterov", "needs optimizer 'sgd'"),
    ({"momentum": 0.0, "nesterov": True}, "nesterov", "momentum > 0"),
    ({"dropout": 0.5}, "dropout", "no hidden layer"),
    ({"early_stop": "patience", "val_fraction": 0.0}, "early_stop", "val_fraction is 0"),
])
def test_combinations_that_cannot_work(settings, key, message):
    with pytest.raises(ConfigError) as info:
        TrainConfig.from_dict(settings)
    assert info.value.key == key and message in str(info.value)


def test_combinations_that_work():
    """The classic setups: sigmoid outputs on one-hot targets with mse or bce; bce on logits."""
    TrainConfig(hidden=(110,), output_activation="sigmoid", loss="mse")
    TrainConfig(hidden=(110,), output_activation="sigmoid", loss="bce")
    TrainConfig(output_activation=None, loss="bce")
    TrainConfig(output_activation="softmax", loss="mse")
    TrainConfig(optimizer="adam", lr=1e-3, momentum=0.9)


def test_frozen_and_replace_revalidates():
    cfg = TrainConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.lr = 0.5  # type: ignore[misc]
    assert dataclasses.replace(cfg, lr=0.5).lr == 0.5
    with pytest.raises(ConfigError, match="lr must be > 0"):
        dataclasses.replace(cfg, lr=0.0)


def test_from_dict_needs_a_mapping():
    with pytest.raises(TypeError, match="expects a mapping"):
        TrainConfig.from_dict([("lr", 0.1)])  # type: ignore[arg-type]


def test_from_json_errors():
    with pytest.raises(ValueError, match="not valid JSON"):
        TrainConfig.from_json("{lr: 0.1}")
    with pytest.raises(ConfigError, match="'foo' is not a setting"):
        TrainConfig.from_json('{"foo": 1}')


def test_from_toml_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        TrainConfig.from_toml(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("lr = \n")
    with pytest.raises(ValueError, match=r"bad.toml' is not valid TOML"):
        TrainConfig.from_toml(bad)
    wrong = tmp_path / "wrong.toml"
    wrong.write_text('lr = "fast"\n')
    with pytest.raises(ConfigError) as info:
        TrainConfig.from_toml(wrong)
    assert info.value.key == "lr" and "wrong.toml" in str(info.value)
    sections = tmp_path / "sections.toml"
    sections.write_text("[model]\nhidden = [100]\n")
    with pytest.raises(ConfigError, match="'model' is not a setting"):
        TrainConfig.from_toml(sections)


# ---------------------------------------------------------------- regressions

def test_activations_are_the_ones_nn_mlp_implements():
    assert C.ACTIVATIONS == tuple(NN_ACTIVATIONS)
    assert TrainConfig(hidden=(10,), activation="softmax").activation == "softmax"


@pytest.mark.parametrize("key", ["lr_step", "train_size"])
def test_none_spelled_as_a_string_for_optional_ints(tmp_path, key):
    assert getattr(TrainConfig.from_dict({key: "none"}), key) is None
    path = tmp_path / "run.toml"
    path.write_text(f'{key} = "none"\n')
    assert getattr(TrainConfig.from_toml(path), key) is None
    with pytest.raises(ConfigError, match=f"{key} must be an int or 'none', got 'never'"):
        TrainConfig.from_dict({key: "never"})


def test_toml_round_trip_writes_none_as_a_string(tmp_path):
    cfg = TrainConfig()
    lines = [f"{k} = {json.dumps('none' if v is None else v)}" for k, v in cfg.to_dict().items()]
    path = tmp_path / "run.toml"
    path.write_text("\n".join(lines) + "\n")
    assert TrainConfig.from_toml(path) == cfg


def test_read_toml_normalises_keys_without_validating_combinations(tmp_path):
    path = tmp_path / "a.toml"
    path.write_text('output_activation = "sigmoid"\nbatch-size = 64\n')
    assert C.read_toml(path) == {"output_activation": "sigmoid", "batch_size": 64}
    with pytest.raises(ConfigError) as info:
        TrainConfig.from_toml(path)  # alone, the file does not make a valid config
    assert info.value.key == "loss" and "a.toml" in str(info.value)
    bad = tmp_path / "bad.toml"
    bad.write_text("learning-rate = 0.1\n")
    with pytest.raises(ConfigError, match=r"'learning-rate' is not a setting.*bad.toml"):
        C.read_toml(bad)


@pytest.mark.parametrize("name, canonical", [
    ("MNIST", "mnist"), ("mnist_sample", "mnist-sample"), (" Fashion_MNIST ", "fashion-mnist"),
    ("mnist-sample", "mnist-sample"),
])
def test_dataset_names_are_normalised_like_load_dataset(name, canonical):
    assert TrainConfig(dataset=name).dataset == canonical
    assert TrainConfig(dataset=name) == TrainConfig(dataset=canonical)


def test_dataset_name_normalisation_agrees_with_load_dataset():
    for name in ("MNIST_SAMPLE", " mnist_sample", "Mnist-Sample "):
        assert TrainConfig(dataset=name).dataset == data.load_dataset(name).name
    assert TrainConfig(dataset="runs/My_Data").dataset == "runs/My_Data"  # paths stay as given
