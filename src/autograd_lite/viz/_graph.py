"""The recorded graph as ``explain`` and ``steps`` read it, for Tensors and Values alike.

A :class:`Graph` numbers every node reachable from the root, names it (``name=``
/ ``label=``, a ``params`` mapping, else ``u1, u2, ...`` for op results and
``v1, v2, ...`` for leaves, in forward order), and knows each edge's local
derivative: a Value's stored ``_d0``/``_d1``, or a Tensor node's registered vjp
run on ndarrays exactly as backward runs it. Formula text comes from the op
registry with the operand names filled in (see :func:`fill`).

>>> from autograd_lite.scalar import Value
>>> x = Value(2.0, label="x")
>>> g = Graph.build(x * x + 1, what="doctest")
>>> [g.names[k] for k in g.order]
['x', 'u1', '1', 'u2']
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import autograd
from ..registry import REGISTRY, Op, VjpContext, numpy_ns, unbroadcast
from ..scalar import Value
from ..tensor import Tensor

__all__ = ["Graph", "GNode", "fill", "latex_name", "latex_operand", "operand", "fmt"]


@dataclass(eq=False)
class GNode:
    """One node: what it holds (``obj``), its name and op, and its inputs' keys."""

    key: int
    obj: Any                          # the Tensor or Value
    name: str
    op: Any                           # registry Op (or a Function's op); None for a leaf
    node: Any                         # Tensor: the engine Node; Value: the Value; leaf: None
    inputs: tuple[Any, ...]           # Tensor: node.inputs (may hold numbers); Value: children
    children: tuple[int | None, ...]  # key of each input, None for a constant operand

    @property
    def is_leaf(self) -> bool:
        return self.node is None


def fmt(x: Any) -> str:
    """A number or a small array in a few significant digits, on one line.

    >>> fmt(0.123456789), fmt(np.array([[1.0, 2.5]]))
    ('0.1235', '[[1, 2.5]]')
    """
    if isinstance(x, np.ndarray) and x.ndim:
        return np.array2string(x, precision=4, threshold=12, edgeitems=2, separator=", ",
                               max_line_width=10_000,
                               formatter={"float_kind": lambda v: f"{v:.4g}"}).replace("\n", "")
    return f"{float(x):.4g}"


def _topological(root: int, children: Callable[[int], Iterable[int]]) -> list[int]:
    """Keys reachable from ``root``, children before parents (iterative DFS)."""
    order: list[int] = []
    seen: set[int] = set()
    stack: list[tuple[int, bool]] = [(root, False)]
    while stack:
        key, expanded = stack.pop()
        if expanded:
            order.append(key)
            continue
        if key in seen:
            continue
        seen.add(key)
        stack.append((key, True))
        # Reversed, so the first operand is finished (and auto-named) first.
        stack.extend((c, False) for c in reversed(list(children(key))) if c not in seen)
    return order


def _freed(node: Any) -> bool:
    freed_input = getattr(autograd, "_FreedInput", None)
    return bool(getattr(node, "freed", False)) or (
        freed_input is not None and any(isinstance(x, freed_input) for x in node.inputs))


