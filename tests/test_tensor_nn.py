"""Tensor modules: Linear (PyTorch's weight layout, seeded He/Xavier init), Sequential (names by
position), and the activation modules."""

import math

import numpy as np
import pytest

from autograd import Tensor, gradcheck
from nn.linear import LeakyReLU, Linear, ReLU, Sequential, Sigmoid, Tanh
from nn.module import Module


def test_linear_has_pytorch_shapes_and_parameter_names():
    layer = Linear(3, 5, seed=0)
    assert isinstance(layer, Module)
    assert layer.weight.shape == (5, 3) and layer.bias.shape == (5,)
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    for p in layer.parameters():
        assert p.requires_grad and p.role == "param" and p.dtype == np.float64
    assert (layer.weight.label, layer.bias.label) == ("weight", "bias")
    np.testing.assert_array_equal(layer.bias.data, np.zeros(5))  # biases start at 0
    assert layer.num_parameters() == 5 * 3 + 5


def test_linear_computes_x_times_weight_transposed_plus_bias_on_a_batch():
    layer = Linear(2, 3, seed=1)
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    y = layer(x)  # a plain array is accepted as an input
    np.testing.assert_allclose(y.data, x @ layer.weight.data.T + layer.bias.data)
    y.sum().backward()
    # dL/dW = G.T @ X with G = ones(2, 3): every row is the column sums of X = [4, 6]
    np.testing.assert_array_equal(layer.weight.grad, [[4.0, 6.0]] * 3)
    np.testing.assert_array_equal(layer.bias.grad, [2.0, 2.0, 2.0])  # batch of 2


def test_the_same_seed_gives_the_same_weights():
    a, b, c = Linear(4, 3, seed=7), Linear(4, 3, seed=7), Linear(4, 3, seed=8)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    assert not np.array_equal(a.weight.data, c.weight.data)


def test_he_and_xavier_init_bounds():
    # He: U(-a, a) with a = sqrt(6 / nin); Xavier: a = sqrt(6 / (nin + nout))
    he = Linear(200, 100, seed=0).weight.data
    xavier = Linear(200, 100, init="xavier", seed=0).weight.data
    a_he, a_xavier = math.sqrt(6 / 200), math.sqrt(6 / 300)
    assert np.abs(he).max() <= a_he and np.abs(he).max() > 0.99 * a_he
    assert np.abs(xavier).max() <= a_xavier and np.abs(xavier).max() > 0.99 * a_xavier
    # the variance of U(-a, a) is a**2 / 3: 2 / nin for He
    assert he.var() == pytest.approx(2 / 200, rel=0.05)


def test_linear_rejects_bad_arguments_with_clear_errors():
    with pytest.raises(ValueError, match="unknown init 'gaussian'"):
        Linear(2, 2, init="gaussian")
    with pytest.raises(ValueError, match="nout must be a positive integer"):
        Linear(2, 0)
    with pytest.raises(ValueError, match="float64 or float32"):
        Linear(2, 2, dtype=np.int64)
    with pytest.raises(ValueError, match=r"input of shape \(4, 3\) does not fit weight \(2, 2\)"):
        Linear(2, 2, seed=0)(np.ones((4, 3)))
    with pytest.raises(TypeError, match="Linear takes a Tensor"):
        Linear(2, 2, seed=0)("ab")


def test_linear_without_bias_and_in_float32():
    layer = Linear(3, 2, bias=False, dtype=np.float32, seed=0)
    assert layer.bias is None and [n for n, _ in layer.named_parameters()] == ["weight"]
    y = layer(Tensor(np.ones((4, 3), dtype=np.float32)))
    assert y.dtype == np.float32
    y.sum().backward()
    assert layer.weight.grad.dtype == np.float32
    assert "bias=False" in repr(layer) and "float32" in repr(layer)


def test_sequential_names_parameters_by_position_like_pytorch():
    model = Sequential(Linear(4, 8, seed=0), ReLU(), Linear(8, 3, seed=1))
    names = [name for name, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [p.label for p in model.parameters()] == names
    assert list(model.state()) == names
    assert len(model) == 3 and isinstance(model[1], ReLU)
    assert "(0): Linear(4 -> 8)" in repr(model)


def test_a_layer_label_given_by_the_user_is_kept():
    model = Sequential(Linear(2, 2, seed=0, label="enc"), Sequential(Tanh(), Linear(2, 1, seed=1)))
    assert [p.label for p in model.parameters()] == [
        "enc.weight",
        "enc.bias",
        "1.1.weight",
        "1.1.bias",
    ]


def test_sequential_applies_modules_in_order_and_backprops_through_all():
    model = Sequential(Linear(3, 4, seed=0), Tanh(), Linear(4, 2, seed=1), Sigmoid())
    x = np.random.default_rng(0).standard_normal((5, 3))
    out = model(x)
    first, second = model[0], model[2]
    h = np.tanh(x @ first.weight.data.T + first.bias.data)
    z = h @ second.weight.data.T + second.bias.data
    np.testing.assert_allclose(out.data, 1 / (1 + np.exp(-z)))
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_module_gradients_pass_gradcheck():
    model = Sequential(Linear(3, 4, seed=0), LeakyReLU(0.1), Linear(4, 2, seed=1), Tanh())
    x = Tensor(np.random.default_rng(1).standard_normal((6, 3)))
    params = model.parameters()

    def loss(*_):
        return (model(x) ** 2).mean()

    result = gradcheck(loss, params)
    assert result, str(result)


def test_activation_modules_match_the_tensor_methods():
    x = Tensor(np.array([-2.0, -0.5, 0.0, 0.5, 2.0]))
    np.testing.assert_array_equal(ReLU()(x).data, x.relu().data)
    np.testing.assert_array_equal(Tanh()(x).data, x.tanh().data)
    np.testing.assert_array_equal(Sigmoid()(x).data, x.sigmoid().data)
    np.testing.assert_array_equal(LeakyReLU(0.2)(x).data, x.leaky_relu(0.2).data)
    assert LeakyReLU().negative_slope == 0.01 and "0.2" in repr(LeakyReLU(0.2))
    assert ReLU().parameters() == []
