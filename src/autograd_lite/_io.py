"""Files the library writes: ``.npz`` archives, written atomically, never pickled.

``atomic_save_npz`` writes to a temporary file in the target's directory,
fsyncs it and renames it over the target, so a crash or an error leaves
either the old file or the new one, never half of one. ``load_npz`` reads
with ``allow_pickle=False`` and turns a missing, truncated or foreign file
into an error that names the file and what is wrong.

>>> import os, tempfile, numpy as np
>>> path = os.path.join(tempfile.mkdtemp(), "state.npz")
>>> atomic_save_npz(path, {"layers.0.weight": np.ones(2)})
>>> load_npz(path, "model state")
{'layers.0.weight': array([1., 1.])}
"""

from __future__ import annotations

import contextlib
import os
import secrets
import zipfile
from collections.abc import Iterator, Mapping
from typing import Any, BinaryIO

import numpy as np

__all__ = ["atomic_writer", "atomic_write_text", "atomic_save_npz", "load_npz"]

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a zip with members / an empty zip


def _checked_arrays(arrays: Mapping[str, Any]) -> dict[str, np.ndarray]:
    checked = {}
    for key, value in arrays.items():
        if not isinstance(key, str) or not key:
            raise TypeError(f"atomic_save_npz: keys must be non-empty strings, got {key!r}")
        arr = np.asarray(value)
        if arr.dtype.hasobject:
            raise TypeError(f"atomic_save_npz: array {key!r} has dtype object, which could only "
                            "be saved by pickling; convert it to numbers or strings first")
        checked[key] = arr
    return checked


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str], what: str = "atomic write") -> Iterator[BinaryIO]:
    """Open a temporary file next to ``path``; on success fsync it and rename it over ``path``.

    On any error the temporary file is removed and ``path`` is untouched.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "notes.txt")
    >>> with atomic_writer(path) as f:
    ...     _ = f.write(b"done")
    >>> open(path).read(), os.listdir(os.path.dirname(path))
    ('done', ['notes.txt'])
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"{what}: cannot write {path!r}: directory "
                                f"{directory!r} does not exist; create it first")
    tmp = os.path.join(directory,
                       f".{os.path.basename(path)}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable (POSIX)
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "config.json")
    >>> atomic_write_text(path, "{}"); open(path).read()
    '{}'
    """
    with atomic_writer(path, "atomic_write_text") as f:
        f.write(text.encode("utf-8"))


def atomic_save_npz(path: str | os.PathLike[str], arrays: Mapping[str, Any]) -> None:
    """Write ``arrays`` to ``path`` (exactly that name) as an uncompressed ``.npz``, atomically.

    >>> import os, tempfile, numpy as np
    >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.npz")
    >>> atomic_save_npz(path, {"step": np.array(3)}); os.listdir(os.path.dirname(path))
    ['ckpt.npz']
    """
    checked = _checked_arrays(arrays)
    with atomic_writer(path, "atomic_save_npz") as f:
        with zipfile.ZipFile(f, mode="w", compression=zipfile.ZIP_STORED) as archive:
            for key, arr in checked.items():
                with archive.open(f"{key}.npy", mode="w", force_zip64=True) as member:
                    np.lib.format.write_array(member, arr, allow_pickle=False)


def load_npz(path: str | os.PathLike[str], what: str) -> dict[str, np.ndarray]:
    """Every array in the ``.npz`` at ``path``; ``what`` names the content in errors.

    >>> import os, tempfile
    >>> bad = os.path.join(tempfile.mkdtemp(), "notes.npz")
    >>> with open(bad, "w") as f:
    ...     _ = f.write("hello")
    >>> load_npz(bad, "model state")
    Traceback (most recent call last):
    ...
    ValueError: cannot read model state from '...notes.npz': it is not an .npz archive (...)
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"cannot read {what}: no such file {path!r}")
    with open(path, "rb") as f:
        head = f.read(4)
    if head not in _ZIP_MAGIC:
        raise ValueError(f"cannot read {what} from {path!r}: it is not an .npz archive (it "
                         f"starts with {head!r}, not a zip header)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}
    except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile) as e:
        raise ValueError(f"cannot read {what} from {path!r}: the file is truncated or corrupt "
                         f"({type(e).__name__}: {e})") from None
