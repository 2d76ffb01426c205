"""Where datasets are found: Debian's layout, the cache and its override, raw files, load_dataset.

No network: files are made in tmp_path and the hashes injected with ``source=``.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from test_data_download import (NAMES, cache_files, check_tiny, dead_url, tiny_arrays, tiny_source,
                                upstream_gz)
from test_data_idx import idx_bytes

from autograd_lite.data import (FASHION_MNIST, MNIST, ChecksumError, DownloadError, datasets,
                                default_root, load_dataset, load_fashion_mnist, load_idx_dir,
                                load_mnist)

DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")


def debian_like(base: Path, name: str = "fashion-mnist") -> Path:
    """``base/<name>/`` holding the four files re-compressed like Debian's (no name, other mtime)."""
    directory = base / name
    directory.mkdir(parents=True)
    for file_name, array in zip(NAMES, tiny_arrays()):
        (directory / file_name).write_bytes(gzip.compress(idx_bytes(array), compresslevel=6,
                                                          mtime=1591345901))
    return directory


def write_idx(directory: Path, arrays: list[np.ndarray], raw: bool = False) -> Path:
    """The four files of ``arrays`` in ``directory``, as upstream's .gz or (``raw``) uncompressed."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, array in zip(NAMES, arrays):
        if raw:
            (directory / name.removesuffix(".gz")).write_bytes(idx_bytes(array))
        else:
            (directory / name).write_bytes(upstream_gz(idx_bytes(array)))
    return directory


def contents(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` and its bytes: shows nothing was written, replaced or deleted."""
    return {name: (root / name).read_bytes() for name in cache_files(root)}


def other_source() -> object:
    """A known dataset with tiny's file names but other data, as Fashion-MNIST is to MNIST."""
    return tiny_source(("http://127.0.0.1:9/",), arrays=tiny_arrays(seed=1), name="other")


def fake_fashion() -> object:
    """FASHION_MNIST's name and mirrors with the tiny files' hashes (unreachable mirrors)."""
    tiny = tiny_source(("http://127.0.0.1:9/never-used/",))
    return replace(tiny, name="fashion-mnist")


def test_debian_layout_via_root(tmp_path: Path) -> None:
    """root=/usr/share/datasets (parent) or root=/usr/share/datasets/fashion-mnist (itself)."""
    directory = debian_like(tmp_path / "usr" / "share" / "datasets")
    source = fake_fashion()
    for root in (directory.parent, directory):
        ds = load_fashion_mnist(root=root, download=False, source=source)
        check_tiny(replace(ds, name="tiny", note="synthetic"))
    assert sorted(p.name for p in directory.iterdir()) == sorted(NAMES)  # nothing written


