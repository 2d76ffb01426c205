"""MLP: a multilayer perceptron (Linear, activation, optional dropout, ..., Linear).

>>> from autograd_lite import nn
>>> nn.MLP(784, [100], 10, activation="sigmoid", dropout=0.1, rng=0)
MLP(
  (layers): Sequential(
    (0): Linear(in_features=784, out_features=100, bias=True)
    (1): Sigmoid()
    (2): Dropout(p=0.1)
    (3): Linear(in_features=100, out_features=10, bias=True)
  )
)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..creation import as_generator
from ..tensor import Tensor
from . import functional as F
from .init import Initializer, Seed
from .layers import Dropout, Linear, ReLU, Sequential, Sigmoid, Softmax, Tanh, _check_size
from .module import Module

__all__ = ["MLP", "ACTIVATIONS", "OUTPUT_ACTIVATIONS"]

ACTIVATIONS: dict[str, Callable[[], Module]] = {
    "sigmoid": Sigmoid, "relu": ReLU, "tanh": Tanh, "softmax": Softmax}
"""Hidden-layer activations by name."""
OUTPUT_ACTIVATIONS: dict[str | None, Callable[[], Module] | None] = {
    None: None, "sigmoid": Sigmoid, "softmax": Softmax}
"""What may follow the last layer; None returns logits (for ``cross_entropy``)."""


def _names(options: Any) -> str:
    return ", ".join(map(repr, options))


class MLP(Module):
    """Fully connected layers ``in -> hidden_sizes... -> out``, all in ``self.layers``.

    Each hidden Linear is followed by ``activation`` and, if ``dropout > 0``,
    a Dropout. With ``output_activation=None`` the output is logits (use
    ``cross_entropy``); an empty ``hidden_sizes`` gives the single-layer model.
    ``init`` and ``rng`` (seed or Generator) set the weights; one seed gives
    the same weights (and dropout masks) every run.

    >>> import autograd_lite as ag
    >>> single = MLP(784, [], 10, rng=0)        # softmax regression on logits
    >>> single(ag.zeros(5, 784)).shape, len(single.layers)
    ((5, 10), 1)
    >>> MLP(4, [3], 2, activation="gelu")
    Traceback (most recent call last):
    ...
    ValueError: MLP: unknown activation 'gelu'; valid names: 'sigmoid', 'relu', 'tanh', 'softmax'
    """

    layers: Sequential

    def __init__(self, in_features: int, hidden_sizes: Sequence[int], out_features: int,
                 activation: str = "sigmoid", output_activation: str | None = None,
                 dropout: float = 0.0, init: str | Initializer = "xavier-uniform",
                 rng: Seed = None) -> None:
        super().__init__()
        if isinstance(hidden_sizes, (int, np.integer, str)) or not isinstance(hidden_sizes,
                                                                              Sequence):
            raise TypeError(f"MLP: hidden_sizes must be a list of layer widths such as [100] "
                            f"([] for a single layer), got {hidden_sizes!r}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"MLP: unknown activation {activation!r}; valid names: "
                             f"{_names(ACTIVATIONS)}")
        if output_activation not in OUTPUT_ACTIVATIONS:
            raise ValueError(f"MLP: unknown output_activation {output_activation!r}; valid: "
                             f"{_names(OUTPUT_ACTIVATIONS)}")
        self.dropout = F.check_dropout_p("MLP", dropout)
        sizes = [_check_size("MLP", "in_features", in_features),
                 *(_check_size("MLP", "each hidden size", h) for h in hidden_sizes),
                 _check_size("MLP", "out_features", out_features)]
        self.in_features, self.hidden_sizes, self.out_features = sizes[0], sizes[1:-1], sizes[-1]
        self.activation, self.output_activation = activation, output_activation

        gen = as_generator(rng)  # one stream for every layer: same seed, same model
        layers = Sequential()
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(Linear(n_in, n_out, init=init, rng=gen))
            if i < len(self.hidden_sizes):
                layers.append(ACTIVATIONS[activation]())
                if self.dropout:
                    layers.append(Dropout(self.dropout, rng=None if rng is None else gen))
        make_output = OUTPUT_ACTIVATIONS[output_activation]
        if make_output is not None:
            layers.append(make_output())
        self.layers = layers

    def forward(self, x: Any) -> Tensor:
        out: Tensor = self.layers(x)
        return out
