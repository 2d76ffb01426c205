"""IDX reading: round trips for every dtype code, gzipped or raw, and every way a file can be wrong.

``idx_bytes`` (the writer the round trips go through) is imported by the other data tests.
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd_lite.data import read_idx
from autograd_lite.data.idx import IDX_DTYPES, decode_idx, decompress

CODES = {np.dtype(">u1"): 0x08, np.dtype(">i1"): 0x09, np.dtype(">i2"): 0x0B,
         np.dtype(">i4"): 0x0C, np.dtype(">f4"): 0x0D, np.dtype(">f8"): 0x0E}


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding of ``array``, written from the format's definition (not by the reader's code)."""
    big = np.dtype(array.dtype).newbyteorder(">")
    code = CODES[big]
    header = bytes([0, 0, code, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    return header + np.ascontiguousarray(array, dtype=big).tobytes()


def write(path: Path, data: bytes, gz: bool) -> Path:
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def sample(dtype: np.dtype, shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if dtype.kind == "f":
        return rng.standard_normal(shape).astype(dtype.newbyteorder("="))
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=shape, endpoint=True).astype(
        dtype.newbyteorder("="))


def test_the_writer_matches_the_format_by_hand() -> None:
    """Two labels 7, 2 as ubyte: magic 00 00 08 01, count 2, then the bytes."""
    assert idx_bytes(np.array([7, 2], np.uint8)) == bytes([0, 0, 8, 1, 0, 0, 0, 2, 7, 2])


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gzip"])
@pytest.mark.parametrize("dtype", list(IDX_DTYPES.values()), ids=lambda d: d.str)
@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4), (1, 1, 2, 3)])
def test_round_trip(tmp_path: Path, dtype: np.dtype, shape: tuple[int, ...], gz: bool) -> None:
    """Every dtype code, 1 to 4 dimensions, gzipped or raw: same values, shape, native dtype."""
    array = sample(dtype, shape)
    path = write(tmp_path / "a.idx", idx_bytes(array), gz)
    got = read_idx(path)
    assert got.shape == shape
    assert got.dtype == dtype.newbyteorder("=") and got.dtype.isnative
    np.testing.assert_array_equal(got, array)
    assert got.flags.writeable


def test_extreme_values_and_empty_arrays(tmp_path: Path) -> None:
    """Limits of each integer type, inf/nan floats, and zero-size dimensions survive."""
    for name in ["int8", "int16", "int32", "uint8"]:
        info = np.iinfo(name)
        array = np.array([info.min, 0, info.max], name)
        np.testing.assert_array_equal(read_idx(write(tmp_path / "x", idx_bytes(array), True)), array)
    floats = np.array([np.inf, -np.inf, np.nan, -0.0, 1e-300], np.float64)
    np.testing.assert_array_equal(read_idx(write(tmp_path / "f", idx_bytes(floats), False)), floats)
    empty = np.zeros((0, 28, 28), np.uint8)
    assert read_idx(write(tmp_path / "e", idx_bytes(empty), True)).shape == (0, 28, 28)


@given(st.sampled_from(sorted(CODES, key=str)),
       st.lists(st.integers(0, 4), min_size=1, max_size=4).map(tuple), st.booleans(),
       st.integers(0, 2**32 - 1))
def test_round_trip_property(dtype: np.dtype, shape: tuple[int, ...], gz: bool, seed: int) -> None:
    """decode(decompress(encode(a))) == a for random dtypes, shapes and values."""
    array = sample(dtype, shape, seed)
    data = idx_bytes(array)
    got = decode_idx(decompress(gzip.compress(data) if gz else data, "mem"), "mem")
    np.testing.assert_array_equal(got, array)


