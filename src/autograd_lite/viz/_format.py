"""Short text for pictures: array previews, gradient labels, DOT-safe strings.

>>> import numpy as np
>>> preview(np.array([[1.0, 2.5], [3.0, 4.0]]))
'[[1, 2.5], [3, 4]]'
>>> preview(np.arange(100.0))
'[0, 1, …, 98, 99]'
>>> preview(np.float64(0.000123456))
'0.0001235'
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

__all__ = ["preview", "nonfinite", "dot_escape", "shape_text"]

WIDTH = 48
"""Longest preview, in characters; longer ones end in '…'."""


def _number(v: Any) -> str:
    return f"{v:.4g}"


def preview(values: Any, width: int = WIDTH) -> str:
    """A one-line preview of an array: 4 significant digits, at most ``width`` characters.

    >>> preview(np.array([np.nan, np.inf, -1.0]))
    '[nan, inf, -1]'
    """
    arr = np.asarray(values)
    if arr.ndim == 0:
        text = _number(arr.item()) if arr.dtype.kind in "fc" else str(arr.item())
    else:
        text = np.array2string(arr, separator=", ", threshold=6, edgeitems=2,
                               max_line_width=10**6,
                               formatter={"float_kind": _number, "complex_kind": _number})
        text = re.sub(r"\s*\n\s*", " ", text).replace("...", "…")
    return text if len(text) <= width else text[: width - 1] + "…"


def nonfinite(values: Any) -> str | None:
    """'nan', 'inf' or None: what non-finite value an array holds (nan first).

    >>> nonfinite(np.array([1.0, np.inf])), nonfinite(np.zeros(2))
    ('inf', None)
    """
    if values is None:
        return None
    arr = np.asarray(values)
    if arr.dtype.kind not in "fc" or np.isfinite(arr).all():
        return None
    return "nan" if np.isnan(arr).any() else "inf"


def shape_text(shape: tuple[int, ...]) -> str:
    """``(2, 3)``; a 0-d shape is ``()``.

    >>> shape_text((5,)), shape_text(())
    ('(5,)', '()')
    """
    return str(tuple(shape))


def dot_escape(text: str) -> str:
    r"""Escape text for a DOT label: a backslash stays a backslash (not ``\n``, ``\N``...).

    >>> dot_escape("a\\b")
    'a\\\\b'
    """
    return text.replace("\\", "\\\\")
