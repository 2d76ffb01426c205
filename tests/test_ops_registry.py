"""Every op in the registry, enumerated: gradients, float32 forward, second order.

``SPECS`` maps each registered op name to a :class:`Spec`: a hypothesis
strategy of :class:`Case` (input values drawn in the op's domain, op
parameters drawn too, and a callable that builds the output from the input
Tensors through the PUBLIC API), the number of inputs, a note on the domain
and whether the inputs broadcast. The tests are parametrized over the table:

* ``test_gradcheck``: vjp against central differences in float64;
* ``test_float32_forward_and_grad_dtypes``: float32 forward (and gradients)
  agree with float64; outputs stay float32; ``x.grad.dtype == x.dtype``,
  also when float32 and float64 inputs are mixed;
* ``test_gradgradcheck``: second order through ``create_graph=True`` (the vjp
  rule run on Tensors).

Registering an op without adding a spec here fails
``test_every_registered_op_has_a_spec``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd_lite as ag
from autograd_lite.ops import normalize_index
from autograd_lite.registry import REGISTRY, numpy_ns, register, tensor_ns

# ---------------------------------------------------------------- spec types


@dataclass(frozen=True)
class Case:
    """One drawn instance of an op: input values, how to build the output, what to expect.

    ``inputs`` are the float64 values of the Tensor inputs (all exactly
    representable in float32, so float32 and float64 runs see the same
    numbers); ``fn(*tensors)`` builds the output through the public API with
    the drawn parameters baked in; ``requires[i]`` says whether input i
    requires grad (at least one does); ``out_dtype`` is the expected output
    dtype when it is not the inputs' (casts); ``eps`` the finite-difference step.
    """

    label: str
    inputs: tuple[np.ndarray, ...]
    requires: tuple[bool, ...]
    fn: Callable[..., ag.Tensor] = field(repr=False)
    out_dtype: Any = None
    eps: float = 1e-6


@dataclass(frozen=True)
class Spec:
    """How to test one registered op.

    ``n_inputs`` follows ``Op.n_inputs`` (-1: a sequence, drawn with 1-3
    tensors); ``constants`` counts non-differentiable inputs the case bakes
    into ``fn`` instead of passing as Tensors (``where``'s condition).
    ``second_order``: whether gradgradcheck is meaningful (smooth, or piecewise
    with values drawn away from the kinks).
    """

    cases: st.SearchStrategy[Case]
    n_inputs: int
    domain: str
    broadcasts: bool
    constants: int = 0
    second_order: bool = True


# ---------------------------------------------------------------- strategies

MAX_SIDE = 4
MAX_DIMS = 3


def floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    """Finite float32-representable values in [lo, hi] (the same in float32 and float64)."""
    lo32, hi32 = np.float32(lo), np.float32(hi)
    if lo32 < lo:
        lo32 = np.nextafter(lo32, np.float32(np.inf))
    if hi32 > hi:
        hi32 = np.nextafter(hi32, np.float32(-np.inf))
    return st.floats(float(lo32), float(hi32), width=32, allow_nan=False,
                     allow_infinity=False, allow_subnormal=False)


REAL = floats(-3, 3)
POSITIVE = floats(0.2, 5)
AWAY_FROM_ZERO = st.one_of(floats(-3, -0.1), floats(0.1, 3))  # kinks at 0


def shapes(min_dims: int = 0, max_dims: int = MAX_DIMS) -> st.SearchStrategy[tuple[int, ...]]:
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1,
                            max_side=MAX_SIDE)


def arrays(shape: tuple[int, ...], elements: st.SearchStrategy[float] = REAL
           ) -> st.SearchStrategy[np.ndarray]:
    return hnp.arrays(np.float64, shape, elements=elements)


def f32_exact(x: Any) -> np.ndarray:
    return np.asarray(x, dtype=np.float64).astype(np.float32).astype(np.float64)


def broadcastable(n: int) -> st.SearchStrategy[tuple[tuple[int, ...], ...]]:
    """``n`` mutually broadcastable shapes (0-d and size-1 axes included)."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=n, min_dims=0, max_dims=MAX_DIMS, min_side=1, max_side=MAX_SIDE,
    ).map(lambda bs: bs.input_shapes)


@st.composite
def requires_mask(draw: Any, n: int) -> tuple[bool, ...]:
    """Which of ``n`` inputs require grad: at least one, often all."""
    forced = draw(st.integers(0, n - 1))
    return tuple(i == forced or draw(st.booleans()) for i in range(n))


def signed(draw: Any, axis: int, ndim: int) -> int:
    """``axis`` as given or as its negative spelling."""
    return axis - ndim if draw(st.booleans()) else axis


@st.composite
def axis_arg(draw: Any, ndim: int) -> int | tuple[int, ...] | None:
    """A reduction axis: None, an int or a tuple (possibly empty), negatives allowed."""
    kinds = ["none", "tuple"] + (["int"] if ndim else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "none":
        return None
    if kind == "int":
        return signed(draw, draw(st.integers(0, ndim - 1)), ndim)
    axes = draw(st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim)) if ndim else []
    return tuple(signed(draw, a, ndim) for a in axes)


def reduced_count(shape: tuple[int, ...], axis: Any) -> int:
    if axis is None:
        return math.prod(shape)
    axes = (axis,) if isinstance(axis, int) else axis
    return math.prod(shape[a] for a in axes)


