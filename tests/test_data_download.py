"""Downloads against a real HTTP server on 127.0.0.1 serving small synthetic IDX .gz files.

The mirror list and the expected hashes are injected through ``source=`` (a
``DatasetSource``); nothing is patched. The handler counts requests, so a
cache hit can be shown to make none.
"""

from __future__ import annotations

import gzip
import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from test_data_idx import idx_bytes

from autograd_lite.data import DatasetSource, DownloadError, FileSpec, datasets, load_mnist
from autograd_lite.data.download import fetch

# --- synthetic dataset ---------------------------------------------------------------------------

NAMES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz")


def tiny_arrays(seed: int = 0) -> list[np.ndarray]:
    """Train 12 images 4x4 + labels, test 6 images + labels, as IDX would hold them."""
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (12, 4, 4), dtype=np.uint8), np.arange(12, dtype=np.uint8) % 3,
            rng.integers(0, 256, (6, 4, 4), dtype=np.uint8), np.arange(6, dtype=np.uint8) % 3]


def upstream_gz(payload: bytes) -> bytes:
    """A fixed gzip of ``payload`` (mtime 0), playing the part of upstream's .gz."""
    return gzip.compress(payload, compresslevel=9, mtime=0)


def tiny_source(mirrors: tuple[str, ...], arrays: list[np.ndarray] | None = None,
                **overrides: object) -> DatasetSource:
    """A DatasetSource for ``tiny_arrays()`` with real sha256 / md5 / size, served by ``mirrors``."""
    arrays = tiny_arrays() if arrays is None else arrays
    specs = []
    for name, array in zip(NAMES, arrays):
        payload = idx_bytes(array)
        gz = upstream_gz(payload)
        specs.append(FileSpec(name, array.shape, sha256=hashlib.sha256(payload).hexdigest(),
                              md5=hashlib.md5(gz).hexdigest(), size=len(gz)))
    source = DatasetSource("tiny", mirrors, *specs, note="synthetic")
    return replace(source, **overrides) if overrides else source


def good_files(arrays: list[np.ndarray] | None = None) -> dict[str, bytes]:
    arrays = tiny_arrays() if arrays is None else arrays
    return {name: upstream_gz(idx_bytes(a)) for name, a in zip(NAMES, arrays)}


# --- the server ----------------------------------------------------------------------------------

@dataclass
class Mirror:
    """One directory on the test server: its files, how it misbehaves, what was asked of it."""

    prefix: str
    files: dict[str, bytes] = field(default_factory=dict)
    truncate: bool = False     # announce the full Content-Length, send half, close
    delay: float = 0.0         # seconds to wait before answering
    requests: list[str] = field(default_factory=list)


class Server:
    def __init__(self) -> None:
        self.mirrors: dict[str, Mirror] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                prefix, _, name = self.path.lstrip("/").partition("/")
                mirror = server.mirrors.get(prefix)
                if mirror is None:
                    self.send_error(404)
                    return
                mirror.requests.append(name)
                time.sleep(mirror.delay)
                body = mirror.files.get(name)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if mirror.truncate:
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                else:
                    self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02},
                                       daemon=True)
        self.thread.start()

    def mirror(self, prefix: str, files: dict[str, bytes] | None = None, **kw: object) -> Mirror:
        m = Mirror(prefix, dict(good_files() if files is None else files), **kw)  # type: ignore[arg-type]
        self.mirrors[prefix] = m
        return m

    def url(self, prefix: str) -> str:
        return f"http://127.0.0.1:{self.port}/{prefix}/"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.close()


