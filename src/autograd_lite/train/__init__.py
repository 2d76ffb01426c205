"""Training: ``TrainConfig``, ``fit`` / ``evaluate``, ``History``, early stopping, checkpoints, ``run``.

>>> import numpy as np
>>> from autograd_lite import nn, optim
>>> from autograd_lite.train import fit, RelativeChange
>>> x = np.random.default_rng(0).normal(size=(64, 3)).astype(np.float32)
>>> y = (x.sum(axis=1) > 0).astype(np.int64)
>>> model = nn.MLP(3, [8], 2, rng=0)
>>> history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.5),
...               (x, y), epochs=3, early_stopping=RelativeChange("train_loss", 1e-3),
...               rng=0, progress=False)
>>> history["epoch"]
[1, 2, 3]
"""

from .checkpoint import Checkpoint, load_checkpoint, restore_checkpoint, save_checkpoint
from .config import ConfigError, TrainConfig
from .early_stopping import EarlyStopping, Patience, RelativeChange
from .history import EpochRecord, History
from .loop import evaluate, fit
from .plots import learning_curves
from .run import RunResult, run

__all__ = ["TrainConfig", "ConfigError", "fit", "evaluate", "History", "EpochRecord",
           "EarlyStopping", "RelativeChange", "Patience", "save_checkpoint", "load_checkpoint",
           "restore_checkpoint", "Checkpoint", "learning_curves", "run", "RunResult"]