@st.composite
def distinct_values(draw: Any, shape: tuple[int, ...], gap: float = 0.2) -> np.ndarray:
    """Values that are pairwise at least ``gap`` apart (no ties for max/min)."""
    n = math.prod(shape)
    order = np.array(draw(st.permutations(range(n))), dtype=np.float64)
    jitter = draw(arrays((n,), floats(-0.1 * gap, 0.1 * gap)))
    return f32_exact(((order - n / 2) * 1.4 * gap + jitter).reshape(shape))


@st.composite
def indices(draw: Any, shape: tuple[int, ...]) -> tuple[str, Any]:
    """An index for ``x[...]``: basic (slices, ints, None, ...), integer arrays
    (with forced repeats), boolean masks (ndarray or Tensor), or a mix."""
    ndim = len(shape)
    # The simplest (first) kinds are the ones hypothesis draws most: repeats first.
    kinds = (["repeated", "bool_mask", "int_arrays"] if ndim else []) + \
        (["mixed"] if ndim >= 2 else []) + ["basic"]
    kind = draw(st.sampled_from(kinds))
    if kind == "basic":
        return kind, draw(hnp.basic_indices(shape, min_dims=0, allow_newaxis=True,
                                            allow_ellipsis=True))
    if kind == "int_arrays":
        arrays_ = draw(hnp.integer_array_indices(
            shape, result_shape=hnp.array_shapes(min_dims=1, max_dims=2, max_side=MAX_SIDE)))
        for a in arrays_:  # the last position repeats the first
            a.flat[-1] = a.flat[0]
        return kind, arrays_

    def repeated_picks(n: int) -> list[int]:
        picks = draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=4))
        picks.append(picks[draw(st.integers(0, len(picks) - 1))])  # at least one repeat
        return list(draw(st.permutations(picks)))

    if kind == "repeated":
        axis = draw(st.integers(0, ndim - 1))
        picks = repeated_picks(shape[axis])
        idx = picks if draw(st.booleans()) else np.array(picks)  # list or ndarray
        return kind, idx if axis == 0 and draw(st.booleans()) else \
            (slice(None),) * axis + (idx,)
    if kind == "bool_mask":
        k = draw(st.integers(1, ndim))
        mask = draw(hnp.arrays(np.bool_, shape[:k]))
        return kind, ag.tensor(mask) if draw(st.booleans()) else mask
    # mixed: a basic index on axis 0 with a repeated integer array on axis 1
    first = draw(st.one_of(st.integers(-shape[0], shape[0] - 1), st.slices(shape[0])))
    return kind, (first, np.array(repeated_picks(shape[1])))


# ---------------------------------------------------------------- spec builders

Variant = tuple[str, Callable[..., Any]]


def unary(variants: Sequence[Variant], elements: st.SearchStrategy[float] = REAL,
          domain: str = "real in [-3, 3]") -> Spec:
    """An elementwise op of one input, reached through each public spelling."""

    @st.composite
    def cases(draw: Any) -> Case:
        shape = draw(shapes())
        x = draw(arrays(shape, elements))
        label, fn = draw(st.sampled_from(variants))
        return Case(f"{label} on {shape}", (x,), (True,), fn)

    return Spec(cases(), n_inputs=1, domain=domain, broadcasts=False)


def binary(variants: Sequence[Variant], left: st.SearchStrategy[float] = REAL,
           right: st.SearchStrategy[float] = REAL, domain: str = "real in [-3, 3]") -> Spec:
    """A broadcasting elementwise op of two inputs."""

    @st.composite
    def cases(draw: Any) -> Case:
        sa, sb = draw(broadcastable(2))
        a, b = draw(arrays(sa, left)), draw(arrays(sb, right))
        label, fn = draw(st.sampled_from(variants))
        return Case(f"{label} on {sa}, {sb}", (a, b), draw(requires_mask(2)), fn)

    return Spec(cases(), n_inputs=2, domain=domain, broadcasts=True)


def choice(variants: Sequence[Variant]) -> Spec:
    """maximum/minimum: broadcast inputs that are never within 0.1 of each other."""

    @st.composite
    def cases(draw: Any) -> Case:
        sa, sb = draw(broadcastable(2))
        grid = st.integers(-3, 3).map(float)
        jitter = floats(-0.2, 0.2)
        # a on the integers, b half-way between them: |a - b| >= 0.1 everywhere.
        a = draw(arrays(sa, grid)) + draw(arrays(sa, jitter))
        b = draw(arrays(sb, grid)) + 0.5 + draw(arrays(sb, jitter))
        if draw(st.booleans()):
            a, b = -a, -b
        label, fn = draw(st.sampled_from(variants))
        return Case(f"{label} on {sa}, {sb}", (f32_exact(a), f32_exact(b)),
                    draw(requires_mask(2)), fn)

    return Spec(cases(), n_inputs=2, broadcasts=True,
                domain="a on integers ± 0.2, b half-way between: |a − b| ≥ 0.1, no ties")


