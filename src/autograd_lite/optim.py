"""Optimizers (SGD, Adam) and a learning-rate schedule (StepLR), like PyTorch's.

An optimizer holds ``param_groups`` (each a dict: ``"params"`` plus its
hyperparameters) and updates every parameter that has a ``.grad`` in place,
on ``p.data``, with PyTorch's update rules. Updates reuse preallocated
buffers (no allocation per step after the first), keep float32 parameters
float32, and bump each parameter's version counter so that a graph which
saved the old values refuses to backpropagate through them.
``state_dict()`` holds only numbers, lists, dicts and ndarrays (parameters
are referred to by index), so it can be saved without pickle.

>>> import autograd_lite as ag
>>> from autograd_lite import optim
>>> w = ag.tensor([3.0, -2.0], requires_grad=True)
>>> opt = optim.SGD([w], lr=0.1, momentum=0.5)
>>> for _ in range(60):
...     opt.zero_grad()
...     (w ** 2).sum().backward()
...     opt.step()
>>> bool(abs(w.data).max() < 1e-4), w.dtype
(True, dtype('float32'))
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
import numbers
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from .tensor import Tensor

__all__ = ["Optimizer", "SGD", "Adam", "StepLR"]

Params = Iterable[Tensor] | Iterable[Mapping[str, Any]]


# ---------------------------------------------------------------- checks

def _number(where: str, name: str, value: Any) -> float:
    """``value`` as a finite Python float, or a TypeError/ValueError naming it."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()  # hyperparameters read back from an .npz file
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{where}: {name} must be a real number, got {value!r} "
                        f"({type(value).__name__})")
    x = float(value)
    if not math.isfinite(x):
        raise ValueError(f"{where}: {name} must be finite, got {x}")
    return x


def _non_negative(where: str, name: str, value: Any, why: str = "") -> float:
    x = _number(where, name, value)
    if x < 0:
        raise ValueError(f"{where}: {name} must be >= 0, got {x}{why}")
    return x


def _flag(where: str, name: str, value: Any) -> bool:
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{where}: {name} must be True or False, got {value!r}")
    return bool(value)


