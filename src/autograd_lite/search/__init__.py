"""Hyperparameter grid search: parallel (joblib) or on a Dask cluster, resumable, reproducible.

``grid_search(space, base, store="grid.jsonl")`` trains every configuration
of ``space`` (``TrainConfig`` field -> list of values) on top of ``base``,
one ``train.run`` per configuration, and appends each finished run to a
JSON Lines store; run it again and it continues where it stopped. Grid
files (TOML) and the packaged grids: ``load_grid``, ``example_path``. The
``report`` module ranks the runs and plots them.

>>> from autograd_lite.search import check_space
>>> check_space({"lr": [0.1, 0.01], "batch-size": [128]})
{'lr': [0.1, 0.01], 'batch_size': [128]}
"""

from .grid import BACKENDS, GridResult, grid_search
from .grid_file import Grid, GridFileError, example_names, example_path, load_grid
from .space import check_space, config_id, configurations, run_seed
from .store import RECORD_FORMAT, StoreError, Torn, read_store

__all__ = ["grid_search", "GridResult", "BACKENDS", "Grid", "GridFileError", "load_grid",
           "example_path", "example_names", "check_space", "configurations", "config_id",
           "run_seed", "read_store", "RECORD_FORMAT", "StoreError", "Torn"]
