"""Grid spaces: validation errors that name the key; configurations; sha256 ids and seeds."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograd_lite.search import check_space, config_id, configurations, run_seed
from autograd_lite.train import ConfigError, TrainConfig

SRC = Path(__file__).resolve().parent.parent / "src"


@pytest.mark.parametrize("space, key, words", [
    ({"learning_rate": [0.1]}, "'learning_rate'", "is not a setting"),
    ({"momentun": [0.5]}, "'momentun'", "did you mean 'momentum'"),
    ({"lr": []}, "lr", "needs at least one value"),
    ({"lr": 0.1}, "lr", "must be a list of values"),
    ({"dropout": [0.1, "0.2"]}, "dropout[1]", "must be a number, got '0.2' (str)"),
    ({"batch_size": [128, 2.5]}, "batch_size[1]", "must be an int"),
    ({"hidden": [[100], [0]]}, "hidden[1]", "positive ints"),
    ({"activation": ["sigmoid", "swish"]}, "activation[1]", "must be one of"),
    ({"lr": [0.1, 0.1]}, "lr", "repeats 0.1"),
    ({"lr": [0.1], "l-r": [0.2]}, "'l-r'", "is not a setting"),
    ({"batch_size": [32], "batch-size": [64]}, "batch_size", "given twice"),
])
def test_bad_spaces_name_the_key(space, key, words):
    with pytest.raises(ConfigError) as info:
        check_space(space)
    assert info.value.key == key
    assert words in str(info.value)


def test_space_keys_accept_hyphens_and_values_are_normalised():
    space = check_space({"batch-size": [128, 256], "hidden": [30, [60, 20]],
                         "output_activation": ["none", "sigmoid"]})
    assert space == {"batch_size": [128, 256], "hidden": [(30,), (60, 20)],
                     "output_activation": [None, "sigmoid"]}


def test_configurations_are_the_product_in_order_on_top_of_the_base():
    base = TrainConfig(hidden=(100,), epochs=3, seed=5)
    configs = configurations({"dropout": [0.0, 0.2], "lr": [0.1, 0.01, 0.001]}, base)
    assert [(c.dropout, c.lr) for c in configs] == [
        (0.0, 0.1), (0.0, 0.01), (0.0, 0.001), (0.2, 0.1), (0.2, 0.01), (0.2, 0.001)]
    assert all(c.epochs == 3 and c.hidden == (100,) and c.seed == 5 for c in configs)


def test_a_combination_that_cannot_work_names_the_combination():
    with pytest.raises(ConfigError) as info:
        configurations({"dropout": [0.0, 0.2]}, TrainConfig())  # no hidden layer to drop
    assert info.value.key == "dropout"
    assert "dropout=0.2" in str(info.value) and "no hidden layer" in str(info.value)


def test_ids_and_seeds_are_sha256_of_the_canonical_json():
    cfg = TrainConfig(hidden=(100,), lr=0.01, seed=3)
    canonical = json.dumps(cfg.to_dict(), sort_keys=True, separators=(",", ":"))
    assert config_id(cfg) == hashlib.sha256(canonical.encode()).hexdigest()
    digest = hashlib.sha256(b"autograd-lite grid seed v1\n" + canonical.encode()).digest()
    assert run_seed(cfg) == int.from_bytes(digest[:8], "big") >> 1
    assert 0 <= run_seed(cfg) < 2 ** 63


def test_seeds_depend_on_the_settings_and_the_grid_seed_only():
    a = TrainConfig(hidden=(100,), lr=0.01, seed=3)
    same = TrainConfig.from_dict(dict(reversed(list(a.to_dict().items()))))  # other dict order
    assert run_seed(same) == run_seed(a) and config_id(same) == config_id(a)
    seeds = {run_seed(a), run_seed(TrainConfig(hidden=(100,), lr=0.02, seed=3)),
             run_seed(TrainConfig(hidden=(100,), lr=0.01, seed=4))}
    assert len(seeds) == 3


def test_seeds_do_not_depend_on_pythonhashseed():
    code = ("import json\nfrom autograd_lite.search import configurations, run_seed\n"
            "from autograd_lite.train import TrainConfig\n"
            "space = {'lr': [0.1, 0.01], 'dropout': [0.0, 0.5], 'hidden': [[8], [16]]}\n"
            "configs = configurations(space, TrainConfig(seed=1))\n"
            "print(json.dumps([run_seed(c) for c in configs]))\n")
    outputs = []
    for hash_seed in ("0", "1", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed,
                   PYTHONPATH=os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]))
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env=env, timeout=120, check=True)
        outputs.append(json.loads(proc.stdout))
    space = {"lr": [0.1, 0.01], "dropout": [0.0, 0.5], "hidden": [[8], [16]]}
    here = [run_seed(c) for c in configurations(space, TrainConfig(seed=1))]
    assert outputs[0] == outputs[1] == outputs[2] == here
    assert len(set(here)) == 8
