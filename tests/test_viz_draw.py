"""viz.draw_graph / make_dot / trace: what the picture shows, checked in the rendered SVG."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_lite as ag
from autograd_lite import nn
from autograd_lite.registry import REGISTRY
from autograd_lite.scalar import Value
from autograd_lite.viz import draw_graph, make_dot, trace
from autograd_lite.viz.draw import DotNotFoundError, save
from autograd_lite.viz.examples import two_layer

from numerical import num_grad

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot program is not installed")
SVG = "{http://www.w3.org/2000/svg}"
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?|nan|-?inf")


# ---------------------------------------------------------------- reading the SVG

def svg(graph) -> ET.Element:
    return ET.fromstring(graph.pipe(format="svg"))


def items(root: ET.Element, kind: str) -> dict[str, dict]:
    """{title: {"texts": [...], "el": element}} for each node, edge or cluster."""
    out = {}
    for g in root.iter(f"{SVG}g"):
        if g.get("class") == kind:
            title = g.find(f"{SVG}title").text
            texts = [t.text or "" for t in g.iter(f"{SVG}text")]
            out[title] = {"texts": texts, "el": g}
    return out


def node_by_first_line(nodes: dict[str, dict], first: str) -> dict:
    found = [n for n in nodes.values() if n["texts"] and n["texts"][0] == first]
    assert len(found) == 1, (first, [n["texts"][:1] for n in nodes.values()])
    return found[0]


def edge_label(edges: dict[str, dict], prefix: str, src: str | None = None) -> str:
    """The one edge label starting with ``prefix`` (on edges leaving node id ``src``)."""
    found = [t for title, e in edges.items() for t in e["texts"]
             if t.startswith(prefix) and (src is None or title.startswith(src + "->"))]
    assert len(found) == 1, (prefix, found)
    return found[0]


def node_id(nodes: dict[str, dict], first: str) -> str:
    return next(title for title, n in nodes.items() if n["texts"] and n["texts"][0] == first)


def numbers(text: str) -> np.ndarray:
    """The numbers of a preview after '='; a preview cut short ('…') loses its last one."""
    found = NUMBER.findall(text.split("=", 1)[1])
    if text.endswith("…"):
        found = found[:-1]
    return np.array([float(v) for v in found])


def named(t, name):
    t.name = name
    return t


def colours(el: ET.Element) -> set[str]:
    return {c for shape in el for c in (shape.get("fill"), shape.get("stroke")) if c}


# ---------------------------------------------------------------- the two-layer network

def numpy_two_layer(w1, b1, w2, b2, x, y):
    """The same network in plain numpy, for central differences."""
    sig = lambda z: 1 / (1 + np.exp(-z))
    y_hat = sig(sig(x @ w1 + b1) @ w2 + b2)
    return float(np.mean((y_hat - y) ** 2))


@needs_dot
def test_two_layer_nodes_show_names_shapes_and_registered_formulas():
    L, n = two_layer(kind="tensor", loss="mse", seed=0)
    nodes = items(svg(draw_graph(L)), "node")
    for name in ("x", "w1", "b1", "w2", "b2", "y", "u1", "u2", "u3", "u4", "u5", "ŷ", "e", "L"):
        texts = node_by_first_line(nodes, name)["texts"]
        assert texts[1] == f"{n[name].shape} float64"
        assert texts[2].startswith("data ")
    assert node_by_first_line(nodes, "u3")["texts"][2] == "data [[0.8108, 0.7135]]"
    for op in ("matmul", "add", "sigmoid", "sub", "pow", "mean"):
        header = op if REGISTRY[op].symbol == op else f"{op} ({REGISTRY[op].symbol})"
        shown = [nd["texts"] for nd in nodes.values() if nd["texts"][0] == header]
        assert shown, header
        want = REGISTRY[op].formula if op != "pow" else REGISTRY[op].formula[:1]
        for texts in shown:
            assert list(want) == texts[1:1 + len(want)]
    sigmoid = [nd for nd in nodes.values() if nd["texts"][0] == "sigmoid (σ)"]
    assert len(sigmoid) == 2 and sigmoid[0]["texts"][1] == "∂σ(x)/∂x = σ(x)(1−σ(x))"
    assert "const 2" in node_by_first_line(nodes, "pow (^)")["texts"]


@needs_dot
@pytest.mark.parametrize("loss", ["mse", "cross-entropy"])
def test_edge_gradients_equal_backward_and_central_differences(loss):
    L, n = two_layer(kind="tensor", loss=loss, seed=3)
    graph = draw_graph(L)  # before backward: the picture computes its own gradients
    for name in ("u2", "u5", "ŷ"):
        n[name].retain_grad()
    L.backward(retain_graph=True)
    root = svg(graph)
    nodes, edges = items(root, "node"), items(root, "edge")
    for name in ("w1", "b1", "w2", "b2", "u2", "u5", "ŷ"):
        nid = node_id(nodes, name)
        if n[name].is_leaf:  # the edge from the leaf into its op
            label = edge_label(edges, f"∂L/∂{name} = ", src=nid)
        else:  # the edge from the op into the intermediate (the total, however many uses)
            [label] = [t for title, e in edges.items() for t in e["texts"]
                       if title.endswith("->" + nid)]
        shown = numbers(label)
        want = n[name].grad.numpy().ravel()
        np.testing.assert_allclose(shown, want[: len(shown)], rtol=2e-3, atol=1e-9)
    assert len(numbers(edge_label(edges, "∂L/∂w1 = "))) == 4
    if loss == "mse":
        arrays = {k: n[k].numpy() for k in ("w1", "b1", "w2", "b2", "x", "y")}
        for name in ("w1", "b1", "w2", "b2"):
            f = lambda v, name=name: numpy_two_layer(**{**arrays, name: v})
            shown = numbers(edge_label(edges, f"∂L/∂{name} = "))
            np.testing.assert_allclose(shown, num_grad(f, arrays[name]).ravel(), rtol=2e-3)


def test_graph_drawn_after_backward_with_retain_graph_and_from_a_trace():
    L, n = two_layer(kind="tensor", seed=1)
    L.backward(retain_graph=True)
    assert "∂L/∂w1" in draw_graph(L).source
    np.testing.assert_allclose(trace(L).grad(n["w1"]), n["w1"].grad.numpy(), rtol=1e-12)

    L2, n2 = two_layer(kind="tensor", seed=1)
    snapshot = trace(L2)
    L2.backward()  # frees the graph
    with pytest.raises(RuntimeError, match=r"freed by backward\(\).*retain_graph=True"):
        draw_graph(L2)
    assert draw_graph(snapshot).source == draw_graph(L).source  # same seed, same picture


def test_trace_grads_of_intermediates_match_retain_grad():
    L, n = two_layer(kind="tensor", loss="cross-entropy", seed=2)
    tr = trace(L)
    for name in ("u1", "u3", "ŷ", "ln ŷ"):
        n[name].retain_grad()
    L.backward()
    for name in ("u1", "u3", "ŷ", "ln ŷ", "w1", "b2"):
        np.testing.assert_allclose(tr.grad(n[name]), n[name].grad.numpy(), rtol=1e-12)


# ---------------------------------------------------------------- Values

@needs_dot
def test_value_graph_labels_local_derivatives_and_gradients():
    L, n = two_layer(kind="value", loss="mse", seed=0)
    graph = draw_graph(L)
    L.backward()
    root = svg(graph)
    nodes, edges = items(root, "node"), items(root, "edge")
    for name in ("x", "w1", "u1", "u3", "ŷ", "L"):
        v = n[name]
        texts = node_by_first_line(nodes, name)["texts"]
        assert texts[1:3] == [f"data {v.data:.4g}", f"grad {v.grad:.4g}"]
    # The edge from u2 into σ carries σ'(u2) and ∂L/∂u2, both the engine's numbers.
    u3 = n["u3"]
    assert f"∂u3/∂u2 = {u3._local_grads[0]:.4g}" in [t for e in edges.values() for t in e["texts"]]
    assert numbers(edge_label(edges, "∂L/∂w1 = "))[0] == pytest.approx(n["w1"].grad, rel=1e-3)
    formula = REGISTRY[Value.OP_NAMES["sigmoid"]].formula[0]
    assert sum(formula in nd["texts"] for nd in nodes.values()) == 2


def test_value_trace_matches_value_backward_on_a_micrograd_expression():
    a, b = Value(-4.0, label="a"), Value(2.0, label="b")
    c = a + b
    d = a * b + b ** 3
    e = (c - d).relu() + (d / c).tanh() + (a * 0.5).sigmoid().log()
    tr = trace(e)
    e.backward()
    assert tr.grad(a).item() == pytest.approx(a.grad, rel=1e-12)
    assert tr.grad(b).item() == pytest.approx(b.grad, rel=1e-12)
    src = draw_graph(e).source
    for op in ("relu", "tanh", "div", "pow", "log", "sigmoid"):
        assert REGISTRY[op].formula[0] in src


# ---------------------------------------------------------------- modules

class Twice(nn.Module):
    """Calls one Linear twice, with an op of its own in between."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(3, 3, rng=0)

    def forward(self, x):
        return self.lin(self.lin(x).tanh())


