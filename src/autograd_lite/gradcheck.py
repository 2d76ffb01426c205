"""Check analytic gradients against central differences, in float64.

``gradcheck`` builds the full Jacobian both ways (one backward per output
element, two forwards per input element) and reports the worst element.

>>> import autograd_lite as ag
>>> x = ag.tensor([0.5, -1.0], dtype="float64", requires_grad=True)
>>> ag.gradcheck(lambda x: (x.tanh() * x).sum(), x)
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .autograd import enable_grad, grad_of, no_grad
from .tensor import Tensor

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError", "GradcheckReport"]


class GradcheckError(AssertionError):
    """The analytic and numerical gradients disagree (the message says where)."""


@dataclass(frozen=True)
class GradcheckReport:
    """Where the two Jacobians differ most: input, element, and both values."""

    input_index: int
    input_name: str | None
    element: tuple[int, ...]
    output_element: int
    analytic: float
    numerical: float

    def __str__(self) -> str:
        name = f" ({self.input_name!r})" if self.input_name else ""
        return (f"gradient of output element {self.output_element} w.r.t. input "
                f"{self.input_index}{name} at index {self.element}: analytic {self.analytic:.8g}"
                f" vs numerical {self.numerical:.8g} (difference "
                f"{abs(self.analytic - self.numerical):.3g})")


def _outputs(fn: Callable[..., Any], args: Sequence[Any]) -> list[Tensor]:
    out = fn(*args)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    for o in outs:
        if not isinstance(o, Tensor):
            raise TypeError(f"gradcheck: fn must return a Tensor or a tuple of Tensors, "
                            f"got {type(o).__name__}")
    return outs


def _flat_output(fn: Callable[..., Any], args: Sequence[Any]) -> np.ndarray:
    with no_grad():
        return np.concatenate([o.data.astype(np.float64).ravel() for o in _outputs(fn, args)])


def _check_inputs(inputs: Sequence[Any]) -> list[int]:
    checked = []
    for i, x in enumerate(inputs):
        if not isinstance(x, Tensor) or not x.requires_grad:
            continue
        if x.dtype != np.float64:
            raise TypeError(
                f"gradcheck: input {i} is {x.dtype}; central differences need float64 to be "
                "accurate. Convert it first: ag.tensor(data, dtype='float64', "
                "requires_grad=True) or x.detach().double().requires_grad_()")
        checked.append(i)
    if not checked:
        raise ValueError("gradcheck: no input requires grad; pass Tensors with "
                         "requires_grad=True")
    return checked


def _analytic(fn: Callable[..., Any], inputs: Sequence[Any], checked: list[int]) -> list[np.ndarray]:
    targets = [inputs[i] for i in checked]
    with enable_grad():
        outs = _outputs(fn, inputs)
    sizes = [o.size for o in outs]
    jac = [np.zeros((sum(sizes), t.size)) for t in targets]
    row = 0
    for o in outs:
        for j in range(o.size):
            if o.requires_grad:
                seed = np.zeros(o.size, dtype=o.dtype)
                seed[j] = 1
                grads = grad_of([o], [seed.reshape(o.shape)], inputs=targets, retain_graph=True)
                for col, g in zip(jac, grads):
                    if g is not None:
                        col[row] = g.data.ravel()
            row += 1
    return jac


def _numerical(fn: Callable[..., Any], inputs: Sequence[Any], checked: list[int],
               eps: float) -> list[np.ndarray]:
    jac = []
    for i in checked:
        x = inputs[i]
        data = x.data  # perturb in place (also non-contiguous data), restore afterwards
        cols = []
        for j in np.ndindex(data.shape):  # C order, like the analytic Jacobian's ravel()
            orig = data[j]
            data[j] = orig + eps
            plus = _flat_output(fn, inputs)
            data[j] = orig - eps
            minus = _flat_output(fn, inputs)
            data[j] = orig
            cols.append((plus - minus) / (2 * eps))
        jac.append(np.stack(cols, axis=1) if cols
                   else np.zeros((_flat_output(fn, inputs).size, 0)))  # empty input
    return jac


def gradcheck(fn: Callable[..., Any], *inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """True if the gradients of ``fn`` at ``inputs`` match central differences.

    Every float64 Tensor input with ``requires_grad`` is checked, element by
    element: ``|analytic - numerical| <= atol + rtol * |numerical|``. On a
    mismatch raises :class:`GradcheckError` naming the input, the worst element
    and both values (or returns False with ``raise_exception=False``).

    >>> import autograd_lite as ag
    >>> x = ag.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    >>> ag.gradcheck(lambda x: x ** 3, x)
    True
    """
    checked = _check_inputs(inputs)
    analytic = _analytic(fn, inputs, checked)
    numerical = _numerical(fn, inputs, checked, eps)
    worst: GradcheckReport | None = None
    worst_excess = 0.0
    for i, a, n in zip(checked, analytic, numerical):
        excess = np.abs(a - n) - (atol + rtol * np.abs(n))
        excess = np.where(np.isnan(a) != np.isnan(n), np.inf, np.nan_to_num(excess, nan=0.0))
        if excess.size and excess.max() > worst_excess:
            r, c = np.unravel_index(int(np.argmax(excess)), excess.shape)
            worst_excess = float(excess.max())
            x = inputs[i]
            worst = GradcheckReport(i, x.name, tuple(int(k) for k in np.unravel_index(c, x.shape)),
                                    int(r), float(a[r, c]), float(n[r, c]))
    if worst is None:
        return True
    if raise_exception:
        raise GradcheckError(f"gradcheck failed: {worst}")
    return False


def gradgradcheck(fn: Callable[..., Any], *inputs: Any, seed: int = 0, eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """Check second derivatives: gradcheck of ``v ↦ vᵀ·J`` built with create_graph.

    A random cotangent ``v`` (from ``seed``) is applied to every output; the
    resulting first-order gradients must themselves differentiate correctly.

    >>> import autograd_lite as ag
    >>> x = ag.tensor([0.3, 0.7], dtype="float64", requires_grad=True)
    >>> ag.gradgradcheck(lambda x: x.sigmoid() * x, x)
    True
    """
    checked = _check_inputs(inputs)
    rng = np.random.default_rng(seed)
    with no_grad():
        cotangents = [rng.standard_normal(o.shape) for o in _outputs(fn, inputs)]

    def first_order(*args: Any) -> tuple[Tensor, ...]:
        targets = [args[i] for i in checked]
        with enable_grad():
            outs = _outputs(fn, args)
            live = [(o, v) for o, v in zip(outs, cotangents) if o.requires_grad]
            grads = grad_of([o for o, _ in live], [v.astype(o.dtype) for o, v in live],
                            inputs=targets, create_graph=True) if live else [None] * len(targets)
        return tuple(g if g is not None else Tensor._wrap(np.zeros_like(t.data))
                     for g, t in zip(grads, targets))

    return gradcheck(first_order, *inputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
