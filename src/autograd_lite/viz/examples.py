"""The two-layer sigmoid network of the backprop derivation, with every node named.

``u1 = x·w1, u2 = u1 + b1, u3 = σ(u2), u4 = u3·w2, u5 = u4 + b2, ŷ = σ(u5)``
and a loss ``L`` (squared error or binary cross-entropy), so that
``∂L/∂w1 = L'(ŷ)·σ'(u5)·w2·σ'(u2)·x``. ``two_layer`` builds it from a seed
as Tensors (``kind="tensor"``) or scalar ``Value``s (``kind="value"``);
``viz.draw_graph``, ``viz.explain``, the notebooks and ``autograd-lite graph
--example two-layer`` all use it.

>>> loss, nodes = two_layer(kind="value")
>>> sorted(nodes)[:6]
['L', 'b1', 'b2', 'e', 'u1', 'u2']
>>> round(loss.data, 4), nodes["u3"].label
(0.3779, 'u3')
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["two_layer", "LOSSES", "KINDS", "PARAMETERS"]

LOSSES = ("mse", "cross-entropy")
KINDS = ("tensor", "value")
PARAMETERS = ("w1", "b1", "w2", "b2")
"""The leaves that require grad (``x`` and the target ``y`` do not, for Tensors)."""


def _draws(seed: int, n_in: int, n_hidden: int) -> dict[str, np.ndarray]:
    """The leaves' numbers; one draw order for both kinds, so sizes 1 give equal numbers."""
    rng = np.random.default_rng(seed)
    return {
        "x": rng.normal(size=(1, n_in)),
        "w1": rng.normal(size=(n_in, n_hidden)),
        "b1": rng.normal(size=(n_hidden,)),
        "w2": rng.normal(size=(n_hidden, 1)),
        "b2": rng.normal(size=(1,)),
        "y": np.ones((1, 1)),
    }


def two_layer(
    kind: str = "tensor",
    loss: str = "mse",
    seed: int = 0,
    *,
    n_in: int | None = None,
    n_hidden: int | None = None,
    dtype: Any = "float64",
) -> tuple[Any, dict[str, Any]]:
    """Build the two-layer network and its loss; return ``(L, nodes by name)``.

    ``kind="tensor"``: ``x`` (1, n_in), ``w1`` (n_in, n_hidden), ``b1``
    (n_hidden,), ``w2`` (n_hidden, 1), ``b2`` (1,), target ``y`` = 1 of shape
    (1, 1), in ``dtype``; ``w1 b1 w2 b2`` require grad, and every tensor has
    its ``.name`` set (sizes default to 2). ``kind="value"``: the same network
    on scalars (sizes 1), every node with its ``.label`` set. With
    sizes 1 both kinds hold the same numbers, drawn from ``seed``.

    ``loss="mse"``: ``e = ŷ − y``, ``L = e²`` (Tensors: ``e² = e**2``,
    ``L = mean(e²)``). ``loss="cross-entropy"``: the binary cross-entropy
    ``L = −(y·ln ŷ + (1−y)·ln(1−ŷ))`` written out op by op (Tensors: then
    the mean over the batch of one).

    Nothing is backpropagated: call ``L.backward()`` (``retain_graph=True``
    to draw gradients afterwards) when you need ``.grad``.

    >>> L, n = two_layer(kind="tensor", loss="cross-entropy", seed=0)
    >>> n["u1"].shape, n["w1"].requires_grad, n["x"].requires_grad, L.name
    ((1, 2), True, False, 'L')
    >>> L1, _ = two_layer(kind="tensor", n_in=1, n_hidden=1)
    >>> V, _ = two_layer(kind="value")
    >>> abs(L1.item() - V.data) < 1e-12
    True
    """
    if kind not in KINDS:
        raise ValueError(f"two_layer: kind must be one of {', '.join(map(repr, KINDS))}, "
                         f"not {kind!r}")
    if loss not in LOSSES:
        raise ValueError(f"two_layer: loss must be one of {', '.join(map(repr, LOSSES))}, "
                         f"not {loss!r}")
    default = 2 if kind == "tensor" else 1
    n_in = default if n_in is None else n_in
    n_hidden = default if n_hidden is None else n_hidden
    if kind == "value" and (n_in, n_hidden) != (1, 1):
        raise ValueError(f"two_layer: a Value network is scalar, so n_in and n_hidden must be "
                         f"1, got n_in={n_in}, n_hidden={n_hidden}; use kind='tensor' for "
                         "wider layers")
    if n_in < 1 or n_hidden < 1:
        raise ValueError(f"two_layer: n_in and n_hidden must be >= 1, got n_in={n_in}, "
                         f"n_hidden={n_hidden}")
    draws = _draws(seed, n_in, n_hidden)
    nodes: dict[str, Any] = {}
    if kind == "tensor":
        from ..tensor import Tensor

        for key, values in draws.items():
            nodes[key] = Tensor(values, requires_grad=key in PARAMETERS, dtype=dtype, name=key)
    else:
        from ..scalar import Value

        for key, values in draws.items():
            nodes[key] = Value(float(values.item()), label=key)
    attribute = "name" if kind == "tensor" else "label"

    def name(label: str, t: Any) -> Any:
        setattr(t, attribute, label)
        nodes[label] = t
        return t

    x, w1, b1, w2, b2, y = (nodes[k] for k in ("x", "w1", "b1", "w2", "b2", "y"))
    if kind == "tensor":
        u1 = name("u1", x @ w1)
        u4_of = (lambda u3: u3 @ w2)
    else:
        u1 = name("u1", x * w1)
        u4_of = (lambda u3: u3 * w2)
    u2 = name("u2", u1 + b1)
    u3 = name("u3", u2.sigmoid())
    u4 = name("u4", u4_of(u3))
    u5 = name("u5", u4 + b2)
    y_hat = name("ŷ", u5.sigmoid())
    if loss == "mse":
        e = name("e", y_hat - y)
        if kind == "tensor":
            out = name("L", name("e²", e ** 2).mean())
        else:
            out = name("L", e ** 2)
    else:
        not_y = name("1−y", 1 - y)
        log_y_hat = name("ln ŷ", y_hat.log())
        log_not_y_hat = name("ln(1−ŷ)", name("1−ŷ", 1 - y_hat).log())
        total = name("s", name("y·ln ŷ", y * log_y_hat)
                     + name("(1−y)·ln(1−ŷ)", not_y * log_not_y_hat))
        if kind == "tensor":
            out = name("L", name("−s", -total).mean())
        else:
            out = name("L", -total)
    return out, nodes