def mlp_loss(hidden=(3,), n_in=4, batch=5):
    model = nn.MLP(n_in, list(hidden), 2, rng=0)
    x = ag.tensor(np.random.default_rng(0).random((batch, n_in)), name="x")
    loss = nn.CrossEntropyLoss()(model(x), np.arange(batch) % 2)
    loss.name = "loss"
    return model, loss


def cluster_labels(root: ET.Element) -> list[str]:
    return [c["texts"][0] for c in items(root, "cluster").values()]


@needs_dot
def test_one_cluster_per_linear_call_expanded():
    model, loss = mlp_loss(hidden=(3, 3))
    labels = cluster_labels(svg(draw_graph(loss, params=dict(model.named_parameters()),
                                           collapse_modules=False)))
    for path in ("MLP/layers/0", "MLP/layers/2", "MLP/layers/4"):
        assert labels.count(path) == 1
    assert labels.count("MLP") == 1 and labels.count("CrossEntropyLoss") == 1

    twice = Twice()
    y = twice(ag.tensor(np.ones((2, 3)))).sum()
    root = svg(draw_graph(y, params=dict(twice.named_parameters()), collapse_modules=False))
    assert cluster_labels(root).count("Twice/lin") == 2
    assert cluster_labels(root).count("Twice") == 1
    nodes = items(root, "node")
    # The shared weight is used by both calls, so it sits outside both, inside Twice.
    node_by_first_line(nodes, "lin.weight")