def _index(where: str, value: Any, what: str = "a parameter index") -> int:
    """A non-negative int from an int, a numeric string (JSON keys) or a 0-d array."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{where}: expected {what} (an int >= 0), got {value!r}")
    return int(value)


def _plain(value: Any) -> Any:
    """Tuples become lists so that the state dict holds only JSON-like containers."""
    return [_plain(v) for v in value] if isinstance(value, (tuple, list)) else value


# ---------------------------------------------------------------- base class

class Optimizer(ABC):
    """Base class: parameter groups, ``zero_grad``, ``step`` and the state dict.

    ``params`` is an iterable of Tensors (one group) or of dicts, each with
    ``"params"`` and any hyperparameters that differ from the defaults.
    Subclasses set ``defaults``, implement ``_check`` (validate and
    normalise one group's hyperparameters) and ``_update`` (one parameter).

    >>> import autograd_lite as ag
    >>> from autograd_lite import optim
    >>> a, b = ag.zeros(2, requires_grad=True), ag.zeros(3, requires_grad=True)
    >>> opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.01}], lr=0.1)
    >>> [(g["lr"], len(g["params"])) for g in opt.param_groups]
    [(0.1, 1), (0.01, 1)]
    """

    #: Keys of each parameter's state: arrays shaped like the parameter, and ints.
    _array_keys: tuple[str, ...] = ()
    _int_keys: tuple[str, ...] = ()

    def __init__(self, params: Params, defaults: dict[str, Any]) -> None:
        self.defaults = self._check(defaults, type(self).__name__)
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[Tensor, dict[str, Any]] = {}
        self._scratch: dict[tuple[np.dtype[Any], int], np.ndarray] = {}
        self._scratch_views: dict[tuple[np.dtype[Any], int, tuple[int, ...]], np.ndarray] = {}
        self._validated: dict[int, tuple[tuple[Any, ...], tuple[type, ...], dict[str, Any]]] = {}
        name = type(self).__name__
        if isinstance(params, (Tensor, np.ndarray)):
            raise TypeError(f"{name}: params must be an iterable of Tensors or of dicts, got a "
                            f"single {type(params).__name__}; wrap it in a list: {name}([p], ...)")
        items = list(params)
        if not items:
            raise ValueError(f"{name}: got an empty parameter list; pass model.parameters() "
                             "or a list of tensors with requires_grad=True")
        dicts = [g for g in items if isinstance(g, Mapping)]
        if dicts and len(dicts) != len(items):
            raise TypeError(f"{name}: params mixes dicts and tensors; pass either tensors (one "
                            "group) or dicts with 'params' (one per group)")
        for group in dicts or [{"params": items}]:
            self.add_param_group(group)

    # ------------------------------------------------------------ groups
    @abstractmethod
    def _check(self, options: Mapping[str, Any], where: str) -> dict[str, Any]:
        """Validated, normalised hyperparameters (everything but "params")."""

    def add_param_group(self, group: Mapping[str, Any]) -> None:
        """Add a group of parameters with its own hyperparameters (others: the defaults).

        >>> import autograd_lite as ag
        >>> from autograd_lite import optim
        >>> opt = optim.SGD([ag.zeros(2, requires_grad=True)], lr=0.1)
        >>> opt.add_param_group({"params": [ag.zeros(1, requires_grad=True)], "lr": 1.0})
        >>> [g["lr"] for g in opt.param_groups]
        [0.1, 1.0]
        """
        name = type(self).__name__
        where = f"{name}: param group {len(self.param_groups)}"
        if not isinstance(group, Mapping) or "params" not in group:
            raise TypeError(f"{where}: a group must be a dict with a 'params' entry, got "
                            f"{type(group).__name__}")
        unknown = sorted(set(group) - set(self.defaults) - {"params"})
        if unknown:
            raise ValueError(f"{where}: unknown option(s) {', '.join(map(repr, unknown))}; "
                             f"the options are {', '.join(self.defaults)}")
        raw = group["params"]
        params = [raw] if isinstance(raw, Tensor) else list(raw)
        if not params:
            raise ValueError(f"{where}: 'params' is empty; every group needs at least one "
                             "parameter")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for i, p in enumerate(params):
            what = f"{where}, parameter {i}"
            if not isinstance(p, Tensor):
                raise TypeError(f"{what} is a {type(p).__name__}, not a Tensor; pass "
                                "model.parameters() or a list of Tensors")
            if not p.requires_grad:
                raise ValueError(f"{what} (shape {p.shape}, {p.dtype}) does not require grad, "
                                 "so it would never get a gradient; call p.requires_grad_() "
                                 "or leave it out")
            if not p.is_leaf:
                raise ValueError(f"{what} is not a leaf (it was made by op "
                                 f"{p.grad_fn.name if p.grad_fn else '?'!r}); optimize the "
                                 "leaf tensors it was computed from")
            if id(p) in seen:
                raise ValueError(f"{what} (shape {p.shape}) appears more than once in the "
                                 "optimizer; give each parameter to one group only")
            seen.add(id(p))
        options = self._check({**self.defaults, **{k: v for k, v in group.items()
                                                  if k != "params"}}, where)
        self.param_groups.append({"params": params, **options})

    # ------------------------------------------------------------ stepping
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: set ``.grad`` to None, or fill it with zeros in place.

        >>> import autograd_lite as ag
        >>> from autograd_lite import optim
        >>> w = ag.tensor([1.0], requires_grad=True)
        >>> opt = optim.SGD([w], lr=0.1)
        >>> (w * 3).sum().backward(); opt.zero_grad(set_to_none=False); w.grad
        tensor([0.], dtype=float32)
        >>> opt.zero_grad(); w.grad is None
        True
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                elif isinstance(p.grad, Tensor) and p.grad.requires_grad:
                    # a gradient recorded with create_graph: drop the graph, like torch
                    p.grad = Tensor._wrap(np.zeros_like(p.grad.data))
                else:
                    p.grad.data.fill(0)
                    p.grad._vc[0] += 1

    def step(self) -> None:
        """Update every parameter that has a gradient; those whose ``.grad`` is None are skipped.

        The update runs on the ndarrays (no graph is recorded) in place; each
        updated parameter's version counter is bumped.

        >>> import autograd_lite as ag
        >>> from autograd_lite import optim
        >>> w = ag.tensor([1.0, 2.0], requires_grad=True)
        >>> opt = optim.SGD([w], lr=0.5)
        >>> (w * w).sum().backward(); opt.step(); w
        tensor([0., 0.], dtype=float32, requires_grad=True)
        """
        name = type(self).__name__
        index = 0
        for gi, group in enumerate(self.param_groups):
            options = self._checked_options(gi, group)
            for p in group["params"]:
                index += 1
                grad = p.grad
                if grad is None:
                    continue
                g = grad.data if isinstance(grad, Tensor) else np.asarray(grad)
                data = p.data
                if g.shape != data.shape:
                    raise ValueError(f"{name}.step: parameter {index - 1} has shape {data.shape} "
                                     f"but its .grad has shape {g.shape}; a gradient must have "
                                     "the shape of its parameter")
                state = self.state.get(p)
                if state is None:
                    state = self.state[p] = {}
                for key in self._array_keys:  # the parameter may have been cast (nn .to())
                    buf = state.get(key)
                    if buf is not None and buf.dtype != data.dtype:
                        state[key] = buf.astype(data.dtype)
                self._update(data, g, state, options)
                p._vc[0] += 1

    def _checked_options(self, gi: int, group: dict[str, Any]) -> dict[str, Any]:
        """The group's validated hyperparameters; validated again only when one changed
        (in value or in type: ``nesterov=1`` is not ``True``)."""
        values = []
        for key in self.defaults:  # (a loop: comprehensions cost a frame each, every step)
            value = group[key]
            values.append(list(value) if type(value) is list else value)
        snapshot = tuple(values)
        types = tuple(map(type, snapshot))
        cached = self._validated.get(gi)
        if cached is not None and cached[1] == types:
            try:
                if cached[0] == snapshot:
                    return cached[2]
            except (TypeError, ValueError):  # e.g. an array put in a group: check it
                pass
        options = self._check(group, f"{type(self).__name__}.step: param group {gi}")
        self._validated[gi] = (snapshot, types, options)
        return options

    @abstractmethod
    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any],
                options: dict[str, Any]) -> None:
        """Update ``p`` in place from its gradient ``g``, its state and the group options."""

    def _buffer(self, p: np.ndarray, slot: int) -> np.ndarray:
        """Scratch space shaped like ``p``: a view of one buffer per (dtype, slot), sized
        for the largest parameter of that dtype, allocated once."""
        view = self._scratch_views.get((p.dtype, slot, p.shape))
        if view is not None:
            return view
        key = (p.dtype, slot)
        buf = self._scratch.get(key)
        if buf is None or buf.size < p.size:
            size = max([q.data.size for g in self.param_groups for q in g["params"]
                        if q.data.dtype == p.dtype] + [p.size])
            buf = self._scratch[key] = np.empty(size, p.dtype)
            self._scratch_views.clear()  # views of the old, smaller buffer
        view = self._scratch_views[(p.dtype, slot, p.shape)] = buf[: p.size].reshape(p.shape)
        return view

    # ------------------------------------------------------------ state dict
    def state_dict(self) -> dict[str, Any]:
        """A snapshot: ``{"state": {index: {...}}, "param_groups": [{..., "params": [index, ...]}]}``.

        Parameters are numbered across groups in order; the arrays are copies.
        Only numbers, lists, dicts (int or str keys) and ndarrays, so it can be
        written to .npz or JSON without pickle.

        >>> import autograd_lite as ag
        >>> from autograd_lite import optim
        >>> w = ag.tensor([1.0, 2.0], requires_grad=True)
        >>> opt = optim.SGD([w], lr=0.1, momentum=0.9)
        >>> (w * w).sum().backward(); opt.step()
        >>> sd = opt.state_dict()
        >>> sd["state"]
        {0: {'momentum_buffer': array([2., 4.], dtype=float32)}}
        >>> sd["param_groups"]  # doctest: +NORMALIZE_WHITESPACE
        [{'lr': 0.1, 'momentum': 0.9, 'dampening': 0.0, 'nesterov': False, 'weight_decay': 0.0,
          'params': [0]}]
        """
        state: dict[int, dict[str, Any]] = {}
        groups: list[dict[str, Any]] = []
        index = 0
        for group in self.param_groups:
            ids = []
            for p in group["params"]:
                entry = self.state.get(p)
                if entry:
                    state[index] = {k: (np.array(v, copy=True) if isinstance(v, np.ndarray)
                                        else v) for k, v in entry.items()}
                ids.append(index)
                index += 1
            groups.append({**{k: _plain(v) for k, v in group.items() if k != "params"},
                           "params": ids})
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore hyperparameters and per-parameter state saved by ``state_dict()``.

        The i-th saved parameter is matched to the i-th parameter here (same
        groups, same order, same shapes); everything is checked before anything
        changes. Arrays are copied and cast to each parameter's dtype; state
        keys may be ints or numeric strings (as after a JSON round trip).

        >>> import autograd_lite as ag
        >>> from autograd_lite import optim
        >>> w = ag.tensor([1.0, 2.0], requires_grad=True)
        >>> opt = optim.SGD([w], lr=0.1, momentum=0.9)
        >>> (w * w).sum().backward(); opt.step()
        >>> opt2 = optim.SGD([w], lr=0.5)
        >>> opt2.load_state_dict(opt.state_dict()); opt2.param_groups[0]["momentum"]
        0.9
        >>> opt3 = optim.SGD([ag.zeros(3, requires_grad=True)], lr=0.1)
        >>> opt3.load_state_dict(opt.state_dict())  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: SGD.load_state_dict: state for parameter 0: momentum_buffer has shape (2,) ...
        """
        where = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, Mapping) or not {"state", "param_groups"} <= set(state_dict):
            got = (f"keys {sorted(map(str, state_dict))}" if isinstance(state_dict, Mapping)
                   else type(state_dict).__name__)
            raise ValueError(f"{where}: expected a dict with keys 'state' and 'param_groups' "
                             f"(from Optimizer.state_dict()), got {got}")
        saved_groups = state_dict["param_groups"]
        if not isinstance(saved_groups, (list, tuple)) or len(saved_groups) != len(self.param_groups):
            n = len(saved_groups) if isinstance(saved_groups, (list, tuple)) else "no list of"
            raise ValueError(f"{where}: the saved state has {n} parameter group(s) but this "
                             f"optimizer has {len(self.param_groups)}; build the optimizer with "
                             "the same groups as the one that was saved")
        params: dict[int, Tensor] = {}
        new_options = []
        for gi, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            gwhere = f"{where}: param group {gi}"
            if not isinstance(saved, Mapping) or "params" not in saved:
                raise ValueError(f"{gwhere} must be a dict with a 'params' list")
            ids = [_index(gwhere, i) for i in saved["params"]]
            if len(ids) != len(group["params"]):
                raise ValueError(f"{gwhere} has {len(ids)} parameter(s) in the saved state but "
                                 f"{len(group['params'])} here; the model or its grouping differs")
            unknown = sorted(set(saved) - set(self.defaults) - {"params"})
            if unknown:
                raise ValueError(f"{gwhere}: unknown option(s) {', '.join(map(repr, unknown))}; "
                                 f"{type(self).__name__} has {', '.join(self.defaults)} "
                                 "(was the state saved from another optimizer?)")
            options = {k: v for k, v in group.items() if k != "params"}
            options.update({k: v for k, v in saved.items() if k != "params"})
            new_options.append(self._check(options, gwhere))
            for i, p in zip(ids, group["params"]):
                if i in params:
                    raise ValueError(f"{gwhere}: parameter index {i} appears twice")
                params[i] = p
        saved_state = state_dict["state"]
        if not isinstance(saved_state, Mapping):
            raise ValueError(f"{where}: 'state' must be a dict of parameter index -> state, got "
                             f"{type(saved_state).__name__}")
        new_state: dict[Tensor, dict[str, Any]] = {}
        keys = set(self._array_keys) | set(self._int_keys)
        for raw_index, entry in saved_state.items():
            i = _index(f"{where}: 'state'", raw_index)
            ewhere = f"{where}: state for parameter {i}"
            if i not in params:
                raise ValueError(f"{ewhere}: no parameter {i} in the saved param_groups")
            if not isinstance(entry, Mapping):
                raise ValueError(f"{ewhere} must be a dict, got {type(entry).__name__}")
            if not entry:
                continue
            if set(entry) != keys:
                raise ValueError(f"{ewhere} has keys {sorted(entry)} but "
                                 f"{type(self).__name__} keeps {sorted(keys)}; was the state "
                                 "saved from another optimizer?")
            p = params[i]
            new: dict[str, Any] = {}
            for k in self._array_keys:
                arr = np.array(entry[k], dtype=p.dtype, copy=True)
                if arr.shape != p.shape:
                    raise ValueError(f"{ewhere}: {k} has shape {arr.shape} but the parameter has "
                                     f"shape {p.shape}; was the state saved from another model?")
                new[k] = arr
            for k in self._int_keys:
                new[k] = _index(ewhere, entry[k], f"{k} as a count")
            new_state[p] = new
        for group, options in zip(self.param_groups, new_options):
            group.update(options)
        self.state = new_state

    def __repr__(self) -> str:
        groups = [", ".join(f"{k}={v!r}" for k, v in g.items() if k != "params")
                  + f"; {len(g['params'])} parameter(s)" for g in self.param_groups]
        return f"{type(self).__name__}({' | '.join(groups)})"


