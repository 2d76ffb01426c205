"""Random graphs of registered ops, for the viz.explain and viz.steps property tests."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from hypothesis import strategies as st

import autograd_lite as ag
from autograd_lite.scalar import Value
from autograd_lite.testing import tensors

# ---------------------------------------------------------------- random Value graphs

# Each op takes two earlier nodes (the second may be ignored); all are smooth on
# the values they can meet, so central differences are accurate.
VALUE_OPS: dict[str, Callable[[Value, Value], Value]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1),
    "tanh": lambda a, b: a.tanh(),
    "sigmoid": lambda a, b: a.sigmoid(),
    "square": lambda a, b: a ** 2,
    "exp_tanh": lambda a, b: a.tanh().exp(),
    "neg": lambda a, b: -a,
}


@st.composite
def value_recipes(draw: st.DrawFn) -> tuple[list[float], list[tuple[str, int, int]]]:
    leaves = draw(st.lists(st.floats(-2, 2), min_size=1, max_size=3))
    recipe = []
    for n in range(len(leaves), len(leaves) + draw(st.integers(1, 12))):
        recipe.append((draw(st.sampled_from(sorted(VALUE_OPS))), draw(st.integers(0, n - 1)),
                       draw(st.integers(0, n - 1))))
    return leaves, recipe


def build_values(xs: list[Value], recipe: list[tuple[str, int, int]]) -> Value:
    nodes = list(xs)
    for op, i, j in recipe:
        nodes.append(VALUE_OPS[op](nodes[i], nodes[j]))
    return nodes[-1] + nodes[len(xs) - 1] * 0.5  # the root depends on the last leaf at least


# ---------------------------------------------------------------- random Tensor graphs

# (name, function of two earlier nodes); inputs are float64 Tensors of shapes that broadcast.
TENSOR_OPS: list[tuple[str, Callable[[ag.Tensor, ag.Tensor], ag.Tensor]]] = [
    ("add", lambda a, b: a + b),
    ("sub", lambda a, b: a - b),
    ("mul", lambda a, b: a * b),
    ("div", lambda a, b: a / (b * b + 1.0)),
    ("tanh", lambda a, b: a.tanh()),
    ("sigmoid", lambda a, b: a.sigmoid()),
    ("exp", lambda a, b: (a * 0.3).exp()),
    ("square", lambda a, b: a ** 2),
    ("mean_keepdims", lambda a, b: a.mean(axis=-1, keepdims=True) * b),
    ("sigmoid_minus_tanh", lambda a, b: a.sigmoid() * 2.0 - b.tanh()),
]
SHAPES = [(2, 3), (3,), (1, 3), (2, 1)]


@st.composite
def tensor_recipes(draw: st.DrawFn):
    leaves = [draw(tensors(shape=st.sampled_from(SHAPES), min_value=-2, max_value=2))
              for _ in range(draw(st.integers(1, 3)))]
    recipe = []
    for n in range(len(leaves), len(leaves) + draw(st.integers(1, 7))):
        recipe.append((draw(st.integers(0, len(TENSOR_OPS) - 1)), draw(st.integers(0, n - 1)),
                       draw(st.integers(0, n - 1))))
    return leaves, recipe, draw(st.booleans())


def build_tensors(xs: list[ag.Tensor], recipe, matmul_last: bool) -> ag.Tensor:
    nodes = list(xs)
    for k, i, j in recipe:
        nodes.append(TENSOR_OPS[k][1](nodes[i], nodes[j]))
    out = nodes[-1] + xs[-1] * 0.5
    if matmul_last:  # a matmul and a transpose on the way to the root
        out = ag.tensor(np.linspace(-1, 1, 6).reshape(3, 2)).T @ out.reshape(-1, 1) if out.ndim \
            else out
    return out.sum()
