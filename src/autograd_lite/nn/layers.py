"""Layers: Linear, Sequential, the activations, Identity, Flatten and Dropout.

>>> import autograd_lite as ag
>>> from autograd_lite import nn
>>> model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3, rng=0), nn.Sigmoid())
>>> model(ag.ones(2, 2, 2)).shape
(2, 3)
>>> model
Sequential(
  (0): Flatten(start_axis=1)
  (1): Linear(in_features=4, out_features=3, bias=True)
  (2): Sigmoid()
)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from ..creation import as_generator
from ..ops import flatten, linear, log_softmax, relu, sigmoid, softmax, tanh
from ..tensor import Tensor, get_default_dtype
from . import functional as F
from .init import Initializer, Seed, get_initializer
from .module import Module, Parameter

__all__ = ["Linear", "Sequential", "Identity", "Flatten", "Dropout", "Sigmoid", "ReLU", "Tanh",
           "Softmax", "LogSoftmax"]


def _check_size(op: str, what: str, n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{op}: {what} must be a positive int, got {n!r}")
    return int(n)


class Linear(Module):
    """``y = x @ W + b``, one fused ``linear`` op; W has shape (in_features, out_features).

    The weight starts from ``init`` (a name in ``nn.init.INIT_NAMES`` or a
    callable ``fn(weight, rng=...)``) drawn from ``rng`` (seed or Generator);
    the bias starts at zero.

    >>> import autograd_lite as ag
    >>> layer = Linear(784, 100, rng=0)
    >>> layer.weight.shape, layer.bias.shape, layer(ag.zeros(32, 784)).shape
    ((784, 100), (100,), (32, 100))
    """

    weight: Parameter
    bias: Parameter | None

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 init: str | Initializer = "xavier-uniform", rng: Seed = None) -> None:
        super().__init__()
        self.in_features = _check_size("Linear", "in_features", in_features)
        self.out_features = _check_size("Linear", "out_features", out_features)
        dtype = get_default_dtype()
        self.weight = Parameter(np.zeros((self.in_features, self.out_features), dtype))
        get_initializer(init)(self.weight, rng=rng)
        self.bias = Parameter(np.zeros(self.out_features, dtype)) if bias else None

    def forward(self, x: Any) -> Tensor:
        return linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Sequential(Module):
    """Run modules in order, each on the previous one's output; they are named "0", "1", ...

    >>> import autograd_lite as ag
    >>> model = Sequential(Linear(2, 2, rng=0), ReLU())
    >>> len(model), model[-1]
    (2, ReLU())
    """

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for module in modules:
            self.append(module)

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end (named by its position); returns self.

        >>> len(Sequential().append(ReLU()))
        1
        """
        if not isinstance(module, Module):
            raise TypeError(f"Sequential: item {len(self)} is a {type(module).__name__}, not a "
                            "Module; wrap functions in a module (e.g. nn.ReLU() instead of "
                            "ag.relu)")
        setattr(self, str(len(self)), module)
        return self

    def __len__(self) -> int:
        return len(self._child_names)

    def __iter__(self) -> Iterator[Module]:
        return self.children()

    def __getitem__(self, index: int | slice) -> Any:
        modules = list(self.children())
        if isinstance(index, slice):
            return Sequential(*modules[index])
        try:
            return modules[index]
        except IndexError:
            raise IndexError(f"Sequential: index {index} is out of range for {len(modules)} "
                             "modules") from None

    def forward(self, x: Any) -> Any:
        modules = self.__dict__
        for name in self._child_names:
            x = modules[name](x)
        return x


class Identity(Module):
    """Return the input unchanged (a placeholder layer).

    >>> import autograd_lite as ag
    >>> x = ag.ones(2); Identity()(x) is x
    True
    """

    def forward(self, x: Any) -> Any:
        return x


class Flatten(Module):
    """Merge the axes from ``start_axis`` on: (N, 28, 28) -> (N, 784) by default.

    >>> import autograd_lite as ag
    >>> Flatten()(ag.zeros(5, 28, 28)).shape
    (5, 784)
    """

    def __init__(self, start_axis: int = 1) -> None:
        super().__init__()
        self.start_axis = start_axis

    def forward(self, x: Any) -> Tensor:
        return flatten(x, self.start_axis)

    def extra_repr(self) -> str:
        return f"start_axis={self.start_axis}"


class Dropout(Module):
    """Inverted dropout while training (drop with probability ``p``, scale by 1/(1−p));
    the identity in ``eval()`` mode or when ``p=0``.

    ``rng``: a seed or Generator, drawn from on every call (None: the generator
    ``ag.manual_seed`` resets).

    >>> import autograd_lite as ag
    >>> drop = Dropout(0.5, rng=0)
    >>> drop(ag.ones(6))
    tensor([2., 0., 0., 0., 2., 2.], dtype=float32)
    >>> drop.eval()(ag.ones(3))
    tensor([1., 1., 1.], dtype=float32)
    """

    def __init__(self, p: float = 0.5, rng: Seed = None) -> None:
        super().__init__()
        self.p = F.check_dropout_p("Dropout", p)
        # A seed becomes one Generator here, so successive calls draw new masks.
        self.rng = None if rng is None else as_generator(rng)

    def forward(self, x: Any) -> Any:
        return F.dropout(x, self.p, self.training, self.rng)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Sigmoid(Module):
    """``1 / (1 + e^−x)`` elementwise.

    >>> import autograd_lite as ag
    >>> Sigmoid()(ag.zeros(2))
    tensor([0.5, 0.5], dtype=float32)
    """

    def forward(self, x: Any) -> Tensor:
        return sigmoid(x)


class ReLU(Module):
    """``max(x, 0)`` elementwise.

    >>> import autograd_lite as ag
    >>> ReLU()(ag.tensor([-1.0, 2.0]))
    tensor([0., 2.], dtype=float32)
    """

    def forward(self, x: Any) -> Tensor:
        return relu(x)


class Tanh(Module):
    """``tanh(x)`` elementwise.

    >>> import autograd_lite as ag
    >>> Tanh()(ag.zeros(1))
    tensor([0.], dtype=float32)
    """

    def forward(self, x: Any) -> Tensor:
        return tanh(x)


class Softmax(Module):
    """Softmax along ``axis`` (stable for large inputs).

    >>> import autograd_lite as ag
    >>> Softmax()(ag.zeros(1, 4))
    tensor([[0.25, 0.25, 0.25, 0.25]], dtype=float32)
    """

    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        self.axis = axis

    def forward(self, x: Any) -> Tensor:
        return softmax(x, self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class LogSoftmax(Module):
    """Log-softmax along ``axis`` (stable); pair it with ``NLLLoss``.

    >>> import autograd_lite as ag
    >>> LogSoftmax()(ag.zeros(1, 2))
    tensor([[-0.6931, -0.6931]], dtype=float32)
    """

    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        self.axis = axis

    def forward(self, x: Any) -> Tensor:
        return log_softmax(x, self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"