def test_debian_system_dir_is_searched_without_root(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    system = tmp_path / "usr" / "share" / "datasets"
    debian_like(system)
    monkeypatch.setattr(datasets, "SYSTEM_DIRS", (system,))
    monkeypatch.setenv("AUTOGRAD_LITE_DATA", str(tmp_path / "cache"))
    ds = load_fashion_mnist(download=False, source=fake_fashion())
    assert ds.train.x.shape == (12, 16)
    assert not (tmp_path / "cache").exists()


def test_env_var_moves_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOGRAD_LITE_DATA", str(tmp_path / "mine"))
    assert default_root() == tmp_path / "mine"
    debian_like(tmp_path / "mine", name="tiny")
    monkeypatch.setattr(datasets, "SYSTEM_DIRS", ())
    check_tiny(load_mnist(download=False, source=tiny_source(("http://127.0.0.1:9/",))))
    monkeypatch.delenv("AUTOGRAD_LITE_DATA")
    assert default_root() == Path.home() / ".cache" / "autograd_lite"


def test_raw_idx_files_are_read_and_verified(tmp_path: Path) -> None:
    """Uncompressed files (names without .gz) verify by the same sha256."""
    directory = tmp_path / "tiny"
    directory.mkdir()
    for name, array in zip(NAMES, tiny_arrays()):
        (directory / name.removesuffix(".gz")).write_bytes(idx_bytes(array))
    check_tiny(load_mnist(root=tmp_path, download=False,
                          source=tiny_source(("http://127.0.0.1:9/",))))


def test_wrong_dataset_in_the_directory_is_a_checksum_error(tmp_path: Path) -> None:
    debian_like(tmp_path, name="fashion-mnist")
    other = [a + 1 for a in tiny_arrays()]
    source = replace(tiny_source(("http://127.0.0.1:9/",), arrays=other), name="fashion-mnist")
    with pytest.raises(ChecksumError, match=r"fashion-mnist/train-images-idx3-ubyte.gz: checksum "
                                            r"mismatch: the decompressed IDX data has sha256"):
        load_fashion_mnist(root=tmp_path, download=False, source=source)


def test_wrong_shape_is_reported(tmp_path: Path) -> None:
    debian_like(tmp_path, name="tiny")
    base = tiny_source(("http://127.0.0.1:9/",))
    source = replace(base, train_labels=replace(base.train_labels, sha256=None, md5=None,
                                                size=None, shape=(13,)))
    with pytest.raises(ValueError, match=r"holds an IDX array of shape \(12,\), but "
                                         r"train-labels-idx1-ubyte.gz has shape \(13,\)"):
        load_mnist(root=tmp_path, download=False, source=source)


def test_image_and_label_counts_must_agree(tmp_path: Path) -> None:
    arrays = tiny_arrays()
    arrays[1] = arrays[1][:10]
    directory = tmp_path / "d"
    directory.mkdir()
    for name, array in zip(NAMES, arrays):
        (directory / name).write_bytes(gzip.compress(idx_bytes(array)))
    with pytest.raises(ValueError, match="12 images but 10 labels"):
        load_idx_dir(directory)


def test_load_dataset_dispatches_on_names_and_paths(tmp_path: Path) -> None:
    directory = debian_like(tmp_path, name="my-set")
    ds = load_dataset(directory)
    assert ds.name == "my-set" and ds.train.x.shape == (12, 16) and ds.test.y.dtype == np.int64
    assert load_dataset(str(directory)).name == "my-set"
    assert load_dataset("MNIST_sample").name == "mnist-sample"
    with pytest.raises(ValueError, match=r"unknown dataset 'nope': expected mnist-sample, mnist or "
                                         r"fashion-mnist, or the path of a directory"):
        load_dataset("nope")


def test_load_idx_dir_names_missing_files(tmp_path: Path) -> None:
    (tmp_path / "train-images-idx3-ubyte").write_bytes(idx_bytes(np.zeros((1, 2, 2), np.uint8)))
    with pytest.raises(FileNotFoundError, match="no train-labels-idx1-ubyte.gz or "
                                                "train-labels-idx1-ubyte in it"):
        load_idx_dir(tmp_path)
    with pytest.raises(FileNotFoundError, match="not a directory"):
        load_idx_dir(tmp_path / "absent")


@pytest.mark.parametrize("source", [MNIST, FASHION_MNIST], ids=["mnist", "fashion-mnist"])
def test_hash_tables_are_complete(source: object) -> None:
    files = source.files  # type: ignore[attr-defined]
    assert [f.name for f in files] == list(NAMES)
    assert [f.shape for f in files] == [(60000, 28, 28), (60000,), (10000, 28, 28), (10000,)]
    for spec in files:
        assert re.fullmatch(r"[0-9a-f]{64}", spec.sha256) and re.fullmatch(r"[0-9a-f]{32}", spec.md5)
        assert spec.size and spec.size > 4000
    assert all(m.endswith("/") for m in source.mirrors)  # type: ignore[attr-defined]


@pytest.mark.skipif(not DEBIAN_DIR.is_dir(), reason="Debian's dataset-fashion-mnist not installed")
def test_real_fashion_mnist_from_debians_package() -> None:
    """The real files verify against FASHION_MNIST's sha256s although Debian re-compressed them."""
    for spec in FASHION_MNIST.files:
        data = (DEBIAN_DIR / spec.name).read_bytes()
        assert hashlib.md5(data).hexdigest() != spec.md5  # re-compressed: not upstream's bytes
    ds = load_fashion_mnist(root=DEBIAN_DIR, download=False)
    assert np.bincount(ds.train.y).tolist() == [6000] * 10
    assert np.bincount(ds.test.y).tolist() == [1000] * 10
    assert ds.train.x.dtype == np.float32 and ds.train.x.max() == 1.0


# --- a file that fails its check is passed over, and named when it is a known dataset's ----------

def test_another_datasets_files_in_the_shared_root_are_passed_over(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """MNIST and Fashion-MNIST share file names and ROOT/ is searched for both: the search goes on."""
    root, system = tmp_path / "root", tmp_path / "usr" / "share" / "datasets"
    write_idx(root, tiny_arrays(seed=1))  # another dataset's files, in ROOT/ itself
    write_idx(system / "tiny", tiny_arrays())
    monkeypatch.setattr(datasets, "SYSTEM_DIRS", (system,))
    monkeypatch.setenv("AUTOGRAD_LITE_DATA", str(root))
    before = contents(tmp_path)
    check_tiny(load_mnist(download=False, source=tiny_source(("http://127.0.0.1:9/",)),
                          progress=False))
    assert contents(tmp_path) == before


def test_every_rejected_file_is_listed_and_a_known_datasets_file_named(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(datasets, "KNOWN_SOURCES", (other_source(),))
    cache = tmp_path / "tiny"
    cache.mkdir()
    good_gz = upstream_gz(idx_bytes(tiny_arrays()[0]))
    (cache / NAMES[0]).write_bytes(good_gz[:-20])  # truncated
    (cache / NAMES[0].removesuffix(".gz")).write_bytes(idx_bytes(tiny_arrays()[2]))  # wrong role
    (tmp_path / NAMES[0]).write_bytes(upstream_gz(idx_bytes(tiny_arrays(seed=1)[0])))
    before = contents(tmp_path)
    with pytest.raises(ChecksumError) as info:
        load_mnist(root=tmp_path, download=False, source=tiny_source(("http://127.0.0.1:9/",)),
                   progress=False)
    lines = str(info.value).splitlines()
    assert lines[0] == (f"tiny: no copy of {NAMES[0]} (or train-images-idx3-ubyte) found in "
                        f"{cache}, {tmp_path} passes its check:")
    assert lines[1].startswith(f"  - {cache / NAMES[0]}: corrupt or truncated gzip data")
    assert lines[2].startswith(f"  - {cache}/train-images-idx3-ubyte: checksum mismatch: ")
    assert lines[2].endswith("; the file is damaged or is another file -- this is tiny's t10k-images")
    assert lines[3].startswith(f"  - {tmp_path / NAMES[0]}: checksum mismatch: ")
    assert lines[3].endswith(" -- this is other's train-images")
    assert lines[4].startswith(f"Put the files ({NAMES[0]}, ")
    assert f"in {cache} yourself, or pass download=True to fetch them from http://127.0.0.1:9/ " \
           f"(a verified download replaces the bad copy in {cache})." in lines[4]
    assert lines[4].endswith(f" {tmp_path} itself is searched for every dataset, so keep each "
                             f"dataset's files in a directory of their own: other's in "
                             f"{tmp_path / 'other'}.")
    assert len(lines) == 5
    assert contents(tmp_path) == before  # nothing deleted or replaced


def test_a_good_raw_file_is_not_hidden_by_a_corrupt_gz_in_the_cache(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_idx(tmp_path, tiny_arrays(), raw=True)  # good, uncompressed, in ROOT/
    corrupt = tmp_path / "tiny" / NAMES[0]
    corrupt.parent.mkdir()
    corrupt.write_bytes(upstream_gz(idx_bytes(tiny_arrays()[0]))[:-20])
    before = contents(tmp_path)
    check_tiny(load_mnist(root=tmp_path, download=False,
                          source=tiny_source(("http://127.0.0.1:9/",))))
    assert contents(tmp_path) == before
    err = capsys.readouterr().err
    assert err.startswith(f"autograd_lite: skipping {corrupt}: corrupt or truncated gzip data (")
    assert err.endswith("; download or copy the file again\n") and err.count("\n") == 1


@pytest.mark.skipif(not DEBIAN_DIR.is_dir(), reason="Debian's dataset-fashion-mnist not installed")
def test_real_fashion_mnist_files_in_the_shared_root_are_named_for_mnist(tmp_path: Path) -> None:
    """The reported case: Fashion-MNIST's .gz files directly in ROOT/, then load_mnist()."""
    for spec in FASHION_MNIST.files:
        (tmp_path / spec.name).symlink_to(DEBIAN_DIR / spec.name)
    with pytest.raises(ChecksumError) as info:
        load_mnist(root=tmp_path, download=False, progress=False)
    message = str(info.value)
    assert f"  - {tmp_path / NAMES[0]}: checksum mismatch: " in message
    assert " -- this is Fashion-MNIST's train-images\n" in message
    assert f"in {tmp_path / 'mnist'} yourself, or pass download=True" in message
    assert message.endswith(f"Fashion-MNIST's in {tmp_path / 'fashion-mnist'}.")
    # With download=True the mirrors are tried next (here one where nothing listens).
    dead = dead_url()
    with pytest.raises(DownloadError) as download_info:
        load_mnist(root=tmp_path, source=replace(MNIST, mirrors=(dead,)), progress=False)
    lines = str(download_info.value).splitlines()
    assert lines[1].endswith(" -- this is Fashion-MNIST's train-images")
    assert lines[2:4] == [f"cannot download {NAMES[0]} from any of 1 mirror(s):",
                          lines[3]] and lines[3].startswith(f"  - {dead}{NAMES[0]}: cannot connect")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(NAMES + ("mnist",))
    assert all((tmp_path / n).is_symlink() for n in NAMES) and cache_files(tmp_path / "mnist") == []