def reduction(name: str, methods: bool = True, numpy_fn: Any = None, distinct: bool = False,
              ddof: bool = False, domain: str = "real in [-3, 3]") -> Spec:
    """A reduction over a random axis (None / int / tuple / negative) with keepdims."""
    function = getattr(ag, name)

    @st.composite
    def cases(draw: Any) -> Case:
        shape = draw(shapes())
        x = draw(distinct_values(shape)) if distinct else draw(arrays(shape))
        axis = draw(axis_arg(len(shape)))
        keepdims = draw(st.booleans())
        kw: dict[str, Any] = {"axis": axis, "keepdims": keepdims}
        if ddof:
            kw["ddof"] = draw(st.integers(0, min(1, reduced_count(shape, axis) - 1)))
        forms: list[Variant] = [(f"ag.{name}", lambda x: function(x, **kw))]
        if methods:
            forms.append((f"x.{name}", lambda x: getattr(x, name)(**kw)))
        if numpy_fn is not None:
            forms.append((f"np.{numpy_fn.__name__}", lambda x: numpy_fn(x, **kw)))
        label, fn = draw(st.sampled_from(forms))
        return Case(f"{label}(shape {shape}, {kw})", (x,), (True,), fn)

    return Spec(cases(), n_inputs=1, domain=domain, broadcasts=False)


def softmax_like(name: str) -> Spec:
    function = getattr(ag, name)

    @st.composite
    def cases(draw: Any) -> Case:
        shape = draw(shapes(min_dims=1))
        x = draw(arrays(shape))
        axis = signed(draw, draw(st.integers(0, len(shape) - 1)), len(shape))
        forms: list[Variant] = [(f"ag.{name}", lambda x: function(x, axis=axis)),
                                (f"x.{name}", lambda x: getattr(x, name)(axis))]
        if axis in (-1, len(shape) - 1):
            forms.append((f"ag.{name} default axis", function))
        label, fn = draw(st.sampled_from(forms))
        return Case(f"{label}(shape {shape}, axis={axis})", (x,), (True,), fn)

    return Spec(cases(), n_inputs=1, domain="real in [-3, 3]", broadcasts=False)


# ---------------------------------------------------------------- individual specs

@st.composite
def _clip_cases(draw: Any) -> Case:
    shape = draw(shapes())
    lo: float | None = draw(floats(-2, 1))
    hi: float | None = lo + draw(floats(0.5, 3))  # type: ignore[operator]
    which = draw(st.sampled_from(["both", "lo", "hi"]))
    lo, hi = (lo, None) if which == "lo" else (None, hi) if which == "hi" else (lo, hi)
    x = draw(arrays(shape))
    # Move values within 0.1 of a bound 0.25 up: away from both (hi - lo >= 0.5).
    for bound in (lo, hi):
        if bound is not None:
            x = np.where(np.abs(x - bound) < 0.1, x + 0.25, x)
    forms: list[Variant] = [("ag.clip", lambda x: ag.clip(x, lo, hi)),
                            ("x.clip", lambda x: x.clip(lo, hi)),
                            ("np.clip", lambda x: np.clip(x, lo, hi))]
    label, fn = draw(st.sampled_from(forms))
    return Case(f"{label}(shape {shape}, min={lo}, max={hi})", (f32_exact(x),), (True,), fn)


@st.composite
def _leaky_relu_cases(draw: Any) -> Case:
    shape = draw(shapes())
    x = draw(arrays(shape, AWAY_FROM_ZERO))
    slope = draw(floats(0, 2))
    forms: list[Variant] = [("ag.leaky_relu", lambda x: ag.leaky_relu(x, slope)),
                            ("x.leaky_relu", lambda x: x.leaky_relu(negative_slope=slope)),
                            ("ag.leaky_relu default slope", ag.leaky_relu)]
    label, fn = draw(st.sampled_from(forms))
    return Case(f"{label}(shape {shape}, slope={slope})", (x,), (True,), fn)


@st.composite
def _where_cases(draw: Any) -> Case:
    sc, sa, sb = draw(broadcastable(3))
    cond = draw(hnp.arrays(np.bool_, sc))
    a, b = draw(arrays(sa)), draw(arrays(sb))
    forms: list[Variant] = [("ag.where", lambda a, b: ag.where(cond, a, b)),
                            ("ag.where(Tensor cond)", lambda a, b: ag.where(ag.tensor(cond), a, b)),
                            ("np.where", lambda a, b: np.where(cond, a, b))]
    label, fn = draw(st.sampled_from(forms))
    return Case(f"{label} on cond {sc}, {sa}, {sb}", (a, b), draw(requires_mask(2)), fn)


@st.composite
def _astype_cases(draw: Any) -> Case:
    shape = draw(shapes())
    x = draw(arrays(shape))
    target = np.dtype(draw(st.sampled_from(["float32", "float64"])))
    forms: list[Variant] = [("x.to", lambda x: x.to(target)),
                            ("ag.ops.astype", lambda x: ag.ops.astype(x, target)),
                            ("x.float()" if target == np.float32 else "x.double()",
                             (lambda x: x.float()) if target == np.float32 else
                             (lambda x: x.double()))]
    label, fn = draw(st.sampled_from(forms))
    # The op is linear; a float32 output needs a larger step than 1e-6 to resolve.
    return Case(f"{label}({target}) on {shape}", (x,), (True,), fn, out_dtype=target, eps=1e-2)


