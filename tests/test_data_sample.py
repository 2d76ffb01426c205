"""The bundled MNIST sample: its arrays, class counts, provenance files and packaging."""

from __future__ import annotations

import hashlib
import re
import tomllib
import zipfile
from pathlib import Path

import numpy as np
import pytest

import autograd_lite
from autograd_lite.data import Dataset, load_dataset, load_mnist_sample

PKG_DATA = Path(autograd_lite.__file__).resolve().parent / "_data"
NPZ = PKG_DATA / "mnist_sample.npz"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def sample() -> Dataset:
    return load_mnist_sample()


def test_shapes_dtypes_and_range(sample: Dataset) -> None:
    assert sample.name == "mnist-sample"
    assert sample.train.x.shape == (4000, 784) and sample.test.x.shape == (1000, 784)
    for split in (sample.train, sample.test):
        assert split.x.dtype == np.float32 and split.y.dtype == np.int64
        assert split.x.min() == 0.0 and split.x.max() == 1.0
        levels = split.x * 255
        np.testing.assert_array_equal(levels, np.round(levels))  # k / 255 exactly
        assert set(np.unique(split.y)) == set(range(10))


def test_class_counts_400_and_100(sample: Dataset) -> None:
    assert np.bincount(sample.train.y).tolist() == [400] * 10
    assert np.bincount(sample.test.y).tolist() == [100] * 10


def test_the_parts_are_shuffled_not_sorted_by_class(sample: Dataset) -> None:
    """Taking the first rows gives a mix of classes, not a block of zeros."""
    assert len(set(sample.train.y[:50].tolist())) >= 8
    assert len(set(sample.test.y[:50].tolist())) >= 8


def test_no_digit_is_in_both_parts(sample: Dataset) -> None:
    train = {row.tobytes() for row in (sample.train.x * 255).astype(np.uint8)}
    assert not any(row.tobytes() in train for row in (sample.test.x * 255).astype(np.uint8))


def test_digits_look_like_digits(sample: Dataset) -> None:
    """Ink centred in a near-blank border, as MNIST digits are (20x20 boxes centred in 28x28)."""
    ink = sample.train.x.reshape(-1, 28, 28).mean(axis=0)
    border = np.r_[ink[:2].ravel(), ink[-2:].ravel(), ink[:, :2].ravel(), ink[:, -2:].ravel()]
    assert border.mean() < 0.005
    assert ink[10:18, 10:18].mean() > 0.2


def test_loads_the_same_every_time(sample: Dataset) -> None:
    again = load_dataset("mnist-sample")
    np.testing.assert_array_equal(again.train.x, sample.train.x)
    np.testing.assert_array_equal(again.test.y, sample.test.y)


def test_the_npz_is_small_uint8_and_pickle_free() -> None:
    assert NPZ.stat().st_size < 2 * 1024 * 1024
    with np.load(NPZ, allow_pickle=False) as archive:
        assert sorted(archive.files) == ["x_test", "x_train", "y_test", "y_train"]
        shapes = {k: (archive[k].shape, archive[k].dtype) for k in archive.files}
    assert shapes == {"x_train": ((4000, 28, 28), np.uint8), "y_train": ((4000,), np.uint8),
                      "x_test": ((1000, 28, 28), np.uint8), "y_test": ((1000,), np.uint8)}
    with zipfile.ZipFile(NPZ) as archive:
        assert all(info.compress_type == zipfile.ZIP_DEFLATED for info in archive.infolist())


def test_provenance_readme_matches_the_file_and_the_script() -> None:
    """The README records the npz's sha256 and the wheel / csv hashes the script checks."""
    readme = (PKG_DATA / "README-mnist-sample.txt").read_text(encoding="utf-8")
    recorded = re.search(r"mnist_sample\.npz sha256:\s+([0-9a-f]{64})", readme)
    assert recorded and recorded.group(1) == hashlib.sha256(NPZ.read_bytes()).hexdigest()
    script = (ROOT / "scripts" / "make_mnist_sample.py").read_text(encoding="utf-8")
    for name in ("WHEEL_SHA256", "CSV_GZ_SHA256", "CSV_SHA256"):
        digest = re.search(rf'^{name} = "([0-9a-f]{{64}})"', script, re.M)
        assert digest and digest.group(1) in readme, name
    for credit in ("Yann LeCun", "Corinna Cortes", "CC BY-SA 3.0", "not comparable",
                   "https://creativecommons.org/licenses/by-sa/3.0/"):
        assert credit in readme


def test_licence_files_and_packaging_metadata() -> None:
    licence = (ROOT / "LICENSES" / "CC-BY-SA-3.0.txt").read_text(encoding="utf-8")
    assert "Attribution-ShareAlike 3.0 Unported" in licence
    assert "https://creativecommons.org/licenses/by-sa/3.0/legalcode" in licence
    assert "8. Miscellaneous" in licence  # the full legal code, not only a notice
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["license"] == "MIT AND CC-BY-SA-3.0"
    assert project["project"]["license-files"] == ["LICENSE", "LICENSES/*"]
    data = project["tool"]["setuptools"]["package-data"]["autograd_lite"]
    assert "_data/*.npz" in data and "_data/*.txt" in data
    requires = project["build-system"]["requires"]
    assert any(re.fullmatch(r"setuptools>=(\d+)", r) and int(r.split(">=")[1]) >= 77
               for r in requires)


def test_sample_note_says_what_results_on_it_mean(sample: Dataset) -> None:
    assert "not comparable" in sample.note and "CC BY-SA 3.0" in sample.note