# ---------------------------------------------------------------- SGD

class SGD(Optimizer):
    """Stochastic gradient descent with momentum, dampening, Nesterov and weight decay.

    PyTorch's rule, per parameter ``p`` with gradient ``g`` (``b`` starts as
    ``g`` at the first step)::

        g = g + weight_decay * p                       # if weight_decay
        b = momentum * b + (1 - dampening) * g         # if momentum
        g = g + momentum * b if nesterov else b        # if momentum
        p = p - lr * g

    >>> import autograd_lite as ag
    >>> from autograd_lite import optim
    >>> w = ag.tensor([1.0], requires_grad=True)
    >>> opt = optim.SGD([w], lr=0.1, momentum=0.9, nesterov=True)
    >>> opt
    SGD(lr=0.1, momentum=0.9, dampening=0.0, nesterov=True, weight_decay=0.0; 1 parameter(s))
    >>> optim.SGD([w], lr=0.1, nesterov=True)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: SGD: nesterov=True needs momentum > 0 and dampening = 0, got momentum=0.0, ...
    """

    _array_keys = ("momentum_buffer",)

    def __init__(self, params: Params, lr: float, momentum: float = 0.0, dampening: float = 0.0,
                 nesterov: bool = False, weight_decay: float = 0.0) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      nesterov=nesterov, weight_decay=weight_decay))

    def _check(self, options: Mapping[str, Any], where: str) -> dict[str, Any]:
        lr = _non_negative(where, "lr", options["lr"],
                           " (a negative learning rate climbs the loss)")
        momentum = _non_negative(where, "momentum", options["momentum"])
        dampening = _number(where, "dampening", options["dampening"])
        if not 0 <= dampening <= 1:
            raise ValueError(f"{where}: dampening must be in [0, 1], got {dampening}")
        nesterov = _flag(where, "nesterov", options["nesterov"])
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(f"{where}: nesterov=True needs momentum > 0 and dampening = 0, got "
                             f"momentum={momentum}, dampening={dampening}; set e.g. "
                             "momentum=0.9, or nesterov=False")
        weight_decay = _non_negative(where, "weight_decay", options["weight_decay"])
        return dict(lr=lr, momentum=momentum, dampening=dampening, nesterov=nesterov,
                    weight_decay=weight_decay)

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any],
                options: dict[str, Any]) -> None:
        lr, momentum, dampening = options["lr"], options["momentum"], options["dampening"]
        d, d_is_scratch = g, False  # the direction; g itself is never written
        if options["weight_decay"] != 0:
            d, d_is_scratch = self._buffer(p, 0), True
            np.multiply(p, options["weight_decay"], out=d)
            np.add(d, g, out=d)
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.array(d, dtype=p.dtype, copy=True)
            else:
                np.multiply(buf, momentum, out=buf)
                if dampening == 0:
                    np.add(buf, d, out=buf)
                else:  # then not nesterov, so d may be overwritten
                    s = self._buffer(p, 0)
                    np.multiply(d, 1 - dampening, out=s)
                    np.add(buf, s, out=buf)
            if options["nesterov"]:
                if d_is_scratch:
                    s = self._buffer(p, 1)
                    np.multiply(buf, momentum, out=s)
                    np.add(d, s, out=d)
                else:
                    d, d_is_scratch = self._buffer(p, 0), True
                    np.multiply(buf, momentum, out=d)
                    np.add(g, d, out=d)
            else:
                d, d_is_scratch = buf, False
        step = d if d_is_scratch else self._buffer(p, 0)
        np.multiply(d, lr, out=step)
        np.subtract(p, step, out=p)