@st.composite
def _matmul_cases(draw: Any) -> Case:
    m, k, n = (draw(st.integers(1, MAX_SIDE)) for _ in range(3))
    batch_a, batch_b = draw(hnp.mutually_broadcastable_shapes(
        num_shapes=2, min_dims=0, max_dims=MAX_DIMS - 2, min_side=1, max_side=3)).input_shapes
    sa = (k,) if draw(st.booleans()) else batch_a + (m, k)
    sb = (k,) if draw(st.booleans()) else batch_b + (k, n)
    forms: list[Variant] = [("a @ b", lambda a, b: a @ b), ("ag.matmul", ag.matmul),
                            ("np.matmul", np.matmul), ("a.matmul", lambda a, b: a.matmul(b))]
    label, fn = draw(st.sampled_from(forms))
    return Case(f"{label} on {sa}, {sb}", (draw(arrays(sa)), draw(arrays(sb))),
                draw(requires_mask(2)), fn)


@st.composite
def _reshape_cases(draw: Any) -> Case:
    shape = draw(shapes())
    size = math.prod(shape)
    n_dims = draw(st.integers(0 if size == 1 else 1, MAX_DIMS))
    dims, rest = [], size
    for _ in range(n_dims - 1):
        d = draw(st.sampled_from([q for q in range(1, rest + 1) if rest % q == 0]))
        dims.append(d)
        rest //= d
    if n_dims:
        dims.append(rest)
    new = list(draw(st.permutations(dims)))
    if new and draw(st.booleans()):
        new[draw(st.integers(0, len(new) - 1))] = -1
    new_shape = tuple(new)
    start = draw(st.integers(-max(len(shape), 1), max(len(shape), 1) - 1))
    forms: list[Variant] = [("ag.reshape", lambda x: ag.reshape(x, new_shape)),
                            ("x.reshape(*shape)", lambda x: x.reshape(*new_shape)),
                            ("np.reshape", lambda x: np.reshape(x, new_shape)),
                            (f"ag.flatten(start_axis={start})", lambda x: ag.flatten(x, start))]
    label, fn = draw(st.sampled_from(forms))
    return Case(f"{label} {shape} -> {new_shape}", (draw(arrays(shape)),), (True,), fn)


@st.composite
def _transpose_cases(draw: Any) -> Case:
    shape = draw(shapes())
    ndim = len(shape)
    perm = tuple(signed(draw, a, ndim) for a in draw(st.permutations(range(ndim))))
    forms: list[Variant] = [("ag.transpose(x, *axes)", lambda x: ag.transpose(x, *perm)),
                            ("x.transpose(*axes)", lambda x: x.transpose(*perm)),
                            ("np.transpose(x, axes)", lambda x: np.transpose(x, perm)),
                            ("x.T", lambda x: x.T), ("ag.transpose(x)", ag.transpose)]
    label, fn = draw(st.sampled_from(forms))
    return Case(f"{label} on {shape}, axes={perm}", (draw(arrays(shape)),), (True,), fn)


@st.composite
def _swapaxes_cases(draw: Any) -> Case:
    shape = draw(shapes(min_dims=1))
    ndim = len(shape)
    a1, a2 = (signed(draw, draw(st.integers(0, ndim - 1)), ndim) for _ in range(2))
    forms: list[Variant] = [("ag.swapaxes", lambda x: ag.swapaxes(x, a1, a2)),
                            ("x.swapaxes", lambda x: x.swapaxes(a1, a2)),
                            ("np.swapaxes", lambda x: np.swapaxes(x, a1, a2))]
    label, fn = draw(st.sampled_from(forms))
    return Case(f"{label}({a1}, {a2}) on {shape}", (draw(arrays(shape)),), (True,), fn)


@st.composite
def _squeeze_cases(draw: Any) -> Case:
    base = draw(shapes())
    ones = [draw(st.booleans()) for _ in base]
    shape = tuple(1 if o else s for o, s in zip(ones, base))
    ndim = len(shape)
    unit = [i for i, s in enumerate(shape) if s == 1]
    kind = draw(st.sampled_from(["none", "int", "tuple"] if unit else ["none", "tuple"]))
    axis: Any = None
    if kind == "int":
        axis = signed(draw, draw(st.sampled_from(unit)), ndim)
    elif kind == "tuple":
        axis = tuple(signed(draw, a, ndim)
                     for a in draw(st.lists(st.sampled_from(unit), unique=True))) if unit else ()
    forms: list[Variant] = [("ag.squeeze", lambda x: ag.squeeze(x, axis)),
                            ("x.squeeze", lambda x: x.squeeze(axis=axis)),
                            ("np.squeeze", lambda x: np.squeeze(x, axis=axis))]
    label, fn = draw(st.sampled_from(forms))
    return Case(f"{label}(axis={axis}) on {shape}", (draw(arrays(shape)),), (True,), fn)


@st.composite
def _expand_dims_cases(draw: Any) -> Case:
    shape = draw(shapes(max_dims=MAX_DIMS - 1))
    ndim = len(shape)
    if draw(st.booleans()):
        axis: Any = signed(draw, draw(st.integers(0, ndim)), ndim + 1)
    else:
        n_new = draw(st.integers(1, 2))
        out_ndim = ndim + n_new
        axis = tuple(signed(draw, a, out_ndim) for a in
                     draw(st.lists(st.integers(0, out_ndim - 1), min_size=n_new,
                                   max_size=n_new, unique=True)))
    forms: list[Variant] = [("ag.expand_dims", lambda x: ag.expand_dims(x, axis)),
                            ("x.expand_dims", lambda x: x.expand_dims(axis)),
                            ("np.expand_dims", lambda x: np.expand_dims(x, axis))]
    label, fn = draw(st.sampled_from(forms))
    return Case(f"{label}(axis={axis}) on {shape}", (draw(arrays(shape)),), (True,), fn)


