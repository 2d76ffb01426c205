"""nn.save / nn.load_state and the _io helpers: round trips, bad files, atomic writes."""

from __future__ import annotations

import os
import zipfile

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite import _io, nn
from autograd_lite.nn.serialize import FORMAT_KEY, FORMAT_VERSION


def make_model(seed: int = 0) -> nn.MLP:
    return nn.MLP(6, [5], 3, rng=seed)


def values(model: nn.Module) -> dict[str, np.ndarray]:
    return {k: v.copy() for k, v in model.state_dict().items()}


def assert_unchanged(model: nn.Module, before: dict[str, np.ndarray]) -> None:
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k], err_msg=k)


# ---------------------------------------------------------------- round trip

def test_save_and_load_round_trip(tmp_path):
    model = make_model(0)
    path = tmp_path / "model.npz"
    nn.save(model, path)
    assert os.listdir(tmp_path) == ["model.npz"]
    state = nn.load_state(path)
    assert set(state) == {n for n, _ in model.named_parameters()}
    other = make_model(1)
    other.load_state_dict(state)
    x = ag.ones(2, 6)
    np.testing.assert_array_equal(model(x).data, other(x).data)
    assert all(state[k].dtype == np.float32 for k in state)


def test_the_file_is_a_plain_npz_with_a_version_and_no_pickles(tmp_path):
    path = tmp_path / "model.npz"
    nn.save(make_model(), str(path))  # str and PathLike both work
    with np.load(path, allow_pickle=False) as archive:
        assert int(archive[FORMAT_KEY]) == FORMAT_VERSION
        assert all(not archive[k].dtype.hasobject for k in archive.files)
    with zipfile.ZipFile(path) as z:
        assert sorted(z.namelist()) == sorted(
            f"{k}.npy" for k in [FORMAT_KEY, "layers.0.weight", "layers.0.bias",
                                 "layers.2.weight", "layers.2.bias"])


def test_float64_models_round_trip_in_float64(tmp_path):
    model = make_model().double()
    nn.save(model, tmp_path / "m.npz")
    assert all(v.dtype == np.float64 for v in nn.load_state(tmp_path / "m.npz").values())


def test_save_overwrites_an_existing_file(tmp_path):
    path = tmp_path / "model.npz"
    nn.save(make_model(0), path)
    nn.save(make_model(1), path)
    np.testing.assert_array_equal(nn.load_state(path)["layers.0.weight"],
                                  make_model(1).layers[0].weight.data)
    assert os.listdir(tmp_path) == ["model.npz"]


def test_save_refuses_non_modules(tmp_path):
    with pytest.raises(TypeError, match="expects an nn.Module"):
        nn.save({"w": np.ones(2)}, tmp_path / "x.npz")


# ---------------------------------------------------------------- bad files

def test_loading_into_another_architecture_fails_and_leaves_it_untouched(tmp_path):
    nn.save(nn.MLP(6, [4], 3, rng=0), tmp_path / "small.npz")
    model = make_model()
    before = values(model)
    with pytest.raises(ValueError, match=r"'layers.0.weight': the state has shape \(6, 4\)"):
        model.load_state_dict(nn.load_state(tmp_path / "small.npz"))
    assert_unchanged(model, before)


@pytest.mark.parametrize("keep", [0.0, 0.5, 0.9])
def test_a_truncated_file_is_a_clear_error(tmp_path, keep):
    path = tmp_path / "model.npz"
    nn.save(make_model(), path)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    model = make_model(1)
    before = values(model)
    with pytest.raises(ValueError, match=r"cannot read model state from '.*model.npz': "):
        model.load_state_dict(nn.load_state(path))
    assert_unchanged(model, before)


def test_a_corrupted_member_is_a_clear_error(tmp_path):
    path = tmp_path / "model.npz"
    nn.save(make_model(), path)
    data = bytearray(path.read_bytes())
    where = data.index(b"\x93NUMPY")      # the first array's header
    data[where + 60: where + 80] = b"\xff" * 20
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="truncated or corrupt"):
        nn.load_state(path)


@pytest.mark.parametrize("kind", ["text", "npy", "npz without version", "newer version",
                                  "pickled object"])
