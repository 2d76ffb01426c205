"""TrainConfig: one validated record of a training run, shared by Python, the CLI and TOML.

Every field is a plain value (str, int, float, bool, tuple of ints or None),
so a config converts losslessly to a dict, TOML and canonical JSON, and a
grid search can build configs from dicts. Every check runs on construction:
a bad value, a wrong type or a combination that cannot work raises
``ConfigError`` naming the key and the fix.

>>> cfg = TrainConfig(hidden=(100,), epochs=5)
>>> cfg.hidden, cfg.loss, cfg.output_activation
((100,), 'cross-entropy', None)
>>> TrainConfig.from_dict(cfg.to_dict()) == cfg
True
>>> TrainConfig(lr=-1)
Traceback (most recent call last):
...
autograd_lite.train.config.ConfigError: TrainConfig: lr must be > 0, got -1.0
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Self

from ..data.datasets import DATASET_NAMES, dataset_key
from ..nn.mlp import ACTIVATIONS as _MLP_ACTIVATIONS
from ..nn.mlp import OUTPUT_ACTIVATIONS as _MLP_OUTPUT_ACTIVATIONS

__all__ = ["TrainConfig", "ConfigError", "check_field", "read_toml", "dataset_key",
           "FIELD_HELP", "ACTIVATIONS", "OUTPUT_ACTIVATIONS", "LOSSES", "INITS", "DTYPES",
           "OPTIMIZERS", "EARLY_STOPS", "DATASETS"]

DATASETS: tuple[str, ...] = tuple(DATASET_NAMES)
"""Named datasets; any other string is a path given to ``data.load_dataset``."""
ACTIVATIONS: tuple[str, ...] = tuple(_MLP_ACTIVATIONS)
"""Hidden-layer activations: the ones ``nn.MLP`` implements."""
OUTPUT_ACTIVATIONS: tuple[str | None, ...] = tuple(_MLP_OUTPUT_ACTIVATIONS)
LOSSES = ("cross-entropy", "mse", "bce")
INITS = ("zeros", "normal", "xavier-uniform", "xavier-normal", "kaiming-uniform",
         "kaiming-normal")
DTYPES = ("float32", "float64")
OPTIMIZERS = ("sgd", "adam")
EARLY_STOPS = ("relative", "patience", "none")


class ConfigError(ValueError):
    """A bad configuration value: ``key`` is the field, ``problem`` the short reason.

    ``related`` names the other fields of a combination that cannot work
    (``loss`` with ``output_activation``), so the CLI can say where they came from.

    >>> err = ConfigError("lr", "must be > 0, got 0.0")
    >>> err.key, str(err), err.related
    ('lr', 'TrainConfig: lr must be > 0, got 0.0', ())
    """

    def __init__(self, key: str, problem: str, related: tuple[str, ...] = ()) -> None:
        super().__init__(f"TrainConfig: {key} {problem}")
        self.key, self.problem, self.related = key, problem, tuple(related)


# ---------------------------------------------------------------- single-field checks

def _choice(options: tuple[Any, ...]) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if value == "none" and None in options:  # TOML and the CLI have no null
            value = None
        if value not in options or isinstance(value, bool):
            names = ", ".join("none" if o is None else repr(o) for o in options)
            raise ValueError(f"must be one of {names}, got {value!r}")
        return value
    return check


def _int(low: int, optional: bool = False) -> Callable[[Any], int | None]:
    kind = "an int or 'none'" if optional else "an int"

    def check(value: Any) -> int | None:
        if optional and (value is None or value == "none"):  # TOML and the CLI have no null
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"must be {kind}, got {value!r} ({type(value).__name__})")
        if value < low:
            raise ValueError(f"must be >= {low}, got {value}")
        return int(value)
    return check


def _float(low: float, high: float = math.inf, low_open: bool = False,
           high_open: bool = True) -> Callable[[Any], float]:
    above = (lambda v: v > low) if low_open else (lambda v: v >= low)
    below = (lambda v: v < high) if high_open else (lambda v: v <= high)
    if high == math.inf:
        bound = f"{'>' if low_open else '>='} {low:g}"
    else:
        bound = f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"

    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"must be a number, got {value!r} ({type(value).__name__})")
        v = float(value)
        if not (math.isfinite(v) and above(v) and below(v)):
            raise ValueError(f"must be {bound}, got {v}")
        return v
    return check


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"must be true or false, got {value!r} ({type(value).__name__})")
    return value


def _dataset(value: Any) -> str:
    """A dataset name in its canonical spelling (``MNIST`` -> ``mnist``), or a path as given."""
    if not isinstance(value, (str, os.PathLike)) or not os.fspath(value):
        raise TypeError(f"must be one of {', '.join(map(repr, DATASETS))} or a path, "
                        f"got {value!r}")
    text = os.fspath(value)
    if not isinstance(text, str):
        raise TypeError(f"must be one of {', '.join(map(repr, DATASETS))} or a path, "
                        f"got {value!r}")
    key = dataset_key(text)
    return key if key in DATASETS else text


def _hidden(value: Any) -> tuple[int, ...]:
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value,)
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"must be a list of layer widths such as [100] ([] for a single "
                        f"layer), got {value!r}")
    for h in value:
        if isinstance(h, bool) or not isinstance(h, int) or h < 1:
            raise ValueError(f"must hold positive ints (layer widths), got {list(value)!r}")
    return tuple(int(h) for h in value)


_CHECKS: dict[str, Callable[[Any], Any]] = {
    "dataset": _dataset, "val_fraction": _float(0, 1), "train_size": _int(1, optional=True),
    "hidden": _hidden, "activation": _choice(ACTIVATIONS),
    "output_activation": _choice(OUTPUT_ACTIVATIONS), "loss": _choice(LOSSES),
    "dropout": _float(0, 1), "init": _choice(INITS), "dtype": _choice(DTYPES),
    "optimizer": _choice(OPTIMIZERS), "lr": _float(0, low_open=True),
    "momentum": _float(0, 1), "nesterov": _bool, "weight_decay": _float(0),
    "batch_size": _int(1), "epochs": _int(1), "early_stop": _choice(EARLY_STOPS),
    "tolerance": _float(0, low_open=True), "patience": _int(1),
    "lr_step": _int(1, optional=True), "lr_gamma": _float(0, 1, low_open=True, high_open=False),
    "seed": _int(0),
}

FIELD_HELP: dict[str, str] = {
    "dataset": "mnist-sample (bundled), mnist, fashion-mnist (case and _ or - do not matter), "
               "or a directory of IDX files",
    "val_fraction": "share of the training images held out for validation, in [0, 1)",
    "train_size": "train on at most this many images (after the validation split; none: all)",
    "hidden": "hidden layer widths; empty for a single layer (softmax regression)",
    "activation": "hidden-layer activation",
    "output_activation": "applied to the last layer; none gives logits (for cross-entropy)",
    "loss": "cross-entropy on logits, or mse / bce against one-hot targets",
    "dropout": "drop probability after each hidden layer, in [0, 1)",
    "init": f"weight initialisation: {', '.join(INITS)} (biases start at zero)",
    "dtype": "floating-point type of the parameters and inputs",
    "optimizer": "sgd or adam",
    "lr": "learning rate (> 0)",
    "momentum": "SGD momentum, or Adam's beta1, in [0, 1)",
    "nesterov": "Nesterov momentum (SGD with momentum > 0 only)",
    "weight_decay": "L2 penalty added to the gradients (>= 0)",
    "batch_size": "examples per step",
    "epochs": "maximum number of epochs",
    "early_stop": "relative: stop when the training loss changes by less than `tolerance` "
                  "between epochs; patience: stop when the validation loss has not improved "
                  "for `patience` epochs; none",
    "tolerance": "relative change of the training loss that counts as converged",
    "patience": "epochs without a better validation loss before stopping",
    "lr_step": "multiply the learning rate by lr_gamma every lr_step epochs (none: constant)",
    "lr_gamma": "learning-rate decay factor, in (0, 1]",
    "seed": "seed of every random choice (initial weights, validation split, data order, "
            "dropout)",
}


def check_field(key: str, value: Any) -> Any:
    """``value`` checked (and normalised) for field ``key``; ``ConfigError`` if it is bad.

    >>> check_field("hidden", [100, 50]), check_field("output_activation", "none")
    ((100, 50), None)
    >>> check_field("dropout", 1.5)
    Traceback (most recent call last):
    ...
    autograd_lite.train.config.ConfigError: TrainConfig: dropout must be in [0, 1), got 1.5
    """
    if key not in _CHECKS:
        raise _unknown_key(key)
    try:
        return _CHECKS[key](value)
    except (TypeError, ValueError) as e:
        raise ConfigError(key, str(e)) from None


def _unknown_key(key: str) -> ConfigError:
    close = difflib.get_close_matches(str(key), list(_CHECKS), n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return ConfigError(repr(key), f"is not a setting; {hint}valid keys: {', '.join(_CHECKS)}")


def _field_names(d: Mapping[str, Any]) -> dict[str, Any]:
    """``d`` with ``-`` in keys replaced by ``_``; unknown and repeated keys raise ConfigError."""
    if not isinstance(d, Mapping):
        raise TypeError(f"TrainConfig.from_dict: expects a mapping of settings, got "
                        f"{type(d).__name__}")
    values: dict[str, Any] = {}
    for key, value in d.items():
        name = key.replace("-", "_") if isinstance(key, str) else key
        if name not in _CHECKS:
            raise _unknown_key(key)
        if name in values:
            raise ConfigError(name, f"is given twice (as {name!r} and with hyphens)")
        values[name] = value
    return values


def read_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The settings of a TOML file of top-level ``key = value`` lines, keys as field names.

    Only the keys are checked here (unknown or repeated keys raise
    ``ConfigError`` naming the file), not the values: the CLI puts its
    flags on top and then validates the whole config once
    (``TrainConfig.from_dict``); ``TrainConfig.from_toml`` validates the
    file alone. TOML has no null: write ``"none"`` (e.g. ``lr_step = "none"``).

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "run.toml")
    >>> with open(path, "w") as f:
    ...     _ = f.write('batch-size = 64\\noutput_activation = "sigmoid"\\n')
    >>> read_toml(path)
    {'batch_size': 64, 'output_activation': 'sigmoid'}
    """
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            d = tomllib.load(f)
    except FileNotFoundError:
        raise FileNotFoundError(f"TrainConfig.from_toml: no such file {path!r}") from None
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"TrainConfig.from_toml: {path!r} is not valid TOML ({e})") from None
    try:
        return _field_names(d)
    except ConfigError as e:
        raise ConfigError(e.key, f"{e.problem} (in {path})") from None