@needs_dot
def test_collapsed_modules_fold_each_call_into_one_node():
    twice = Twice()
    y = twice(ag.tensor(np.ones((2, 3)))).sum()
    root = svg(draw_graph(y, params=dict(twice.named_parameters())))
    folded = [n for n in items(root, "node").values() if n["texts"][0] == "Twice/lin"]
    assert len(folded) == 2
    assert cluster_labels(root) == ["Twice"]

    model, loss = mlp_loss()
    nodes = items(svg(draw_graph(loss, params=dict(model.named_parameters()))), "node")
    first = node_by_first_line(nodes, "MLP/layers/0")["texts"]
    assert first[1] == "linear (x·W+b)" and list(REGISTRY["linear"].formula) == first[2:5]
    assert "weight (4, 3)" in first and "bias (3,)" in first
    assert not any(t[0].startswith("layers.0") for t in (n["texts"] for n in nodes.values()))


@needs_dot
def test_mlp_784_100_10_with_its_loss_renders_readably():
    model, loss = mlp_loss(hidden=(100,), n_in=784, batch=32)
    graph = make_dot(loss, params=dict(model.named_parameters()))
    nodes = items(svg(graph), "node")
    assert len(nodes) <= 10  # x, 3 module calls, 3 activations, the loss call, the loss
    assert "weight (784, 100)" in node_by_first_line(nodes, "MLP/layers/0")["texts"]
    assert all(len(t) <= 80 for n in nodes.values() for t in n["texts"])


