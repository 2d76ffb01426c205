"""Shape ops: reshape, transpose, swapaxes, squeeze, expand_dims, broadcast_to,
flatten, indexing, concatenate, stack and split.

Their vjps move the gradient back into the input's layout; indexing scatters
it back with ``index_add`` (repeated indices accumulate).

>>> import autograd_lite as ag
>>> x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> x[[0, 0, 2]].sum().backward()
>>> x.grad
tensor([2., 0., 1.], dtype=float32)
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..autograd import apply
from ..registry import VjpContext, register
from ..tensor import Tensor
from .reduce import normalize_axis


def _shape_of(x: Any) -> tuple[int, ...]:
    return np.shape(x.data if isinstance(x, Tensor) else x)


def _reshape_back(ctx: VjpContext, g: Any) -> tuple[Any, ...]:
    return (ctx.xp.reshape(g, shape=ctx.inputs[0].shape),)


def _reshape_forward(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    return np.reshape(x, shape)


def _transpose_forward(x: np.ndarray, axes: tuple[int, ...] | None = None) -> np.ndarray:
    return np.transpose(x, axes)


def _transpose_vjp(ctx: VjpContext, g: Any) -> tuple[Any, ...]:
    axes = ctx.params["axes"]
    inverse = None if axes is None else tuple(int(i) for i in np.argsort(axes))
    return (ctx.xp.transpose(g, axes=inverse),)


def _swapaxes_forward(x: np.ndarray, axis1: int, axis2: int) -> np.ndarray:
    return np.swapaxes(x, axis1, axis2)


def _swapaxes_vjp(ctx: VjpContext, g: Any) -> tuple[Any, ...]:
    return (ctx.xp.swapaxes(g, **ctx.params),)


def _squeeze_forward(x: np.ndarray, axis: Any = None) -> np.ndarray:
    return np.squeeze(x, axis=axis)


def _expand_dims_forward(x: np.ndarray, axis: Any) -> np.ndarray:
    return np.expand_dims(x, axis)


def _broadcast_to_forward(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    return np.broadcast_to(x, shape)


def _broadcast_to_vjp(ctx: VjpContext, g: Any) -> tuple[Any, ...]:
    return (g,)  # the engine sums it back to the input's shape


RESHAPE = register("reshape", _reshape_forward, _reshape_back, symbol="reshape", saves="", view=True,
                   formula="∂/∂x: reshape Ḡ back to x's shape",
                   latex=r"\bar{x} = \mathrm{reshape}(\bar{G}, \mathrm{shape}(x))")
TRANSPOSE = register("transpose", _transpose_forward, _transpose_vjp, symbol="ᵀ", saves="", view=True,
                     formula="∂/∂x: transpose Ḡ by the inverse permutation",
                     latex=r"\bar{x} = \bar{G}^{\top}")
SWAPAXES = register("swapaxes", _swapaxes_forward, _swapaxes_vjp, symbol="swap",
                    saves="", view=True, formula="∂/∂x: swap the same axes of Ḡ back",
                    latex=r"\bar{x} = \mathrm{swapaxes}(\bar{G})")
SQUEEZE = register("squeeze", _squeeze_forward, _reshape_back, symbol="squeeze", saves="", view=True,
                   formula="∂/∂x: reshape Ḡ back to x's shape",
                   latex=r"\bar{x} = \mathrm{reshape}(\bar{G}, \mathrm{shape}(x))")
EXPAND_DIMS = register("expand_dims", _expand_dims_forward, _reshape_back, symbol="unsqueeze",
                       saves="", view=True, formula="∂/∂x: reshape Ḡ back to x's shape",
                       latex=r"\bar{x} = \mathrm{reshape}(\bar{G}, \mathrm{shape}(x))")
BROADCAST_TO = register("broadcast_to", _broadcast_to_forward, _broadcast_to_vjp,
                        symbol="broadcast", saves="", view=True,
                        formula="∂/∂x: sum Ḡ over the broadcast axes",
                        latex=r"\bar{x} = \sum_{\text{broadcast axes}} \bar{G}")


def _shape_arg(shape: Sequence[Any]) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(n) for n in shape)


def reshape(x: Any, *shape: Any) -> Tensor:
    """Same data in a new shape (``-1`` infers one size); ``reshape(x, (2, 3))``
    and ``x.reshape(2, 3)`` both work.

    >>> import autograd_lite as ag
    >>> ag.reshape(ag.arange(6.0), 2, -1).shape
    (2, 3)
    """
    new = _shape_arg(shape)
    old = _shape_of(x)
    try:
        np.empty(old, dtype=np.bool_).reshape(new)
    except ValueError:
        raise ValueError(f"reshape: cannot reshape a tensor of shape {old} "
                         f"({int(np.prod(old))} elements) into shape {new}") from None
    return apply(RESHAPE, (x,), {"shape": new})


def transpose(x: Any, *axes: Any) -> Tensor:
    """Permute axes (reverse them by default); each axis must be in ``[-ndim, ndim)``.

    >>> import autograd_lite as ag
    >>> ag.transpose(ag.zeros((2, 3, 4)), 2, 0, 1).shape
    (4, 2, 3)
    """
    perm: tuple[int, ...] | None = _shape_arg(axes) if axes and axes[0] is not None else None
    if perm is not None:
        shape = _shape_of(x)
        ndim = len(shape)
        try:
            perm = tuple(normalize_axis(a, ndim, "transpose")[0] for a in perm)
        except ValueError as e:
            raise ValueError(f"transpose: axes {_shape_arg(axes)} do not fit a tensor of shape "
                             f"{shape}: {str(e).removeprefix('transpose: ')}") from None
        if sorted(perm) != list(range(ndim)):
            raise ValueError(f"transpose: axes {_shape_arg(axes)} are not a permutation of the "
                             f"{ndim} axes of a tensor of shape {shape}")
    return apply(TRANSPOSE, (x,), {"axes": perm})


def swapaxes(x: Any, axis1: int, axis2: int) -> Tensor:
    """Exchange two axes.

    >>> import autograd_lite as ag
    >>> ag.swapaxes(ag.zeros((2, 3, 4)), 0, -1).shape
    (4, 3, 2)
    """
    ndim = len(_shape_of(x))
    a1, a2 = (normalize_axis(a, ndim, "swapaxes")[0] for a in (axis1, axis2))
    return apply(SWAPAXES, (x,), {"axis1": a1, "axis2": a2})


def squeeze(x: Any, axis: Any = None) -> Tensor:
    """Drop axes of size 1 (all of them, or those in ``axis``).

    >>> import autograd_lite as ag
    >>> ag.squeeze(ag.zeros((1, 3, 1)), axis=0).shape
    (3, 1)
    """
    shape = _shape_of(x)
    if axis is not None:
        axes = normalize_axis(axis, len(shape), "squeeze")
        wrong = [a for a in axes if shape[a] != 1]
        if wrong:
            raise ValueError(f"squeeze: axis {wrong[0]} of shape {shape} has size "
                             f"{shape[wrong[0]]}, not 1")
        axis = axes
    return apply(SQUEEZE, (x,), {"axis": axis})


def expand_dims(x: Any, axis: Any) -> Tensor:
    """Insert axes of size 1 at ``axis``.

    >>> import autograd_lite as ag
    >>> ag.expand_dims(ag.zeros(3), -1).shape
    (3, 1)
    """
    return apply(EXPAND_DIMS, (x,), {"axis": axis})


def broadcast_to(x: Any, shape: Any) -> Tensor:
    """Repeat ``x`` along axes by numpy's broadcasting rules (a read-only view).

    >>> import autograd_lite as ag
    >>> ag.broadcast_to(ag.tensor([1.0, 2.0]), (3, 2)).shape
    (3, 2)
    """
    shape = _shape_arg((shape,)) if not isinstance(shape, int) else (shape,)
    try:
        np.broadcast_shapes(_shape_of(x), shape)
        if np.broadcast_shapes(_shape_of(x), shape) != shape:
            raise ValueError
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast shape {_shape_of(x)} to "
                         f"{shape}") from None
    return apply(BROADCAST_TO, (x,), {"shape": shape})


def flatten(x: Any, start_axis: int = 0) -> Tensor:
    """Merge the axes from ``start_axis`` on into one (``flatten(x, 1)`` keeps the batch).

    >>> import autograd_lite as ag
    >>> ag.flatten(ag.zeros((5, 28, 28)), 1).shape
    (5, 784)
    """
    shape = _shape_of(x)
    start = normalize_axis(start_axis, builtins.max(len(shape), 1), "flatten")[0]
    return reshape(x, shape[:start] + (-1,))


# ---------------------------------------------------------------- indexing

def normalize_index(index: Any, copy: bool = True) -> Any:
    """Turn Tensors, ndarrays and lists inside an index into ndarrays; keep slices and ints.

    With ``copy=True`` (the default, what indexing uses) every array is a fresh
    copy, so a recorded op owns its index: changing the caller's index tensor
    or ndarray afterwards cannot change the gradient. ``copy=False`` shares
    them (enough for ``x[i] = v``, which records nothing).

    >>> i = np.array([0, 2])
    >>> j = normalize_index(i); i += 1; j
    array([0, 2])
    """
    if isinstance(index, tuple):
        return tuple(normalize_index(i, copy) for i in index)
    if isinstance(index, Tensor):
        index = index.data
    if isinstance(index, (np.ndarray, list)):
        return np.array(index, copy=True) if copy else np.asarray(index)
    return index


def _is_basic(index: Any) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (slice, int, np.integer))
               for p in parts)


def _index_add_forward(g: np.ndarray, shape: tuple[int, ...], index: Any) -> np.ndarray:
    out = np.zeros(shape, dtype=g.dtype)
    if _is_basic(index):
        out[index] = g  # a basic index names each element at most once
    else:
        np.add.at(out, index, g)
    return out


def _getitem_vjp(ctx: VjpContext, g: Any) -> tuple[Any, ...]:
    return (ctx.xp.index_add(g, shape=ctx.inputs[0].shape, index=ctx.params["index"]),)


def _index_add_vjp(ctx: VjpContext, g: Any) -> tuple[Any, ...]:
    return (ctx.xp.getitem(g, index=ctx.params["index"]),)


GETITEM = register("getitem", lambda x, index: x[index], _getitem_vjp, symbol="[ ]",
                   saves="", view=True, formula="∂x[i]/∂x: Ḡ scattered back to positions i",
                   latex=r"\bar{x}_{i} \mathrel{+}= \bar{G}")
INDEX_ADD = register("index_add", _index_add_forward, _index_add_vjp, symbol="scatter+",
                     saves="", formula="∂/∂g: gather at the same positions",
                     latex=r"\bar{g} = \bar{G}_{i}")


def getitem(x: Any, index: Any) -> Tensor:
    """``x[index]`` with slices, ints, integer arrays and boolean masks.

    Index arrays (Tensors, ndarrays, lists) are copied, so the recorded op owns
    them; a bad index is an IndexError naming the index and the shape.

    >>> import autograd_lite as ag
    >>> x = ag.arange(6.0).reshape(2, 3)
    >>> ag.ops.getitem(x, (slice(None), [0, 2]))
    tensor([[0., 2.],
            [3., 5.]], dtype=float32)
    """
    index = normalize_index(index)
    try:
        return apply(GETITEM, (x,), {"index": index})
    except IndexError as e:
        raise IndexError(f"getitem: index {index!r} does not fit a tensor of shape "
                         f"{_shape_of(x)}: {e}") from None


# ---------------------------------------------------------------- join and split

def _concatenate_vjp(ctx: VjpContext, g: Any) -> tuple[Any, ...]:
    axis = ctx.params["axis"]
    grads, start = [], 0
    for x in ctx.inputs:
        stop = start + x.shape[axis]
        grads.append(g[(slice(None),) * axis + (slice(start, stop),)])
        start = stop
    return tuple(grads)


def _stack_vjp(ctx: VjpContext, g: Any) -> tuple[Any, ...]:
    axis = ctx.params["axis"]
    return tuple(g[(slice(None),) * axis + (i,)] for i in range(len(ctx.inputs)))


CONCATENATE = register("concatenate", lambda xs, axis: np.concatenate(xs, axis=axis),
                       _concatenate_vjp, symbol="concat", n_inputs=-1, saves="",
                       formula="∂/∂xₖ: the slice of Ḡ where xₖ went",
                       latex=r"\bar{x}_k = \bar{G}[\text{slice}_k]")
STACK = register("stack", lambda xs, axis: np.stack(xs, axis=axis), _stack_vjp, symbol="stack",
                 n_inputs=-1, saves="", formula="∂/∂xₖ: Ḡ at index k of the new axis",
                 latex=r"\bar{x}_k = \bar{G}[k]")


def _check_join(name: str, tensors: Sequence[Any], axis: int, new_axis: bool) -> int:
    if len(tensors) == 0:
        raise ValueError(f"{name}: needs at least one tensor")
    shapes = [_shape_of(t) for t in tensors]
    ndim = len(shapes[0])
    axis = normalize_axis(axis, ndim + new_axis, name)[0]
    for s in shapes[1:]:
        if len(s) != ndim or any(a != b for i, (a, b) in enumerate(zip(s, shapes[0]))
                                 if new_axis or i != axis):
            raise ValueError(f"{name}: shapes {shapes} do not match "
                             f"{'exactly' if new_axis else f'outside axis {axis}'}")
    return axis


def concatenate(tensors: Sequence[Any], axis: int | None = 0) -> Tensor:
    """Join tensors along an existing axis; ``axis=None`` ravels each one first (numpy's rule).

    >>> import autograd_lite as ag
    >>> ag.concatenate([ag.zeros((2, 3)), ag.ones((1, 3))]).shape
    (3, 3)
    >>> ag.concatenate([ag.zeros((2, 2)), ag.ones(3)], axis=None).shape
    (7,)
    """
    if axis is None:
        if len(tensors) == 0:
            raise ValueError("concatenate: needs at least one tensor")
        tensors = [reshape(t, -1) for t in tensors]  # differentiable ravel
        axis = 0
    axis = _check_join("concatenate", tensors, axis, new_axis=False)
    return apply(CONCATENATE, tuple(tensors), {"axis": axis})


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join same-shaped tensors along a new axis.

    >>> import autograd_lite as ag
    >>> ag.stack([ag.zeros(3), ag.ones(3)], axis=1).shape
    (3, 2)
    """
    axis = _check_join("stack", tensors, axis, new_axis=True)
    return apply(STACK, tuple(tensors), {"axis": axis})


def split(x: Any, indices_or_sections: Any, axis: int = 0) -> list[Tensor]:
    """Split into equal sections or at given indices, like ``numpy.split``
    (a size-0 axis splits into that many empty sections).

    >>> import autograd_lite as ag
    >>> [t.shape for t in ag.split(ag.zeros((6, 2)), [1, 4])]
    [(1, 2), (3, 2), (2, 2)]
    """
    shape = _shape_of(x)
    axis = normalize_axis(axis, len(shape), "split")[0]
    n = shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        if sections <= 0 or n % sections:
            raise ValueError(f"split: axis {axis} of size {n} cannot be split into "
                             f"{sections} equal sections; pass split indices instead")
        step = n // sections  # 0 for an empty axis: `sections` empty parts, as numpy
        bounds = [i * step for i in range(sections + 1)]
    else:
        bounds = [0, *[int(i) for i in indices_or_sections], n]
    lead = (slice(None),) * axis
    return [getitem(x, lead + (slice(a, b),)) for a, b in zip(bounds[:-1], bounds[1:])]
