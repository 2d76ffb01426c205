"""Download one file from a list of mirrors, checked before it lands in the cache.

``fetch`` tries each mirror in turn. It streams the file to a temporary name
in the target directory, refuses a transfer shorter than its Content-Length,
runs the caller's ``check`` on the complete file, and only then renames it
into place, so the cache never holds a partial or unverified file. A mirror
that fails -- connection refused, timeout, HTTP error, short transfer,
failed check -- is recorded and the next one is tried; when none works,
``DownloadError`` lists every mirror with its error.

>>> import tempfile
>>> from pathlib import Path
>>> fetch("f.gz", [], Path(tempfile.mkdtemp()), lambda path, url: None)
Traceback (most recent call last):
...
autograd_lite.data.download.DownloadError: cannot download f.gz: no mirrors to try
"""

from __future__ import annotations

import http.client
import os
import secrets
import socket
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

__all__ = ["fetch", "file_url", "DownloadError"]

_CHUNK = 1 << 16
USER_AGENT = "autograd-lite (python urllib)"


class DownloadError(RuntimeError):
    """No mirror gave a good copy of a file; ``attempts`` holds ``(url, error)`` pairs."""

    def __init__(self, message: str, attempts: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.attempts = list(attempts)


def file_url(mirror: str, name: str) -> str:
    """The URL of file ``name`` on ``mirror`` (a base URL, with or without a final slash).

    >>> file_url("https://example.org/mnist", "t10k-labels-idx1-ubyte.gz")
    'https://example.org/mnist/t10k-labels-idx1-ubyte.gz'
    """
    return mirror.rstrip("/") + "/" + name


def _describe(error: BaseException, timeout: float) -> str:
    """A one-line account of why a download failed."""
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP error {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        reason = error.reason
        if isinstance(reason, (TimeoutError, socket.timeout)):
            return f"timed out after {timeout:g} s"
        return f"cannot connect: {reason}"
    if isinstance(error, (TimeoutError, socket.timeout)):
        return f"timed out after {timeout:g} s"
    if isinstance(error, http.client.HTTPException):
        return f"the connection broke off ({type(error).__name__}: {error})"
    if isinstance(error, ValueError):
        return str(error)
    return f"{type(error).__name__}: {error}"


class _ShortTransfer(OSError):
    """The server closed the connection before sending Content-Length bytes."""


def _download(url: str, dest: Path, timeout: float) -> int:
    """Stream ``url`` into ``dest``; the number of bytes written."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout) as response, open(dest, "wb") as out:
        declared = response.headers.get("Content-Length")
        received = 0
        while chunk := response.read(_CHUNK):
            out.write(chunk)
            received += len(chunk)
        out.flush()
        os.fsync(out.fileno())
    if declared is not None and declared.isdigit() and received != int(declared):
        raise _ShortTransfer(f"transfer cut short: received {received} of the {int(declared)} "
                             "bytes announced (Content-Length)")
    return received


def fetch(name: str, mirrors: Sequence[str], directory: Path,
          check: Callable[[Path, str], object], *, timeout: float = 30.0,
          progress: bool = False, hint: str = "") -> Path:
    """Download ``name`` from the first mirror whose copy passes ``check``; its path.

    ``check(path, url)`` raises ``ValueError`` for a bad file (its message is
    kept as that mirror's error). The file ends up at ``directory / name``;
    ``hint`` is appended to the error raised when every mirror fails.

    A mirror can be a local folder as a ``file://`` URL:

    >>> import tempfile
    >>> from pathlib import Path
    >>> mirror, cache = Path(tempfile.mkdtemp()), Path(tempfile.mkdtemp())
    >>> _ = (mirror / "f.gz").write_bytes(b"data")
    >>> fetch("f.gz", [mirror.as_uri()], cache, lambda path, url: None) == cache / "f.gz"
    True
    >>> def reject(path, url):
    ...     raise ValueError(f"{url}: checksum mismatch")
    >>> fetch("f.gz", [mirror.as_uri()], cache / "new", reject, hint="Put f.gz in DIR.")
    Traceback (most recent call last):
    ...
    autograd_lite.data.download.DownloadError: cannot download f.gz from any of 1 mirror(s):
      - file:///.../f.gz: checksum mismatch
    Put f.gz in DIR.
    >>> sorted(p.name for p in (cache / "new").iterdir())  # nothing left behind
    []
    """
    if not mirrors:
        raise DownloadError(f"cannot download {name}: no mirrors to try" +
                            (f"\n{hint}" if hint else ""))
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / name
    attempts: list[tuple[str, str]] = []
    for mirror in mirrors:
        url = file_url(mirror, name)
        tmp = directory / f".{name}.{os.getpid()}.{secrets.token_hex(4)}.part"
        if progress:
            print(f"autograd_lite: downloading {url}", file=sys.stderr, flush=True)
        try:
            size = _download(url, tmp, timeout)
            check(tmp, url)
            os.replace(tmp, target)
        except (OSError, ValueError, http.client.HTTPException) as e:
            attempts.append((url, _describe(e, timeout)))
            if progress:
                print(f"autograd_lite:   failed: {attempts[-1][1]}", file=sys.stderr, flush=True)
            continue
        finally:
            tmp.unlink(missing_ok=True)
        if progress:
            print(f"autograd_lite:   ok, {size:,} bytes verified -> {target}", file=sys.stderr,
                  flush=True)
        return target
    lines = "\n".join(f"  - {error}" if error.startswith(url) else f"  - {url}: {error}"
                      for url, error in attempts)
    raise DownloadError(f"cannot download {name} from any of {len(attempts)} mirror(s):\n{lines}"
                        + (f"\n{hint}" if hint else ""), attempts)