def test_expanded_fused_linear_shows_matmul_and_add_with_the_same_gradients():
    model, loss = mlp_loss()
    params = dict(model.named_parameters())
    tr = trace(loss, params=params, expand_fused=True)
    assert "linear" not in {op.name for op in tr.ops}
    assert {"matmul", "add"} <= {op.name for op in tr.ops}
    src = draw_graph(loss, params=params, collapse_modules=False, expand_fused=True).source
    assert REGISTRY["matmul"].formula[1] in src and "(part of fused linear)" in src
    loss.backward()
    for p in params.values():
        np.testing.assert_allclose(tr.grad(p), p.grad.numpy(), rtol=1e-5, atol=1e-8)


def test_make_dot_names_parameters_like_torchviz():
    model, loss = mlp_loss()
    src = make_dot(loss, params=dict(model.named_parameters()), collapse_modules=False).source
    for name, _ in model.named_parameters():
        assert f'label="{name}\\n' in src


# ---------------------------------------------------------------- scale, problems, paths

@needs_dot
def test_max_nodes_truncates_with_one_marker():
    x = ag.tensor([0.5], requires_grad=True, name="x")
    y = x
    for _ in range(150):
        y = (y * 1.01).tanh()
    root = svg(draw_graph(y.sum(), max_nodes=40))
    nodes = items(root, "node")
    assert len(nodes) == 40 + 1
    marker = [n for n in nodes.values() if "more nodes not shown" in n["texts"][0]]
    assert len(marker) == 1
    total = 1 + 1 + 150 * 4 + 1  # sum op+out, 150 × (mul, tanh, 2 tensors), x
    assert marker[0]["texts"][0].startswith(f"… {total - 40} more nodes")
    assert len(items(svg(draw_graph(y.sum(), max_nodes=10_000)), "node")) == total


@needs_dot
def test_nan_and_inf_are_highlighted():
    x = ag.tensor([-1.0, 0.0, 2.0], requires_grad=True, name="x")
    w = ag.tensor([1.0, 2.0], requires_grad=True, name="w")
    with np.errstate(divide="ignore", invalid="ignore"):
        y = named(x.log(), "logx")
    z = named(y.sum() + w.sum(), "z")
    root = svg(draw_graph(z))
    nodes = items(root, "node")
    bad = node_by_first_line(nodes, "logx")
    assert "⚠ nan in data" in bad["texts"] and "#ff9c9c" in colours(bad["el"])
    assert "⚠ nan in data" in node_by_first_line(nodes, "z")["texts"]
    fine = node_by_first_line(nodes, "w")
    assert "#ff9c9c" not in colours(fine["el"])
    assert not any(t.startswith("⚠") for t in fine["texts"])
    xs = node_by_first_line(nodes, "x")
    assert "⚠ inf in grad" in xs["texts"] and "⚠ nan in data" not in xs["texts"]
    red_edges = [title for title, e in items(root, "edge").items() if "red" in colours(e["el"])]
    assert red_edges == [f"{node_id(nodes, 'x')}->{title}" for title in nodes
                         if nodes[title]["texts"][0] == "log (ln)"]  # 1/x at 0 is inf