class Graph:
    """Nodes reachable from a Tensor or Value root, named, in forward order.

    ``order`` lists keys children-first; ``nodes`` maps key -> :class:`GNode`;
    ``names`` key -> display name. ``what`` names the caller in errors.
    """

    def __init__(self, root: Any, nodes: dict[int, GNode], order: list[int], root_key: int,
                 what: str) -> None:
        self.root = root
        self.nodes = nodes
        self.order = order
        self.root_key = root_key
        self.what = what
        self.is_value = isinstance(root, Value)
        self.names = {k: n.name for k, n in nodes.items()}
        self.numbered: set[int] = set()  # Value leaves named by their number

    # ------------------------------------------------------------ building

    @classmethod
    def build(cls, root: Any, *, params: Mapping[str, Any] | None = None,
              what: str = "viz") -> Graph:
        """Walk the graph behind ``root`` (a Tensor or a Value)."""
        explicit = {id(v): k for k, v in (params or {}).items()}
        if isinstance(root, Value):
            nodes, order = cls._walk_values(root)
            root_key = id(root)
        elif isinstance(root, Tensor):
            nodes, order = cls._walk_tensors(root, what)
            root_key = cls.key(root)
        else:
            raise TypeError(f"{what}: root must be an autograd_lite Tensor or Value, got "
                            f"{type(root).__name__}")
        graph = cls(root, nodes, order, root_key, what)
        graph.numbered = _assign_names(nodes, order, explicit)
        graph.names = {k: n.name for k, n in nodes.items()}
        return graph

    @staticmethod
    def key(obj: Any) -> int:
        """How a tensor is identified: its node for results (as backward does), itself for leaves."""
        node = getattr(obj, "_node", None)
        return id(obj) if node is None else id(node)

    @staticmethod
    def _walk_values(root: Value) -> tuple[dict[int, GNode], list[int]]:
        by_key: dict[int, Value] = {}
        stack = [root]
        while stack:
            v = stack.pop()
            if id(v) in by_key:
                continue
            by_key[id(v)] = v
            stack.extend(v._children)
        order = _topological(id(root), lambda k: [id(c) for c in by_key[k]._children])
        nodes = {}
        for k in order:
            v = by_key[k]
            kids = v._children
            op = REGISTRY.get(Value.OP_NAMES.get(Value.op_family(v._op), "")) if kids else None
            nodes[k] = GNode(k, v, v.label, op, v if kids else None, kids,
                             tuple(id(c) for c in kids))
        return nodes, order

    @classmethod
    def _walk_tensors(cls, root: Tensor, what: str) -> tuple[dict[int, GNode], list[int]]:
        by_key: dict[int, Tensor] = {}
        stack = [root]
        while stack:
            t = stack.pop()
            k = cls.key(t)
            if k in by_key:
                continue
            by_key[k] = t
            node = t._node
            if node is not None:
                if _freed(node):
                    raise RuntimeError(
                        f"{what}: the graph was freed by a backward() without retain_graph=True "
                        f"(op {node.name!r} no longer holds the values its derivative needs). "
                        f"Call backward(retain_graph=True) to keep the graph for {what}, or run "
                        "the forward pass again.")
                stack.extend(x for x in node.inputs if isinstance(x, Tensor))

        def children(k: int) -> list[int]:
            node = by_key[k]._node
            return [] if node is None else [cls.key(x) for x in node.inputs if isinstance(x, Tensor)]

        order = _topological(cls.key(root), children)
        nodes = {}
        for k in order:
            t = by_key[k]
            node = t._node
            inputs = () if node is None else tuple(node.inputs)
            kids = tuple(cls.key(x) if isinstance(x, Tensor) else None for x in inputs)
            nodes[k] = GNode(k, t, t.name or "", None if node is None else node.op, node,
                             inputs, kids)
        return nodes, order

    # ------------------------------------------------------------ reading

    def find(self, obj: Any) -> int | None:
        """The key of ``obj`` if it is in this graph, else None."""
        if self.is_value != isinstance(obj, Value) or not isinstance(obj, (Value, Tensor)):
            kind = "Value" if self.is_value else "Tensor"
            raise TypeError(f"{self.what}: wrt must be a {kind} like the root, got "
                            f"{type(obj).__name__}")
        k = id(obj) if self.is_value else self.key(obj)
        return k if k in self.nodes else None

    def give_name(self, key: int) -> None:
        """Name a Value leaf that was shown by its number (say, because it is ``wrt``)."""
        if key in self.numbered:
            self.numbered.discard(key)
            name = _Fresh(set(self.names.values()))("v")
            self.nodes[key].name = self.names[key] = name

    def input_name(self, n: GNode, slot: int) -> str:
        """The display name of input ``slot`` of ``n`` (a number for a constant operand)."""
        k = n.children[slot]
        if k is not None:
            return self.names[k]
        x = n.inputs[slot]
        return fmt(x) if np.ndim(x) == 0 else "const"

    def seed(self) -> Any:
        """The gradient the walk starts from: 1 (a seed of ones for a Tensor root)."""
        return 1.0 if self.is_value else np.ones_like(self.root.data)

    def local_grads(self, key: int, g: Any, slots: Iterable[int]) -> dict[int, tuple[Any, bool]]:
        """What node ``key`` sends each input in ``slots`` given its gradient ``g``.

        Returns slot -> (gradient, unbroadcast?) where the flag says a sum over
        broadcast axes was needed. A Value multiplies by its stored local
        derivative; a Tensor runs the op's vjp on ndarrays, then unbroadcasts
        and casts to the input's dtype, as ``backward`` does.
        """
        n = self.nodes[key]
        wanted = set(slots)
        if self.is_value:
            return {s: (g * (n.obj._d0 if s == 0 else n.obj._d1), False) for s in wanted}
        node = n.node
        needs = tuple(i in wanted for i in range(len(node.inputs)))
        op = node.op
        if not isinstance(op, Op):  # a custom Function: its backward does all the work
            grads = op.backward_node(node, g, needs, False)
            return {s: (self._zero_if_none(grads[s], n, s), False) for s in wanted}
        arrays = [x.data if isinstance(x, Tensor) else x for x in node.inputs]
        ctx = VjpContext(numpy_ns, op, arrays, node.params, needs, node.out)
        raw = op.vjp(ctx, g)
        out: dict[int, tuple[Any, bool]] = {}
        for s in wanted:
            gi, x = raw[s], node.inputs[s]
            if gi is None:
                out[s] = (self._zero_if_none(None, n, s), False)
                continue
            gi = np.asarray(gi)
            broadcast = gi.shape != x.shape
            if broadcast:
                gi = unbroadcast(numpy_ns, gi, x.shape)
            out[s] = (gi.astype(x.dtype, copy=False), broadcast)
        return out

    @staticmethod
    def _zero_if_none(gi: Any, n: GNode, slot: int) -> Any:
        x = n.inputs[slot]
        return np.zeros(x.shape, x.dtype) if gi is None else np.asarray(gi)

    # ------------------------------------------------------------ formulas

    def symbols(self, n: GNode, slot: int, latex: bool) -> dict[str, str]:
        """Formula variable -> operand name, for input ``slot``'s formula of node ``n``."""
        op = n.op
        texts = tuple(getattr(op, "formula", ()) or ())
        names = latex_operand if latex else operand
        table: dict[str, str] = {}
        out_var = next((v for v in map(_out_var, texts) if v), None)
        if out_var:
            table[out_var] = names(n.name)
        for i, f in enumerate(texts):
            var = _wrt_var(f)
            if var and i < len(n.inputs) and var not in table:
                table[var] = names(self.input_name(n, i))
        exponent = _wrt_var(texts[1]) if len(texts) > 1 else None
        if self.is_value and n.obj._op.startswith("**") and n.obj._c1 is None and exponent:
            table[exponent] = names(n.obj._op[2:])  # a constant exponent, as in '**2'
        which = min(slot, len(texts) - 1) if getattr(op, "n_inputs", 0) == -1 else slot
        if 0 <= which < len(texts):
            var = _wrt_var(texts[which])
            if var:  # ops over a sequence share one variable: bind it to this input
                table[var] = names(self.input_name(n, slot))
        return table

    def formula(self, n: GNode, slot: int, latex: bool = False) -> str | None:
        """The registry's right-hand side for input ``slot`` of ``n``, names filled in."""
        source = getattr(n.op, "latex" if latex else "formula", ()) or ()
        if n.op is not None and n.op.name == "pow" and self.is_value and n.obj._c1 is None:
            slot = 0
        if slot >= len(source) and getattr(n.op, "n_inputs", 0) == -1 and source:
            slot = len(source) - 1  # ops over a sequence have one formula for every input
        if slot >= len(source):
            return None
        rhs = _latex_rhs(source[slot]) if latex else _text_rhs(source[slot])
        if rhs is None:
            return None
        return fill(rhs, self.symbols(n, slot, latex), latex)


