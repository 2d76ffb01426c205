"""Elementwise ops: arithmetic, activations, maximum/minimum, where, casts.

Each op is registered once (forward, vjp, formula); the functions below are
the public spelling. All broadcast like numpy; the engine unbroadcasts grads.
A Python list or tuple operand converts like ``ag.tensor`` (so ``[1.0, 2.0]``
is the default float dtype); Python numbers never upcast; numpy scalars and
ndarrays follow numpy's promotion.

>>> import autograd_lite as ag
>>> x = ag.tensor([-1.0, 0.5, 2.0], requires_grad=True)
>>> ag.sigmoid(x).sum().backward()
>>> x.grad
tensor([0.1966, 0.235 , 0.105 ], dtype=float32)
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..autograd import apply
from ..registry import VjpContext, register
from ..tensor import Tensor, as_operand

Operand = Tensor | np.ndarray | float | int | list[Any] | tuple[Any, ...]


def _operands(name: str, *values: Any) -> tuple[Any, ...]:
    """The operands, with Python lists/tuples converted like ``ag.tensor`` (rare: checked cheaply)."""
    for v in values:
        if type(v) is list or type(v) is tuple:
            return tuple(as_operand(v, name) for v in values)
    return values


# ---------------------------------------------------------------- arithmetic

def _add_vjp(ctx: VjpContext, g: Any) -> tuple[Any, ...]:
    return g, g


def _sub_vjp(ctx: VjpContext, g: Any) -> tuple[Any, ...]:
    return g, (-g if ctx.needs[1] else None)


def _mul_vjp(ctx: VjpContext, g: Any) -> tuple[Any, ...]:
    a, b = ctx.inputs
    return (g * b if ctx.needs[0] else None), (g * a if ctx.needs[1] else None)


def _div_vjp(ctx: VjpContext, g: Any) -> tuple[Any, ...]:
    a, b = ctx.inputs
    ga = g / b if ctx.needs[0] else None
    gb = -g * a / (b * b) if ctx.needs[1] else None
    return ga, gb


def _neg_vjp(ctx: VjpContext, g: Any) -> tuple[Any, ...]:
    return (-g,)


def _where_zero(xp: Any, v: Any, fill: float) -> Any:
    """``v`` with its zeros replaced by ``fill`` (numbers stay numbers, keeping NEP 50)."""
    if isinstance(v, numbers.Number):
        return fill if v == 0 else v
    return xp.where(v == 0, fill, v)


def _safe_exponent(xp: Any, a: Any, b: Any) -> Any:
    """``b``, except 1 where both ``a`` and ``b`` are 0: there b * a**(b - 1) is 0 * inf."""
    if isinstance(a, numbers.Number):
        return _where_zero(xp, b, 1.0) if a == 0 else b
    if isinstance(b, numbers.Number):
        return b
    # Only at a zero base: elsewhere the exponent stays b, so the derivative of
    # b * a**(b - 1) with respect to b (second order) keeps its a**(b - 1) ln a term at b = 0.
    return xp.where(a == 0, _where_zero(xp, b, 1.0), b)


def _pow_vjp(ctx: VjpContext, g: Any) -> tuple[Any, ...]:
    # At a zero base the textbook formulas give 0 * inf = nan. Like ag.Value:
    # d(0**0)/da = 0 (b * a**(b - 1) with the exponent made safe there) and
    # d(0**b)/db = 0 (ln a evaluated at 1 instead of 0). Only the inputs are
    # replaced, never the results, so under create_graph no nan leaks into
    # second derivatives either.
    a, b = ctx.inputs
    xp = ctx.xp
    if not ctx.needs[0]:
        ga = None
    elif isinstance(b, numbers.Number) and b == 0:
        ga = g * 0.0  # d(a**0)/da = 0, also at a = 0
    else:
        ga = g * b * a ** (_safe_exponent(xp, a, b) - 1)
    gb = g * ctx.out * xp.log(_where_zero(xp, a, 1.0)) if ctx.needs[1] else None
    return ga, gb


ADD = register("add", np.add, _add_vjp, symbol="+", n_inputs=2, saves="",
               formula=("∂(a+b)/∂a = 1", "∂(a+b)/∂b = 1"),
               latex=(r"\frac{\partial (a+b)}{\partial a} = 1",
                      r"\frac{\partial (a+b)}{\partial b} = 1"))
SUB = register("sub", np.subtract, _sub_vjp, symbol="−", n_inputs=2, saves="",
               formula=("∂(a−b)/∂a = 1", "∂(a−b)/∂b = −1"),
               latex=(r"\frac{\partial (a-b)}{\partial a} = 1",
                      r"\frac{\partial (a-b)}{\partial b} = -1"))
MUL = register("mul", np.multiply, _mul_vjp, symbol="×", n_inputs=2,
               formula=("∂(a·b)/∂a = b", "∂(a·b)/∂b = a"),
               latex=(r"\frac{\partial (a b)}{\partial a} = b",
                      r"\frac{\partial (a b)}{\partial b} = a"))
DIV = register("div", np.divide, _div_vjp, symbol="÷", n_inputs=2,
               formula=("∂(a/b)/∂a = 1/b", "∂(a/b)/∂b = −a/b²"),
               latex=(r"\frac{\partial (a/b)}{\partial a} = \frac{1}{b}",
                      r"\frac{\partial (a/b)}{\partial b} = -\frac{a}{b^2}"))
NEG = register("neg", np.negative, _neg_vjp, symbol="−x", saves="",
               formula="∂(−x)/∂x = −1", latex=r"\frac{\partial (-x)}{\partial x} = -1")
POW = register("pow", np.power, _pow_vjp, symbol="^", n_inputs=2, saves="both",
               formula=("∂(aᵇ)/∂a = b·aᵇ⁻¹ (0 where b = 0)", "∂(aᵇ)/∂b = aᵇ·ln a (0 where a = 0)"),
               latex=(r"\frac{\partial a^b}{\partial a} = b\,a^{b-1}",
                      r"\frac{\partial a^b}{\partial b} = a^b \ln a"))


def add(a: Operand, b: Operand) -> Tensor:
    """``a + b`` with broadcasting.

    >>> import autograd_lite as ag
    >>> ag.add(ag.tensor([1.0, 2.0]), 1.0)
    tensor([2., 3.], dtype=float32)
    """
    return apply(ADD, _operands("add", a, b), {})


def sub(a: Operand, b: Operand) -> Tensor:
    """``a - b`` with broadcasting.

    >>> import autograd_lite as ag
    >>> ag.sub(1.0, ag.tensor([1.0, 2.0]))
    tensor([ 0., -1.], dtype=float32)
    """
    return apply(SUB, _operands("sub", a, b), {})


def mul(a: Operand, b: Operand) -> Tensor:
    """``a * b`` with broadcasting.

    >>> import autograd_lite as ag
    >>> ag.mul(ag.tensor([1.0, 2.0]), 3.0)
    tensor([3., 6.], dtype=float32)
    """
    return apply(MUL, _operands("mul", a, b), {})


def div(a: Operand, b: Operand) -> Tensor:
    """``a / b`` with broadcasting.

    >>> import autograd_lite as ag
    >>> ag.div(ag.tensor([1.0, 2.0]), 4.0)
    tensor([0.25, 0.5 ], dtype=float32)
    """
    return apply(DIV, _operands("div", a, b), {})


def neg(x: Operand) -> Tensor:
    """``-x``.

    >>> import autograd_lite as ag
    >>> ag.neg(ag.tensor([1.0]))
    tensor([-1.], dtype=float32)
    """
    return apply(NEG, _operands("neg", x), {})


def pow(a: Operand, b: Operand) -> Tensor:
    """``a ** b``; both may be tensors (d/db is real for a > 0; at a = 0 it is 0, and
    d/da at b = 0 is 0, as for ``ag.Value``).

    >>> import autograd_lite as ag
    >>> ag.pow(2.0, ag.tensor([3.0]))
    tensor([8.], dtype=float32)
    """
    return apply(POW, _operands("pow", a, b), {})


# ---------------------------------------------------------------- unary math

def _abs_vjp(ctx: VjpContext, g: Any) -> tuple[Any, ...]:
    (x,) = ctx.inputs
    xp = ctx.xp
    return (xp.where(x > 0, g, 0) - xp.where(x < 0, g, 0),)


def _exp_vjp(ctx: VjpContext, g: Any) -> tuple[Any, ...]:
    return (g * ctx.out,)


def _log_vjp(ctx: VjpContext, g: Any) -> tuple[Any, ...]:
    return (g / ctx.inputs[0],)


def _sqrt_vjp(ctx: VjpContext, g: Any) -> tuple[Any, ...]:
    return (g / (2 * ctx.out),)


def _tanh_vjp(ctx: VjpContext, g: Any) -> tuple[Any, ...]:
    t = ctx.out
    return (g * (1 - t * t),)


_EXP_LIMIT: dict[Any, float] = {}


def _sigmoid_forward(x: np.ndarray) -> np.ndarray:
    # 1 / (1 + e^-x), in place in one fresh array: 4 fast passes, where the
    # exp(-logaddexp(0, -x)) form takes ~20x as long. That form is kept for
    # inputs where e^-x would overflow (x < -88 in float32), so that the tiny
    # results there stay exact instead of rounding to 0.
    if x.dtype.kind in "iu":  # integers: the float dtype numpy's ufuncs would use
        x = x.astype(np.result_type(x.dtype, np.float16))
    s = np.negative(x)
    if type(s) is not np.ndarray:  # 0-d input: numpy returned a scalar
        s = np.asarray(s)
    limit = _EXP_LIMIT.get(s.dtype)
    if limit is None:
        limit = _EXP_LIMIT[s.dtype] = float(np.log(np.finfo(s.dtype).max)) - 1.0
    if s.size and s.max() > limit:
        return np.asarray(np.exp(-np.logaddexp(0, -x)))
    np.exp(s, out=s)
    s += 1
    np.divide(1, s, out=s)  # the same numbers as np.reciprocal, which numpy does not vectorise
    return s


def _sigmoid_vjp(ctx: VjpContext, g: Any) -> tuple[Any, ...]:
    s = ctx.out
    if type(s) is np.ndarray and type(g) is np.ndarray:  # first order: one array, in place
        d = np.subtract(1, s)
        d *= s
        d *= g
        return (d,)
    return (g * s * (1 - s),)


def _relu_vjp(ctx: VjpContext, g: Any) -> tuple[Any, ...]:
    return (ctx.xp.where(ctx.inputs[0] > 0, g, 0),)


def _leaky_relu_forward(x: np.ndarray, negative_slope: float) -> np.ndarray:
    return np.where(x > 0, x, x * negative_slope)


def _leaky_relu_vjp(ctx: VjpContext, g: Any) -> tuple[Any, ...]:
    return (ctx.xp.where(ctx.inputs[0] > 0, g, g * ctx.params["negative_slope"]),)


def _clip_forward(x: np.ndarray, lo: Any, hi: Any) -> np.ndarray:
    return np.clip(x, lo, hi)


def _clip_vjp(ctx: VjpContext, g: Any) -> tuple[Any, ...]:
    x = ctx.inputs[0]
    lo, hi = ctx.params["lo"], ctx.params["hi"]
    inside = (x >= lo) if lo is not None else None
    if hi is not None:
        inside = (x <= hi) if inside is None else inside & (x <= hi)
    return (g if inside is None else ctx.xp.where(inside, g, 0),)


ABS = register("abs", np.abs, _abs_vjp, symbol="|x|",
               formula="∂|x|/∂x = sign(x)", latex=r"\frac{\partial |x|}{\partial x} = \operatorname{sign}(x)")
EXP = register("exp", np.exp, _exp_vjp, symbol="exp", saves="output",
               formula="∂out/∂x = exp(x) = out", latex=r"\frac{\partial e^x}{\partial x} = e^x")
LOG = register("log", np.log, _log_vjp, symbol="ln",
               formula="∂ln(x)/∂x = 1/x", latex=r"\frac{\partial \ln x}{\partial x} = \frac{1}{x}")
SQRT = register("sqrt", np.sqrt, _sqrt_vjp, symbol="√", saves="output",
                formula="∂√x/∂x = 1/(2√x)",
                latex=r"\frac{\partial \sqrt{x}}{\partial x} = \frac{1}{2\sqrt{x}}")
TANH = register("tanh", np.tanh, _tanh_vjp, symbol="tanh", saves="output",
                formula="∂tanh(x)/∂x = 1 − tanh²(x)",
                latex=r"\frac{\partial \tanh x}{\partial x} = 1 - \tanh^2 x")
SIGMOID = register("sigmoid", _sigmoid_forward, _sigmoid_vjp, symbol="σ", saves="output",
                   formula="∂σ(x)/∂x = σ(x)(1−σ(x))",
                   latex=r"\frac{\partial \sigma(x)}{\partial x} = \sigma(x)\,(1-\sigma(x))")
RELU = register("relu", lambda x: np.maximum(x, 0), _relu_vjp, symbol="ReLU",
                formula="∂relu(x)/∂x = 1 if x > 0 else 0",
                latex=r"\frac{\partial\, \mathrm{relu}(x)}{\partial x} = [x > 0]")
LEAKY_RELU = register("leaky_relu", _leaky_relu_forward, _leaky_relu_vjp, symbol="LeakyReLU",
                      formula="∂/∂x = 1 if x > 0 else slope",
                      latex=r"\frac{\partial}{\partial x} = [x > 0] + \alpha\,[x \le 0]")
CLIP = register("clip", _clip_forward, _clip_vjp, symbol="clip",
                formula="∂clip(x)/∂x = 1 if lo ≤ x ≤ hi else 0",
                latex=r"\frac{\partial\, \mathrm{clip}(x)}{\partial x} = [lo \le x \le hi]")


def abs(x: Operand) -> Tensor:
    """Absolute value; its gradient at 0 is 0.

    >>> import autograd_lite as ag
    >>> ag.abs(ag.tensor([-2.0, 3.0]))
    tensor([2., 3.], dtype=float32)
    """
    return apply(ABS, _operands("abs", x), {})


def exp(x: Operand) -> Tensor:
    """``e ** x``.

    >>> import autograd_lite as ag
    >>> ag.exp(ag.tensor([0.0]))
    tensor([1.], dtype=float32)
    """
    return apply(EXP, _operands("exp", x), {})


def log(x: Operand) -> Tensor:
    """Natural logarithm.

    >>> import autograd_lite as ag
    >>> ag.log(ag.tensor([1.0]))
    tensor([0.], dtype=float32)
    """
    return apply(LOG, _operands("log", x), {})


def sqrt(x: Operand) -> Tensor:
    """Square root.

    >>> import autograd_lite as ag
    >>> ag.sqrt(ag.tensor([4.0]))
    tensor([2.], dtype=float32)
    """
    return apply(SQRT, _operands("sqrt", x), {})


def tanh(x: Operand) -> Tensor:
    """Hyperbolic tangent.

    >>> import autograd_lite as ag
    >>> ag.tanh(ag.tensor([0.0]))
    tensor([0.], dtype=float32)
    """
    return apply(TANH, _operands("tanh", x), {})


def sigmoid(x: Operand) -> Tensor:
    """Logistic function ``1 / (1 + e^-x)``, stable for large ``|x|``.

    >>> import autograd_lite as ag
    >>> ag.sigmoid(ag.tensor([0.0, 1000.0, -1000.0]))
    tensor([0.5, 1. , 0. ], dtype=float32)
    """
    return apply(SIGMOID, _operands("sigmoid", x), {})


def relu(x: Operand) -> Tensor:
    """``max(x, 0)``; its gradient at 0 is 0.

    >>> import autograd_lite as ag
    >>> ag.relu(ag.tensor([-1.0, 2.0]))
    tensor([0., 2.], dtype=float32)
    """
    return apply(RELU, _operands("relu", x), {})


def leaky_relu(x: Operand, negative_slope: float = 0.01) -> Tensor:
    """``x`` where positive, ``negative_slope * x`` elsewhere.

    >>> import autograd_lite as ag
    >>> ag.leaky_relu(ag.tensor([-1.0, 2.0]), 0.1)
    tensor([-0.1,  2. ], dtype=float32)
    """
    return apply(LEAKY_RELU, _operands("leaky_relu", x), {"negative_slope": negative_slope})


def clip(x: Operand, min: Any = None, max: Any = None) -> Tensor:
    """Limit values to ``[min, max]``; the gradient is 0 outside.

    >>> import autograd_lite as ag
    >>> ag.clip(ag.tensor([-2.0, 0.5, 2.0]), -1, 1)
    tensor([-1. ,  0.5,  1. ], dtype=float32)
    """
    if min is None and max is None:
        raise ValueError("clip: give at least one of min and max")
    return apply(CLIP, _operands("clip", x), {"lo": min, "hi": max})


# ---------------------------------------------------------------- binary choice

def _maximum_vjp(ctx: VjpContext, g: Any) -> tuple[Any, ...]:
    a, b = ctx.inputs
    xp = ctx.xp
    # Ties split the gradient evenly, so the result is symmetric in a and b.
    tie = xp.where(a == b, g * 0.5, 0)
    ga = xp.where(a > b, g, 0) + tie if ctx.needs[0] else None
    gb = xp.where(b > a, g, 0) + tie if ctx.needs[1] else None
    return ga, gb


def _minimum_vjp(ctx: VjpContext, g: Any) -> tuple[Any, ...]:
    a, b = ctx.inputs
    xp = ctx.xp
    tie = xp.where(a == b, g * 0.5, 0)
    ga = xp.where(a < b, g, 0) + tie if ctx.needs[0] else None
    gb = xp.where(b < a, g, 0) + tie if ctx.needs[1] else None
    return ga, gb


def _where_vjp(ctx: VjpContext, g: Any) -> tuple[Any, ...]:
    cond = ctx.inputs[0]
    xp = ctx.xp
    ga = xp.where(cond, g, 0) if ctx.needs[1] else None
    gb = xp.where(cond, 0, g) if ctx.needs[2] else None
    return None, ga, gb


MAXIMUM = register("maximum", np.maximum, _maximum_vjp, symbol="max", n_inputs=2,
                   formula=("∂max(a,b)/∂a = 1 if a > b (½ if a = b)",
                            "∂max(a,b)/∂b = 1 if b > a (½ if a = b)"),
                   latex=(r"\frac{\partial \max(a,b)}{\partial a} = [a > b]",
                          r"\frac{\partial \max(a,b)}{\partial b} = [b > a]"))
MINIMUM = register("minimum", np.minimum, _minimum_vjp, symbol="min", n_inputs=2,
                   formula=("∂min(a,b)/∂a = 1 if a < b (½ if a = b)",
                            "∂min(a,b)/∂b = 1 if b < a (½ if a = b)"),
                   latex=(r"\frac{\partial \min(a,b)}{\partial a} = [a < b]",
                          r"\frac{\partial \min(a,b)}{\partial b} = [b < a]"))
WHERE = register("where", np.where, _where_vjp, symbol="where", n_inputs=3,
                 formula=("condition: no gradient", "∂/∂a = 1 where cond", "∂/∂b = 1 where not cond"),
                 latex=(r"\text{no gradient}", r"\frac{\partial}{\partial a} = [c]",
                        r"\frac{\partial}{\partial b} = [\lnot c]"))


def maximum(a: Operand, b: Operand) -> Tensor:
    """Elementwise maximum; at ties each side gets half the gradient.

    >>> import autograd_lite as ag
    >>> ag.maximum(ag.tensor([1.0, 5.0]), 3.0)
    tensor([3., 5.], dtype=float32)
    """
    return apply(MAXIMUM, _operands("maximum", a, b), {})


def minimum(a: Operand, b: Operand) -> Tensor:
    """Elementwise minimum; at ties each side gets half the gradient.

    >>> import autograd_lite as ag
    >>> ag.minimum(ag.tensor([1.0, 5.0]), 3.0)
    tensor([1., 3.], dtype=float32)
    """
    return apply(MINIMUM, _operands("minimum", a, b), {})


def where(condition: Any, a: Operand, b: Operand) -> Tensor:
    """``a`` where ``condition`` holds, else ``b`` (no gradient to the condition).

    >>> import autograd_lite as ag
    >>> x = ag.tensor([-1.0, 2.0])
    >>> ag.where(x > 0, x, 0.0)
    tensor([0., 2.], dtype=float32)
    """
    if isinstance(condition, Tensor):
        condition = condition.data
    condition = np.asarray(condition)
    if condition.dtype != np.bool_:
        raise TypeError(f"where: the condition must be boolean, not {condition.dtype}; "
                        "compare first, e.g. ag.where(x > 0, x, 0)")
    return apply(WHERE, (condition, *_operands("where", a, b)), {})


# ---------------------------------------------------------------- casts

def _astype_vjp(ctx: VjpContext, g: Any) -> tuple[Any, ...]:
    return (g,)  # the engine casts the gradient back to the input's dtype


ASTYPE = register("astype", lambda x, dtype: x.astype(dtype), _astype_vjp, symbol="cast",
                  saves="", formula="∂cast(x)/∂x = 1", latex=r"\frac{\partial x}{\partial x} = 1")
COPY = register("copy", np.array, _astype_vjp, symbol="copy", saves="",
                formula="∂copy(x)/∂x = 1", latex=r"\frac{\partial x}{\partial x} = 1")


def astype(x: Tensor, dtype: Any) -> Tensor:
    """Cast to ``dtype``; the gradient is cast back. A tensor that requires grad
    can only be cast to a real floating dtype.

    >>> import autograd_lite as ag
    >>> ag.ops.astype(ag.tensor([1.5]), "float64").dtype
    dtype('float64')
    """
    dtype = np.dtype(dtype)
    if isinstance(x, Tensor) and x.requires_grad and dtype.kind != "f":
        raise TypeError(f"astype: cannot cast a tensor that requires grad to {dtype}; "
                        "detach() it first")
    return apply(ASTYPE, (x,), {"dtype": dtype})


def copy(x: Tensor) -> Tensor:
    """A copy with its own memory, still in the graph.

    >>> import autograd_lite as ag
    >>> ag.ops.copy(ag.tensor([1.0]))
    tensor([1.], dtype=float32)
    """
    return apply(COPY, (x,), {})
