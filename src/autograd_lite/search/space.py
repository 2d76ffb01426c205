"""A grid's space: ``TrainConfig`` field -> list of values; its configurations, ids and seeds.

A configuration is the base config with one value of every space key. Its
identity is the sha256 of its canonical JSON (``TrainConfig.to_json``:
sorted keys, no spaces; ``seed`` is the grid seed), and the seed it trains
with derives from that same JSON through sha256, never Python's ``hash()``:
so the seeds do not depend on ``PYTHONHASHSEED``, on dict order or on the
order in which the runs finish, and a resumed grid equals an uninterrupted one.

>>> from autograd_lite.train import TrainConfig
>>> space = check_space({"lr": [0.1, 0.01], "hidden": [[30], [60]]})
>>> configs = configurations(space, TrainConfig(epochs=2))
>>> len(configs), configs[1].lr, configs[1].hidden
(4, 0.1, (60,))
>>> run_seed(configs[0]) == run_seed(TrainConfig.from_json(configs[0].to_json()))
True
>>> check_space({"momentun": [0.5]})
Traceback (most recent call last):
...
autograd_lite.train.config.ConfigError: TrainConfig: 'momentun' is not a setting; did you mean 'momentum'? ...
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

from ..train.config import ConfigError, TrainConfig, check_field

__all__ = ["check_space", "configurations", "config_id", "run_seed", "varied_keys"]

_SEED_SALT = b"autograd-lite grid seed v1\n"


def check_space(space: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``space`` with keys as field names and every value checked; ``ConfigError`` naming the key.

    Keys are ``TrainConfig`` fields (``-`` may replace ``_``); each value is a
    non-empty list of values of that field, without repeats.

    >>> check_space({"batch-size": [128, 256]})
    {'batch_size': [128, 256]}
    >>> check_space({"lr": []})
    Traceback (most recent call last):
    ...
    autograd_lite.train.config.ConfigError: TrainConfig: lr needs at least one value in the grid's space, ...
    >>> check_space({"dropout": [0.1, "0.2"]})
    Traceback (most recent call last):
    ...
    autograd_lite.train.config.ConfigError: TrainConfig: dropout[1] must be a number, got '0.2' (str)
    """
    if not isinstance(space, Mapping):
        raise TypeError(f"grid space: expects a mapping of TrainConfig field -> list of values, "
                        f"got {type(space).__name__}")
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    checked: dict[str, list[Any]] = {}
    for key, values in space.items():
        name = key.replace("-", "_") if isinstance(key, str) else key
        if name not in fields:
            check_field(str(key), None)  # raises the "not a setting; did you mean" error
        if name in checked:
            raise ConfigError(name, "is given twice in the grid's space (with - and _)")
        if not isinstance(values, (list, tuple)):
            raise ConfigError(name, f"must be a list of values in the grid's space (e.g. "
                              f"{name} = [a, b]), got {values!r}")
        if len(values) == 0:
            raise ConfigError(name, f"needs at least one value in the grid's space, got "
                              f"{list(values)!r}")
        items = []
        for i, value in enumerate(values):
            try:
                items.append(check_field(name, value))
            except ConfigError as e:
                raise ConfigError(f"{name}[{i}]", e.problem) from None
        repeated = [v for i, v in enumerate(items) if v in items[:i]]
        if repeated:
            raise ConfigError(name, f"repeats {repeated[0]!r} in the grid's space; each value "
                              "may appear once")
        checked[name] = items
    return checked


def configurations(space: Mapping[str, Sequence[Any]], base: TrainConfig) -> list[TrainConfig]:
    """Every combination of the space's values on top of ``base``, the last key varying fastest.

    A combination that cannot work (say dropout without a hidden layer)
    raises ``ConfigError`` naming the combination.

    >>> [c.lr for c in configurations({"lr": [0.1, 0.2]}, TrainConfig())]
    [0.1, 0.2]
    """
    if not isinstance(base, TrainConfig):
        raise TypeError(f"grid: base must be a TrainConfig, got {type(base).__name__}")
    space = check_space(space)
    keys = list(space)
    configs = []
    for values in itertools.product(*(space[k] for k in keys)):
        point = dict(zip(keys, values))
        try:
            configs.append(dataclasses.replace(base, **point))
        except ConfigError as e:
            where = ", ".join(f"{k}={v!r}" for k, v in point.items())
            raise ConfigError(e.key, f"{e.problem} (in the grid's configuration {where})",
                              e.related) from None
    return configs


def config_id(config: TrainConfig) -> str:
    """The configuration's identity in a results store: sha256 of its canonical JSON (hex).

    >>> config_id(TrainConfig()) == config_id(TrainConfig.from_dict({"seed": 0}))
    True
    """
    return hashlib.sha256(config.to_json().encode()).hexdigest()


def run_seed(config: TrainConfig) -> int:
    """The seed a configuration trains with: 63 bits of sha256(salt + canonical JSON).

    ``config.seed`` (the grid seed) is part of the JSON, so another grid seed
    gives other run seeds.

    >>> run_seed(TrainConfig(seed=0)) != run_seed(TrainConfig(seed=1))
    True
    """
    digest = hashlib.sha256(_SEED_SALT + config.to_json().encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def varied_keys(configs: Sequence[Mapping[str, Any]]) -> list[str]:
    """The config keys (of ``to_dict()`` dicts) whose values differ between configurations.

    >>> varied_keys([{"lr": 0.1, "seed": 0}, {"lr": 0.2, "seed": 0}])
    ['lr']
    """
    if not configs:
        return []
    keys = list(configs[0])
    return [k for k in keys if any(c.get(k) != configs[0].get(k) for c in configs[1:])]