# ---------------------------------------------------------------- names

def _assign_names(nodes: dict[int, GNode], order: list[int], explicit: dict[int, str]) -> set[int]:
    """Give every node a name: params key, then name/label, then u1.. / v1.. in order.

    An unlabelled Value leaf is named by its number (``1 - y`` reads ``1 − y``);
    the keys so named are returned, so a caller can give one a real name.
    """
    for n in nodes.values():
        n.name = explicit.get(id(n.obj), n.name)
    numbers = {k for k, n in nodes.items()
               if not n.name and n.is_leaf and isinstance(n.obj, Value)}
    for k in numbers:
        nodes[k].name = fmt(nodes[k].obj.data)
    fresh = _Fresh({n.name for n in nodes.values() if n.name})
    for k in order:
        n = nodes[k]
        if not n.name:
            n.name = fresh("v" if n.is_leaf else "u")
    return numbers


class _Fresh:
    """Makes names ``u1, u2, …`` that are not taken (counters go on from the last one)."""

    def __init__(self, taken: set[str]) -> None:
        self.taken = taken
        self.counters: dict[str, int] = {}

    def __call__(self, prefix: str) -> str:
        i = self.counters.get(prefix, 0) + 1
        while f"{prefix}{i}" in self.taken:
            i += 1
        self.counters[prefix] = i
        self.taken.add(f"{prefix}{i}")
        return f"{prefix}{i}"