@st.composite
def _broadcast_to_cases(draw: Any) -> Case:
    target = draw(shapes())
    keep = draw(st.integers(0, len(target)))
    shape = tuple(1 if draw(st.booleans()) else s for s in target[len(target) - keep:])
    forms: list[Variant] = [("ag.broadcast_to", lambda x: ag.broadcast_to(x, target)),
                            ("x.broadcast_to", lambda x: x.broadcast_to(target)),
                            ("np.broadcast_to", lambda x: np.broadcast_to(x, target))]
    label, fn = draw(st.sampled_from(forms))
    return Case(f"{label} {shape} -> {target}", (draw(arrays(shape)),), (True,), fn)


@st.composite
def _getitem_cases(draw: Any) -> Case:
    shape = draw(shapes())
    kind, index = draw(indices(shape))
    forms: list[Variant] = [("x[index]", lambda x: x[index]),
                            ("ag.ops.getitem", lambda x: ag.ops.getitem(x, index))]
    label, fn = draw(st.sampled_from(forms))
    return Case(f"{label} ({kind}) on {shape}, index={index!r}", (draw(arrays(shape)),),
                (True,), fn)


@st.composite
def _index_add_cases(draw: Any) -> Case:
    # index_add is internal (getitem's vjp): reached through the op namespace.
    shape = draw(shapes())
    kind, index = draw(indices(shape))
    index = normalize_index(index)
    g_shape = np.shape(np.empty(shape)[index])
    fn = lambda g: tensor_ns.index_add(g, shape=shape, index=index)
    return Case(f"index_add ({kind}) of {g_shape} into {shape}, index={index!r}",
                (draw(arrays(g_shape)),), (True,), fn)


@st.composite
def _concatenate_cases(draw: Any) -> Case:
    shape = draw(shapes(min_dims=1))
    ndim = len(shape)
    axis = draw(st.integers(0, ndim - 1))
    count = draw(st.integers(1, 3))
    shapes_ = [shape[:axis] + (draw(st.integers(1, MAX_SIDE)),) + shape[axis + 1:]
               for _ in range(count)]
    ax = signed(draw, axis, ndim)
    forms: list[Variant] = [("ag.concatenate", lambda *xs: ag.concatenate(list(xs), axis=ax)),
                            ("np.concatenate", lambda *xs: np.concatenate(xs, axis=ax))]
    if axis == 0:
        forms.append(("ag.concatenate default axis", lambda *xs: ag.concatenate(xs)))
    label, fn = draw(st.sampled_from(forms))
    return Case(f"{label}(axis={ax}) of {shapes_}", tuple(draw(arrays(s)) for s in shapes_),
                draw(requires_mask(count)), fn)


@st.composite
def _stack_cases(draw: Any) -> Case:
    shape = draw(shapes(max_dims=MAX_DIMS - 1))
    ndim = len(shape)
    ax = signed(draw, draw(st.integers(0, ndim)), ndim + 1)
    count = draw(st.integers(1, 3))
    forms: list[Variant] = [("ag.stack", lambda *xs: ag.stack(list(xs), axis=ax)),
                            ("np.stack", lambda *xs: np.stack(xs, axis=ax))]
    label, fn = draw(st.sampled_from(forms))
    return Case(f"{label}(axis={ax}) of {count} x {shape}",
                tuple(draw(arrays(shape)) for _ in range(count)), draw(requires_mask(count)), fn)


@st.composite
def _copy_cases(draw: Any) -> Case:
    shape = draw(shapes())
    label, fn = draw(st.sampled_from([("x.clone()", lambda x: x.clone()),
                                      ("ag.ops.copy", ag.ops.copy)]))
    return Case(f"{label} on {shape}", (draw(arrays(shape)),), (True,), fn)


@st.composite
def _linear_cases(draw: Any) -> Case:
    k, m = draw(st.integers(1, MAX_SIDE)), draw(st.integers(1, MAX_SIDE))
    batch = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3))
    xs = (draw(arrays(batch + (k,))), draw(arrays((k, m))), draw(arrays((m,))))
    forms: list[Variant] = [("ag.ops.linear(x, w, b)", ag.ops.linear),
                            ("ag.ops.linear(x, w) (b unused)", lambda x, w, b: ag.ops.linear(x, w))]
    label, fn = draw(st.sampled_from(forms))
    # Without a bias the op's third input is None: the drawn b is not passed, nor required.
    requires = draw(requires_mask(3 if "unused" not in label else 2))
    return Case(f"{label} on {batch + (k,)}, {(k, m)}", xs, (requires + (False,))[:3], fn)