def test_gzip_is_detected_by_magic_bytes_not_by_name(tmp_path: Path) -> None:
    """A raw file called .gz and a gzipped file without .gz both read."""
    array = np.arange(6, dtype=np.uint8).reshape(2, 3)
    np.testing.assert_array_equal(read_idx(write(tmp_path / "raw.gz", idx_bytes(array), False)), array)
    np.testing.assert_array_equal(read_idx(write(tmp_path / "packed.idx", idx_bytes(array), True)),
                                  array)


def test_accepts_str_and_pathlike(tmp_path: Path) -> None:
    path = write(tmp_path / "a", idx_bytes(np.array([1], np.uint8)), False)
    assert read_idx(str(path)).tolist() == read_idx(path).tolist() == [1]


LABELS = idx_bytes(np.array([3, 1, 4, 1, 5], np.uint8))  # header 8 bytes + 5


@pytest.mark.parametrize(("data", "message"), [
    (b"", "not an IDX file: 0 bytes, shorter than the 4-byte magic number"),
    (b"\x00\x00\x08", "not an IDX file: 3 bytes"),
    (b"\x01\x00\x08\x01" + LABELS[4:], "magic number starts with 0x01 0x00, not two zero bytes"),
    (b"\x00\x07\x08\x01" + LABELS[4:], "magic number starts with 0x00 0x07, not two zero bytes"),
    (b"\x00\x00\x0A\x01" + LABELS[4:], "unknown IDX dtype code 0x0A; expected one of 0x08 (ubyte)"),
    (b"\x00\x00\x08\x00", "IDX header says 0 dimensions"),
    (b"\x00\x00\x08\x03\x00\x00\x00\x05", "truncated IDX header: 3 dimensions need a 16-byte "
                                          "header, the file has 8 bytes"),
    (LABELS[:-2], "truncated IDX data: dimensions (5,) of ubyte need 5 bytes after the 8-byte "
                  "header, found 3 (2 missing)"),
    (LABELS + b"\x00", "too long IDX data: dimensions (5,) of ubyte need 5 bytes after the 8-byte "
                       "header, found 6 (1 extra)"),
    (idx_bytes(np.zeros((2, 3), ">i4"))[:-1], "dimensions (2, 3) of int need 24 bytes after the "
                                              "12-byte header, found 23 (1 missing)"),
], ids=["empty", "short-magic", "magic-byte-0", "magic-byte-1", "dtype-code", "zero-dims",
        "short-header", "truncated", "too-long", "truncated-int"])
@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gzip"])
def test_corrupt_idx_raises_naming_the_file_and_the_fault(tmp_path: Path, data: bytes,
                                                          message: str, gz: bool) -> None:
    path = write(tmp_path / "bad-file.idx", data, gz)
    with pytest.raises(ValueError) as info:
        read_idx(path)
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)


def test_truncated_gzip(tmp_path: Path) -> None:
    """A gzip stream cut short (as by an interrupted download) is a ValueError saying so."""
    packed = gzip.compress(idx_bytes(np.arange(1000, dtype=np.uint8)))
    for cut in [len(packed) - 4, len(packed) // 2, 12]:
        path = write(tmp_path / f"cut{cut}.gz", packed[:cut], False)
        with pytest.raises(ValueError, match=r"corrupt or truncated gzip data .*download or copy "
                                             r"the file again") as info:
            read_idx(path)
        assert str(info.value).startswith(str(path))


def test_corrupt_gzip(tmp_path: Path) -> None:
    """Flipped bytes in the deflate stream or in the CRC, and a bad header, are caught."""
    packed = bytearray(gzip.compress(idx_bytes(np.arange(1000, dtype=np.uint8) % 7)))
    crc = bytearray(packed)
    crc[-8] ^= 0xFF
    body = bytearray(packed)
    body[20] ^= 0xFF
    method = bytearray(packed)
    method[2] = 7  # compression method other than deflate
    for name, data in [("crc", crc), ("body", body), ("method", method)]:
        path = write(tmp_path / name, bytes(data), False)
        with pytest.raises(ValueError, match="corrupt or truncated gzip data"):
            read_idx(path)


def test_missing_file_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nope")
