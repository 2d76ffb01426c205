"""``autograd-lite graph``: the two-layer example and the train-flag MLP, written by suffix."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET

import pytest

from autograd_lite.cli import main
from autograd_lite.registry import REGISTRY
from autograd_lite.viz import draw_graph
from autograd_lite.viz.examples import two_layer

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot program is not installed")
SVG = "{http://www.w3.org/2000/svg}"


def node_texts(path) -> list[list[str]]:
    root = ET.parse(path).getroot()
    return [[t.text or "" for t in g.iter(f"{SVG}text")]
            for g in root.iter(f"{SVG}g") if g.get("class") == "node"]


@needs_dot
@pytest.mark.parametrize("kind", ["value", "tensor"])
@pytest.mark.parametrize("loss", ["mse", "cross-entropy"])
def test_two_layer_example_svg(tmp_path, capsys, kind, loss):
    out = tmp_path / "two.svg"
    assert main(["graph", "--example", "two-layer", "--kind", kind, "--loss", loss,
                 "--out", str(out)]) == 0
    assert f"wrote {out} (two-layer network, {kind}, {loss} loss:" in capsys.readouterr().out
    texts = node_texts(out)
    firsts = [t[0] for t in texts]
    for name in ("x", "w1", "b1", "w2", "b2", "u1", "u2", "u3", "u4", "u5", "ŷ", "L"):
        assert firsts.count(name) == 1, name
    flat = [line for t in texts for line in t]
    assert REGISTRY["sigmoid"].formula[0] in flat
    assert (REGISTRY["log"].formula[0] in flat) == (loss == "cross-entropy")
    L, _ = two_layer(kind=kind, loss=loss)
    assert f"data {L.data if kind == 'value' else L.item():.4g}" in texts[firsts.index("L")]


@needs_dot
def test_mlp_from_train_flags(tmp_path):
    out = tmp_path / "mlp.svg"
    assert main(["graph", "--hidden", "100", "--out", str(out)]) == 0
    texts = {t[0]: t for t in node_texts(out)}
    assert "weight (784, 100)" in texts["MLP/layers/0"]
    assert "weight (100, 10)" in texts["MLP/layers/2"]
    assert texts["MLP/layers/1"][1] == "sigmoid (σ)"
    assert texts["CrossEntropyLoss"][1] == "cross_entropy (CE)"
    assert texts["x"][1] == "(32, 784) float32"

    out2 = tmp_path / "relu.svg"
    assert main(["graph", "--hidden", "20", "--hidden", "10", "--activation", "relu",
                 "--loss", "mse", "--output-activation", "sigmoid", "--dtype", "float64",
                 "--batch-size", "4", "--out", str(out2)]) == 0
    texts = {t[0]: t for t in node_texts(out2)}
    assert texts["MLP/layers/1"][1] == "relu (ReLU)" and "MLP/layers/4" in texts
    assert texts["x"][1] == "(4, 784) float64"
    assert any(line.startswith("sub (") for t in texts.values() for line in t)  # mse's ops


def test_dot_suffix_writes_the_source_without_graphviz(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot: .gv/.dot still work
    out = tmp_path / "two.gv"
    assert main(["graph", "--example", "two-layer", "--out", str(out)]) == 0
    L, _ = two_layer(kind="value")
    assert out.read_text(encoding="utf-8") == draw_graph(L, rankdir="TB").source
    assert main(["graph", "--example", "two-layer", "--out", str(tmp_path / "two.dot")]) == 0
    assert (tmp_path / "two.dot").read_text(encoding="utf-8") == out.read_text(encoding="utf-8")


def test_missing_dot_exits_1_with_install_hint(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    out = tmp_path / "two.svg"
    assert main(["graph", "--example", "two-layer", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "autograd-lite graph: error:" in err and "apt-get install graphviz" in err
    assert not out.exists()


@needs_dot
@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".pdf", b"%PDF")])
def test_format_from_suffix(tmp_path, suffix, magic):
    out = tmp_path / f"g{suffix}"
    assert main(["graph", "--example", "two-layer", "--out", str(out)]) == 0
    assert out.read_bytes()[: len(magic)] == magic


@needs_dot
def test_same_flags_same_bytes(tmp_path):
    a, b = tmp_path / "a.svg", tmp_path / "b.svg"
    for out in (a, b):
        assert main(["graph", "--hidden", "30", "--seed", "3", "--out", str(out)]) == 0
    assert a.read_bytes() == b.read_bytes()
    c = tmp_path / "c.svg"
    assert main(["graph", "--hidden", "30", "--seed", "4", "--out", str(c)]) == 0
    assert c.read_bytes() != a.read_bytes()


@pytest.mark.parametrize("argv, message", [
    (["--example", "two-layer", "--hidden", "3"], "argument --hidden: not used with --example"),
    (["--example", "two-layer", "--loss", "bce"], "two-layer example supports mse or cross"),
    (["--example", "two-layer", "--out", "x.jpeg"], "argument --out: cannot tell the format"),
    (["--example", "two-layer", "--highlight", "nope"], "argument --highlight: .*'nope'"),
    (["--example", "two-layer", "--max-nodes", "0"], "argument --max-nodes: must be >= 1"),
    (["--hidden", "0"], "argument --hidden: a layer width must be >= 1"),
    (["--lr", "0.1"], "unrecognized arguments: --lr"),
    (["--dropout", "1.5"], "argument --dropout"),
])
def test_bad_flags_exit_2_naming_the_flag(tmp_path, capsys, argv, message):
    if "--out" not in argv:
        argv = [*argv, "--out", str(tmp_path / "g.gv")]
    assert main(["graph", *argv]) == 2
    assert re.search(message, capsys.readouterr().err)


def test_help_lists_the_graph_subcommand(capsys):
    assert main(["--help"]) == 0
    assert "graph" in capsys.readouterr().out