@st.composite
def _cross_entropy_cases(draw: Any) -> Case:
    n, c = draw(st.integers(1, MAX_SIDE)), draw(st.integers(1, MAX_SIDE))
    reduction = draw(st.sampled_from(["mean", "sum", "none"]))
    logits = draw(arrays((n, c)))
    if draw(st.booleans()):
        # Integer labels: passed as a (never differentiated) input, made int64 in fn.
        labels = np.array(draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)),
                          dtype=np.float64)
        forms: list[Variant] = [
            ("ag.ops.cross_entropy(z, labels)",
             lambda z, t: ag.ops.cross_entropy(z, t.data.astype(np.int64), reduction)),
            ("ag.ops.cross_entropy(z, labels) default reduction",
             lambda z, t: ag.ops.cross_entropy(z, t.data.astype(np.int64)))]
        label, fn = draw(st.sampled_from(forms))
        how = "" if "default" in label else f", reduction={reduction}"
        return Case(f"{label}, {n}x{c}{how}", (logits, labels), (True, False), fn)
    # Probability targets (not normalized: the vjp must not assume they sum to 1).
    target = draw(arrays((n, c), floats(0, 1)))
    forms = [("ag.ops.cross_entropy(z, probs)",
              lambda z, t: ag.ops.cross_entropy(z, t, reduction=reduction))]
    label, fn = draw(st.sampled_from(forms))
    return Case(f"{label}, {n}x{c}, reduction={reduction}", (logits, target),
                draw(requires_mask(2)), fn)


def _single(cases: st.SearchStrategy[Case], domain: str = "real in [-3, 3]",
            broadcasts: bool = False, n_inputs: int = 1, constants: int = 0) -> Spec:
    return Spec(cases, n_inputs=n_inputs, domain=domain, broadcasts=broadcasts,
                constants=constants)


SPECS: dict[str, Spec] = {
    # arithmetic
    "add": binary([("a + b", lambda a, b: a + b), ("ag.add", ag.add), ("np.add", np.add)]),
    "sub": binary([("a - b", lambda a, b: a - b), ("ag.sub", ag.sub),
                   ("np.subtract", np.subtract)]),
    "mul": binary([("a * b", lambda a, b: a * b), ("ag.mul", ag.mul),
                   ("np.multiply", np.multiply)]),
    "div": binary([("a / b", lambda a, b: a / b), ("ag.div", ag.div), ("np.divide", np.divide)],
                  right=AWAY_FROM_ZERO, domain="a real; |b| in [0.1, 3] (pole at 0)"),
    "pow": binary([("a ** b", lambda a, b: a**b), ("ag.pow", ag.pow), ("np.power", np.power)],
                  left=floats(0.5, 3), right=floats(-2, 2),
                  domain="base in [0.5, 3] (ln a for ∂/∂b), exponent in [-2, 2]"),
    "neg": unary([("-x", lambda x: -x), ("ag.neg", ag.neg), ("np.negative", np.negative)]),
    # unary math
    "abs": unary([("abs(x)", abs), ("ag.abs", ag.abs), ("x.abs", lambda x: x.abs()),
                  ("np.abs", np.abs)], AWAY_FROM_ZERO, "|x| >= 0.1 (kink at 0)"),
    "exp": unary([("ag.exp", ag.exp), ("x.exp", lambda x: x.exp()), ("np.exp", np.exp)]),
    "log": unary([("ag.log", ag.log), ("x.log", lambda x: x.log()), ("np.log", np.log)],
                 POSITIVE, "x in [0.2, 5]"),
    "sqrt": unary([("ag.sqrt", ag.sqrt), ("x.sqrt", lambda x: x.sqrt()), ("np.sqrt", np.sqrt)],
                  POSITIVE, "x in [0.2, 5]"),
    "tanh": unary([("ag.tanh", ag.tanh), ("x.tanh", lambda x: x.tanh()), ("np.tanh", np.tanh)]),
    "sigmoid": unary([("ag.sigmoid", ag.sigmoid), ("x.sigmoid", lambda x: x.sigmoid())]),
    "relu": unary([("ag.relu", ag.relu), ("x.relu", lambda x: x.relu())],
                  AWAY_FROM_ZERO, "|x| >= 0.1 (kink at 0)"),
    "leaky_relu": _single(_leaky_relu_cases(), "|x| >= 0.1 (kink at 0); slope in [0, 2]"),
    "clip": _single(_clip_cases(), "real, moved >= 0.1 away from the bounds (kinks)"),
    # choice
    "maximum": choice([("ag.maximum", ag.maximum), ("a.maximum", lambda a, b: a.maximum(b)),
                       ("np.maximum", np.maximum)]),
    "minimum": choice([("ag.minimum", ag.minimum), ("a.minimum", lambda a, b: a.minimum(b)),
                       ("np.minimum", np.minimum)]),
    "where": _single(_where_cases(), "real; condition a drawn constant boolean array",
                     broadcasts=True, n_inputs=3, constants=1),
    # casts and copies
    "astype": _single(_astype_cases(), "real; target float32 or float64"),
    "copy": _single(_copy_cases()),
    # reductions
    "sum": reduction("sum", numpy_fn=np.sum),
    "mean": reduction("mean", numpy_fn=np.mean),
    "max": reduction("max", numpy_fn=np.max, distinct=True,
                     domain="pairwise >= 0.2 apart (no ties)"),
    "min": reduction("min", numpy_fn=np.min, distinct=True,
                     domain="pairwise >= 0.2 apart (no ties)"),
    "logsumexp": reduction("logsumexp"),
    "var": reduction("var", numpy_fn=np.var, ddof=True, domain="real; ddof < reduced count"),
    "softmax": softmax_like("softmax"),
    "log_softmax": softmax_like("log_softmax"),
    # linear algebra
    "matmul": _single(_matmul_cases(), broadcasts=True, n_inputs=2),
    # shape
    "reshape": _single(_reshape_cases()),
    "transpose": _single(_transpose_cases()),
    "swapaxes": _single(_swapaxes_cases()),
    "squeeze": _single(_squeeze_cases()),
    "expand_dims": _single(_expand_dims_cases()),
    "broadcast_to": _single(_broadcast_to_cases()),
    "getitem": _single(_getitem_cases()),
    "index_add": _single(_index_add_cases()),
    "concatenate": _single(_concatenate_cases(), n_inputs=-1),
    "stack": _single(_stack_cases(), n_inputs=-1),
    # fused (nn)
    "linear": _single(_linear_cases(), n_inputs=3),
    "cross_entropy": _single(_cross_entropy_cases(), n_inputs=2,
                             domain="logits real in [-3, 3]; labels in [0, C) or targets in [0, 1]"),
}
NAMES = sorted(SPECS)


