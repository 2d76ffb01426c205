"""Grid files and the packaged grids: layout, the four shipped grids, clear errors for bad files."""

from __future__ import annotations

from pathlib import Path

import pytest
from search_grids import write_grid

import autograd_lite
from autograd_lite.search import GridFileError, example_names, example_path, load_grid
from autograd_lite.train import ConfigError, TrainConfig

ROOT = Path(__file__).resolve().parent.parent
PACKAGED = Path(autograd_lite.__file__).resolve().parent / "experiments"


def test_a_grid_file_has_a_base_and_a_space(tmp_path):
    grid = load_grid(write_grid(tmp_path))
    assert grid.name == "tiny"
    assert grid.base == TrainConfig(dataset="mnist-sample", train_size=1000, hidden=(16,),
                                    batch_size=4, epochs=2, early_stop="none", seed=7)
    assert grid.space == {"lr": [0.1, 0.03], "dropout": [0.1, 0.3]}
    assert len(grid.configurations()) == 4


def test_the_report_grid_has_the_96_configurations():
    grid = load_grid(example_path("mnist-grid"))
    assert grid.space == {"dropout": [0.0, 0.1, 0.2, 0.4], "batch_size": [128, 256],
                          "momentum": [0.125, 0.25, 0.5], "lr": [1e-2, 1e-3, 1e-4, 1e-5]}
    configs = grid.configurations()
    assert len(configs) == 96 == len({c.to_json() for c in configs})
    base = grid.base  # the reports' early stopping, on by default
    assert (base.epochs, base.early_stop, base.tolerance, base.hidden) == (50, "relative", 1e-3,
                                                                           (100,))
    assert TrainConfig().early_stop == "relative" and TrainConfig().tolerance == 1e-3


def test_the_sweeps_of_the_second_report():
    hidden = load_grid(example_path("hidden-sizes"))
    assert [c.hidden for c in hidden.configurations()] == [(30,), (60,), (90,), (110,), (150,),
                                                           (200,)]
    rates = load_grid(example_path("learning_rates"))
    lrs = [c.lr for c in rates.configurations()]
    assert lrs[0] == 5e-4 and lrs[-1] == 1e-2 and lrs == sorted(lrs)
    for grid in (hidden, rates):
        assert grid.base.train_size == 3000 and grid.base.loss == "mse"
    quick = load_grid(example_path("quick-grid.toml"))
    assert quick.base.dataset == "mnist-sample" and 4 <= len(quick.configurations()) <= 20


def test_packaged_grids_are_reachable_by_name_and_the_same_files_as_experiments():
    assert example_names() == ["hidden-sizes", "learning-rates", "mnist-grid", "quick-grid"]
    assert Path(example_path("mnist-grid")) == PACKAGED / "mnist_grid.toml"
    repo_files = sorted(p.name for p in (ROOT / "experiments").glob("*.toml"))
    assert repo_files == sorted(p.name for p in PACKAGED.glob("*.toml"))
    for name in repo_files:  # one copy, not two that can drift apart
        assert (ROOT / "experiments" / name).read_bytes() == (PACKAGED / name).read_bytes()
    with pytest.raises(GridFileError, match="no packaged grid named 'cifar'; choose one of "
                                            "hidden-sizes, learning-rates, mnist-grid"):
        example_path("cifar")


def test_the_package_data_includes_the_grids():
    text = (ROOT / "pyproject.toml").read_text()
    assert '"experiments/*.toml"' in text


@pytest.mark.parametrize("text, error, words", [
    ("[base\nlr = 1", GridFileError, "is not valid TOML"),
    ("[base]\nlr = 0.1\n", GridFileError, "has no [space] table"),
    ("lr = [0.1]\n[space]\nlr = [0.1]\n", GridFileError, "has the key 'lr' at the top level"),
    ("base = 3\n[space]\nlr = [0.1]\n", GridFileError, "'base' must be a table"),
    ("[base]\nlr = -1\n[space]\ndropout = [0.0]\n", ConfigError, "base.lr must be > 0"),
    ("[base]\nepoch = 3\n[space]\nlr = [0.1]\n", ConfigError, "'base.epoch' is not a setting"),
    ("[space]\nlearning_rate = [0.1]\n", ConfigError, "'space.learning_rate' is not a setting"),
    ("[space]\nlr = []\n", ConfigError, "space.lr needs at least one value"),
    ("[space]\nbatch_size = [32, \"64\"]\n", ConfigError, "space.batch_size[1] must be an int"),
    ("[space]\ndropout = [0.1]\n", ConfigError, "no hidden layer"),
])
def test_bad_grid_files_name_the_file_and_key(tmp_path, text, error, words):
    path = write_grid(tmp_path, text, "bad.toml")
    with pytest.raises(error) as info:
        load_grid(path)
    assert words in str(info.value) and str(path) in str(info.value)


def test_missing_and_directory_paths(tmp_path):
    with pytest.raises(GridFileError, match="no such file"):
        load_grid(tmp_path / "nope.toml")
    with pytest.raises(GridFileError, match="is a directory"):
        load_grid(tmp_path)