_SIMPLE = re.compile(r"[\w.]+|[\w.]+\((?:[^()]|\([^()]*\))*\)")


def operand(name: str) -> str:
    """``name`` as an operand in text: in parentheses unless it is one token.

    >>> operand("u5"), operand("ln(1−ŷ)"), operand("1−ŷ"), operand("-0.5")
    ('u5', 'ln(1−ŷ)', '(1−ŷ)', '(-0.5)')
    """
    return name if _SIMPLE.fullmatch(name) else f"({name})"


def latex_operand(name: str) -> str:
    r"""``name`` as a LaTeX operand: :func:`latex_name`, parenthesized unless one token."""
    tex = latex_name(name)
    return tex if _SIMPLE.fullmatch(name) else rf"\left({tex}\right)"


_LETTERS = r"[^\W\d_]"
_WRT = re.compile(rf"/∂\(?({_LETTERS}+)")
_OUT = re.compile(rf"^∂({_LETTERS}+?)[ᵢⱼₖ]*/∂")
_SUBSCRIPTS = "ᵢⱼₖ"


@functools.lru_cache(maxsize=4096)
def _wrt_var(formula: str) -> str | None:
    """The variable a formula differentiates by: ``'∂(a·b)/∂a = b'`` -> ``'a'``."""
    m = _WRT.search(formula)
    return m.group(1).rstrip(_SUBSCRIPTS) or None if m else None


@functools.lru_cache(maxsize=4096)
def _out_var(formula: str) -> str | None:
    """The output's own name when the formula has one: ``'∂out/∂x = ...'`` -> ``'out'``."""
    m = _OUT.match(formula)
    return m.group(1) if m else None


@functools.lru_cache(maxsize=4096)
def _text_rhs(formula: str) -> str | None:
    """What a formula says the derivative (or the vjp, when it mentions Ḡ) is."""
    clauses = [c.strip() for c in _top_level_split(formula, ";")]
    chosen = next((c for c in clauses if "Ḡ" in c), None) or next(
        (c for c in clauses if "∂" in c), None)
    if chosen is None:
        return None  # e.g. "condition: no gradient"
    start = chosen.find("/∂")
    m = re.compile(r" = |: ").search(chosen, max(start, 0))
    if m is None:
        return None
    rhs = chosen[m.end():]
    remark = re.search(r" \([^()]*\)$", rhs)
    if remark and re.search(r"\b[a-z]{2,}\b", remark.group()):  # "(0 where b = 0)", not "(Ḡ − s)"
        rhs = rhs[:remark.start()]
    return rhs.split(" = ")[0].strip() or None