# ---------------------------------------------------------------- completeness


def check_spec_coverage(registry: Any = None, specs: Any = None) -> None:
    """Raise AssertionError unless ``specs`` covers exactly the registered ops."""
    registry = REGISTRY if registry is None else registry
    specs = SPECS if specs is None else specs
    missing = sorted(set(registry) - set(specs))
    stale = sorted(set(specs) - set(registry))
    problems = []
    if missing:
        problems.append(
            f"ops registered without a test spec: {missing}. Add a spec for each to SPECS in "
            "tests/test_ops_registry.py (how to build the output from the public API, the "
            "input domain, whether inputs broadcast) so that its gradient, float32 forward "
            "and second derivative are checked.")
    if stale:
        problems.append(f"specs for ops that are not registered: {stale}; remove them "
                        "(or register the op).")
    if problems:
        raise AssertionError("\n".join(problems))


def test_every_registered_op_has_a_spec() -> None:
    check_spec_coverage()
    assert set(REGISTRY) == set(SPECS)


def test_registering_an_op_without_a_spec_fails_the_suite() -> None:
    name = "_dummy_op_without_spec"
    assert name not in REGISTRY
    register(name, np.positive, lambda ctx, g: (g,), formula="∂(+x)/∂x = 1",
             latex=r"\frac{\partial x}{\partial x} = 1")
    try:
        # The dummy is a real, usable op...
        x = ag.tensor([1.0, 2.0], requires_grad=True)
        y = getattr(tensor_ns, name)(x)
        assert y.grad_fn is not None and y.grad_fn.name == name
        # ...and the completeness check refuses it, naming it and saying what to do.
        with pytest.raises(AssertionError, match=name) as info:
            check_spec_coverage()
        assert "Add a spec" in str(info.value)
    finally:
        REGISTRY.pop(name, None)
        for ns in (numpy_ns, tensor_ns):
            if hasattr(ns, name):
                delattr(ns, name)
    assert not hasattr(tensor_ns, name) and not hasattr(numpy_ns, name)
    check_spec_coverage()


def test_a_spec_for_an_unregistered_op_fails_the_check() -> None:
    with pytest.raises(AssertionError, match="no_such_op"):
        check_spec_coverage(specs={**SPECS, "no_such_op": SPECS["add"]})


@pytest.mark.parametrize("name", NAMES)
def test_formulas_present(name: str) -> None:
    op = REGISTRY[name]
    expected = 1 if op.n_inputs == -1 else op.n_inputs
    assert op.name == name
    assert isinstance(op.symbol, str) and op.symbol.strip(), f"{name}: empty symbol"
    for kind, texts in (("formula", op.formula), ("latex", op.latex)):
        assert isinstance(texts, tuple), f"{name}.{kind} is not a tuple"
        assert len(texts) == expected, (
            f"{name}: {len(texts)} {kind}(s) for {expected} input(s); give one per input")
        for t in texts:
            assert isinstance(t, str) and t.strip(), f"{name}: empty {kind}"
    for t in op.latex:
        depth = 0
        for ch in t.replace(r"\{", "").replace(r"\}", ""):
            depth += {"{": 1, "}": -1}.get(ch, 0)
            assert depth >= 0, f"{name}: unbalanced braces in LaTeX {t!r}"
        assert depth == 0, f"{name}: unbalanced braces in LaTeX {t!r}"


@pytest.mark.parametrize("name", NAMES)
def test_spec_matches_registry_arity(name: str) -> None:
    spec, op = SPECS[name], REGISTRY[name]
    assert spec.n_inputs == op.n_inputs, (
        f"{name}: the spec says {spec.n_inputs} inputs, the op {op.n_inputs}")


@pytest.mark.parametrize("name", [n for n in NAMES if SPECS[n].broadcasts])
def test_broadcasting_specs_draw_unequal_shapes(name: str) -> None:
    """A spec that claims broadcasting really draws inputs of different shapes."""
    case = find(SPECS[name].cases, lambda c: len({x.shape for x in c.inputs}) > 1,
                settings=settings(database=None, max_examples=500, derandomize=True,
                                  phases=[Phase.generate]))
    assert len({x.shape for x in case.inputs}) > 1


