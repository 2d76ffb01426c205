"""Weight initialisation: fill a Tensor in place, from an explicit seed or Generator.

Every function works under ``no_grad`` on the tensor it is given (a Parameter
included) and returns it. ``rng`` is an int seed, a ``numpy.random.Generator``
or None (the generator ``ag.manual_seed`` resets); the same seed gives the same
values. Weights here have shape (in_features, out_features), since a layer
computes ``x @ W + b``: fan_in is ``shape[0]`` and fan_out ``shape[1]``.

>>> import autograd_lite as ag
>>> from autograd_lite import nn
>>> w = nn.init.xavier_uniform_(ag.zeros(784, 100), rng=0)
>>> float(abs(w).max()) <= (6 / (784 + 100)) ** 0.5
True
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..autograd import no_grad
from ..creation import as_generator
from ..tensor import Tensor

__all__ = ["zeros_", "constant_", "uniform_", "normal_", "xavier_uniform_", "xavier_normal_",
           "kaiming_uniform_", "kaiming_normal_", "calculate_gain", "get_initializer",
           "INIT_NAMES", "Seed", "Initializer"]

Seed = int | np.random.Generator | None
Initializer = Callable[..., Tensor]
"""``fn(tensor, rng=seed_or_generator)`` filling ``tensor`` in place and returning it."""

_GAINS = {"linear": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3.0, "relu": math.sqrt(2.0)}


def _fill(what: str, tensor: Any, draw: Callable[[tuple[int, ...]], Any]) -> Tensor:
    """Set ``tensor`` to ``draw(tensor.shape)`` in place, outside the graph."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{what}: expects a Tensor to fill in place, got "
                        f"{type(tensor).__name__}; e.g. {what}(ag.zeros(3, 4))")
    if tensor.dtype.kind != "f":
        raise TypeError(f"{what}: the tensor is {tensor.dtype}; only floating-point tensors "
                        "can be initialised")
    with no_grad():
        tensor[...] = draw(tensor.shape)
    return tensor


def _fans(what: str, tensor: Any) -> tuple[int, int]:
    shape = tensor.shape if isinstance(tensor, Tensor) else ()
    if len(shape) != 2:
        raise ValueError(f"{what}: needs a 2-D weight of shape (in_features, out_features) to "
                         f"know fan_in and fan_out, got shape {shape}; use uniform_/normal_ "
                         "for other shapes")
    return shape[0], shape[1]


def calculate_gain(nonlinearity: str) -> float:
    """The gain that keeps activations' variance steady through ``nonlinearity``.

    >>> calculate_gain("relu"), calculate_gain("tanh")
    (1.4142135623730951, 1.6666666666666667)
    """
    if nonlinearity not in _GAINS:
        raise ValueError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}; valid: "
                         f"{', '.join(map(repr, _GAINS))}")
    return _GAINS[nonlinearity]


def zeros_(tensor: Tensor, rng: Seed = None) -> Tensor:
    """Fill with zeros (``rng`` is ignored; it is there so every initializer is called alike).

    >>> import autograd_lite as ag
    >>> zeros_(ag.ones(2))
    tensor([0., 0.], dtype=float32)
    """
    return _fill("zeros_", tensor, lambda shape: 0.0)


