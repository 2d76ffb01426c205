"""Training checkpoints: everything ``fit`` needs to continue a run exactly, in one ``.npz``.

One archive, written atomically (``_io.atomic_save_npz``) and never pickled:

=====================  =============================================================
entry                  content
=====================  =============================================================
``__checkpoint__``     format version (int)
``epoch``              epochs completed (int)
``stopped``            whether early stopping ended the run (bool)
``model/<name>``       each parameter (``model.state_dict()``)
``optimizer``          the optimizer's ``state_dict()`` as JSON; its arrays are the
                       entries ``optimizer/<i>``
``scheduler``          the lr scheduler's ``state_dict()`` likewise (``"null"`` if none)
``data_rng``           the data-order Generator's ``bit_generator.state`` as JSON
                       (PCG64's state has 128-bit ints, beyond any numpy int)
``dropout_rngs``       JSON list: the state of each distinct Generator the model's
                       Dropout layers draw from, in module order (``"global"`` marks
                       the generator ``ag.manual_seed`` resets)
``early_stopping``     ``{"rule": repr(rule), "state": rule.state_dict()}`` as JSON
                       (``"null"`` if none)
``history``            ``History.to_json()``
``meta``               JSON object from the caller (e.g. the run's config)
=====================  =============================================================

>>> import json, os, tempfile, numpy as np
>>> from autograd_lite import nn, optim
>>> model = nn.MLP(4, [3], 2, dropout=0.5, rng=0)
>>> opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
>>> path = os.path.join(tempfile.mkdtemp(), "checkpoint.npz")
>>> save_checkpoint(path, model=model, optimizer=opt, epoch=2, history=History(),
...                 data_rng=np.random.default_rng(0))
>>> ckpt = load_checkpoint(path)
>>> ckpt.epoch, sorted(ckpt.model_state), json.loads(ckpt.data_rng_state)["bit_generator"]
(2, ['layers.0.bias', 'layers.0.weight', 'layers.3.bias', 'layers.3.weight'], 'PCG64')
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._io import atomic_save_npz, load_npz
from ..creation import as_generator
from ..nn import Dropout, Module
from ..optim import Optimizer
from .early_stopping import EarlyStopping
from .history import History

__all__ = ["save_checkpoint", "load_checkpoint", "restore_checkpoint", "check_restore",
           "Checkpoint", "dropout_generators", "FORMAT_VERSION"]

FORMAT_KEY = "__checkpoint__"
FORMAT_VERSION = 1
_REQUIRED = (FORMAT_KEY, "epoch", "stopped", "optimizer", "scheduler", "data_rng",
             "dropout_rngs", "early_stopping", "history", "meta")


# ---------------------------------------------------------------- nested state <-> JSON + arrays

def encode_state(obj: Any, arrays: dict[str, np.ndarray], prefix: str, where: str) -> Any:
    """``obj`` as JSON-able data; its arrays go into ``arrays`` as ``prefix/<i>``.

    Dicts with str keys stay objects; others become ``{"__items__": [[k, v], ...]}``;
    arrays (and numpy scalars, keeping their dtype) become ``{"__array__": key}``;
    tuples become ``{"__tuple__": [...]}``.

    >>> arrays = {}
    >>> encode_state({0: {"buf": np.ones(2)}, "lr": 0.1}, arrays, "opt", "state")
    {'__items__': [[0, {'buf': {'__array__': 'opt/0'}}], ['lr', 0.1]]}
    >>> decode_state(_, arrays)
    {0: {'buf': array([1., 1.])}, 'lr': 0.1}
    """
    if isinstance(obj, (np.ndarray, np.generic)):
        key = f"{prefix}/{len(arrays)}"
        arrays[key] = np.asarray(obj)
        return {"__array__": key}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, list):
        return [encode_state(v, arrays, prefix, f"{where}[{i}]") for i, v in enumerate(obj)]
    if isinstance(obj, tuple):
        return {"__tuple__": [encode_state(v, arrays, prefix, f"{where}[{i}]")
                              for i, v in enumerate(obj)]}
    if isinstance(obj, dict):
        if all(isinstance(k, str) and not k.startswith("__") for k in obj):
            return {k: encode_state(v, arrays, prefix, f"{where}[{k!r}]") for k, v in obj.items()}
        return {"__items__": [[encode_state(k, arrays, prefix, where),
                               encode_state(v, arrays, prefix, f"{where}[{k!r}]")]
                              for k, v in obj.items()]}
    raise TypeError(f"checkpoint: {where} holds a {type(obj).__name__}; a state_dict() may "
                    "hold only numbers, strings, None, lists, tuples, dicts and ndarrays")


def decode_state(obj: Any, arrays: dict[str, np.ndarray]) -> Any:
    """Undo ``encode_state``.

    >>> decode_state({"__tuple__": [1, {"__array__": "a/0"}]}, {"a/0": np.array(2.5)})
    (1, array(2.5))
    """
    if isinstance(obj, list):
        return [decode_state(v, arrays) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if set(obj) == {"__array__"}:
        return arrays[obj["__array__"]]
    if set(obj) == {"__tuple__"}:
        return tuple(decode_state(v, arrays) for v in obj["__tuple__"])
    if set(obj) == {"__items__"}:
        return {_hashable(decode_state(k, arrays)): decode_state(v, arrays)
                for k, v in obj["__items__"]}
    return {k: decode_state(v, arrays) for k, v in obj.items()}


def _hashable(key: Any) -> Any:
    return key.item() if isinstance(key, np.ndarray) else key


def _json_entry(value: Any) -> np.ndarray:
    """A 0-d str array holding ``value`` as JSON (ndarrays, e.g. MT19937's key, as lists)."""
    return np.array(json.dumps(value, default=lambda a: np.asarray(a).tolist()))


# ---------------------------------------------------------------- RNGs

def dropout_generators(model: Module) -> list[np.random.Generator | None]:
    """The distinct Generators the model's Dropout layers draw from, in module order.

    None stands for the global generator (a Dropout made with ``rng=None``).

    >>> from autograd_lite import nn
    >>> model = nn.MLP(4, [3, 3], 2, dropout=0.5, rng=0)
    >>> len(dropout_generators(model)), dropout_generators(nn.MLP(4, [3], 2, rng=0))
    (1, [])
    """
    seen: dict[int, np.random.Generator | None] = {}
    for module in model.modules():
        if isinstance(module, Dropout):
            rng = getattr(module, "rng", None)
            seen.setdefault(id(rng), rng)
    return list(seen.values())


def _rng_state(rng: np.random.Generator | None) -> Any:
    return {"global": rng is None, "state": as_generator(rng).bit_generator.state}


def _check_rng_state(rng: np.random.Generator, state: Any, what: str, where: str) -> None:
    """``state`` fits ``rng``'s bit generator (same kind, valid); tried on a spare one."""
    kind = type(rng.bit_generator)
    saved = state.get("bit_generator") if isinstance(state, dict) else None
    problem = None
    if saved != kind.__name__:
        problem = "the bit generators differ"
    else:
        try:
            spare = kind()
        except TypeError:  # a bit generator that needs arguments: the name check must do
            spare = None
        if spare is not None:
            try:
                spare.state = state
            except (TypeError, ValueError, KeyError) as e:
                problem = str(e)
    if problem is not None:
        used = saved if isinstance(saved, str) else "an unknown kind"
        raise ValueError(f"{where}: cannot restore {what}: {problem} (the run used {used}, "
                         f"this one {kind.__name__}); "
                         "make the generator as the checkpointed run did (e.g. "
                         "np.random.default_rng(seed))")


# ---------------------------------------------------------------- save / load

@dataclass
class Checkpoint:
    """A checkpoint as read from disk (states as plain data, ready to restore)."""

    epoch: int
    stopped: bool
    model_state: dict[str, np.ndarray]
    optimizer_state: dict[str, Any]
    scheduler_state: Any
    data_rng_state: str
    dropout_rng_states: list[Any]
    early_stopping_state: Any
    history: History
    meta: dict[str, Any] = field(default_factory=dict)
    path: str = ""


def save_checkpoint(path: str | os.PathLike[str], *, model: Module, optimizer: Optimizer, epoch: int,
                    history: History, data_rng: np.random.Generator | None,
                    early_stopping: EarlyStopping | None = None, scheduler: Any = None,
                    stopped: bool = False, meta: dict[str, Any] | None = None) -> None:
    """Write a checkpoint of a run after ``epoch`` epochs to ``path`` (temp file + rename).

    ``data_rng`` is the Generator that orders the batches (None: the global one).

    >>> import os, tempfile, numpy as np
    >>> from autograd_lite import nn, optim
    >>> model = nn.Linear(2, 2, rng=0)
    >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.npz")
    >>> save_checkpoint(path, model=model, optimizer=optim.SGD(model.parameters(), lr=0.1),
    ...                 epoch=1, history=History(), data_rng=None)
    >>> load_checkpoint(path).epoch
    1
    """
    arrays: dict[str, Any] = {f"model/{k}": v for k, v in model.state_dict().items()}
    arrays.update({
        FORMAT_KEY: np.array(FORMAT_VERSION), "epoch": np.array(int(epoch)),
        "stopped": np.array(bool(stopped)),
        "data_rng": _json_entry(_rng_state(data_rng)["state"]),
        "dropout_rngs": _json_entry([_rng_state(g) for g in dropout_generators(model)]),
        "early_stopping": _json_entry(None if early_stopping is None else {
            "rule": repr(early_stopping), "state": early_stopping.state_dict()}),
        "history": np.array(history.to_json()),
        "meta": _json_entry(meta or {}),
    })
    for name, obj in (("optimizer", optimizer), ("scheduler", scheduler)):
        state = None if obj is None else obj.state_dict()
        extra: dict[str, np.ndarray] = {}
        arrays[name] = _json_entry(encode_state(state, extra, name, f"{name}.state_dict()"))
        arrays.update(extra)
    atomic_save_npz(path, arrays)


def load_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Read a checkpoint written by ``save_checkpoint``; errors name the file and the problem.

    >>> import os, tempfile, numpy as np
    >>> path = os.path.join(tempfile.mkdtemp(), "model.npz")
    >>> np.savez(path, w=np.ones(2))
    >>> load_checkpoint(path)
    Traceback (most recent call last):
    ...
    ValueError: load checkpoint '...model.npz': not a training checkpoint (it holds ['w']); ...
    """
    path = os.fspath(path)
    arrays = load_npz(path, "training checkpoint")
    if FORMAT_KEY not in arrays:
        raise ValueError(f"load checkpoint {path!r}: not a training checkpoint (it holds "
                         f"{sorted(arrays)[:5]}); pass the checkpoint.npz that fit(checkpoint=...) "
                         "or `autograd-lite train --out DIR` wrote")
    version = arrays[FORMAT_KEY]
    if version.shape != () or version.dtype.kind not in "iu" or int(version) != FORMAT_VERSION:
        raise ValueError(f"load checkpoint {path!r}: format version {version!r}; this version of "
                         f"autograd_lite reads format {FORMAT_VERSION}")
    missing = [k for k in _REQUIRED if k not in arrays]
    if missing:
        raise ValueError(f"load checkpoint {path!r}: the file lacks {missing}; it is damaged")

    def parsed(key: str) -> Any:
        try:
            return json.loads(str(arrays[key]))
        except json.JSONDecodeError as e:
            raise ValueError(f"load checkpoint {path!r}: entry {key!r} is not valid JSON "
                             f"({e})") from None

    try:
        history = History.from_json(str(arrays["history"]))
    except ValueError as e:
        raise ValueError(f"load checkpoint {path!r}: entry 'history': {e}") from None
    return Checkpoint(
        epoch=int(arrays["epoch"]), stopped=bool(arrays["stopped"]),
        model_state={k[len("model/"):]: v for k, v in arrays.items() if k.startswith("model/")},
        optimizer_state=decode_state(parsed("optimizer"), arrays),
        scheduler_state=decode_state(parsed("scheduler"), arrays),
        data_rng_state=str(arrays["data_rng"]),
        dropout_rng_states=parsed("dropout_rngs"),
        early_stopping_state=parsed("early_stopping"),
        history=history, meta=parsed("meta"), path=path)


def _check_model_state(model: Module, state: dict[str, np.ndarray], where: str) -> None:
    """The checkpoint's weights fit ``model`` exactly (the checks of a strict load_state_dict)."""
    own = dict(model.named_parameters())
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    problems = []
    if missing:
        problems.append(f"missing keys: {missing}")
    if unexpected:
        problems.append(f"unexpected keys: {unexpected}")
    for name, p in own.items():
        if name not in state:
            continue
        arr = np.asarray(state[name])
        if arr.dtype.kind not in "biuf":
            problems.append(f"{name!r}: the checkpoint holds {arr.dtype} values, not numbers")
        elif arr.shape != p.shape:
            problems.append(f"{name!r}: the checkpoint has shape {arr.shape} but the model has "
                            f"{p.shape}")
    if problems:
        raise ValueError(f"{where}: the checkpoint's weights do not fit the "
                         f"{type(model).__name__}; build the model as the checkpointed run did:"
                         "\n  " + "\n  ".join(problems))


def _spare_optimizer(optimizer: Optimizer) -> Optimizer:
    """A shallow copy of ``optimizer`` whose groups and state can change without touching it."""
    spare = copy.copy(optimizer)
    spare.param_groups = [dict(group) for group in optimizer.param_groups]
    spare.state = dict(optimizer.state)
    return spare


def check_restore(ckpt: Checkpoint, *, model: Module, optimizer: Optimizer,
                  data_rng: np.random.Generator | None,
                  early_stopping: EarlyStopping | None = None, scheduler: Any = None) -> None:
    """Raise ``ValueError`` if ``restore_checkpoint`` with these arguments would fail.

    Changes nothing: the model's weights are checked key by key and shape
    by shape; the optimizer, scheduler and early-stopping states are loaded
    into throwaway copies (a scheduler's ``optimizer`` attribute is pointed
    at the optimizer's copy); each generator state is tried on a spare bit
    generator of the same kind.
    """
    where = f"resume from {ckpt.path!r}"
    gens = dropout_generators(model)
    if len(gens) != len(ckpt.dropout_rng_states) or any(
            (g is None) != bool(s.get("global")) for g, s in zip(gens, ckpt.dropout_rng_states)):
        raise ValueError(f"{where}: the checkpoint has {len(ckpt.dropout_rng_states)} dropout "
                         f"generator(s) but the model has {len(gens)} (or they differ in being "
                         "global); build the model with the same dropout and rng settings")
    saved_rule = None if ckpt.early_stopping_state is None else ckpt.early_stopping_state["rule"]
    if saved_rule != (None if early_stopping is None else repr(early_stopping)):
        raise ValueError(f"{where}: the checkpointed run stopped early by {saved_rule}, this "
                         f"one by {early_stopping!r}; pass the same early_stopping")
    if (scheduler is None) != (ckpt.scheduler_state is None):
        raise ValueError(f"{where}: the checkpointed run used "
                         f"{'no' if ckpt.scheduler_state is None else 'a'} lr scheduler, this "
                         f"one {scheduler!r}; pass the same scheduler")
    _check_model_state(model, ckpt.model_state, where)
    spare = _spare_optimizer(optimizer)
    try:
        spare.load_state_dict(ckpt.optimizer_state)
    except ValueError as e:
        raise ValueError(f"{where}: {e}") from None
    if scheduler is not None:
        spare_scheduler = copy.copy(scheduler)
        if getattr(spare_scheduler, "optimizer", None) is optimizer:
            spare_scheduler.optimizer = spare
        try:
            spare_scheduler.load_state_dict(ckpt.scheduler_state)
        except (ValueError, TypeError, KeyError) as e:
            raise ValueError(f"{where}: cannot restore the lr scheduler: {e}") from None
    if early_stopping is not None:
        try:
            copy.copy(early_stopping).load_state_dict(ckpt.early_stopping_state["state"])
        except (ValueError, TypeError, KeyError) as e:
            raise ValueError(f"{where}: cannot restore the early-stopping rule "
                             f"{early_stopping!r}: its saved state is incomplete or wrong "
                             f"({type(e).__name__}: {e})") from None
    try:
        data_state = json.loads(ckpt.data_rng_state)
    except json.JSONDecodeError as e:
        raise ValueError(f"{where}: the data order generator's state is not valid JSON "
                         f"({e})") from None
    _check_rng_state(as_generator(data_rng), data_state, "the data order generator", where)
    for i, (g, s) in enumerate(zip(gens, ckpt.dropout_rng_states)):
        _check_rng_state(as_generator(g), s.get("state"), f"dropout generator {i}", where)


def restore_checkpoint(ckpt: Checkpoint, *, model: Module, optimizer: Optimizer,
                       data_rng: np.random.Generator | None,
                       early_stopping: EarlyStopping | None = None, scheduler: Any = None) -> None:
    """Put the checkpoint's state into live objects built like the checkpointed run's.

    Everything is checked first (``check_restore``): if the checkpoint does
    not fit, ``ValueError`` says why and the model, optimizer, scheduler,
    early-stopping rule and generators are left as they were.
    """
    check_restore(ckpt, model=model, optimizer=optimizer, data_rng=data_rng,
                  early_stopping=early_stopping, scheduler=scheduler)
    model.load_state_dict(ckpt.model_state)
    optimizer.load_state_dict(ckpt.optimizer_state)
    if scheduler is not None:
        scheduler.load_state_dict(ckpt.scheduler_state)
    if early_stopping is not None:
        early_stopping.load_state_dict(ckpt.early_stopping_state["state"])
    as_generator(data_rng).bit_generator.state = json.loads(ckpt.data_rng_state)
    for g, s in zip(dropout_generators(model), ckpt.dropout_rng_states):
        as_generator(g).bit_generator.state = s["state"]