def test_foreign_files_are_refused_with_the_reason(tmp_path, kind):
    path = tmp_path / "thing.npz"
    if kind == "text":
        path.write_text("epoch,loss\n1,0.5\n")
        match = r"not an .npz archive \(it starts with b'epoc', not a zip header\)"
    elif kind == "npy":
        with open(path, "wb") as f:
            np.save(f, np.ones(3))
        match = "not an .npz archive"
    elif kind == "npz without version":
        np.savez(path, weight=np.ones(3))
        match = r"not a model saved by nn.save \(no '__autograd_lite_nn_format__' entry; it " \
                r"holds \['weight'\]\)"
    elif kind == "newer version":
        np.savez(path, **{FORMAT_KEY: np.array(FORMAT_VERSION + 1), "weight": np.ones(3)})
        match = "format version 2; this version of autograd_lite reads format 1"
    else:
        np.savez(path, **{FORMAT_KEY: np.array(1), "w": np.array([object()], dtype=object)})
        match = "truncated or corrupt"
    model = make_model()
    before = values(model)
    with pytest.raises(ValueError, match=match):
        model.load_state_dict(nn.load_state(path))
    assert_unchanged(model, before)


def test_a_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"cannot read model state: no such file "
                                                r"'.*nope.npz'"):
        nn.load_state(tmp_path / "nope.npz")


# ---------------------------------------------------------------- atomic writes

def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    nn.save(make_model(0), path)
    old = path.read_bytes()
    real_write = np.lib.format.write_array
    calls = []

    def failing_write(fp, array, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:                 # half-way through the archive
            raise OSError(28, "No space left on device")
        return real_write(fp, array, *args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", failing_write)
    with pytest.raises(OSError, match="No space left"):
        nn.save(make_model(1), path)
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["model.npz"]


def test_a_failed_rename_leaves_no_temp_file(tmp_path, monkeypatch):
    def failing_replace(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(PermissionError):
        nn.save(make_model(), tmp_path / "model.npz")
    assert os.listdir(tmp_path) == []


def test_the_temp_file_is_in_the_target_directory_and_renamed(tmp_path, monkeypatch):
    seen = []
    real_replace = os.replace

    def spy(src, dst):
        seen.append((os.path.dirname(src), os.path.basename(src), os.fspath(dst)))
        assert os.path.exists(src) and not os.path.exists(dst)
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    nn.save(make_model(), tmp_path / "model.npz")
    ((directory, name, dst),) = seen
    assert directory == str(tmp_path) and name.startswith(".model.npz.") and name.endswith(".tmp")
    assert dst == str(tmp_path / "model.npz")


def test_saved_files_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        nn.save(make_model(), tmp_path / "model.npz")
    finally:
        os.umask(old)
    assert (tmp_path / "model.npz").stat().st_mode & 0o777 == 0o644


def test_atomic_save_npz_refuses_objects_and_missing_directories(tmp_path):
    with pytest.raises(TypeError, match="'bad' has dtype object, which could only be saved by "
                                        "pickling"):
        _io.atomic_save_npz(tmp_path / "x.npz", {"ok": np.ones(2), "bad": np.array([{}])})
    with pytest.raises(FileNotFoundError, match="does not exist; create it first"):
        _io.atomic_save_npz(tmp_path / "missing" / "x.npz", {"ok": np.ones(2)})
    with pytest.raises(TypeError, match="non-empty strings"):
        _io.atomic_save_npz(tmp_path / "x.npz", {"": np.ones(2)})
    assert os.listdir(tmp_path) == []


def test_io_round_trip_keeps_keys_that_clash_with_savez_arguments(tmp_path):
    arrays = {"file": np.arange(3), "allow_pickle": np.array(True), "a/b.c": np.ones((2, 2)),
              "name": np.array("mlp"), "empty": np.zeros((0, 3))}
    _io.atomic_save_npz(tmp_path / "ckpt.npz", arrays)
    back = _io.load_npz(tmp_path / "ckpt.npz", "checkpoint")
    assert back.keys() == arrays.keys()
    for k in arrays:
        np.testing.assert_array_equal(back[k], arrays[k])
        assert back[k].dtype == arrays[k].dtype


def test_load_npz_names_what_it_was_reading(tmp_path):
    (tmp_path / "c.npz").write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(ValueError, match=r"cannot read checkpoint from '.*c.npz': the file is "
                                         r"truncated or corrupt"):
        _io.load_npz(tmp_path / "c.npz", "checkpoint")
