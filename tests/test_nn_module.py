"""nn.Module and nn.Parameter: registration, traversal, modes, dtype, state dicts, scopes, repr."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite import nn


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 4, rng=0)
        self.act = nn.Tanh()

    def forward(self, x):
        return self.act(self.fc(x))


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter([2.0])
        self.block = Block()
        self.head = nn.Linear(4, 2, rng=1)

    def forward(self, x):
        return self.head(self.block(x)) * self.scale


def snapshot(model: nn.Module) -> dict[str, np.ndarray]:
    return {k: v.copy() for k, v in model.state_dict().items()}


def assert_same_state(model: nn.Module, state: dict[str, np.ndarray]) -> None:
    now = model.state_dict()
    assert now.keys() == state.keys()
    for k in state:
        assert now[k].dtype == state[k].dtype
        np.testing.assert_array_equal(now[k], state[k], err_msg=k)


# ---------------------------------------------------------------- Parameter

def test_parameter_is_a_float_leaf_that_requires_grad():
    p = nn.Parameter([1, 2])
    assert isinstance(p, ag.Tensor) and p.requires_grad and p.is_leaf
    assert p.dtype == np.float32
    assert nn.Parameter(np.zeros(2, np.float64)).dtype == np.float64
    assert not nn.Parameter([1.0], requires_grad=False).requires_grad
    assert repr(p) == "Parameter(tensor([1., 2.], dtype=float32, requires_grad=True))"
    with pytest.raises(TypeError, match="not floating point"):
        nn.Parameter([1, 2], dtype="int32")


def test_ops_on_parameters_give_plain_tensors():
    p = nn.Parameter([1.0, 2.0])
    y = p * 2
    assert type(y) is ag.Tensor and y.grad_fn is not None
    y.sum().backward()
    np.testing.assert_array_equal(p.grad.data, [2.0, 2.0])


# ---------------------------------------------------------------- registration

def test_attribute_assignment_registers_parameters_and_submodules_in_order():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "scale", "block.fc.weight", "block.fc.bias", "head.weight", "head.bias"]
    assert [n for n, _ in net.named_children()] == ["block", "head"]
    assert list(net.children()) == [net.block, net.head]
    assert [n for n, _ in net.named_modules()] == ["", "block", "block.fc", "block.act", "head"]
    assert list(net.modules())[0] is net
    assert [p.shape for p in net.parameters()] == [(1,), (3, 4), (4,), (4, 2), (2,)]
    assert [n for n, _ in net.named_parameters(recurse=False)] == ["scale"]
    assert [n for n, _ in net.block.named_parameters(prefix="block")] == [
        "block.fc.weight", "block.fc.bias"]


def test_plain_attributes_are_not_registered():
    net = Net()
    net.note = "hello"
    net.cache = ag.ones(2)          # a plain Tensor is not a parameter
    net.arr = np.ones(3)
    assert len(list(net.parameters())) == 5
    assert net.note == "hello"


def test_shared_parameters_and_modules_are_listed_once():
    shared = nn.Linear(2, 2, rng=0)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(model.parameters())) == 2
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    assert [n for n, _ in model.named_modules()] == ["", "0", "1"]


def test_reassigning_and_deleting_updates_the_registry():
    net = Net()
    net.head = nn.Linear(4, 3, rng=0)  # replace a submodule
    assert net.head.out_features == 3
    net.head = None                    # None removes it
    assert [n for n, _ in net.named_children()] == ["block"]
    del net.scale
    assert "scale" not in dict(net.named_parameters())
    net.scale = nn.Parameter([1.0])    # registered again
    assert [n for n, _ in net.named_parameters()] == ["scale", "block.fc.weight", "block.fc.bias"]
    layer = nn.Linear(2, 2, bias=False)
    assert layer.bias is None and [n for n, _ in layer.named_parameters()] == ["weight"]


def test_assigning_a_tensor_to_a_parameter_slot_says_how_to_do_it():
    layer = nn.Linear(2, 2, rng=0)
    with pytest.raises(TypeError, match=r"parameter 'weight'.*nn.Parameter.*no_grad"):
        layer.weight = ag.ones(2, 2)
    with pytest.raises(TypeError, match="submodule"):
        Net().block = 3


def test_assigning_before_super_init_is_a_clear_error():
    class Forgot(nn.Module):
        def __init__(self) -> None:
            self.w = nn.Parameter([1.0])

    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\) first in Forgot"):
        Forgot()


def test_dotted_names_are_refused():
    m = nn.Module()
    with pytest.raises(ValueError, match="contain no '.'"):
        setattr(m, "a.b", nn.Parameter([1.0]))


def test_forward_must_be_defined():
    with pytest.raises(NotImplementedError, match="Module must define forward"):
        nn.Module()(1)


def test_apply_visits_children_before_parents():
    order = []
    Net().apply(lambda m: order.append(type(m).__name__))
    assert order == ["Linear", "Tanh", "Block", "Linear", "Net"]


# ---------------------------------------------------------------- modes, grads, dtype

def test_train_and_eval_reach_every_submodule():
    model = nn.MLP(4, [3], 2, dropout=0.5, rng=0)
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    with pytest.raises(TypeError, match="True or False"):
        model.train("no")


def test_zero_grad_sets_none_or_zeros_in_place():
    layer = nn.Linear(3, 2, rng=0)
    layer(ag.ones(4, 3)).sum().backward()
    grad = layer.weight.grad
    assert grad is not None and np.any(grad.data != 0)
    layer.zero_grad(set_to_none=False)
    assert layer.weight.grad is grad and not np.any(grad.data)
    layer.zero_grad()
    assert layer.weight.grad is None and layer.bias.grad is None
    layer.zero_grad()  # no grads: nothing to do


def test_dtype_conversion_keeps_parameter_objects():
    model = Net()
    params = list(model.parameters())
    model(ag.ones(1, 3)).sum().backward()
    assert model.double() is model
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert all(a is b for a, b in zip(params, model.parameters()))
    assert all(p.grad.dtype == np.float64 for p in model.parameters())
    out = model(np.ones((1, 3)))
    assert out.dtype == np.float64
    model.float()
    assert all(p.dtype == np.float32 for p in model.parameters())
    assert model(np.ones((1, 3), np.float32)).dtype == np.float32
    with pytest.raises(TypeError, match="not a floating-point dtype"):
        model.to("int32")


def test_dtype_conversion_invalidates_a_graph_built_before():
    layer = nn.Linear(2, 1, rng=0)
    y = layer(ag.ones(1, 2)).sum()
    layer.double()
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


# ---------------------------------------------------------------- state dicts

def test_state_dict_is_a_copy_keyed_by_dotted_path():
    net = Net()
    state = net.state_dict()
    assert list(state) == [n for n, _ in net.named_parameters()]
    assert all(isinstance(v, np.ndarray) for v in state.values())
    state["head.bias"][:] = 99
    assert not np.any(net.head.bias.data == 99)


def test_load_state_dict_round_trip():
    a, b = Net(), Net()
    with ag.no_grad():
        for p in a.parameters():
            p += 1.0
    result = b.load_state_dict(a.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert_same_state(b, a.state_dict())
    x = ag.tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(a(x).data, b(x).data)


def test_load_state_dict_accepts_tensors_and_casts_to_the_parameter_dtype():
    layer = nn.Linear(2, 2, rng=0)
    state = {"weight": ag.ones(2, 2, dtype="float64"), "bias": np.array([1, 2])}
    layer.load_state_dict(state)
    assert layer.weight.dtype == np.float32 and layer.bias.dtype == np.float32
    np.testing.assert_array_equal(layer.bias.data, [1.0, 2.0])


@pytest.mark.parametrize("change, message", [
    (lambda s: s.pop("head.bias"), r"missing keys: \['head.bias'\]"),
    (lambda s: s.update(extra=np.ones(1)), r"unexpected keys: \['extra'\]"),
    (lambda s: s.update({"block.fc.weight": np.ones((4, 3))}),
     r"'block.fc.weight': the state has shape \(4, 3\) but the model has \(3, 4\)"),
    (lambda s: s.update(scale=np.array(["a"])), r"'scale': the state holds <U1 values"),
])
def test_load_errors_name_the_problem_and_leave_the_model_untouched(change, message):
    model = Net()
    before = snapshot(model)
    state = {k: v + 1 for k, v in Net().state_dict().items()}  # every other key is valid
    change(state)
    with pytest.raises(ValueError, match=message) as info:
        model.load_state_dict(state)
    assert "nothing was loaded" in str(info.value)
    assert_same_state(model, before)


def test_every_problem_is_listed_at_once():
    model = Net()
    state = model.state_dict()
    state.pop("scale")
    state["head.weight"] = np.ones((2, 4))
    state["bogus"] = np.ones(1)
    with pytest.raises(ValueError) as info:
        model.load_state_dict(state)
    text = str(info.value)
    assert "missing keys: ['scale']" in text and "unexpected keys: ['bogus']" in text
    assert "'head.weight'" in text and "strict=False" in text


def test_non_strict_loading_skips_keys_but_not_shape_mismatches():
    model = Net()
    state = {"head.bias": np.array([5.0, 6.0]), "bogus": np.ones(1)}
    result = model.load_state_dict(state, strict=False)
    assert result.unexpected_keys == ["bogus"]
    assert "scale" in result.missing_keys and "head.bias" not in result.missing_keys
    np.testing.assert_array_equal(model.head.bias.data, [5.0, 6.0])
    before = snapshot(model)
    with pytest.raises(ValueError, match="shape"):
        model.load_state_dict({"head.bias": np.ones(3), "scale": np.array([7.0])}, strict=False)
    assert_same_state(model, before)


def test_load_state_dict_refuses_non_mappings():
    with pytest.raises(TypeError, match="mapping"):
        Net().load_state_dict([np.ones(1)])


# ---------------------------------------------------------------- scopes

def test_mlp_nodes_carry_the_module_path():
    model = nn.MLP(4, [3], 2, activation="sigmoid", output_activation="softmax", rng=0)
    out = model(ag.ones(5, 4))
    assert out.grad_fn.name == "softmax"
    assert out.grad_fn.scope == ("MLP", "layers", "3")
    act = out.grad_fn.parents[0]            # output of the second Linear
    assert act.grad_fn.name == "linear" and act.grad_fn.scope == ("MLP", "layers", "2")
    sig = act.grad_fn.parents[0]
    assert sig.grad_fn.name == "sigmoid" and sig.grad_fn.scope == ("MLP", "layers", "1")
    first = sig.grad_fn.parents[0]
    assert first.grad_fn.name == "linear" and first.grad_fn.scope == ("MLP", "layers", "0")
    assert first.grad_fn.inputs[1] is model.layers[0].weight


def test_custom_module_scopes_nest_by_attribute_name():
    net = Net()
    out = net(ag.ones(1, 3))
    assert out.grad_fn.name == "mul" and out.grad_fn.scope == ("Net",)
    head = out.grad_fn.parents[0]
    assert head.grad_fn.scope == ("Net", "head")
    tanh = head.grad_fn.parents[0]
    assert tanh.grad_fn.scope == ("Net", "block", "act")
    assert tanh.grad_fn.parents[0].grad_fn.scope == ("Net", "block", "fc")


def test_scope_of_a_grandchild_called_directly_and_of_an_unregistered_module():
    helper = nn.Sigmoid()

    class Loop(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = nn.Sequential(nn.Linear(2, 2, rng=0), nn.Tanh())

        def forward(self, x):
            for layer in self.layers:      # grandchildren, called by this module
                x = layer(x)
            return helper(x)               # not registered anywhere here

    out = Loop()(ag.ones(1, 2))
    assert out.grad_fn.scope == ("Loop", "Sigmoid")
    assert out.grad_fn.parents[0].grad_fn.scope == ("Loop", "layers", "1")
    with ag.scope("train"):
        y = nn.Linear(2, 2, rng=0)(ag.ones(1, 2))
    assert y.grad_fn.scope == ("train", "Linear")


def test_scopes_are_restored_after_an_error_in_forward():
    model = nn.Sequential(nn.Linear(2, 2, rng=0))
    with pytest.raises(ValueError, match="linear"):
        model(ag.ones(1, 3))
    y = nn.Tanh()(ag.ones(1, requires_grad=True))
    assert y.grad_fn.scope == ("Tanh",)
    assert ag.autograd.current_scope() == ()


# ---------------------------------------------------------------- repr

def test_repr_is_a_tree():
    model = nn.MLP(784, [100], 10, activation="relu", output_activation="softmax",
                   dropout=0.2, rng=0)
    assert repr(model) == (
        "MLP(\n"
        "  (layers): Sequential(\n"
        "    (0): Linear(in_features=784, out_features=100, bias=True)\n"
        "    (1): ReLU()\n"
        "    (2): Dropout(p=0.2)\n"
        "    (3): Linear(in_features=100, out_features=10, bias=True)\n"
        "    (4): Softmax(axis=-1)\n"
        "  )\n"
        ")")
    assert repr(nn.Linear(2, 3, bias=False)) == "Linear(in_features=2, out_features=3, bias=False)"
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss(reduction='mean')"
    assert repr(nn.Sequential()) == "Sequential()"
