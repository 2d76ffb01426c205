"""A micrograd-compatible scalar autodiff engine.

``Value`` has micrograd's public surface (``data``, ``grad``, ``_prev``, ``_op``,
arithmetic, ``relu``/``tanh``/``exp``, ``backward``) so micrograd code runs
unchanged, but it is built differently:

* no per-node ``_backward`` closure: each node stores at most two children and
  the local derivative w.r.t. each, computed as floats during the forward pass;
  ``backward()`` applies them all in one loop;
* ``__slots__`` and no reference cycles, so graphs are freed by reference
  counting alone (the cyclic gc is never needed);
* an iterative topological sort, so million-node-deep graphs work at the
  default recursion limit;
* ``backward()`` resets the graph's grads first (see ``Value.backward``).

Because local derivatives are fixed when a node is made, changing a node's
``.data`` after building on it does not change the gradients (micrograd's
closures would read the new data); the usual forward, backward, update loop
is unaffected.

``_op`` strings: ``'+'``, ``'*'``, ``'**{k}'`` (constant exponent ``k``, as
micrograd), ``'ReLU'``, ``'tanh'``, ``'exp'`` as in micrograd, plus ``'-'``
(``a - b``), ``'/'`` (``a / b``), ``'neg'`` (``-a``), ``'**'`` (a ``Value``
exponent), ``'log'``, ``'sigmoid'``; leaves have ``''``.  micrograd builds
``-a`` as ``a * -1``, ``a - b`` as ``a + (-b)`` and ``a / b`` as ``a * b**-1``;
here they are single nodes.  Results match micrograd's exactly for ``-`` and
negation, and to within rounding (one ulp) for ``/``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from types import MappingProxyType
from typing import ClassVar, SupportsFloat

__all__ = ["Value", "topological_order"]

_new = object.__new__


def _as_float(data: object, what: str) -> float:
    """Convert a real number to float, or raise a TypeError naming ``what``."""
    if type(data) is float:
        return data
    if isinstance(data, numbers.Real):
        return float(data)
    if isinstance(data, Value):
        raise TypeError(f"{what} must be a real number, got a Value; use the Value itself")
    raise TypeError(
        f"{what} must be a real number (int or float), got {type(data).__name__}: {data!r}"
    )


def _leaf(data: float) -> Value:
    """Wrap a constant operand as a leaf node (as micrograd does)."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out._c0 = None
    out._c1 = None
    out._op = ""
    out.label = ""
    return out


