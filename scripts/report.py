"""Run the README's experiments and print its results table (markdown).

Each row is one ``run(TrainConfig(...))``, the same as the ``autograd-lite
train`` command printed beside it. s/epoch is the median of the epochs' own
times (training plus validation, as ``History`` records them): loading the data
and the final evaluation do not count. Zero-initialisation rows also count how
many hidden units are still distinct after training (identical columns of the
first layer's weights), which is what symmetry breaking is about.

    python scripts/report.py            # the bundled-sample rows (~1-2 min)
    python scripts/report.py --fashion  # also the full Fashion-MNIST run
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics

import numpy as np

from autograd_lite.train import RunResult, TrainConfig, run

DEFAULT = TrainConfig()

# (label, classic report's figure or "", config overrides)
SAMPLE_ROWS: list[tuple[str, str, dict[str, object]]] = [
    ("single layer 784-10, softmax", "91.75% (MNIST 10k test)", {}),
    ("784-100-10 sigmoid MLP", "", {"hidden": (100,)}),
    ("784-100-10 ReLU MLP", "", {"hidden": (100,), "activation": "relu"}),
    ("784-100-10 sigmoid, dropout 0.1", "", {"hidden": (100,), "dropout": 0.1}),
    ("784-100-10 sigmoid, dropout 0.2", "", {"hidden": (100,), "dropout": 0.2}),
    ("784-100-10 sigmoid, dropout 0.4", "", {"hidden": (100,), "dropout": 0.4}),
    ("784-100-10 sigmoid, zero init, float32", "", {"hidden": (100,), "init": "zeros"}),
    ("784-100-10 sigmoid, zero init, float64", "",
     {"hidden": (100,), "init": "zeros", "dtype": "float64"}),
    ("784-100-10 sigmoid, xavier init, float64", "", {"hidden": (100,), "dtype": "float64"}),
    ("784-110-10 sigmoid output, one-hot MSE, 3,000 train images", "88.48% (3k train)",
     {"hidden": (110,), "output_activation": "sigmoid", "loss": "mse", "train_size": 3000}),
]
FASHION_ROW = ("Fashion-MNIST 60k/10k, 784-100-10 sigmoid", "",
               {"dataset": "fashion-mnist", "hidden": (100,)})


def command(overrides: dict[str, object]) -> str:
    """The ``autograd-lite train`` command equivalent to these overrides."""
    parts = ["autograd-lite train"]
    for key, value in overrides.items():
        flag = "--" + key.replace("_", "-")
        if key == "hidden":
            parts += [f"--hidden {width}" for width in value]  # type: ignore[attr-defined]
        else:
            parts.append(f"{flag} {value}")
    return " ".join(parts)


def seconds_per_epoch(result: RunResult) -> float:
    """The median epoch time in the run's history (0.0 if it trained no epoch)."""
    seconds = result.history["seconds"]
    return statistics.median(seconds) if seconds else 0.0


def distinct_hidden_units(result) -> str:  # type: ignore[no-untyped-def]
    if result.model is None or not result.config.hidden:
        return ""
    first = next(p for name, p in result.model.named_parameters() if name.endswith("weight"))
    return str(len(np.unique(first.numpy().T, axis=0)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fashion", action="store_true", help="add the Fashion-MNIST run")
    args = parser.parse_args()
    rows = SAMPLE_ROWS + ([FASHION_ROW] if args.fashion else [])
    print("| model | command | epochs | s/epoch | val acc | test acc | distinct hidden units"
          " | classic report |")
    print("|---|---|---|---|---|---|---|---|")
    for label, classic, overrides in rows:
        config = dataclasses.replace(DEFAULT, **overrides)  # type: ignore[arg-type]
        result = run(config, progress=False)
        per_epoch = seconds_per_epoch(result)
        val = f"{result.val_accuracy:.4f}" if result.val_accuracy is not None else ""
        print(f"| {label} | `{command(overrides)}` | {len(result.history)} | {per_epoch:.2f} "
              f"| {val} | {result.test_accuracy:.4f} | {distinct_hidden_units(result)} "
              f"| {classic} |", flush=True)


if __name__ == "__main__":
    main()