def constant_(tensor: Tensor, value: float, rng: Seed = None) -> Tensor:
    """Fill with ``value`` (``rng`` is ignored, as for ``zeros_``).

    >>> import autograd_lite as ag
    >>> constant_(ag.zeros(2), 0.5)
    tensor([0.5, 0.5], dtype=float32)
    """
    return _fill("constant_", tensor, lambda shape: value)


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, rng: Seed = None) -> Tensor:
    """Fill with samples from U(a, b).

    >>> import autograd_lite as ag
    >>> w = uniform_(ag.zeros(1000), -0.1, 0.1, rng=0)
    >>> -0.1 <= float(w.min()) and float(w.max()) < 0.1
    True
    """
    if not a < b:
        raise ValueError(f"uniform_: needs a < b, got a={a}, b={b}")
    return _fill("uniform_", tensor, lambda shape: as_generator(rng).uniform(a, b, shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, rng: Seed = None) -> Tensor:
    """Fill with samples from N(mean, std²).

    >>> import autograd_lite as ag
    >>> w = normal_(ag.zeros(10000), 0.0, 0.01, rng=0)
    >>> round(float(w.data.std()), 3)
    0.01
    """
    if not std >= 0:
        raise ValueError(f"normal_: std must be >= 0, got {std}")
    return _fill("normal_", tensor, lambda shape: as_generator(rng).normal(mean, std, shape))


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, rng: Seed = None) -> Tensor:
    """Glorot & Bengio (2010): U(−a, a) with a = gain·√(6 / (fan_in + fan_out)).

    >>> import autograd_lite as ag
    >>> w = xavier_uniform_(ag.zeros(3, 5), rng=0); float(abs(w).max()) <= 6 ** 0.5 / 8 ** 0.5
    True
    """
    fan_in, fan_out = _fans("xavier_uniform_", tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return _fill("xavier_uniform_", tensor,
                 lambda shape: as_generator(rng).uniform(-bound, bound, shape))


def xavier_normal_(tensor: Tensor, gain: float = 1.0, rng: Seed = None) -> Tensor:
    """Glorot & Bengio (2010): N(0, std²) with std = gain·√(2 / (fan_in + fan_out)).

    >>> import autograd_lite as ag
    >>> w = xavier_normal_(ag.zeros(400, 400), rng=0)
    >>> round(float(w.data.std()) * 20, 2)    # std = √(2/800) = 1/20
    1.0
    """
    fan_in, fan_out = _fans("xavier_normal_", tensor)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return _fill("xavier_normal_", tensor, lambda shape: as_generator(rng).normal(0.0, std, shape))


def _kaiming_std(what: str, tensor: Tensor, mode: str, nonlinearity: str) -> float:
    fan_in, fan_out = _fans(what, tensor)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{what}: mode must be 'fan_in' or 'fan_out', not {mode!r}")
    return calculate_gain(nonlinearity) / math.sqrt(fan_in if mode == "fan_in" else fan_out)


def kaiming_uniform_(tensor: Tensor, mode: str = "fan_in", nonlinearity: str = "relu",
                     rng: Seed = None) -> Tensor:
    """He et al. (2015): U(−a, a) with a = gain·√(3 / fan), gain √2 for relu.

    >>> import autograd_lite as ag
    >>> w = kaiming_uniform_(ag.zeros(6, 4), rng=0); float(abs(w).max()) <= 1.0  # √2·√(3/6)
    True
    """
    bound = math.sqrt(3.0) * _kaiming_std("kaiming_uniform_", tensor, mode, nonlinearity)
    return _fill("kaiming_uniform_", tensor,
                 lambda shape: as_generator(rng).uniform(-bound, bound, shape))


def kaiming_normal_(tensor: Tensor, mode: str = "fan_in", nonlinearity: str = "relu",
                    rng: Seed = None) -> Tensor:
    """He et al. (2015): N(0, std²) with std = gain / √fan, gain √2 for relu.

    >>> import autograd_lite as ag
    >>> w = kaiming_normal_(ag.zeros(200, 500), rng=0)
    >>> round(float(w.data.std()) * 10, 2)     # std = √2/√200 = 1/10
    1.0
    """
    std = _kaiming_std("kaiming_normal_", tensor, mode, nonlinearity)
    return _fill("kaiming_normal_", tensor, lambda shape: as_generator(rng).normal(0.0, std, shape))


_BY_NAME: dict[str, Initializer] = {
    "zeros": zeros_,
    "normal": lambda t, rng=None: normal_(t, 0.0, 0.01, rng=rng),
    "xavier-uniform": xavier_uniform_,
    "xavier-normal": xavier_normal_,
    "kaiming-uniform": kaiming_uniform_,
    "kaiming-normal": kaiming_normal_,
}
INIT_NAMES: tuple[str, ...] = tuple(_BY_NAME)
"""The names ``Linear``, ``MLP`` and the CLI's ``--init`` accept."""


def get_initializer(init: str | Initializer) -> Initializer:
    """The weight initializer for a name in ``INIT_NAMES``, or ``init`` itself if callable.

    "normal" is N(0, 0.01²); "kaiming-*" assume relu (gain √2). A callable is
    called as ``init(weight, rng=generator)`` and must fill it in place.

    >>> import autograd_lite as ag
    >>> get_initializer("zeros")(ag.ones(2), rng=0)
    tensor([0., 0.], dtype=float32)
    >>> get_initializer("glorot")
    Traceback (most recent call last):
    ...
    ValueError: init: unknown initializer 'glorot'; valid names: 'zeros', 'normal', ...
    """
    if callable(init):
        return init
    if init not in _BY_NAME:
        raise ValueError(f"init: unknown initializer {init!r}; valid names: "
                         f"{', '.join(map(repr, INIT_NAMES))} (or pass a callable "
                         "fn(weight, rng=...))")
    return _BY_NAME[init]
