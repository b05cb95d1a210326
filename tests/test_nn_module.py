"""nn.Module, Neuron, Layer, MLP: structure, names, init, forward math, state."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd import Value, gradcheck
from nn.init import init_bound, init_for
from nn.module import Module, is_parameter

# ---------------------------------------------------------------------------- structure


def test_mlp_named_parameters_use_dotted_paths_in_layer_neuron_weight_order():
    model = nn.MLP(2, [3, 1], seed=0)
    names = [name for name, _ in model.named_parameters()]
    # Layer 0: 3 neurons of 2 weights + a bias; layer 1: 1 neuron of 3 weights + a bias.
    assert len(names) == 3 * 3 + 4
    assert names[:4] == [
        "layers.0.neurons.0.w.0",
        "layers.0.neurons.0.w.1",
        "layers.0.neurons.0.b",
        "layers.0.neurons.1.w.0",
    ]
    assert names[-4:] == [
        "layers.1.neurons.0.w.0",
        "layers.1.neurons.0.w.1",
        "layers.1.neurons.0.w.2",
        "layers.1.neurons.0.b",
    ]
    assert [p for _, p in model.named_parameters()] == model.parameters()


def test_parameters_are_values_with_role_param_and_readable_labels():
    model = nn.MLP(2, [4, 1], seed=0)
    params = dict(model.named_parameters())
    assert all(isinstance(p, Value) and p.role == "param" for p in params.values())
    assert params["layers.0.neurons.3.w.1"].label == "L0.n3.w1"
    assert params["layers.1.neurons.0.b"].label == "L1.n0.b"
    assert nn.Neuron(2).w[1].label == "w1"


def test_num_parameters_counts_weights_and_biases():
    # micrograd's moons model: (2+1)*16 + (16+1)*16 + (16+1)*1 = 48 + 272 + 17 = 337
    assert nn.MLP(2, [16, 16, 1]).num_parameters() == 337


def test_zero_grad_resets_every_parameter():
    model = nn.MLP(2, [3, 1], seed=0)
    model([1.0, -1.0]).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_repr_is_readable():
    model = nn.MLP(2, [16, 16, 1], activation="relu")
    text = repr(model)
    assert text.startswith("MLP(2 -> [16, 16, 1], 337 parameters")
    assert "(layers.0): Layer(2 -> 16, activation='relu')" in text
    assert "(layers.2): Layer(16 -> 1, activation='linear')" in text
    assert repr(nn.Neuron(3, "tanh")) == "Neuron(3, activation='tanh')"


def test_unknown_activation_is_a_value_error_listing_the_valid_ones():
    with pytest.raises(ValueError, match="unknown activation 'swish'") as info:
        nn.MLP(2, [3, 1], activation="swish")
    for name in ("linear", "relu", "tanh", "sigmoid", "leaky_relu", "elu", "selu", "gelu"):
        assert repr(name) in str(info.value)
    with pytest.raises(ValueError, match="unknown activation"):
        nn.Layer(2, 2, "soft")
    with pytest.raises(ValueError, match="valid activations"):
        nn.MLP(2, [1], output_activation="Sigmoid")


@pytest.mark.parametrize(
    "bad, match",
    [((0, [1]), "nin"), ((2, []), "nouts"), ((2, [3, 0]), r"nouts\[1\] \(a layer width\)")],
)
def test_bad_sizes_are_value_errors(bad, match):
    with pytest.raises(ValueError, match=match):
        nn.MLP(*bad)


@pytest.mark.parametrize("nouts", [3, b"1", "12", None, [[3]]])
def test_nouts_that_are_not_a_list_of_widths_are_type_errors(nouts):
    # b'1' is a sequence of the int 49 to Python: it must not build a 49-wide layer.
    with pytest.raises(TypeError, match="nouts"):
        nn.MLP(2, nouts)


# ---------------------------------------------------------------------------- init


def test_he_init_for_relu_draws_within_the_bound_with_variance_2_over_fan_in():
    layer = nn.Layer(50, 40, activation="relu", seed=0)
    w = layer.state()["weight"]
    # He: U(-a, a) with a = sqrt(6 / fan_in), so Var(w) = a**2 / 3 = 2 / fan_in = 0.04.
    assert np.abs(w).max() <= math.sqrt(6 / 50)
    assert w.var() == pytest.approx(2 / 50, rel=0.1)  # 2000 draws: ~3% standard error
    assert np.all(layer.state()["bias"] == 0.0)


def test_xavier_init_for_tanh_and_sigmoid_uses_fan_in_plus_fan_out():
    for activation in ("tanh", "sigmoid"):
        w = nn.Layer(50, 40, activation=activation, seed=1).state()["weight"]
        # Glorot: a = sqrt(6 / (fan_in + fan_out)), Var(w) = 2 / 90.
        assert np.abs(w).max() <= math.sqrt(6 / 90)
        assert w.var() == pytest.approx(2 / 90, rel=0.1)


def test_init_is_selectable_and_validated():
    w = nn.Layer(50, 40, activation="relu", init="xavier", seed=0).state()["weight"]
    assert np.abs(w).max() <= math.sqrt(6 / 90)
    w = nn.Layer(8, 8, activation="tanh", init="uniform", seed=0).state()["weight"]
    assert np.abs(w).max() <= 1.0 and np.abs(w).max() > math.sqrt(6 / 16)
    with pytest.raises(ValueError, match="unknown init 'kaiming'.*he, xavier, lecun, uniform"):
        nn.MLP(2, [3], init="kaiming")


def test_every_activation_has_a_default_init_from_the_one_registry():
    assert {name: init_for(name, None) for name in nn.ACTIVATIONS} == {
        name: act.init for name, act in nn.ACTIVATIONS.items()
    }
    assert init_for("relu", None) == "he" and init_for("selu", None) == "lecun"
    assert init_bound("lecun", 3) == pytest.approx(1.0)  # sqrt(3 / 3)


def test_seed_makes_weights_reproducible():
    a, b, c = (nn.MLP(2, [4, 1], seed=s) for s in (7, 7, 8))
    for key, value in a.state().items():
        assert np.array_equal(value, b.state()[key])
    assert not np.array_equal(a.state()["layers.0.weight"], c.state()["layers.0.weight"])


# ---------------------------------------------------------------------------- forward


def _set(neuron: nn.Neuron, w: list[float], b: float) -> None:
    for wk, v in zip(neuron.w, w, strict=True):
        wk.data = v
    neuron.b.data = b


def test_neuron_is_one_sum_node_over_the_products_and_the_bias():
    n = nn.Neuron(2, activation="linear")
    _set(n, [2.0, -3.0], 1.0)
    out = n([1.0, 2.0])
    # z = 2*1 + (-3)*2 + 1 = -3
    assert out.data == -3.0
    assert out.op == "sum" and len(out.parents) == 3
    assert out.parents[2] is n.b
    out.backward()
    # dz/dw_i = x_i, dz/db = 1
    assert [w.grad for w in n.w] == [1.0, 2.0] and n.b.grad == 1.0


def test_seed_000_example_2_through_a_sigmoid_neuron_and_bce():
    # x = 2, w = 1, b = -1, y = 0:  z = 1, yhat = sigmoid(1) = 0.7311, L = -log(1 - 0.7311) = 1.3133
    # dL/dz = yhat - y = 0.7311;  dL/dw = 0.7311 * x = 1.4622;  dL/db = 0.7311
    n = nn.Neuron(1, activation="sigmoid")
    _set(n, [1.0], -1.0)
    loss = nn.binary_cross_entropy(n([2.0]), 0)
    loss.backward()
    assert loss.data == pytest.approx(1.3132616875)
    assert n.w[0].grad == pytest.approx(1.4621171573)
    assert n.b.grad == pytest.approx(0.7310585786)


def test_seed_004_xor_network_gradients_match_the_hand_derivation():
    # Seed 004: yhat = w5 relu(w1 x1 + w2 x2 + b1) + w6 relu(w3 x1 + w4 x2 + b2) + b3,
    # L = 1/2 (yhat - y)**2.  Take W1 = [[1, -1], [0.5, 2]], b1 = [0, -1], W2 = [[2, -1]],
    # b3 = 0.5, x = (1, 0), y = 0:
    #   z1 = 1, h1 = 1;  z2 = 0.5 - 1 = -0.5, h2 = 0 (ReLU'(z2) = 0);  yhat = 2 - 0 + 0.5 = 2.5
    #   dL/dyhat = yhat - y = 2.5
    #   dL/dw1 = 2.5 * w5 * 1 * x1 = 5,  dL/dw2 = 2.5 * w5 * x2 = 0,  dL/db1 = 2.5 * w5 = 5
    #   dL/dw3 = dL/dw4 = dL/db2 = 0 (the second unit is off for this input)
    #   dL/dw5 = 2.5 * h1 = 2.5,  dL/dw6 = 2.5 * h2 = 0,  dL/db3 = 2.5
    model = nn.MLP(2, [2, 1], activation="relu")
    model.load_state(
        {
            "layers.0.weight": np.array([[1.0, -1.0], [0.5, 2.0]]),
            "layers.0.bias": np.array([0.0, -1.0]),
            "layers.1.weight": np.array([[2.0, -1.0]]),
            "layers.1.bias": np.array([0.5]),
        }
    )
    yhat = model([1.0, 0.0])
    assert yhat.data == 2.5
    loss = 0.5 * (yhat - 0.0) ** 2
    loss.backward()
    grads = {name: p.grad for name, p in model.named_parameters()}
    assert grads == {
        "layers.0.neurons.0.w.0": 5.0,
        "layers.0.neurons.0.w.1": 0.0,
        "layers.0.neurons.0.b": 5.0,
        "layers.0.neurons.1.w.0": 0.0,
        "layers.0.neurons.1.w.1": 0.0,
        "layers.0.neurons.1.b": 0.0,
        "layers.1.neurons.0.w.0": 2.5,
        "layers.1.neurons.0.w.1": 0.0,
        "layers.1.neurons.0.b": 2.5,
    }


@pytest.mark.parametrize("activation", sorted(nn.ACTIVATIONS))
def test_each_activation_is_applied_by_name(activation):
    n = nn.Neuron(2, activation=activation)
    _set(n, [0.5, -1.0], 0.25)
    z = Value(0.5 * 0.3 + (-1.0) * 0.8 + 0.25)  # -0.4: the negative branch of each function
    expected = z if activation == "linear" else getattr(z, activation)()
    assert n([0.3, 0.8]).data == pytest.approx(expected.data)


def test_one_neuron_layer_returns_one_value():
    assert isinstance(nn.Layer(2, 1)([1.0, 2.0]), Value)
    assert isinstance(nn.Neuron(2)([1.0, 2.0]), Value)
    assert isinstance(nn.MLP(2, [1])([1.0, 2.0]), Value)
    out = nn.Layer(2, 3)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 3


def test_width_one_hidden_layer_works_unlike_micrograd():
    model = nn.MLP(2, [16, 1, 1], seed=0)
    out = model([0.5, -0.5])
    assert isinstance(out, Value)
    out.backward()
    assert model.layers[2].neurons[0].w[0].grad != 0.0
    assert isinstance(nn.Layer(1, 2)(Value(3.0)), list)  # a lone Value is a width-1 input


def test_wrong_input_width_names_both_widths():
    with pytest.raises(ValueError, match="MLP expects 2 inputs, got 3"):
        nn.MLP(2, [3, 1])([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="Layer expects 3 inputs, got 1"):
        nn.Layer(3, 2)([1.0])
    with pytest.raises(ValueError, match="Neuron expects 2 inputs, got 0"):
        nn.Neuron(2)([])
    with pytest.raises(ValueError, match=r"one sample.*shape \(4, 2\)"):
        nn.MLP(2, [1])(np.zeros((4, 2)))
    with pytest.raises(TypeError, match="list of numbers or Values"):
        nn.MLP(2, [1])("ab")


@settings(max_examples=20)
@given(st.lists(st.floats(-2, 2), min_size=3, max_size=3), st.integers(0, 2**16))
def test_mlp_gradients_pass_gradcheck(x, seed):
    model = nn.MLP(3, [4, 2], activation="tanh", seed=seed)
    inputs = [Value(v) for v in x]

    def f(*xs: Value) -> Value:
        a, b = model(list(xs))
        return a * b + a.tanh()

    result = gradcheck(f, inputs)
    assert result, str(result)


# ---------------------------------------------------------------------------- state


class FakeTensor:
    """Enough of a Tensor for nn: an ndarray .data, .grad and requires_grad."""

    def __init__(self, data: np.ndarray, requires_grad: bool = True) -> None:
        self.data, self.grad, self.requires_grad = data, None, requires_grad


class Affine(Module):
    def __init__(self, nin: int, nout: int) -> None:
        self.weight = FakeTensor(np.zeros((nout, nin), dtype=np.float32))
        self.bias = FakeTensor(np.zeros(nout))
        self.mask = FakeTensor(np.ones(nout), requires_grad=False)  # not a parameter
        self.name = "affine"


class Stack(Module):
    def __init__(self) -> None:
        self.blocks = [Affine(2, 3), Affine(3, 1)]
        self.scale = Value(1.0)


def test_default_state_names_array_parameters_by_their_paths():
    model = Stack()
    assert [n for n, _ in model.named_parameters()] == [
        "scale",
        "blocks.0.weight",
        "blocks.0.bias",
        "blocks.1.weight",
        "blocks.1.bias",
    ]
    state = model.state()
    assert {k: v.shape for k, v in state.items()} == {
        "blocks.0.weight": (3, 2),
        "blocks.0.bias": (3,),
        "blocks.1.weight": (1, 3),
        "blocks.1.bias": (1,),
        "scale": (),
    }
    assert state["blocks.0.weight"].dtype == np.float32
    assert not is_parameter(model.blocks[0].mask) and is_parameter(model.scale)


def test_default_load_state_writes_arrays_in_place():
    model = Stack()
    weight = model.blocks[0].weight.data
    new = {k: np.full(v.shape, 2.0) for k, v in model.state().items()}
    model.load_state(new)
    assert model.blocks[0].weight.data is weight  # the same array object, now updated
    assert np.all(weight == 2.0) and weight.dtype == np.float32
    assert model.scale.data == 2.0 and isinstance(model.scale.data, float)


def test_zero_grad_sets_array_grads_to_none_and_value_grads_to_zero():
    model = Stack()
    model.blocks[0].weight.grad = np.ones((3, 2))
    model.scale.grad = 4.0
    model.zero_grad()
    assert model.blocks[0].weight.grad is None and model.scale.grad == 0.0


def test_mlp_state_groups_each_layer_like_a_pytorch_linear():
    model = nn.MLP(2, [3, 1], seed=0)
    state = model.state()
    assert {k: v.shape for k, v in state.items()} == {
        "layers.0.weight": (3, 2),
        "layers.0.bias": (3,),
        "layers.1.weight": (1, 3),
        "layers.1.bias": (1,),
    }
    params = dict(model.named_parameters())
    # Row j of layer i's weight is neuron j's weights; entry (j, k) is w_k.
    assert state["layers.0.weight"][2, 1] == params["layers.0.neurons.2.w.1"].data
    assert all(v.dtype == np.float64 for v in state.values())
    assert nn.Neuron(4).state()["weight"].shape == (1, 4)


def test_load_state_checks_everything_before_changing_anything():
    model = nn.MLP(2, [3, 1], seed=0)
    before = model.state()
    bad = {k: v + 1.0 for k, v in before.items()}
    bad["layers.1.weight"] = np.zeros((1, 4))  # wrong shape, checked after layer 0's entries
    with pytest.raises(ValueError, match=r"'layers.1.weight'.*\(1, 3\).*\(1, 4\)"):
        model.load_state(bad)
    after = model.state()
    assert all(np.array_equal(before[k], after[k]) for k in before)

    missing = {k: v for k, v in before.items() if k != "layers.0.bias"}
    with pytest.raises(ValueError, match=r"missing keys \['layers.0.bias'\]"):
        model.load_state(missing)
    with pytest.raises(ValueError, match=r"unexpected keys \['extra'\]"):
        model.load_state({**before, "extra": np.zeros(1)})
    with pytest.raises(ValueError, match="dtype mismatch"):
        model.load_state({**before, "layers.0.bias": np.array(["a", "b", "c"])})
