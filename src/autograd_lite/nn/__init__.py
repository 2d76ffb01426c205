"""Neural networks on autograd_lite: modules, layers, losses, initialisation, saving.

>>> import numpy as np, autograd_lite as ag
>>> from autograd_lite import nn
>>> model = nn.MLP(784, [100], 10, activation="sigmoid", rng=0)   # returns logits
>>> x, y = ag.rand(32, 784, seed=0), np.arange(32) % 10
>>> loss = nn.functional.cross_entropy(model(x), y)
>>> loss.backward()
>>> model.layers[0].weight.grad.shape
(784, 100)
"""

from . import functional, init
from .layers import (Dropout, Flatten, Identity, Linear, LogSoftmax, ReLU, Sequential, Sigmoid,
                     Softmax, Tanh)
from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .mlp import MLP
from .module import LoadResult, Module, Parameter
from .serialize import load_state, save

__all__ = [
    "Module", "Parameter", "LoadResult", "Linear", "Sequential", "Identity", "Flatten", "Dropout",
    "Sigmoid", "ReLU", "Tanh", "Softmax", "LogSoftmax", "MLP", "CrossEntropyLoss", "NLLLoss",
    "MSELoss", "BCELoss", "BCEWithLogitsLoss", "save", "load_state", "functional", "init",
]