def _node(
    op: str, data: float, c0: Value, d0: float, c1: Value | None = None, d1: float = 0.0
) -> Value:
    """Make an op node with children ``c0``/``c1`` and local derivatives ``d0``/``d1``."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out._c0 = c0
    out._d0 = d0
    out._c1 = c1
    out._d1 = d1
    out._op = op
    out.label = ""
    return out


def _coerce(other: object) -> Value | None:
    """Return ``other`` as a Value, or None if it is not a real number."""
    if isinstance(other, Value):
        return other
    if type(other) is float or type(other) is int or isinstance(other, numbers.Real):
        return _leaf(float(other))
    return None


def _pow(x: float, k: float) -> tuple[float, float]:
    """Return ``(x ** k, d(x ** k)/dx)`` for real results, raising on domain errors."""
    if x < 0 and not float(k).is_integer():
        raise ValueError(
            f"pow: negative base {x!r} with non-integer exponent {k!r} has no real result"
        )
    if x == 0 and k < 0:
        raise ZeroDivisionError(f"pow: 0.0 cannot be raised to the negative power {k!r}")
    try:
        y = x**k
    except OverflowError:
        raise OverflowError(f"pow: {x!r} ** {k!r} overflows float") from None
    if k == 0:
        return y, 0.0
    if x == 0:  # k > 0 here; the derivative k * 0**(k-1) needs care for k <= 1
        return y, (0.0 if k > 1 else (1.0 if k == 1 else math.inf))
    try:
        return y, k * x ** (k - 1)
    except OverflowError:  # x**(k-1) can overflow although x**k does not
        return y, k * (y / x)


class Value:
    """A scalar that records the operations applied to it, for reverse-mode autodiff.

    >>> a = Value(2.0, label="a")
    >>> b = a * a + 1
    >>> b.backward()
    >>> b, a.grad
    (Value(data=5.0, grad=1.0), 4.0)
    """

    __slots__ = ("__weakref__", "_c0", "_c1", "_d0", "_d1", "_op", "data", "grad", "label")

    data: float
    grad: float
    label: str
    _op: str
    # Up to two children and d(self)/d(child) for each; a leaf has _c0 None, a
    # unary node _c1 None. _d0/_d1 are only read when the matching child is set.
    _c0: Value | None
    _c1: Value | None
    _d0: float
    _d1: float

    OP_NAMES: ClassVar[Mapping[str, str]] = MappingProxyType(
        {
            "+": "add",
            "-": "sub",
            "*": "mul",
            "/": "div",
            "neg": "neg",
            "**": "pow",  # both '**' (Value exponent) and '**{k}' (constant)
            "ReLU": "relu",
            "tanh": "tanh",
            "exp": "exp",
            "log": "log",
            "sigmoid": "sigmoid",
        }
    )
    """Maps each ``_op`` family (see ``op_family``) to a tensor-op registry name."""

    def __init__(self, data: SupportsFloat, label: str = "") -> None:
        """Make a leaf holding ``data`` (any real number, e.g. numpy's; stored as float).

        >>> Value(3, label="x").data
        3.0
        """
        if not isinstance(label, str):
            raise TypeError(f"Value label must be a str, got {type(label).__name__}: {label!r}")
        self.data = _as_float(data, "Value data")
        self.grad = 0.0
        self.label = label
        self._op = ""
        self._c0 = None
        self._c1 = None

    # -- graph introspection -------------------------------------------------

    @property
    def _children(self) -> tuple[Value, ...]:
        """The operands this node was computed from, in order (``()`` for leaves).

        >>> a, b = Value(1.0), Value(2.0)
        >>> (a - b)._children == (a, b)
        True
        """
        c0, c1 = self._c0, self._c1
        if c0 is None:
            return ()
        return (c0,) if c1 is None else (c0, c1)

    @property
    def _local_grads(self) -> tuple[float, ...]:
        """d(self)/d(child) for each child in ``_children`` order, as computed forward.

        >>> a, b = Value(3.0), Value(4.0)
        >>> (a * b)._local_grads
        (4.0, 3.0)
        """
        if self._c0 is None:
            return ()
        return (self._d0,) if self._c1 is None else (self._d0, self._d1)

    @property
    def _prev(self) -> set[Value]:
        """The set of children, as micrograd's ``_prev``.

        >>> a = Value(3.0)
        >>> (a * a)._prev == {a}
        True
        """
        return set(self._children)

    @staticmethod
    def op_family(op: str) -> str:
        """Return the ``OP_NAMES`` key for an ``_op`` string (``'**2'`` -> ``'**'``).

        >>> Value.op_family("**2"), Value.op_family("ReLU")
        ('**', 'ReLU')
        >>> Value.OP_NAMES[Value.op_family("**-1")]
        'pow'
        """
        return "**" if op.startswith("**") else op

    # -- arithmetic ----------------------------------------------------------
    # '+', '*' and relu are inlined rather than using _node: they dominate MLPs.

    def __add__(self, other: Value | float) -> Value:
        """``self + other``; op ``'+'``.

        >>> Value(1.5) + 2
        Value(data=3.5, grad=0.0)
        """
        o = other if isinstance(other, Value) else _coerce(other)
        if o is None:
            return NotImplemented
        out = _new(Value)
        out.data = self.data + o.data
        out.grad = 0.0
        out._c0 = self
        out._d0 = 1.0
        out._c1 = o
        out._d1 = 1.0
        out._op = "+"
        out.label = ""
        return out

    def __radd__(self, other: float) -> Value:
        """``other + self``; op ``'+'``, children ``(other, self)``.

        >>> 2 + Value(1.5)
        Value(data=3.5, grad=0.0)
        """
        o = _coerce(other)
        return NotImplemented if o is None else o + self

    def __mul__(self, other: Value | float) -> Value:
        """``self * other``; op ``'*'``.

        >>> Value(1.5) * 2
        Value(data=3.0, grad=0.0)
        """
        o = other if isinstance(other, Value) else _coerce(other)
        if o is None:
            return NotImplemented
        out = _new(Value)
        out.data = self.data * o.data
        out.grad = 0.0
        out._c0 = self
        out._d0 = o.data
        out._c1 = o
        out._d1 = self.data
        out._op = "*"
        out.label = ""
        return out

    def __rmul__(self, other: float) -> Value:
        """``other * self``; op ``'*'``.

        >>> 2 * Value(1.5)
        Value(data=3.0, grad=0.0)
        """
        o = _coerce(other)
        return NotImplemented if o is None else o * self

    def __sub__(self, other: Value | float) -> Value:
        """``self - other``; op ``'-'``.

        >>> Value(1.5) - 2
        Value(data=-0.5, grad=0.0)
        """
        o = _coerce(other)
        if o is None:
            return NotImplemented
        return _node("-", self.data - o.data, self, 1.0, o, -1.0)

    def __rsub__(self, other: float) -> Value:
        """``other - self``; op ``'-'``.

        >>> 2 - Value(1.5)
        Value(data=0.5, grad=0.0)
        """
        o = _coerce(other)
        return NotImplemented if o is None else o - self

    def __truediv__(self, other: Value | float) -> Value:
        """``self / other``; op ``'/'``. Division by zero raises ZeroDivisionError.

        >>> Value(3.0) / 2
        Value(data=1.5, grad=0.0)
        """
        o = _coerce(other)
        if o is None:
            return NotImplemented
        b = o.data
        if b == 0:
            raise ZeroDivisionError(f"div: division by zero ({self.data!r} / {b!r})")
        y = self.data / b
        return _node("/", y, self, 1.0 / b, o, -y / b)

    def __rtruediv__(self, other: float) -> Value:
        """``other / self``; op ``'/'``.

        >>> 3 / Value(2.0)
        Value(data=1.5, grad=0.0)
        """
        o = _coerce(other)
        return NotImplemented if o is None else o / self

    def __neg__(self) -> Value:
        """``-self``; op ``'neg'``.

        >>> -Value(2.0)
        Value(data=-2.0, grad=0.0)
        """
        return _node("neg", -self.data, self, -1.0)

    def __pow__(self, other: Value | float) -> Value:
        """``self ** other``: op ``'**{other}'`` for a number, ``'**'`` for a Value.

        For a Value exponent ``b``, d/db = ``self ** b * ln(self)``; it is 0 at
        ``self == 0`` and nan for a negative base (no real derivative).

        >>> Value(3.0) ** 2
        Value(data=9.0, grad=0.0)
        >>> (Value(2.0) ** Value(3.0))._op
        '**'
        """
        if isinstance(other, Value):
            x, k = self.data, other.data
            y, dx = _pow(x, k)
            dk = y * math.log(x) if x > 0 else (0.0 if x == 0 else math.nan)
            return _node("**", y, self, dx, other, dk)
        if not isinstance(other, numbers.Real):
            return NotImplemented
        k = other if type(other) in (int, float) else float(other)
        y, dx = _pow(self.data, float(k))
        return _node(f"**{k}", y, self, dx)

    def __rpow__(self, other: float) -> Value:
        """``other ** self`` (a Value exponent); op ``'**'``.

        >>> 2 ** Value(3.0)
        Value(data=8.0, grad=0.0)
        """
        o = _coerce(other)
        return NotImplemented if o is None else o**self

    # -- elementwise functions -----------------------------------------------

    def relu(self) -> Value:
        """``max(self, 0)``; op ``'ReLU'`` (derivative 0 at 0, as micrograd).

        >>> Value(-2.0).relu(), Value(2.0).relu()
        (Value(data=0.0, grad=0.0), Value(data=2.0, grad=0.0))
        """
        x = self.data
        pos = x > 0
        out = _new(Value)
        out.data = x if pos else 0.0
        out.grad = 0.0
        out._c0 = self
        out._d0 = 1.0 if pos else 0.0
        out._c1 = None
        out._op = "ReLU"
        out.label = ""
        return out

    def tanh(self) -> Value:
        """Hyperbolic tangent; op ``'tanh'``.

        >>> Value(0.0).tanh()
        Value(data=0.0, grad=0.0)
        """
        t = math.tanh(self.data)
        return _node("tanh", t, self, 1.0 - t * t)

    def exp(self) -> Value:
        """``e ** self``; op ``'exp'``. Raises OverflowError past ~709.78.

        >>> Value(0.0).exp()
        Value(data=1.0, grad=0.0)
        """
        try:
            y = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"exp: input {self.data!r} overflows float") from None
        return _node("exp", y, self, y)

    def log(self) -> Value:
        """Natural logarithm; op ``'log'``. Raises ValueError unless ``self > 0``.

        >>> Value(1.0).log()
        Value(data=0.0, grad=0.0)
        """
        x = self.data
        if x <= 0:
            raise ValueError(f"log: input {x!r} is not > 0")
        return _node("log", math.log(x), self, 1.0 / x)

    def sigmoid(self) -> Value:
        """Logistic function ``1 / (1 + e**-self)``, computed stably; op ``'sigmoid'``.

        >>> Value(0.0).sigmoid()
        Value(data=0.5, grad=0.0)
        """
        x = self.data
        if x >= 0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        return _node("sigmoid", s, self, s * (1.0 - s))

    # -- backpropagation -----------------------------------------------------

    def backward(self, *, accumulate: bool = False) -> None:
        """Set ``.grad`` of every node in this graph to d(self)/d(node).

        Unlike micrograd (whose second call adds into stale grads), this first
        resets the grad of every node in the graph to 0, so calling it twice
        gives the same grads. With ``accumulate=True`` each node's grad is
        instead increased by this pass's gradient, like PyTorch's ``.grad``.

        >>> x = Value(3.0)
        >>> y = x * x
        >>> y.backward(); y.backward(); x.grad
        6.0
        >>> y.backward(accumulate=True); x.grad
        12.0
        """
        order = topological_order(self)
        if accumulate:
            previous = [v.grad for v in order]
        for v in order:
            v.grad = 0.0
        self.grad = 1.0
        for v in reversed(order):
            c0 = v._c0
            if c0 is None:
                continue
            g = v.grad
            c0.grad += g * v._d0
            c1 = v._c1
            if c1 is not None:
                c1.grad += g * v._d1
        if accumulate:
            for v, old in zip(order, previous):
                v.grad += old

    def __repr__(self) -> str:
        """micrograd's repr.

        >>> Value(1.0)
        Value(data=1.0, grad=0.0)
        """
        return f"Value(data={self.data}, grad={self.grad})"


def topological_order(root: Value) -> list[Value]:
    """Return every node reachable from ``root``, each after all its children.

    Iterative (explicit stack), so graph depth is not limited by recursion.

    >>> a = Value(2.0, label="a")
    >>> b = (a * 3).relu()
    >>> [v._op or v.label for v in topological_order(b)][-2:]
    ['*', 'ReLU']
    """
    order: list[Value] = []
    seen: set[Value] = set()
    # A None entry means "the node below me has had its children done: emit it".
    # (Flag tuples would be gc-tracked allocations, costly on deep stacks.)
    stack: list[Value | None] = [root]
    push, pop, emit, mark = stack.append, stack.pop, order.append, seen.add
    while stack:
        v = pop()
        if v is None:
            emit(pop())  # type: ignore[arg-type]
            continue
        # Mark on expansion, not on push: a node pushed earlier but reached again
        # through a later path must still be finished before that path's parent.
        if v in seen:
            continue
        mark(v)
        c0 = v._c0
        if c0 is None:
            emit(v)
            continue
        push(v)
        push(None)
        if c0 not in seen:
            push(c0)
        c1 = v._c1
        if c1 is not None and c1 not in seen:
            push(c1)
    return order
