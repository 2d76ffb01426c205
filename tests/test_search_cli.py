"""``autograd-lite grid``: flags (bad ones exit 2 naming the flag), a run, and ``--report``."""

from __future__ import annotations

import json
import os

import pytest
from search_grids import write_grid

from autograd_lite.cli import main
from autograd_lite.search import read_store
from autograd_lite.search.report import rank, top_table, x_key


@pytest.mark.parametrize("args, words", [
    ([], "give one of CONFIG.toml, --example NAME or --report STORE"),
    (["g.toml", "--example", "quick-grid"], "CONFIG.toml and --example cannot be combined"),
    (["g.toml", "--n-jobs", "0"], "argument --n-jobs: must not be 0"),
    (["g.toml", "--n-jobs", "two"], "argument --n-jobs: expected an int"),
    (["g.toml", "--backend", "threads"], "argument --backend: invalid choice: 'threads'"),
    (["g.toml", "--backend", "dask"], "argument --backend: dask needs --scheduler ADDR"),
    (["g.toml", "--backend", "dask", "--scheduler", "tcp://h:1", "--n-jobs", "2"],
     "argument --n-jobs: with --backend dask"),
    (["g.toml", "--scheduler", "tcp://h:1"], "argument --scheduler: only with --backend dask"),
    (["g.toml", "--plots", "out"], "argument --plots: only with --report STORE"),
    (["--report", "s.jsonl", "--n-jobs", "2"], "argument --report: reports on a store and "
                                               "trains nothing, so --n-jobs does not apply"),
    (["--report", "missing.jsonl"], "argument --report: no such file 'missing.jsonl'"),
    (["--example", "cifar"], "argument --example: grid: no packaged grid named 'cifar'"),
    (["missing.toml"], "argument CONFIG.toml: grid: no such file 'missing.toml'"),
    (["--top", "0", "--report", "s.jsonl"], "argument --top: expected an int >= 1"),
])
def test_bad_flags_exit_2_naming_the_flag(args, words, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "g.toml").write_text("[space]\nlr = [0.1]\n")
    (tmp_path / "s.jsonl").write_text("")
    assert main(["grid", *args]) == 2
    err = capsys.readouterr().err
    assert "autograd-lite grid: error: " in err and words in err


