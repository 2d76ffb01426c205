"""micrograd's ``nn`` module on top of ``autograd_lite.scalar.Value``.

Replace ``from micrograd.engine import Value`` / ``from micrograd.nn import ...``
with imports from here and micrograd code runs unchanged. Weights are drawn with
``random.uniform(-1, 1)`` in micrograd's order, so a given ``random.seed`` gives
the same network as micrograd.

>>> model = MLP(2, [3, 1])
>>> model
MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2), ReLUNeuron(2)], Layer of [LinearNeuron(3)]]
>>> len(model.parameters())
13
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from autograd_lite.scalar import Value

__all__ = ["MLP", "Layer", "Module", "Neuron", "Value"]


class Module:
    """Base class: ``parameters()`` and ``zero_grad()``.

    >>> isinstance(MLP(2, [1]), Module)
    True
    """

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0.

        >>> n = Neuron(2); n.b.grad = 1.0; n.zero_grad(); n.b.grad
        0.0
        """
        for p in self.parameters():
            p.grad = 0.0

    def parameters(self) -> list[Value]:
        """The trainable Values (none for the base class).

        >>> Module().parameters()
        []
        """
        return []


class Neuron(Module):
    """``act = sum(w_i * x_i) + b``, followed by ReLU if ``nonlin``.

    >>> n = Neuron(2, nonlin=False)
    >>> n.w[0].data = 2.0; n.w[1].data = -1.0
    >>> n([3.0, 1.0])
    Value(data=5.0, grad=0.0)
    """

    def __init__(self, nin: int, nonlin: bool = True) -> None:
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0)
        self.nonlin = nonlin

    def __call__(self, x: Sequence[Value | float]) -> Value:
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.relu() if self.nonlin else act

    def parameters(self) -> list[Value]:
        """Weights then bias.

        >>> len(Neuron(3).parameters())
        4
        """
        return self.w + [self.b]

    def __repr__(self) -> str:
        return f"{'ReLU' if self.nonlin else 'Linear'}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons sharing input; returns a list, or one Value if ``nout == 1``.

    >>> Layer(2, 3)
    Layer of [ReLUNeuron(2), ReLUNeuron(2), ReLUNeuron(2)]
    """

    def __init__(self, nin: int, nout: int, **kwargs: Any) -> None:
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        """All neurons' parameters, neuron by neuron.

        >>> len(Layer(2, 3).parameters())
        9
        """
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """Layers of sizes ``nouts``; ReLU everywhere except the last layer (linear).

    >>> MLP(2, [2, 1])
    MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2)], Layer of [LinearNeuron(2)]]
    >>> MLP(2, [2, 1])([1.0, -1.0])._op  # one output: a Value, not a list
    '+'
    """

    def __init__(self, nin: int, nouts: list[int]) -> None:
        sz = [nin] + nouts
        self.layers = [
            Layer(sz[i], sz[i + 1], nonlin=i != len(nouts) - 1) for i in range(len(nouts))
        ]

    def __call__(self, x: Any) -> Any:
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self) -> list[Value]:
        """All layers' parameters, layer by layer.

        >>> len(MLP(2, [16, 16, 1]).parameters())
        337
        """
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