# ---------------------------------------------------------------- Adam

class Adam(Optimizer):
    """Adam with bias correction and L2 weight decay (added to the gradient), as in PyTorch.

    Per parameter, at step ``t`` (``m`` and ``v`` start at zero)::

        g = g + weight_decay * p                       # if weight_decay
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    >>> import autograd_lite as ag
    >>> from autograd_lite import optim
    >>> w = ag.tensor([1.0, -1.0], requires_grad=True)
    >>> opt = optim.Adam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); w    # the first step moves each weight by ~lr
    tensor([ 0.9, -0.9], dtype=float32, requires_grad=True)
    >>> optim.Adam([w], betas=(0.9, 1.0))
    Traceback (most recent call last):
    ...
    ValueError: Adam: betas[1] must be in [0, 1), got 1.0
    """

    _array_keys = ("exp_avg", "exp_avg_sq")
    _int_keys = ("step",)

    def __init__(self, params: Params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    def _check(self, options: Mapping[str, Any], where: str) -> dict[str, Any]:
        lr = _non_negative(where, "lr", options["lr"],
                           " (a negative learning rate climbs the loss)")
        betas = options["betas"]
        if isinstance(betas, np.ndarray):
            betas = betas.tolist()
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{where}: betas must be a pair (beta1, beta2), got {betas!r}")
        b = tuple(_number(where, f"betas[{i}]", x) for i, x in enumerate(betas))
        for i, x in enumerate(b):
            if not 0 <= x < 1:
                raise ValueError(f"{where}: betas[{i}] must be in [0, 1), got {x}")
        eps = _non_negative(where, "eps", options["eps"])
        weight_decay = _non_negative(where, "weight_decay", options["weight_decay"])
        return dict(lr=lr, betas=b, eps=eps, weight_decay=weight_decay)

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any],
                options: dict[str, Any]) -> None:
        beta1, beta2 = options["betas"]
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(p), exp_avg_sq=np.zeros_like(p))
        t = state["step"] = state["step"] + 1
        m, v = state["exp_avg"], state["exp_avg_sq"]
        d, s = g, self._buffer(p, 0)
        if options["weight_decay"] != 0:
            d, s = s, self._buffer(p, 1)
            np.multiply(p, options["weight_decay"], out=d)
            np.add(d, g, out=d)
        np.multiply(m, beta1, out=m)
        np.multiply(d, 1 - beta1, out=s)
        np.add(m, s, out=m)
        np.multiply(v, beta2, out=v)
        np.multiply(d, d, out=s)
        np.multiply(s, 1 - beta2, out=s)
        np.add(v, s, out=v)
        step_size = options["lr"] / (1 - beta1 ** t)
        np.sqrt(v, out=s)
        np.divide(s, math.sqrt(1 - beta2 ** t), out=s)
        np.add(s, options["eps"], out=s)
        np.divide(m, s, out=s)
        np.multiply(s, step_size, out=s)
        np.subtract(p, s, out=p)