def test_a_bad_grid_file_exits_2_naming_the_file_and_key(tmp_path, capsys):
    path = write_grid(tmp_path, "[base]\nhidden = [16]\n[space]\ndropout = [0.1, 1.5]\n")
    assert main(["grid", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"argument CONFIG.toml: TrainConfig: space.dropout[1] must be in [0, 1), got 1.5 " \
           f"(in {path})" in err


def test_help_lists_the_subcommand_and_the_packaged_grids(capsys):
    assert main(["--help"]) == 0
    assert "grid" in capsys.readouterr().out
    assert main(["grid", "--help"]) == 0
    out = capsys.readouterr().out
    assert "mnist-grid" in out and "--no-resume" in out and "--scheduler" in out


def test_run_then_report(tmp_path, capsys):
    grid_file = write_grid(tmp_path)
    store = tmp_path / "out" / "tiny.jsonl"
    assert main(["grid", str(grid_file), "--store", str(store), "--n-jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("grid tiny: 4 configurations of lr, dropout on mnist-sample; 0 already")
    assert out.count("[") >= 4 and "[4/4] " in out and "4 runs done, 0 taken from the store" in out
    records, _ = read_store(store)
    assert len(records) == 4

    assert main(["grid", str(grid_file), "--store", str(store), "--n-jobs", "1", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "0 runs" not in out and out.splitlines()[1].startswith("best 4 of 4")

    assert main(["grid", "--report", str(store), "--top", "2"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == f"{store}: 4 runs (4 finished, 0 diverged); best 2 by validation accuracy:"
    assert lines[1].split() == ["rank", "dropout", "lr", "epochs", "val", "acc", "test", "acc",
                                "seconds"]
    best = rank(records)[:2]
    for line, record in zip(lines[2:4], best):
        cells = line.split()
        assert float(cells[1]) == record["config"]["dropout"]
        assert float(cells[2]) == record["config"]["lr"]
        assert cells[4] == f"{record['metrics']['val_accuracy']:.4f}"
    for name in ("tiny.accuracy.png", "tiny.curves.png"):
        assert (store.parent / name).read_bytes()[:4] == b"\x89PNG"
        assert str(store.parent / name) in out


def test_report_of_a_torn_store_says_so_and_leaves_it(tmp_path, capsys):
    grid_file = write_grid(tmp_path)
    store = tmp_path / "tiny.jsonl"
    assert main(["grid", str(grid_file), "--store", str(store), "--n-jobs", "1", "--quiet"]) == 0
    capsys.readouterr()
    data = store.read_bytes()
    store.write_bytes(data[:-40])
    plots = tmp_path / "plots"
    assert main(["grid", "--report", str(store), "--plots", str(plots)]) == 0
    captured = capsys.readouterr()
    assert "the last record (line 4" in captured.err and "torn" in captured.err
    assert "3 runs (3 finished" in captured.out
    assert store.read_bytes() == data[:-40]  # a report only reads
    assert sorted(os.listdir(plots)) == ["tiny.accuracy.png", "tiny.curves.png"]


def _record(lr, dropout, val, test, status="ok"):
    ok = status == "ok"
    return {"id": f"{lr}-{dropout}", "status": status, "seconds": 1.0,
            "config": {"lr": lr, "dropout": dropout, "seed": 0},
            "metrics": {"epochs": 3, "val_accuracy": val, "test_accuracy": test} if ok else None,
            "history": None}


def test_ranking_uses_validation_accuracy_and_puts_diverged_runs_last():
    records = [_record(0.1, 0.0, 0.80, 0.99), _record(0.01, 0.0, 0.90, 0.70),
               _record(1.0, 0.0, None, None, status="diverged"), _record(0.1, 0.2, 0.85, 0.5)]
    assert [r["id"] for r in rank(records)] == ["0.01-0.0", "0.1-0.2", "0.1-0.0", "1.0-0.0"]
    table = top_table(records, k=4).splitlines()
    assert table[0].split()[:3] == ["rank", "lr", "dropout"]
    assert table[4].split() == ["4", "1", "0", "-", "diverged", "-", "1.0"]
    assert x_key(records) == "lr"
    assert json.loads(json.dumps(records))  # plain data


def test_report_plots_with_a_categorical_setting(tmp_path):
    from autograd_lite.search.report import accuracy_by_lr, best_curves

    hist = {"format": 1, "stop_reason": None, "epochs": [
        {"epoch": e, "train_loss": 1 / e, "train_accuracy": 0.5, "val_loss": None,
         "val_accuracy": None, "seconds": 0.1, "lr": 0.1} for e in (1, 2)]}
    records = [dict(_record(0.1, 0.0, None, 0.9), history=hist,
                    config={"hidden": [h], "seed": 0}) for h in (30, 60)]
    assert x_key(records) == "hidden"
    assert open(accuracy_by_lr(records, tmp_path / "a.png"), "rb").read(4) == b"\x89PNG"
    assert open(best_curves(records, tmp_path / "c.png"), "rb").read(4) == b"\x89PNG"


def test_the_cli_and_search_import_no_optional_package():
    """joblib, threadpoolctl, dask and matplotlib load only when a grid runs or a plot is drawn."""
    import subprocess
    import sys
    from pathlib import Path

    import autograd_lite

    src = str(Path(autograd_lite.__file__).resolve().parent.parent)
    code = ("import json, sys\nimport autograd_lite.cli, autograd_lite.search\n"
            "print(json.dumps(sorted(sys.modules)))\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=120, check=True)
    loaded = {m.split(".")[0] for m in json.loads(proc.stdout)}
    assert "autograd_lite" in loaded
    assert loaded.isdisjoint({"joblib", "threadpoolctl", "dask", "distributed", "matplotlib",
                              "tqdm"})