def _top_level_split(text: str, sep: str) -> list[str]:
    """Split at ``sep`` outside parentheses: ``'a (b; c); d'`` -> ``['a (b; c)', ' d']``."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += (ch == "(") - (ch == ")")
        if ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    return parts + [text[start:]]


@functools.lru_cache(maxsize=4096)
def _latex_rhs(latex: str) -> str | None:
    i = latex.find("= ")
    rhs = latex[i + 2:].strip() if i >= 0 else ""
    return rhs or None


def fill(template: str, symbols: Mapping[str, str], latex: bool = False) -> str:
    """Put operand names in for a formula's variables, and ``ḡ_y`` for ``Ḡ``.

    >>> fill("σ(x)(1−σ(x))", {"x": "u2"})
    'σ(u2)(1−σ(u2))'
    >>> fill("b·aᵇ⁻¹", {"a": "e", "b": "2"}), fill("b·aᵇ⁻¹", {"a": "e", "b": "w"})
    ('2·e', 'w·e^(w−1)')
    >>> fill(r"e^x", {"x": "u_{2}"}, latex=True)
    'e^{u_{2}}'
    """
    if not symbols:
        return template
    pattern = _variables(tuple(sorted(symbols, key=len, reverse=True)), latex)
    if latex:
        return pattern.sub(lambda m: "{" + symbols[m.group(1)] + "}", template)
    template = _SUPERSCRIPT_RUN.sub(lambda m: _exponent(m.group(), symbols, pattern), template)
    return pattern.sub(lambda m: symbols[m.group(1)], template)


_SUPERSCRIPTS = dict(zip("abcdefghijklmnoprstuvwxyz0123456789+-=()",
                         "ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾"))
_PLAIN = {v: k for k, v in _SUPERSCRIPTS.items()}
_SUPERSCRIPT_RUN = re.compile(f"[{''.join(_PLAIN)}]+")


def _exponent(run: str, symbols: Mapping[str, str], pattern: re.Pattern[str]) -> str:
    """A superscript such as ``ᵇ⁻¹`` with its variables filled in: ``²⁻¹`` -> ``¹`` -> ````.

    Integer arithmetic is done (an exponent of 1 disappears); anything else is
    written out as ``^(…)``. Superscripts without a variable stay as they are.
    """
    plain = "".join(_PLAIN[c] for c in run)
    filled = pattern.sub(lambda m: symbols[m.group(1)], plain)
    if filled == plain:
        return run
    if re.fullmatch(r"[-+]?\d+([-+]\d+)*", filled):
        value = sum(int(t) for t in re.findall(r"[-+]?\d+", filled))
        return "" if value == 1 else "".join(_SUPERSCRIPTS[c] for c in str(value))
    return f"^({filled.replace('-', '−')})"


@functools.lru_cache(maxsize=1024)
def _variables(names: tuple[str, ...], latex: bool) -> re.Pattern[str]:
    """A pattern matching any of ``names`` as a whole variable (not inside a word or command)."""
    alternatives = "|".join(re.escape(v) for v in names)
    if latex:
        return re.compile(rf"(?<![A-Za-z\\])({alternatives})(?![A-Za-z])")
    return re.compile(rf"(?<![A-Za-z_])({alternatives})(?![A-Za-z0-9_])")


_ACCENTS = {"\u0302": r"\hat", "\u0304": r"\bar", "\u0303": r"\tilde", "\u0307": r"\dot"}


@functools.lru_cache(maxsize=4096)
def latex_name(name: str) -> str:
    """A node name as LaTeX: ``'u5'`` -> ``'u_{5}'``, ``'ŷ'`` -> ``'\\hat{y}'``.

    >>> print(latex_name("u5"), latex_name("ŷ"), latex_name("σ"), latex_name("fc1.weight"))
    u_{5} \\hat{y} \\sigma \\mathrm{fc}1.\\mathrm{weight}
    >>> print(latex_name("ln(1−ŷ)"), latex_name("e²"))
    \\mathrm{ln}(1-\\hat{y}) e^{2}
    """
    if re.fullmatch(r"[-+]?[\d.]+(e[-+]?\d+)?", name):
        return name  # a constant operand
    m = re.fullmatch(rf"({_LETTERS}+?)_?(\d+)", name)
    if m:
        return f"{_latex_word(m.group(1))}_{{{m.group(2)}}}"
    return _latex_word(name)


_SYMBOLS = {"²": "^{2}", "³": "^{3}", "−": "-", "·": r"\cdot ", " ": r"\,", "_": r"\_",
            "%": r"\%", "#": r"\#", "&": r"\&", "$": r"\$", "{": r"\{", "}": r"\}", "^": r"\hat{}",
            "~": r"\sim ", "\\": r"\backslash "}


def _latex_word(word: str) -> str:
    """Letters, Greek and accents as math; runs of two or more Latin letters upright."""
    parts: list[str] = []
    run = ""
    for ch in unicodedata.normalize("NFD", word):
        if ch.isascii() and ch.isalpha():
            run += ch
            continue
        if run:
            parts.append(run if len(run) == 1 else rf"\mathrm{{{run}}}")
            run = ""
        if ch in _ACCENTS and parts:
            parts[-1] = f"{_ACCENTS[ch]}{{{parts[-1]}}}"
        elif unicodedata.name(ch, "").startswith("GREEK"):
            greek = unicodedata.name(ch).split()[-1].lower()
            parts.append(f"\\{greek.capitalize() if ch.isupper() else greek} ")
        elif ch in _SYMBOLS:
            parts.append(_SYMBOLS[ch])
        elif ch.isascii():
            parts.append(ch)
        else:
            parts.append(rf"\text{{{ch}}}")
    if run:
        parts.append(run if len(run) == 1 else rf"\mathrm{{{run}}}")
    return "".join(parts).strip()