def dead_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (a port just released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def cache_files(root: Path) -> list[str]:
    """Every file under ``root`` (temp files included), relative, sorted."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def check_tiny(ds: object) -> None:
    arrays = tiny_arrays()
    assert ds.name == "tiny" and ds.note == "synthetic"  # type: ignore[attr-defined]
    train, test = ds.train, ds.test  # type: ignore[attr-defined]
    assert train.x.shape == (12, 16) and train.x.dtype == np.float32
    np.testing.assert_array_equal(train.x, arrays[0].reshape(12, 16) / np.float32(255))
    np.testing.assert_array_equal(train.y, arrays[1])
    assert train.y.dtype == np.int64 and test.x.shape == (6, 16)
    np.testing.assert_array_equal(test.y, arrays[3])


# --- tests ---------------------------------------------------------------------------------------

def test_download_success_then_cache_hit_makes_no_request(server: Server, tmp_path: Path) -> None:
    good = server.mirror("good")
    source = tiny_source((server.url("good"),))
    check_tiny(load_mnist(root=tmp_path, source=source, progress=False))
    assert sorted(good.requests) == sorted(NAMES)
    assert cache_files(tmp_path) == sorted(f"tiny/{n}" for n in NAMES)  # no temp files left
    check_tiny(load_mnist(root=tmp_path, source=source, progress=False))
    assert len(good.requests) == 4, "the second load must come from the cache"


def test_progress_lines_go_to_stderr(server: Server, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    server.mirror("good")
    load_mnist(root=tmp_path, source=tiny_source((server.url("good"),)))
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("autograd_lite: downloading http://127.0.0.1") == 4
    assert err.count("bytes verified ->") == 4


def test_checksum_mismatch_moves_on_to_the_next_mirror(server: Server, tmp_path: Path) -> None:
    other = [a + 1 for a in tiny_arrays()]  # same shapes, other values
    bad = server.mirror("bad", good_files(other))
    good = server.mirror("good")
    check_tiny(load_mnist(root=tmp_path, source=tiny_source((server.url("bad"), server.url("good"))),
                          progress=False))
    assert len(bad.requests) == 4 and len(good.requests) == 4
    assert cache_files(tmp_path) == sorted(f"tiny/{n}" for n in NAMES)


def test_checksum_mismatch_everywhere_is_a_clear_error(server: Server, tmp_path: Path) -> None:
    server.mirror("bad1", good_files([a + 1 for a in tiny_arrays()]))
    server.mirror("bad2", good_files([a + 2 for a in tiny_arrays()]))
    urls = (server.url("bad1"), server.url("bad2"))
    with pytest.raises(DownloadError) as info:
        load_mnist(root=tmp_path, source=tiny_source(urls), progress=False)
    message = str(info.value)
    assert message.startswith("tiny: cannot download train-images-idx3-ubyte.gz from any of 2 "
                              "mirror(s):")
    for url in urls:
        assert f"  - {url}train-images-idx3-ubyte.gz: checksum mismatch: the decompressed IDX " \
               "data has sha256" in message
    assert f"in {tmp_path / 'tiny'} yourself" in message and "pass root=DIR" in message
    assert [url for url, _ in info.value.attempts] == [u + NAMES[0] for u in urls]
    assert cache_files(tmp_path) == []  # the bad temp files were deleted


def test_truncated_transfer_leaves_nothing_in_the_cache(server: Server, tmp_path: Path) -> None:
    server.mirror("cut", truncate=True)
    with pytest.raises(DownloadError, match=r"transfer cut short: received \d+ of the \d+ bytes "
                                            r"announced") as info:
        load_mnist(root=tmp_path, source=tiny_source((server.url("cut"),)), progress=False)
    assert server.url("cut") + NAMES[0] in str(info.value)
    assert cache_files(tmp_path) == []


def test_truncated_transfer_then_a_good_mirror(server: Server, tmp_path: Path) -> None:
    server.mirror("cut", truncate=True)
    server.mirror("good")
    source = tiny_source((server.url("cut"), server.url("good")))
    check_tiny(load_mnist(root=tmp_path, source=source, progress=False))
    assert cache_files(tmp_path) == sorted(f"tiny/{n}" for n in NAMES)


def test_dead_mirror_then_a_good_one(server: Server, tmp_path: Path) -> None:
    good = server.mirror("good")
    source = tiny_source((dead_url(), server.url("good")))
    check_tiny(load_mnist(root=tmp_path, source=source, progress=False))
    assert len(good.requests) == 4


def test_every_failure_is_listed_with_its_mirror(server: Server, tmp_path: Path) -> None:
    """Refused connection, HTTP 404, timeout: one line each, then where to put the files."""
    server.mirror("empty", {})
    server.mirror("slow", delay=1.0)
    dead = dead_url()
    urls = (dead, server.url("empty"), server.url("slow"))
    with pytest.raises(DownloadError) as info:
        load_mnist(root=tmp_path, source=tiny_source(urls), progress=False, timeout=0.3)
    lines = str(info.value).splitlines()
    assert lines[0] == "tiny: cannot download train-images-idx3-ubyte.gz from any of 3 mirror(s):"
    assert lines[1].startswith(f"  - {dead}{NAMES[0]}: cannot connect: ")
    assert "refused" in lines[1].lower()
    assert lines[2] == f"  - {server.url('empty')}{NAMES[0]}: HTTP error 404 Not Found"
    assert lines[3] == f"  - {server.url('slow')}{NAMES[0]}: timed out after 0.3 s"
    assert lines[4].startswith("Put the files (train-images-idx3-ubyte.gz, ")
    assert cache_files(tmp_path) == []


def test_recompressed_copy_verifies_by_its_decompressed_payload(server: Server,
                                                                tmp_path: Path) -> None:
    """A mirror serving a different gzip of the same data (md5 and size differ) is accepted."""
    recompressed = {name: gzip.compress(idx_bytes(a), compresslevel=1, mtime=123456)
                    for name, a in zip(NAMES, tiny_arrays())}
    assert all(recompressed[n] != good_files()[n] for n in NAMES)
    server.mirror("debian", recompressed)
    check_tiny(load_mnist(root=tmp_path, source=tiny_source((server.url("debian"),)),
                          progress=False))


def test_without_sha256_only_upstreams_exact_gz_verifies(server: Server, tmp_path: Path) -> None:
    """With md5 and size alone, the exact .gz passes and a re-compressed copy does not."""
    server.mirror("up")
    server.mirror("other", {n: gzip.compress(idx_bytes(a), compresslevel=1, mtime=5)
                            for n, a in zip(NAMES, tiny_arrays())})
    base = tiny_source((server.url("up"),))
    no_sha = replace(base, **{role: replace(getattr(base, role), sha256=None) for role in
                              ("train_images", "train_labels", "test_images", "test_labels")})
    check_tiny(load_mnist(root=tmp_path / "a", source=no_sha, progress=False))
    with pytest.raises(DownloadError, match="md5 .*, upstream's train-images-idx3-ubyte.gz has"):
        load_mnist(root=tmp_path / "b", source=replace(no_sha, mirrors=(server.url("other"),)),
                   progress=False)


def test_download_false_does_not_connect(server: Server, tmp_path: Path) -> None:
    good = server.mirror("good")
    with pytest.raises(FileNotFoundError, match=r"tiny: train-images-idx3-ubyte.gz \(or "
                                                r"train-images-idx3-ubyte\) not found in .*"
                                                r"pass download=True to fetch them from http://"):
        load_mnist(root=tmp_path, download=False, source=tiny_source((server.url("good"),)))
    assert good.requests == []


def test_a_bad_file_in_the_cache_is_replaced_by_a_verified_download(server: Server,
                                                                     tmp_path: Path) -> None:
    good = server.mirror("good")
    (tmp_path / "tiny").mkdir()
    bad = tmp_path / "tiny" / NAMES[1]
    bad.write_bytes(gzip.compress(idx_bytes(np.zeros(12, np.uint8))))
    check_tiny(load_mnist(root=tmp_path, source=tiny_source((server.url("good"),)), progress=False))
    assert sorted(good.requests) == sorted(NAMES)
    assert bad.read_bytes() == good_files()[NAMES[1]]
    assert cache_files(tmp_path) == sorted(f"tiny/{n}" for n in NAMES)  # no temp files left


def test_a_bad_file_in_the_cache_is_kept_when_no_mirror_has_a_good_copy(server: Server,
                                                                        tmp_path: Path) -> None:
    """The error lists the cached file, then each mirror; the bad file is still there."""
    files = good_files()
    files[NAMES[1]] = upstream_gz(idx_bytes(np.ones(12, np.uint8)))
    server.mirror("bad", files)
    (tmp_path / "tiny").mkdir()
    bad = tmp_path / "tiny" / NAMES[1]
    bad.write_bytes(bad_bytes := gzip.compress(idx_bytes(np.zeros(12, np.uint8))))
    url = server.url("bad")
    with pytest.raises(DownloadError) as info:
        load_mnist(root=tmp_path, source=tiny_source((url,)), progress=False)
    lines = str(info.value).splitlines()
    assert lines[0] == (f"tiny: no copy of {NAMES[1]} (or train-labels-idx1-ubyte) found in "
                        f"{tmp_path / 'tiny'}, {tmp_path} passes its check:")
    assert lines[1].startswith(f"  - {bad}: checksum mismatch: the decompressed IDX data has")
    assert lines[2] == f"cannot download {NAMES[1]} from any of 1 mirror(s):"
    assert lines[3].startswith(f"  - {url}{NAMES[1]}: checksum mismatch: the decompressed IDX")
    assert lines[4].startswith(f"Put the files ({NAMES[0]}, ")
    assert [u for u, _ in info.value.attempts] == [url + NAMES[1]]
    assert bad.read_bytes() == bad_bytes
    assert cache_files(tmp_path) == [f"tiny/{NAMES[0]}", f"tiny/{NAMES[1]}"]


def test_a_bad_file_outside_the_cache_dir_is_never_touched(server: Server, tmp_path: Path) -> None:
    """Another dataset's files in ROOT/ itself: downloaded into ROOT/tiny/, ROOT/'s left alone."""
    good = server.mirror("good")
    theirs = good_files([a + 1 for a in tiny_arrays()])
    for name, body in theirs.items():
        (tmp_path / name).write_bytes(body)
    check_tiny(load_mnist(root=tmp_path, source=tiny_source((server.url("good"),)), progress=False))
    assert sorted(good.requests) == sorted(NAMES)
    assert {n: (tmp_path / n).read_bytes() for n in NAMES} == theirs
    assert cache_files(tmp_path) == sorted([*NAMES, *(f"tiny/{n}" for n in NAMES)])


def test_a_mirror_serving_another_known_datasets_file_names_it(
        server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = [a + 1 for a in tiny_arrays()]
    monkeypatch.setattr(datasets, "KNOWN_SOURCES", (tiny_source((), arrays=other, name="other"),))
    server.mirror("wrong", good_files(other))
    url = server.url("wrong")
    with pytest.raises(DownloadError) as info:
        load_mnist(root=tmp_path, source=tiny_source((url,)), progress=False)
    assert str(info.value).splitlines()[1].startswith(f"  - {url}{NAMES[0]}: checksum mismatch")
    assert str(info.value).splitlines()[1].endswith(" -- this is other's train-images")


def test_fetch_keeps_the_first_good_copy_and_cleans_up(server: Server, tmp_path: Path) -> None:
    """fetch itself: the check sees the complete temp file; a failed check removes it."""
    server.mirror("a", {"x.bin": b"first"})
    server.mirror("b", {"x.bin": b"second"})
    seen: list[bytes] = []

    def only_second(path: Path, url: str) -> None:
        seen.append(path.read_bytes())
        if path.read_bytes() != b"second":
            raise ValueError(f"{url}: not the one")

    got = fetch("x.bin", [server.url("a"), server.url("b")], tmp_path / "c", only_second)
    assert got == tmp_path / "c" / "x.bin" and got.read_bytes() == b"second"
    assert seen == [b"first", b"second"] and cache_files(tmp_path) == ["c/x.bin"]
