"""Module and Parameter: what models are built from.

A Module registers the Parameters and Modules assigned to its attributes, so
``parameters()``, ``state_dict()``, ``train()``/``eval()`` and ``to(dtype)``
reach the whole tree. Calling a module runs ``forward`` inside
``ag.scope(name)``: the root's name is its class name, a child's is the
attribute it was assigned to, so every graph node knows which layer made it.

>>> import autograd_lite as ag
>>> from autograd_lite import nn
>>> class Affine(nn.Module):
...     def __init__(self):
...         super().__init__()
...         self.scale = nn.Parameter([2.0])
...         self.act = nn.Tanh()
...     def forward(self, x):
...         return self.act(x * self.scale)
>>> m = Affine()
>>> [name for name, _ in m.named_parameters()], m
(['scale'], Affine(
  (act): Tanh()
))
>>> m(ag.tensor([0.5])).grad_fn.scope
('Affine', 'act')
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple, Self

import numpy as np

from ..autograd import _state as _grad_state
from ..autograd import no_grad
from ..tensor import Tensor, get_default_dtype

__all__ = ["Module", "Parameter", "LoadResult"]


class Parameter(Tensor):
    """A Tensor a Module trains: a float leaf with ``requires_grad=True``.

    Integer data becomes the default float dtype (float32).

    >>> Parameter([1, 2])
    Parameter(tensor([1., 2.], dtype=float32, requires_grad=True))
    """

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True, dtype: Any = None,
                 name: str | None = None) -> None:
        super().__init__(data, requires_grad=False, dtype=dtype, name=name)
        if self.data.dtype.kind != "f":
            if dtype is not None:
                raise TypeError(f"Parameter: dtype {self.dtype} is not floating point; "
                                "parameters must be float32 or float64")
            self.data = self.data.astype(get_default_dtype())
        self.requires_grad_(requires_grad)

    def __repr__(self) -> str:
        return f"Parameter({super().__repr__()})"


class LoadResult(NamedTuple):
    """What ``load_state_dict`` skipped (with ``strict=False``): model keys not in the
    state, and state keys not in the model.

    >>> from autograd_lite import nn
    >>> nn.Linear(2, 2).load_state_dict({"bias": [1.0, 2.0], "extra": [0.0]}, strict=False)
    LoadResult(missing_keys=['weight'], unexpected_keys=['extra'])
    """

    missing_keys: list[str]
    unexpected_keys: list[str]


class _Running(threading.local):
    """The modules whose forward is running in this thread, innermost last."""

    def __init__(self) -> None:
        self.stack: list[Module] = []


_running = _Running()


def _scope_path(module: Module, caller: Module | None) -> tuple[str, ...]:
    """Where ``module``'s nodes go: its path inside the running ``caller``, else its class."""
    if caller is not None:
        attrs = caller.__dict__
        for name in caller._child_names:
            if attrs[name] is module:
                return (name,)
        for name, m in caller.named_modules():
            if m is module and name:
                return tuple(name.split("."))
    return (type(module).__name__,)


def _indent(text: str) -> str:
    return text.replace("\n", "\n  ")