@needs_dot
def test_highlight_marks_every_path_from_root_to_leaf():
    L, n = two_layer(kind="value", seed=0)
    root = svg(draw_graph(L, highlight=n["w1"]))
    orange = {t["texts"][0] for t in items(root, "node").values()
              if "#ff7f00" in colours(t["el"])}
    path = {"w1", "u1", "u2", "u3", "u4", "u5", "ŷ", "e", "L"}
    assert path <= orange
    assert not orange & {"x", "b1", "w2", "b2", "y"}
    assert {"mul (×)", "sigmoid (σ)", "add (+)", "sub (−)", "pow (^)"} <= orange

    # Two paths: w used twice.
    w = ag.tensor([1.0, 2.0], requires_grad=True, name="w")
    a = ag.tensor([3.0, 4.0], requires_grad=True, name="a")
    p = named(w.exp(), "p")
    q = named(w * a, "q")
    r = named((p + q).sum(), "r")
    root = svg(draw_graph(r, highlight=[w]))
    orange = {t["texts"][0] for t in items(root, "node").values()
              if "#ff7f00" in colours(t["el"])}
    assert {"w", "p", "q", "r"} <= orange and "a" not in orange
    with pytest.raises(ValueError, match="highlight=.*not in the graph"):
        draw_graph(r, highlight=ag.tensor([1.0]))


# ---------------------------------------------------------------- rendering

@needs_dot
@pytest.mark.parametrize("fmt, magic", [("svg", b"<?xml"), ("png", b"\x89PNG"), ("pdf", b"%PDF")])
def test_render_formats_and_save(tmp_path, fmt, magic):
    L, _ = two_layer(kind="value")
    graph = draw_graph(L)
    out = graph.render(tmp_path / "g", format=fmt)
    assert out.endswith(f".{fmt}") and open(out, "rb").read(len(magic)) == magic
    assert save(graph, tmp_path / f"s.{fmt}") == fmt
    assert (tmp_path / f"s.{fmt}").read_bytes()[: len(magic)] == magic
    assert "image/svg+xml" in graph._repr_mimebundle_()


def test_missing_dot_gives_an_install_hint_and_source_still_works(tmp_path, monkeypatch):
    L, _ = two_layer(kind="value")
    graph = draw_graph(L)
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no dot
    assert "digraph" in graph.source
    for render in (lambda: graph.pipe(format="svg"), lambda: graph.render(tmp_path / "g"),
                   lambda: save(graph, tmp_path / "g.png")):
        with pytest.raises(DotNotFoundError, match="'dot' was not found.*apt-get install "
                                                   "graphviz.*graph.source"):
            render()
    assert save(graph, tmp_path / "g.gv") == "gv"
    assert (tmp_path / "g.gv").read_text(encoding="utf-8") == graph.source
    bundle = graph._repr_mimebundle_()
    assert "Install Graphviz" in bundle["text/plain"] and "digraph" in bundle["text/plain"]


def test_bad_arguments_are_named():
    L, _ = two_layer(kind="value")
    with pytest.raises(ValueError, match="max_nodes must be >= 1, got 0"):
        draw_graph(L, max_nodes=0)
    with pytest.raises(ValueError, match="rankdir"):
        draw_graph(L, rankdir="up")
    with pytest.raises(TypeError, match="expected a Tensor or a Value.*got list"):
        draw_graph([1.0])
    with pytest.raises(ValueError, match=r"suffix.*\.svg"):
        save(draw_graph(L), "picture.jpeg")


def test_show_flags_drop_what_they_name():
    L, _ = two_layer(kind="tensor")
    bare = draw_graph(L, show_data=False, show_grad=False, show_derivatives=False).source
    assert "data " not in bare and "grad " not in bare and "∂L/∂" not in bare
    assert REGISTRY["sigmoid"].formula[0] not in bare and "sigmoid (σ)" in bare


# ---------------------------------------------------------------- random graphs of registered ops

def _pos(t):
    return t.abs() + 0.5