# ---------------------------------------------------------------- schedules

class StepLR:
    """Multiply each group's learning rate by ``gamma`` every ``step_size`` calls of ``step()``.

    After ``e`` calls the learning rate is ``base_lr * gamma ** (e // step_size)``
    (PyTorch's closed form), where ``base_lr`` is the group's lr when the
    scheduler was made. Call ``scheduler.step()`` once per epoch, after the
    optimizer's steps.

    >>> import autograd_lite as ag
    >>> from autograd_lite import optim
    >>> opt = optim.SGD([ag.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = optim.StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for epoch in range(5):
    ...     lrs.append(sched.get_last_lr()[0]); sched.step()
    >>> lrs, opt.param_groups[0]["lr"]
    ([1.0, 1.0, 0.5, 0.5, 0.25], 0.25)
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"StepLR: optimizer must be an Optimizer (e.g. optim.SGD), got "
                            f"{type(optimizer).__name__}")
        self.optimizer = optimizer
        self.step_size, self.gamma = self._check(step_size, gamma, "StepLR")
        self.base_lrs = [float(g["lr"]) for g in optimizer.param_groups]
        self.last_epoch = 0
        self._last_lr = list(self.base_lrs)

    @staticmethod
    def _check(step_size: Any, gamma: Any, where: str) -> tuple[int, float]:
        if isinstance(step_size, np.ndarray) and step_size.ndim == 0:
            step_size = step_size.item()
        if (isinstance(step_size, (bool, np.bool_)) or not isinstance(step_size, (int, np.integer))
                or step_size < 1):
            raise ValueError(f"{where}: step_size must be an int >= 1 (epochs between decays), "
                             f"got {step_size!r}")
        g = _number(where, "gamma", gamma)
        if g <= 0:
            raise ValueError(f"{where}: gamma must be > 0 (the factor applied every step_size "
                             f"epochs, e.g. 0.1), got {g}")
        return int(step_size), g

    def _apply(self, where: str) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.base_lrs):
            raise ValueError(f"{where}: the optimizer has {len(groups)} param group(s) but the "
                             f"scheduler knows {len(self.base_lrs)}; make the scheduler after "
                             "adding every group")
        factor = self.gamma ** (self.last_epoch // self.step_size)
        self._last_lr = [base * factor for base in self.base_lrs]
        for group, lr in zip(groups, self._last_lr):
            group["lr"] = lr

    def step(self) -> None:
        """End an epoch: advance the count and set each group's lr.

        >>> import autograd_lite as ag
        >>> from autograd_lite import optim
        >>> opt = optim.SGD([ag.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = optim.StepLR(opt, step_size=1, gamma=0.1)
        >>> sched.step(); opt.param_groups[0]["lr"]
        0.1
        """
        self.last_epoch += 1
        self._apply("StepLR.step")

    def get_last_lr(self) -> list[float]:
        """The learning rate of each group, as last set by the scheduler.

        >>> import autograd_lite as ag
        >>> from autograd_lite import optim
        >>> opt = optim.SGD([ag.zeros(1, requires_grad=True)], lr=0.5)
        >>> optim.StepLR(opt, step_size=10).get_last_lr()
        [0.5]
        """
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """``step_size``, ``gamma``, ``base_lrs`` and ``last_epoch``: plain numbers and a list.

        >>> import autograd_lite as ag
        >>> from autograd_lite import optim
        >>> opt = optim.SGD([ag.zeros(1, requires_grad=True)], lr=0.5)
        >>> optim.StepLR(opt, step_size=10).state_dict()
        {'step_size': 10, 'gamma': 0.1, 'base_lrs': [0.5], 'last_epoch': 0}
        """
        return {"step_size": self.step_size, "gamma": self.gamma,
                "base_lrs": list(self.base_lrs), "last_epoch": self.last_epoch}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore a ``state_dict()`` and set the optimizer's learning rates to match.

        >>> import autograd_lite as ag
        >>> from autograd_lite import optim
        >>> opt = optim.SGD([ag.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = optim.StepLR(opt, step_size=1, gamma=0.5)
        >>> sched.load_state_dict({"step_size": 1, "gamma": 0.5, "base_lrs": [1.0], "last_epoch": 3})
        >>> sched.get_last_lr(), opt.param_groups[0]["lr"]
        ([0.125], 0.125)
        """
        where = "StepLR.load_state_dict"
        needed = {"step_size", "gamma", "base_lrs", "last_epoch"}
        if not isinstance(state_dict, Mapping) or not needed <= set(state_dict):
            raise ValueError(f"{where}: expected a dict with keys {sorted(needed)} (from "
                             "StepLR.state_dict())")
        step_size, gamma = self._check(state_dict["step_size"], state_dict["gamma"], where)
        base_lrs = [_non_negative(where, "base_lrs[i]", x) for x in state_dict["base_lrs"]]
        if len(base_lrs) != len(self.optimizer.param_groups):
            raise ValueError(f"{where}: the saved state has {len(base_lrs)} learning rate(s) but "
                             f"the optimizer has {len(self.optimizer.param_groups)} param group(s)")
        last_epoch = _index(where, state_dict["last_epoch"], "last_epoch as a count")
        self.step_size, self.gamma, self.base_lrs, self.last_epoch = (
            step_size, gamma, base_lrs, last_epoch)
        self._apply(where)

    def __repr__(self) -> str:
        return (f"StepLR(step_size={self.step_size}, gamma={self.gamma}, "
                f"last_epoch={self.last_epoch}, lr={self._last_lr})")