class Module:
    """Base class of layers and models: subclass it, assign parts in ``__init__``,
    write ``forward``.

    Assigning a :class:`Parameter` or a Module to an attribute registers it
    (call ``super().__init__()`` first); ``training`` is True until ``eval()``.

    >>> from autograd_lite import nn
    >>> model = nn.Sequential(nn.Linear(2, 3, rng=0), nn.ReLU())
    >>> [name for name, _ in model.named_parameters()]
    ['0.weight', '0.bias']
    >>> model.eval().training
    False
    """

    _param_names: list[str]
    _child_names: list[str]
    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_param_names", [])
        object.__setattr__(self, "_child_names", [])
        self.training = True

    # ------------------------------------------------------------ registration
    def __setattr__(self, name: str, value: Any) -> None:
        registered = self.__dict__.get("_param_names")
        if isinstance(value, (Parameter, Module)):
            kind = "parameter" if isinstance(value, Parameter) else "submodule"
            if registered is None:
                raise AttributeError(
                    f"cannot assign {kind} {name!r} before Module.__init__() ran; call "
                    f"super().__init__() first in {type(self).__name__}.__init__")
            if not name or "." in name:
                raise ValueError(f"{type(self).__name__}: {kind} name {name!r} must be "
                                 "non-empty and contain no '.' (dots separate path parts)")
            self._unregister(name)
            (self._param_names if kind == "parameter" else self._child_names).append(name)
        elif registered is not None and value is not None:
            for names, kind, fix in (
                    (self._param_names, "parameter", "wrap it as nn.Parameter(value), or copy "
                     f"values in place: with ag.no_grad(): module.{name}[...] = value"),
                    (self._child_names, "submodule", "assign a Module or None")):
                if name in names:
                    raise TypeError(f"{type(self).__name__}: cannot assign a "
                                    f"{type(value).__name__} to {kind} {name!r}; {fix}")
        elif registered is not None:
            self._unregister(name)  # `self.bias = None` removes the parameter
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self._unregister(name)
        object.__delattr__(self, name)

    def _unregister(self, name: str) -> None:
        for names in (self._param_names, self._child_names):
            if name in names:
                names.remove(name)

    # ------------------------------------------------------------ running
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """What the module computes; subclasses define it. Call the module, not this."""
        raise NotImplementedError(f"{type(self).__name__} must define forward(...)")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        stack = _running.stack
        path: tuple[str, ...]
        if stack:  # the usual case, a direct child of the running module, looked up here
            caller = stack[-1]
            attrs = caller.__dict__
            for name in caller._child_names:
                if attrs[name] is self:
                    path = (name,)
                    break
            else:
                path = _scope_path(self, caller)
        else:
            path = (type(self).__name__,)
        stack.append(self)
        # What nesting ag.scope(part) for each part does, without a context manager per part.
        state = _grad_state
        outer = state.scope
        state.scope = outer + path
        try:
            return self.forward(*args, **kwargs)
        finally:
            state.scope = outer
            stack.pop()

    # ------------------------------------------------------------ the tree
    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The direct submodules with their attribute names.

        >>> from autograd_lite import nn
        >>> [name for name, _ in nn.Sequential(nn.ReLU(), nn.Tanh()).named_children()]
        ['0', '1']
        """
        for name in self._child_names:
            yield name, self.__dict__[name]

    def children(self) -> Iterator[Module]:
        """The direct submodules.

        >>> from autograd_lite import nn
        >>> list(nn.Sequential(nn.ReLU()).children())
        [ReLU()]
        """
        for _, child in self.named_children():
            yield child

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module (named ``prefix``) and every submodule, with dotted paths, each once.

        >>> from autograd_lite import nn
        >>> [name for name, _ in nn.MLP(4, [3], 2, rng=0).named_modules()]
        ['', 'layers', 'layers.0', 'layers.1', 'layers.2']
        """
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:  # depth first, children in order
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            stack.extend(reversed([(f"{name}.{n}" if name else n, c)
                                   for n, c in module.named_children()]))

    def modules(self) -> Iterator[Module]:
        """This module and every submodule, each once.

        >>> from autograd_lite import nn
        >>> len(list(nn.Sequential(nn.ReLU(), nn.Tanh()).modules()))
        3
        """
        for _, module in self.named_modules():
            yield module

    def named_parameters(self, prefix: str = "", recurse: bool = True
                         ) -> Iterator[tuple[str, Parameter]]:
        """Every parameter with its dotted path (``"layers.0.weight"``), each once.

        >>> from autograd_lite import nn
        >>> [(n, p.shape) for n, p in nn.Linear(3, 2, rng=0).named_parameters()]
        [('weight', (3, 2)), ('bias', (2,))]
        """
        modules = self.named_modules(prefix) if recurse else iter([(prefix, self)])
        seen: set[int] = set()
        for module_name, module in modules:
            for name in module._param_names:
                p = module.__dict__[name]
                if id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{module_name}.{name}" if module_name else name), p

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter, each once (what an optimizer takes).

        >>> from autograd_lite import nn
        >>> sum(p.size for p in nn.MLP(784, [100], 10, rng=0).parameters())
        79510
        """
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def apply(self, fn: Callable[[Module], Any]) -> Self:
        """Call ``fn`` on every submodule (children first), then on this one; returns self.

        >>> from autograd_lite import nn
        >>> seen = []
        >>> _ = nn.Sequential(nn.ReLU(), nn.Tanh()).apply(lambda m: seen.append(type(m).__name__))
        >>> seen
        ['ReLU', 'Tanh', 'Sequential']
        """
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------ modes and state
    def train(self, mode: bool = True) -> Self:
        """Set ``training`` on this module and every submodule (dropout is active); returns self.

        >>> from autograd_lite import nn
        >>> nn.Dropout(0.5).train().training
        True
        """
        if not isinstance(mode, bool):
            raise TypeError(f"train: mode must be True or False, not {mode!r}")
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> Self:
        """``train(False)``: dropout becomes the identity; returns self.

        >>> from autograd_lite import nn
        >>> nn.Dropout(0.5).eval().training
        False
        """
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the accumulated gradients: ``.grad = None`` (or zeros in place).

        >>> import autograd_lite as ag
        >>> from autograd_lite import nn
        >>> layer = nn.Linear(2, 1, rng=0)
        >>> layer(ag.ones(1, 2)).sum().backward()
        >>> layer.zero_grad(); layer.weight.grad is None
        True
        """
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            elif p.grad.requires_grad:  # a graph-carrying grad (create_graph): replace it
                p.grad = Tensor(np.zeros_like(p.grad.data))
            else:
                p.grad.zero_()

    def to(self, dtype: Any) -> Self:
        """Convert every parameter (and its gradient) to ``dtype`` in place; returns self.

        The Parameter objects stay the same, so an optimizer holding them keeps working.

        >>> from autograd_lite import nn
        >>> nn.Linear(2, 2, rng=0).to("float64").weight.dtype
        dtype('float64')
        """
        d = np.dtype(dtype)
        if d.kind != "f":
            raise TypeError(f"{type(self).__name__}.to: {d} is not a floating-point dtype; "
                            "parameters must be float32 or float64")
        for p in self.parameters():
            if p.dtype != d:
                p.data = p.data.astype(d)
                p._vc[0] += 1  # a graph that saved the old values must not use the new ones
                if p.grad is not None:
                    p.grad = Tensor(p.grad.data, dtype=d)
        return self

    def double(self) -> Self:
        """``to(float64)``, e.g. before ``ag.gradcheck``.

        >>> from autograd_lite import nn
        >>> nn.Linear(2, 2, rng=0).double().bias.dtype
        dtype('float64')
        """
        return self.to(np.float64)

    def float(self) -> Self:
        """``to(float32)``.

        >>> from autograd_lite import nn
        >>> nn.Linear(2, 2, rng=0).double().float().bias.dtype
        dtype('float32')
        """
        return self.to(np.float32)

    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of every parameter's values, keyed by dotted path.

        >>> from autograd_lite import nn
        >>> {k: v.shape for k, v in nn.Linear(3, 2, rng=0).state_dict().items()}
        {'weight': (3, 2), 'bias': (2,)}
        """
        return {name: p.data.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> LoadResult:
        """Copy values from ``state`` (arrays or Tensors by dotted path) into the parameters.

        Everything is checked before anything is copied: with ``strict=True`` a
        missing or unexpected key, and always a shape mismatch, raises
        ``ValueError`` listing every problem, and leaves the model untouched.
        Values are cast to each parameter's dtype.

        >>> from autograd_lite import nn
        >>> a, b = nn.Linear(3, 2, rng=0), nn.Linear(3, 2, rng=1)
        >>> b.load_state_dict(a.state_dict())
        LoadResult(missing_keys=[], unexpected_keys=[])
        >>> nn.Linear(3, 4).load_state_dict(a.state_dict())
        Traceback (most recent call last):
        ...
        ValueError: load_state_dict: the state does not fit Linear; nothing was loaded:
          'weight': the state has shape (3, 2) but the model has (3, 4)
          'bias': the state has shape (2,) but the model has (4,)
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict: expects a mapping of name -> array (from "
                            f"state_dict() or nn.load_state), got {type(state).__name__}")
        own = dict(self.named_parameters())
        missing = [k for k in own if k not in state]
        unexpected = [k for k in state if k not in own]
        problems = []
        if strict and missing:
            problems.append(f"missing keys: {missing}")
        if strict and unexpected:
            problems.append(f"unexpected keys: {unexpected}")
        values: dict[str, np.ndarray] = {}
        for name, p in own.items():
            if name not in state:
                continue
            value = state[name]
            arr = np.asarray(value.data if isinstance(value, Tensor) else value)
            if arr.dtype.kind not in "biuf":
                problems.append(f"{name!r}: the state holds {arr.dtype} values, not numbers")
            elif arr.shape != p.shape:
                problems.append(f"{name!r}: the state has shape {arr.shape} but the model "
                                f"has {p.shape}")
            else:
                values[name] = arr
        if problems:
            hint = ("\n(strict=False loads only the keys both have)"
                    if strict and (missing or unexpected) else "")
            raise ValueError(f"load_state_dict: the state does not fit {type(self).__name__}; "
                             "nothing was loaded:\n  " + "\n  ".join(problems) + hint)
        with no_grad():
            for name, arr in values.items():
                own[name][...] = arr
        return LoadResult(missing, unexpected)

    # ------------------------------------------------------------ printing
    def extra_repr(self) -> str:
        """The settings shown inside this module's parentheses; subclasses override it."""
        return ""

    def __repr__(self) -> str:
        lines = [self.extra_repr()] if self.extra_repr() else []
        lines += [f"({name}): {_indent(repr(child))}" for name, child in self.named_children()]
        if len(lines) <= 1 and not self._child_names:
            return f"{type(self).__name__}({''.join(lines)})"
        return f"{type(self).__name__}(\n" + "".join(f"  {line}\n" for line in lines) + ")"