# ---------------------------------------------------------------- the config

@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run: data, model, optimizer, schedule and seed.

    Defaults: the bundled MNIST sample (10% held out for validation), a
    single softmax layer on logits with cross entropy, SGD lr 0.1 momentum
    0.9, batches of 32, at most 50 epochs stopped when the training loss
    changes by < 0.1% between epochs, seed 0. ``dataclasses.replace(cfg,
    lr=0.05)`` makes a variant (checked again).

    >>> TrainConfig(loss="cross-entropy", output_activation="sigmoid")
    Traceback (most recent call last):
    ...
    autograd_lite.train.config.ConfigError: TrainConfig: loss 'cross-entropy' works on logits ...
    """

    # data
    dataset: str = "mnist-sample"
    val_fraction: float = 0.1
    train_size: int | None = None
    # model
    hidden: tuple[int, ...] = ()
    activation: str = "sigmoid"
    output_activation: str | None = None
    loss: str = "cross-entropy"
    dropout: float = 0.0
    init: str = "xavier-uniform"
    dtype: str = "float32"
    # optimizer
    optimizer: str = "sgd"
    lr: float = 0.1
    momentum: float = 0.9
    nesterov: bool = False
    weight_decay: float = 0.0
    # schedule
    batch_size: int = 32
    epochs: int = 50
    early_stop: str = "relative"
    tolerance: float = 1e-3
    patience: int = 5
    lr_step: int | None = None
    lr_gamma: float = 0.1
    # seed
    seed: int = 0

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            object.__setattr__(self, field.name, check_field(field.name,
                                                             getattr(self, field.name)))
        self._check_combinations()

    def _check_combinations(self) -> None:
        if self.loss == "cross-entropy" and self.output_activation is not None:
            raise ConfigError(
                "loss", f"'cross-entropy' works on logits (it applies the softmax itself), so "
                f"output_activation must be none, not {self.output_activation!r}; with a "
                f"{self.output_activation} output use loss 'mse' or 'bce' on one-hot targets",
                related=("output_activation",))
        if self.nesterov and (self.optimizer != "sgd" or self.momentum == 0):
            raise ConfigError("nesterov", "needs optimizer 'sgd' with momentum > 0 (got "
                              f"optimizer {self.optimizer!r}, momentum {self.momentum})",
                              related=("optimizer", "momentum"))
        if self.dropout and not self.hidden:
            raise ConfigError("dropout", f"is {self.dropout} but there is no hidden layer to "
                              "drop units from; add one (e.g. hidden [100]) or set dropout 0",
                              related=("hidden",))
        if self.early_stop == "patience" and self.val_fraction == 0:
            raise ConfigError("early_stop", "'patience' watches the validation loss, but "
                              "val_fraction is 0; hold out some data (e.g. 0.1) or use "
                              "'relative'", related=("val_fraction",))

    # ------------------------------------------------------------ conversions
    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Self:
        """A config from a mapping of field names (``-`` may replace ``_``); missing = default.

        >>> TrainConfig.from_dict({"hidden": [100], "batch-size": 64}).batch_size
        64
        >>> TrainConfig.from_dict({"lr": 0.1, "epoch": 3})
        Traceback (most recent call last):
        ...
        autograd_lite.train.config.ConfigError: TrainConfig: 'epoch' is not a setting; did you mean ...
        """
        return cls(**_field_names(d))

    def to_dict(self) -> dict[str, Any]:
        """Every field as plain JSON/TOML-friendly values (``hidden`` as a list).

        >>> TrainConfig(hidden=(100,)).to_dict()["hidden"]
        [100]
        """
        d = dataclasses.asdict(self)
        d["hidden"] = list(self.hidden)
        return d

    def to_json(self) -> str:
        """Canonical JSON: sorted keys, no spaces; equal configs give equal strings.

        >>> TrainConfig().to_json()[:40]
        '{"activation":"sigmoid","batch_size":32,'
        """
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"),
                          allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> Self:
        """The config ``to_json`` wrote.

        >>> cfg = TrainConfig(hidden=(100,), lr=0.05)
        >>> TrainConfig.from_json(cfg.to_json()) == cfg
        True
        """
        try:
            d = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"TrainConfig.from_json: not valid JSON ({e})") from None
        return cls.from_dict(d)

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str]) -> Self:
        """A config from a TOML file of top-level ``key = value`` settings (see ``read_toml``).

        The file alone must make a valid config; errors name the file. TOML
        has no null: leave a key out for its default, or write ``"none"``
        (``output_activation``, ``lr_step``, ``train_size``).

        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "run.toml")
        >>> with open(path, "w") as f:
        ...     _ = f.write('hidden = [100]\\nlr = 0.1\\nepochs = 20\\n')
        >>> TrainConfig.from_toml(path).epochs
        20
        """
        settings = read_toml(path)
        try:
            return cls(**settings)
        except ConfigError as e:
            raise ConfigError(e.key, f"{e.problem} (in {os.fspath(path)})", e.related) from None