# Each builds a (2, 3) float64 tensor from two (2, 3) tensors through the named registered op.
RANDOM_OPS = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / _pos(b), "neg": lambda a, b: -a, "pow": lambda a, b: _pos(a) ** b,
    "exp": lambda a, b: (a * 0.1).exp(), "log": lambda a, b: _pos(a).log(),
    "sqrt": lambda a, b: _pos(a).sqrt(), "tanh": lambda a, b: a.tanh(),
    "sigmoid": lambda a, b: a.sigmoid(), "relu": lambda a, b: a.relu(),
    "leaky_relu": lambda a, b: a.leaky_relu(0.1), "clip": lambda a, b: a.clip(-1.0, 1.0),
    "maximum": lambda a, b: a.maximum(b), "minimum": lambda a, b: a.minimum(b),
    "where": lambda a, b: ag.where(a.data > 0, a, b),
    "matmul": lambda a, b: a @ (b.T @ a) * 0.1,
    "sum": lambda a, b: a.sum(axis=1, keepdims=True) * b,
    "mean": lambda a, b: a.mean(axis=0, keepdims=True) + b,
    "max": lambda a, b: a.max(axis=1, keepdims=True) - b,
    "min": lambda a, b: a.min(axis=0, keepdims=True) * b,
    "logsumexp": lambda a, b: a.logsumexp(axis=1, keepdims=True) + b,
    "var": lambda a, b: a.var(axis=1, keepdims=True) * b,
    "reshape": lambda a, b: a.reshape(3, 2).reshape(2, 3),
    "transpose": lambda a, b: a.T.T,
    "swapaxes": lambda a, b: a.swapaxes(0, 1).swapaxes(0, 1),
    "expand_dims": lambda a, b: a.expand_dims(0).squeeze(0),
    "broadcast_to": lambda a, b: a[:1].broadcast_to((2, 3)),
    "getitem": lambda a, b: a[[1, 0]],
    "concatenate": lambda a, b: ag.concatenate([a[:, :1], b[:, 1:]], axis=1),
    "stack": lambda a, b: ag.stack([a, b]).sum(axis=0),
    "softmax": lambda a, b: a.softmax(axis=1),
    "log_softmax": lambda a, b: a.log_softmax(axis=1),
}


@st.composite
def random_graphs(draw):
    n_leaves = draw(st.integers(1, 3))
    recipe = [(draw(st.sampled_from(sorted(RANDOM_OPS))), draw(st.integers(0, n_leaves + k - 1)),
               draw(st.integers(0, n_leaves + k - 1))) for k in range(draw(st.integers(1, 6)))]
    return n_leaves, recipe, draw(st.integers(0, 2**16))


def build_random(n_leaves, recipe, seed):
    rng = np.random.default_rng(seed)
    leaves = [ag.tensor(rng.uniform(-2, 2, (2, 3)), requires_grad=True, name=f"x{i}")
              for i in range(n_leaves)]
    made = list(leaves)
    for name, i, j in recipe:
        made.append(RANDOM_OPS[name](made[i], made[j]))
    return leaves, (made[-1] * made[0]).sum()


@needs_dot
@settings(max_examples=15, deadline=None)
@given(random_graphs())
def test_random_graph_of_registered_ops_renders_every_formula(case):
    leaves, root = build_random(*case)
    graph = draw_graph(root)
    texts = [t for n in items(svg(graph), "node").values() for t in n["texts"]]
    used = {op.name for op in trace(root).ops}
    assert used
    for name in used:
        op = REGISTRY[name]
        assert f"{name} ({op.symbol})" in texts or name in texts
        assert any(f in texts for f in op.formula), name


@settings(max_examples=25, deadline=None)
@given(random_graphs())
def test_random_graph_traced_gradients_equal_backward(case):
    leaves, root = build_random(*case)
    tr = trace(root)
    root.backward()
    for x in leaves:
        want = np.zeros(x.shape) if x.grad is None else x.grad.numpy()
        got = tr.grad(x) if x in tr else None
        np.testing.assert_allclose(np.zeros(x.shape) if got is None else got, want,
                                   rtol=1e-10, atol=1e-12)
