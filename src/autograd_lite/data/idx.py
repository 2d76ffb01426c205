"""The IDX file format (MNIST's): read and check it, gzipped or raw.

An IDX file is a 4-byte magic number -- two zero bytes, a dtype code and
the number of dimensions -- then one big-endian uint32 per dimension, then
the array itself, big-endian, C order. Gzip is recognised by its magic bytes,
whatever the file is called. Every way a file can be wrong (not gzip or
corrupt gzip, a bad magic number, an unknown dtype code, a payload shorter or
longer than the dimensions say) is a ``ValueError`` naming the file and what
is wrong.

>>> import gzip, os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "labels.idx1-ubyte.gz")
>>> with open(path, "wb") as f:
...     _ = f.write(gzip.compress(bytes([0, 0, 0x08, 1, 0, 0, 0, 3, 7, 2, 1])))
>>> read_idx(path)
array([7, 2, 1], dtype=uint8)
"""

from __future__ import annotations

import gzip
import math
import os
import zlib

import numpy as np

__all__ = ["read_idx", "decode_idx", "decompress", "IDX_DTYPES", "GZIP_MAGIC"]

GZIP_MAGIC = b"\x1f\x8b"

IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),  # unsigned byte
    0x09: np.dtype(">i1"),  # signed byte
    0x0B: np.dtype(">i2"),  # short
    0x0C: np.dtype(">i4"),  # int
    0x0D: np.dtype(">f4"),  # float
    0x0E: np.dtype(">f8"),  # double
}
"""IDX dtype code -> big-endian numpy dtype, as in the format's definition."""

_CODE_NAMES = {0x08: "ubyte", 0x09: "byte", 0x0B: "short", 0x0C: "int", 0x0D: "float",
               0x0E: "double"}
_KNOWN_CODES = ", ".join(f"0x{code:02X} ({name})" for code, name in _CODE_NAMES.items())


def decompress(data: bytes, source: str) -> bytes:
    """``data`` gunzipped if it starts with gzip's magic bytes, else ``data`` unchanged.

    ``source`` names the file in errors.

    >>> import gzip
    >>> decompress(gzip.compress(b"abc"), "x.gz"), decompress(b"abc", "x")
    (b'abc', b'abc')
    >>> decompress(gzip.compress(b"abc")[:-3], "x.gz")
    Traceback (most recent call last):
    ...
    ValueError: x.gz: corrupt or truncated gzip data (...); download or copy the file again
    """
    if not data.startswith(GZIP_MAGIC):
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as e:  # BadGzipFile is an OSError
        raise ValueError(f"{source}: corrupt or truncated gzip data ({type(e).__name__}: {e}); "
                         "download or copy the file again") from None


def _shape_text(dims: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(d) for d in dims) + (",)" if len(dims) == 1 else ")")


def decode_idx(payload: bytes, source: str) -> np.ndarray:
    """The array in an uncompressed IDX ``payload`` (native byte order, writeable).

    ``source`` names the file in errors.

    >>> decode_idx(bytes([0, 0, 0x0B, 2, 0, 0, 0, 1, 0, 0, 0, 2, 1, 0, 255, 255]), "x")
    array([[256,  -1]], dtype=int16)
    >>> decode_idx(bytes([0, 0, 0x08, 1, 0, 0, 0, 3, 7]), "x")
    Traceback (most recent call last):
    ...
    ValueError: x: truncated IDX data: dimensions (3,) of ubyte need 3 bytes ... found 1 (2 missing)
    """
    if len(payload) < 4:
        raise ValueError(f"{source}: not an IDX file: {len(payload)} bytes, shorter than the "
                         "4-byte magic number")
    zero0, zero1, code, ndim = payload[:4]
    if zero0 or zero1:
        raise ValueError(f"{source}: not an IDX file: its magic number starts with "
                         f"0x{zero0:02X} 0x{zero1:02X}, not two zero bytes")
    if code not in IDX_DTYPES:
        raise ValueError(f"{source}: unknown IDX dtype code 0x{code:02X}; expected one of "
                         f"{_KNOWN_CODES}")
    if ndim == 0:
        raise ValueError(f"{source}: IDX header says 0 dimensions; an IDX array needs at least 1")
    header = 4 + 4 * ndim
    if len(payload) < header:
        raise ValueError(f"{source}: truncated IDX header: {ndim} dimensions need a "
                         f"{header}-byte header, the file has {len(payload)} bytes")
    dims = tuple(int(d) for d in np.frombuffer(payload, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[code]
    need = math.prod(dims) * dtype.itemsize
    have = len(payload) - header
    if have != need:
        kind, diff = ("truncated", f"{need - have} missing") if have < need else \
            ("too long", f"{have - need} extra")
        raise ValueError(f"{source}: {kind} IDX data: dimensions {_shape_text(dims)} of "
                         f"{_CODE_NAMES[code]} need {need} bytes after the {header}-byte header, "
                         f"found {have} ({diff})")
    array = np.frombuffer(payload, dtype=dtype, offset=header).reshape(dims)
    return array.astype(dtype.newbyteorder("="))  # a native-order, writeable copy


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """The array stored in the IDX file at ``path`` (gzipped or raw).

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "two.idx")
    >>> with open(path, "wb") as f:
    ...     _ = f.write(bytes([0, 0, 0x0D, 1, 0, 0, 0, 1, 0x3F, 0xC0, 0, 0]))
    >>> read_idx(path)
    array([1.5], dtype=float32)
    """
    source = os.fspath(path)
    with open(source, "rb") as f:
        data = f.read()
    return decode_idx(decompress(data, source), source)