# ---------------------------------------------------------------- the checks


def tensors(case: Case, dtypes: Sequence[Any] | None = None) -> list[ag.Tensor]:
    dtypes = dtypes or [np.float64] * len(case.inputs)
    return [ag.tensor(x, dtype=d, requires_grad=r)
            for x, d, r in zip(case.inputs, dtypes, case.requires)]


def check_case_shape(name: str, case: Case) -> None:
    spec = SPECS[name]
    n = len(case.inputs) + spec.constants
    if spec.n_inputs == -1:
        assert 1 <= n <= 3
    else:
        assert n == spec.n_inputs, f"{name}: case has {n} inputs, the op takes {spec.n_inputs}"
    assert any(case.requires)


def built_by(name: str, out: ag.Tensor) -> None:
    """The public spelling really ran the op under test (as the output's last node)."""
    assert isinstance(out, ag.Tensor)
    assert out.grad_fn is not None, f"{name}: output has no graph"
    assert out.grad_fn.name == name, f"{name}: output made by {out.grad_fn.name!r}"


def magnitude(*arrays_: Any) -> float:
    return max([1.0] + [float(np.max(np.abs(a))) for a in arrays_ if np.size(a)])


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_gradcheck(name: str, data: st.DataObject) -> None:
    case = data.draw(SPECS[name].cases, label="case")
    check_case_shape(name, case)
    xs = tensors(case)
    built_by(name, case.fn(*xs))
    assert ag.gradcheck(case.fn, *xs, eps=case.eps)


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_float32_forward_and_grad_dtypes(name: str, data: st.DataObject) -> None:
    case = data.draw(SPECS[name].cases, label="case")
    xs32 = tensors(case, [np.float32] * len(case.inputs))
    xs64 = tensors(case)
    out32, out64 = case.fn(*xs32), case.fn(*xs64)
    built_by(name, out32)
    expected = np.dtype(case.out_dtype or np.float32)
    assert out32.dtype == expected, f"{name}: float32 inputs gave a {out32.dtype} output"
    assert out32.shape == out64.shape
    scale = magnitude(out64.data, *case.inputs)
    np.testing.assert_allclose(out32.data, out64.data, rtol=1e-4, atol=1e-5 * scale,
                               err_msg=f"{name}: float32 forward differs from float64")

    seed = data.draw(hnp.arrays(np.float64, out64.shape, elements=floats(-1, 1)), label="seed")
    out32.backward(seed)
    out64.backward(seed)
    for i, (x32, x64) in enumerate(zip(xs32, xs64)):
        if not x32.requires_grad:
            assert x32.grad is None
            continue
        assert x32.grad is not None and x64.grad is not None
        assert x32.grad.dtype == np.float32, (
            f"{name}: the grad of float32 input {i} is {x32.grad.dtype}")
        assert x64.grad.dtype == np.float64
        assert x32.grad.shape == x32.shape and x64.grad.shape == x64.shape
        np.testing.assert_allclose(
            x32.grad.data, x64.grad.data, rtol=1e-3, atol=1e-4 * magnitude(x64.grad.data),
            err_msg=f"{name}: float32 gradient of input {i} differs from float64")

    # Mixed float32/float64 inputs: every gradient still takes its own input's dtype.
    dtypes = data.draw(st.lists(st.sampled_from([np.float32, np.float64]),
                                min_size=len(case.inputs), max_size=len(case.inputs)),
                       label="mixed dtypes")
    xs = tensors(case, dtypes)
    out = case.fn(*xs)
    out.backward(seed.astype(out.dtype))
    for x in xs:
        if x.requires_grad:
            assert x.grad is not None and x.grad.dtype == x.dtype and x.grad.shape == x.shape


@pytest.mark.parametrize("name", [n for n in NAMES if SPECS[n].second_order])
@settings(suppress_health_check=[HealthCheck.too_slow])  # the profile's max_examples
@given(data=st.data())
def test_gradgradcheck(name: str, data: st.DataObject) -> None:
    case = data.draw(SPECS[name].cases, label="case")
    xs = tensors(case)
    seed = data.draw(st.integers(0, 2**16), label="cotangent seed")
    assert ag.gradgradcheck(case.fn, *xs, seed=seed, eps=case.eps)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_is_accurate_and_silent_over_the_whole_range(dtype):
    """sigmoid matches 1/(1+e^-x) computed in Python floats to 8 ulps, also where e^-x
    overflows (tiny results stay nonzero where the dtype can hold them), with no warning."""
    import math
    import warnings

    xs = [-745.0, -120.0, -100.0, -88.5, -30.0, -5.0, -1e-3, 0.0, 2.5, 40.0, 800.0]
    if dtype == "float32":
        xs = [x for x in xs if abs(x) < 200]
    x = ag.tensor(xs, dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = x.sigmoid().numpy()

    def reference(v: float) -> float:
        return 1.0 / (1.0 + math.exp(-v)) if v > -700 else math.exp(v)

    want = np.array([reference(v) for v in xs], dtype=dtype)
    tiny = np.finfo(dtype).tiny
    np.testing.assert_allclose(got, want, rtol=8 * np.finfo(dtype).eps, atol=tiny)
    assert got.dtype == np.dtype(dtype)
    assert got[xs.index(-100.0)] > 0  # exp(-100): subnormal in float32, normal in float64
