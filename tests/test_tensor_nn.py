"""Tensor modules: Linear (PyTorch's weight layout, seeded He/Xavier init), Sequential (names by
position), and the activation modules. Then the rest of nn on Tensors: every loss (hand values,
gradcheck, agreement with the scalar losses), the optimizers, fit/predict, and save/load."""

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nn
from autograd import Tensor, Value, gradcheck
from nn.linear import LeakyReLU, Linear, ReLU, Sequential, Sigmoid, Tanh
from nn.module import Module
from nn.serialize import SafetensorsError, read_safetensors


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


# ============================================================================ nn on Tensors
# The losses, optimizers, fit/predict and save/load of nn, used with Tensor models.


def leaf(*rows) -> Tensor:
    """A float64 tensor that requires grad, from numbers or nested lists."""
    return Tensor(np.array(rows, dtype=np.float64), requires_grad=True)


def assert_one_element(loss: Tensor) -> None:
    assert isinstance(loss, Tensor) and loss.size == 1 and loss.requires_grad


# ---------------------------------------------------------------------------- losses: hand values


def test_mse_on_tensors_is_the_mean_square_with_gradient_2_p_minus_t_over_n():
    p = leaf(1.0, 2.0)
    loss = nn.mse_loss(p, np.array([0.0, 4.0]))
    # L = ((1 - 0)**2 + (2 - 4)**2) / 2 = 2.5;  dL/dp_i = 2 (p_i - t_i) / 2 = [1, -2]
    assert_one_element(loss)
    assert loss.item() == 2.5
    loss.backward()
    np.testing.assert_array_equal(p.grad, [1.0, -2.0])


def test_mse_on_tensors_counts_every_output_and_pairs_n_by_1_with_n():
    p = leaf([1.0, 0.0], [0.0, 3.0])
    assert nn.mse_loss(p, [[0.0, 0.0], [0.0, 1.0]]).item() == 1.25  # (1 + 0 + 0 + 4) / 4
    column = leaf([1.0], [2.0])  # (2, 1): one output per sample
    assert nn.mse_loss(column, [0.0, 4.0]).item() == 2.5  # targets (2,), not a 2x2 table
    assert nn.mse_loss(leaf(3.0), 1.0).item() == 4.0
    assert nn.mse_loss(leaf([3.0]), [1.0]).item() == 4.0  # (1, 1) with (1,): one sample
    with pytest.raises(ValueError, match=r"predictions of shape \(2, 2\) but targets of shape"):
        nn.mse_loss(p, np.zeros(4))  # never silently reshaped
    with pytest.raises(ValueError, match="empty batch"):
        nn.mse_loss(Tensor(np.zeros(0), requires_grad=True), np.zeros(0))


def test_seed_000_example_2_sigmoid_then_bce_on_a_tensor_gives_yhat_minus_y():
    # z = w x + b = 1*2 - 1 = 1, yhat = sigmoid(1) = 0.7311, y = 0
    # L = -log(1 - 0.7311) = 1.3133;  dL/dz = yhat - y = 0.7311
    z = leaf(1.0)
    loss = nn.binary_cross_entropy(z.sigmoid(), np.array([0.0]))
    loss.backward()
    assert loss.item() == pytest.approx(1.3132616875)
    assert z.grad[0] == pytest.approx(0.7310585786)


def test_bce_on_tensors_clamps_each_log_at_minus_100_like_pytorch():
    # p = 0 with t = 1 and p = 1 with t = 0: both logs are log(0), clamped to -100.
    # L = (100 + 100) / 2 = 100, and a clamped log passes no gradient.
    wrong = leaf(0.0, 1.0)
    loss = nn.binary_cross_entropy(wrong, [1.0, 0.0])
    loss.backward()
    assert loss.item() == 100.0
    np.testing.assert_array_equal(wrong.grad, [0.0, 0.0])
    # p = 1 with t = 1 and p = 0 with t = 0: L = 0 (the clamped logs weigh 0, so no 0 * inf).
    # dL/dp = -t / p / N = -1/2 for the first, (1 - t) / (1 - p) / N = 1/2 for the second.
    right = leaf(1.0, 0.0)
    loss = nn.binary_cross_entropy(right, [1.0, 0.0])
    loss.backward()
    assert loss.item() == 0.0
    np.testing.assert_array_equal(right.grad, [-0.5, 0.5])


def test_bce_with_logits_on_tensors_is_finite_for_any_logit_and_right_at_zero():
    z = leaf(0.0, 1000.0, -1000.0, -1000.0)
    loss = nn.binary_cross_entropy_with_logits(z, [1.0, 0.0, 0.0, 1.0])
    # softplus(z) - t z per sample: log 2 at z = 0; 1000 for (1000, t=0); 0 for (-1000, t=0);
    # 1000 for (-1000, t=1).  dL/dz = (sigmoid(z) - t) / 4 = [-1/8, 1/4, 0, -1/4].
    loss.backward()
    assert loss.item() == pytest.approx((math.log(2) + 2000.0) / 4)
    np.testing.assert_allclose(z.grad, [-0.125, 0.25, 0.0, -0.25])


def test_cross_entropy_on_tensors_takes_logits_and_int_classes():
    z = Tensor(np.zeros((2, 4)), requires_grad=True)
    loss = nn.cross_entropy(z, np.array([0, 3]))
    # equal logits: softmax = 1/4 each, L = log 4;  dL/dz = (softmax - onehot) / N
    assert_one_element(loss)
    assert loss.item() == pytest.approx(math.log(4))
    loss.backward()
    np.testing.assert_allclose(z.grad, [[-0.375, 0.125, 0.125, 0.125], [0.125] * 3 + [-0.375]])


def test_cross_entropy_on_tensors_is_finite_for_logits_of_any_size():
    # logits (1000, 0, -1000): softmax = (1, e**-1000, 0) = (1, 0, 0) in floats.
    z = leaf(1000.0, 0.0, -1000.0)  # one sample, shape (C,), one int target
    right = nn.cross_entropy(z, 0)
    right.backward()
    assert right.item() == 0.0
    np.testing.assert_array_equal(z.grad, [0.0, 0.0, 0.0])
    z.grad = None
    wrong = nn.cross_entropy(z, 1)  # L = logsumexp - z_1 = 1000 - 0;  grad = softmax - onehot
    wrong.backward()
    assert wrong.item() == 1000.0
    np.testing.assert_array_equal(z.grad, [1.0, -1.0, 0.0])
    huge = nn.cross_entropy(Tensor(np.array([[1e300, -1e300]]), requires_grad=True), [1])
    assert math.isfinite(huge.item())


def test_cross_entropy_on_tensors_rejects_bad_labels_naming_them():
    z = leaf([0.0, 1.0, 2.0], [1.0, 0.0, 0.0])
    with pytest.raises(
        ValueError, match=r"target 1 is class 3, but there are 3 classes \(0 to 2\)"
    ):
        nn.cross_entropy(z, np.array([0, 3]))
    with pytest.raises(ValueError, match="target 0 is class -1, but there are 3 classes"):
        nn.cross_entropy(z, [-1, 0])  # NumPy would read -1 as the last class
    with pytest.raises(TypeError, match="class indices"):
        nn.cross_entropy(z, np.array([0.0, 1.0]))
    with pytest.raises(TypeError, match="class indices"):
        nn.cross_entropy(z, np.array([True, False]))
    with pytest.raises(ValueError, match="2 samples but 3 targets"):
        nn.cross_entropy(z, [0, 1, 2])
    with pytest.raises(ValueError, match=r"\(C,\) for one sample or \(N, C\)"):
        nn.cross_entropy(Tensor(np.zeros((2, 2, 2)), requires_grad=True), [0, 1])


def test_hinge_on_tensors_costs_nothing_beyond_the_margin():
    z = leaf(2.0, 0.5, -1.0)
    loss = nn.hinge_loss(z, [1, 1, 0])  # 0 reads as -1
    # relu(1 - 2) = 0, relu(1 - 0.5) = 0.5, relu(1 - (-1)(-1)) = relu(0) = 0:  L = 0.5 / 3.
    # dL/dz = -t / 3 inside the margin: only sample 2; at exactly the margin relu'(0) = 0.
    loss.backward()
    assert loss.item() == pytest.approx(0.5 / 3)
    np.testing.assert_allclose(z.grad, [0.0, -1 / 3, 0.0])


def test_tensor_losses_check_their_inputs():
    with pytest.raises(ValueError, match=r"prediction 1 is 1\.5, not a probability"):
        nn.binary_cross_entropy(leaf(0.5, 1.5), [0.0, 1.0])
    with pytest.raises(ValueError, match="prediction 0 is nan"):
        nn.binary_cross_entropy(leaf(math.nan), [0.0])
    with pytest.raises(ValueError, match=r"target 0 is 2\.0, not in \[0, 1\]"):
        nn.binary_cross_entropy(leaf(0.5), [2.0])
    with pytest.raises(ValueError, match=r"target 1 is -0\.5, not in \[0, 1\]"):
        nn.binary_cross_entropy_with_logits(leaf(0.5, 0.5), [0.0, -0.5])
    with pytest.raises(ValueError, match=r"target 0 is 2\.0; use \+1 / -1"):
        nn.hinge_loss(leaf(0.5), [2.0])
    with pytest.raises(TypeError, match="target must be a constant.*detach"):
        nn.mse_loss(leaf(1.0), leaf(2.0))
    assert nn.mse_loss(leaf(1.0), Tensor([3.0])).item() == 4.0  # a constant Tensor is fine
    with pytest.raises(TypeError, match="target must be numbers, not a Value"):
        nn.mse_loss(leaf(1.0), Value(2.0))


def test_a_float32_model_gets_a_float32_loss_and_gradients():
    p = Tensor(np.array([0.25, 0.75], dtype=np.float32), requires_grad=True)
    for loss_fn in (nn.mse_loss, nn.binary_cross_entropy, nn.binary_cross_entropy_with_logits):
        loss = loss_fn(p, np.array([0.0, 1.0]))
        p.grad = None
        loss.backward()
        assert loss.dtype == np.float32 and p.grad.dtype == np.float32
    logits = Tensor(np.zeros((2, 3), dtype=np.float32), requires_grad=True)
    assert nn.cross_entropy(logits, [0, 2]).dtype == np.float32


# ---------------------------------------------------------------------------- losses: random


def arrays(shape, low=-3.0, high=3.0):
    return hnp.arrays(np.float64, shape, elements=st.floats(low, high))


@settings(max_examples=25)
@given(p=arrays((3, 2)), t=arrays((3, 2)))
def test_mse_on_tensors_passes_gradcheck(p, t):
    result = gradcheck(lambda x: nn.mse_loss(x, t), [Tensor(p, requires_grad=True)])
    assert result, str(result)


@settings(max_examples=25)
@given(p=arrays((4,), 0.05, 0.95), t=arrays((4,), 0.0, 1.0))
def test_bce_on_tensors_passes_gradcheck(p, t):
    result = gradcheck(lambda x: nn.binary_cross_entropy(x, t), [Tensor(p, requires_grad=True)])
    assert result, str(result)


@settings(max_examples=25)
@given(z=arrays((4,), -30.0, 30.0), t=arrays((4,), 0.0, 1.0))
def test_bce_with_logits_on_tensors_passes_gradcheck(z, t):
    result = gradcheck(
        lambda x: nn.binary_cross_entropy_with_logits(x, t), [Tensor(z, requires_grad=True)]
    )
    assert result, str(result)


@settings(max_examples=25)
@given(z=arrays((3, 4), -10.0, 10.0), data=st.data())
def test_cross_entropy_on_tensors_passes_gradcheck(z, data):
    labels = np.array(data.draw(st.lists(st.integers(0, 3), min_size=3, max_size=3)))
    result = gradcheck(lambda x: nn.cross_entropy(x, labels), [Tensor(z, requires_grad=True)])
    assert result, str(result)


@settings(max_examples=25)
@given(z=arrays((4,)), data=st.data())
def test_hinge_on_tensors_passes_gradcheck_away_from_the_kink(z, data):
    t = np.array(data.draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=4, max_size=4)))
    assume(np.all(np.abs(1.0 - t * z) > 1e-3))  # relu has no derivative at its kink
    result = gradcheck(lambda x: nn.hinge_loss(x, t), [Tensor(z, requires_grad=True)])
    assert result, str(result)


def scalar_and_tensor(loss_fn, pred: np.ndarray, target):
    """One loss on Values and on a Tensor: scalar loss, tensor loss, Value grads, Tensor grad."""
    values = (
        [[Value(x) for x in row] for row in pred] if pred.ndim == 2 else [Value(x) for x in pred]
    )
    scalar = loss_fn(values, target)
    scalar.backward()
    tensor_pred = Tensor(pred, requires_grad=True)
    tensor = loss_fn(tensor_pred, target)
    tensor.backward()
    grads = np.array(
        [[v.grad for v in row] for row in values] if pred.ndim == 2 else [v.grad for v in values]
    )
    return scalar.data, tensor.item(), grads, tensor_pred.grad


@settings(max_examples=25)
@given(
    z=arrays((5,), -40.0, 40.0),
    p=arrays((5,), 0.0, 1.0),
    t=arrays((5,), 0.0, 1.0),
    signs=hnp.arrays(np.float64, (5,), elements=st.sampled_from([-1.0, 0.0, 1.0])),
    logits=arrays((5, 3), -50.0, 50.0),
    labels=hnp.arrays(np.int64, (5,), elements=st.integers(0, 2)),
)
def test_every_tensor_loss_agrees_with_the_scalar_loss(z, p, t, signs, logits, labels):
    cases = [
        (nn.mse_loss, z, t),
        (nn.mse_loss, logits, np.ones((5, 3))),
        (nn.binary_cross_entropy, p, t),
        (nn.binary_cross_entropy, p, np.round(t)),  # 0/1 targets: the scalar engine skips terms
        (nn.binary_cross_entropy_with_logits, z, t),
        (nn.cross_entropy, logits, labels),
        (nn.hinge_loss, z, signs),
    ]
    for loss_fn, pred, target in cases:
        scalar, tensor, scalar_grad, tensor_grad = scalar_and_tensor(loss_fn, pred, target)
        name = loss_fn.__name__
        assert tensor == pytest.approx(scalar, rel=1e-12, abs=1e-12), name
        np.testing.assert_allclose(tensor_grad, scalar_grad, rtol=1e-12, atol=1e-14, err_msg=name)


def test_an_array_that_is_not_a_tensor_gets_a_clear_error():
    class OtherTensor:
        data = np.zeros(3)

    with pytest.raises(TypeError, match="OtherTensor with array data.*autograd.Tensor"):
        nn.cross_entropy(OtherTensor(), [0, 1, 2])


# ---------------------------------------------------------------------------- optimizers


def test_sgd_updates_tensor_parameters_in_place():
    layer = Linear(2, 1, seed=0)
    weight = layer.weight.data
    w0 = weight.copy()
    out = layer(np.array([[1.0, 2.0]]))  # y = w0 + 2 w1 + b
    out.sum().backward()  # dy/dw = x = [1, 2], dy/db = 1
    nn.optim.SGD(layer.parameters(), lr=0.1).step()
    assert layer.weight.data is weight  # the same array: other references see the update
    np.testing.assert_allclose(weight, w0 - 0.1 * np.array([[1.0, 2.0]]))
    np.testing.assert_allclose(layer.bias.data, [-0.1])


def test_sgd_momentum_and_adam_on_tensors_match_the_hand_computation():
    p = leaf(1.0, -1.0)
    sgd = nn.optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = np.array([0.5, 0.5])
    sgd.step()  # v = g = 0.5; p = p - 0.05
    p.grad = np.array([0.5, 0.5])
    sgd.step()  # v = 0.9 * 0.5 + 0.5 = 0.95; p = p - 0.095
    np.testing.assert_allclose(p.data, [1.0 - 0.145, -1.0 - 0.145])

    q = leaf(1.0, 1.0)
    adam = nn.optim.Adam([q], lr=0.1)
    q.grad = np.array([0.5, -2.0])
    adam.step()  # first step: m_hat = g, v_hat = g**2, so each moves lr * sign(g) (eps aside)
    np.testing.assert_allclose(q.data, [0.9, 1.1], rtol=1e-7)
    adam.zero_grad()
    assert q.grad is None
    adam.step()  # no gradient: skipped
    np.testing.assert_allclose(q.data, [0.9, 1.1], rtol=1e-7)


def test_optimizers_keep_float32_parameters_float32():
    model = Sequential(Linear(3, 2, dtype=np.float32, seed=0))
    x = Tensor(np.ones((4, 3), dtype=np.float32))
    for opt in (nn.optim.SGD(model.parameters(), 0.1, 0.9), nn.optim.Adam(model.parameters())):
        for _ in range(2):
            opt.zero_grad()
            (model(x) ** 2).mean().backward()
            opt.step()
        assert all(p.data.dtype == np.float32 for p in model.parameters())


# ---------------------------------------------------------------------------- fit and predict


def test_fit_trains_a_tensor_model_on_moons_whole_batches_at_a_time():
    X, y = nn.data.make_moons(n=100, noise=0.1, seed=0)
    model = Sequential(Linear(2, 16, seed=0), ReLU(), Linear(16, 16, seed=1), ReLU(),
                       Linear(16, 1, seed=2))  # fmt: skip
    opt = nn.optim.Adam(model.parameters(), lr=0.02)
    history = nn.fit(model, X, y, loss="bce_with_logits", optimizer=opt, epochs=100,
                     batch_size=32, progress=False, seed=0, validation_data=(X, y))  # fmt: skip
    assert history.epochs == 100 and len(history.val_accuracy) == 100
    assert history.loss[-1] < history.loss[0] / 5
    assert history.accuracy[-1] >= 0.97 and history.val_accuracy[-1] >= 0.97
    scores = nn.predict(model, X)
    assert scores.shape == (100,) and scores.dtype == np.float64  # one output: (N,)
    assert np.mean((scores > 0) == (y == 1)) == history.val_accuracy[-1]
    assert model[0].weight.grad is not None  # predict records no graph, leaves grads alone


def test_fit_with_cross_entropy_and_predict_give_one_column_per_class():
    X, y = nn.data.spiral(n=40, classes=3, seed=0)
    model = Sequential(Linear(2, 32, seed=0), Tanh(), Linear(32, 3, seed=1))
    history = nn.fit(model, X, y, loss="cross_entropy", epochs=30, lr=0.5, progress=False)
    assert history.loss[-1] < history.loss[0]
    out = nn.predict(model, X)
    assert out.shape == (len(X), 3)
    assert history.accuracy[-1] == pytest.approx(np.mean(out.argmax(axis=1) == y), abs=0.1)


class DtypeRecorder(Module):
    """Wraps a model and records the dtype of each batch it is called with."""

    def __init__(self, inner: Module) -> None:
        self.inner = inner
        self.dtypes: list[np.dtype] = []

    def __call__(self, x: Tensor) -> Tensor:
        self.dtypes.append(x.dtype)
        return self.inner(x)


def test_fit_runs_a_float32_model_in_float32():
    X, y = nn.data.xor()
    model = DtypeRecorder(Sequential(Linear(2, 8, dtype=np.float32, seed=0), Tanh(),
                                     Linear(8, 1, dtype=np.float32, seed=1)))  # fmt: skip
    nn.fit(model, X, y, loss="mse", epochs=3, progress=False)
    assert set(model.dtypes) == {np.dtype(np.float32)}
    assert all(p.data.dtype == np.float32 for p in model.parameters())
    assert nn.predict(model, X).dtype == np.float64  # predictions are reported in float64


def test_a_model_mixing_values_and_tensors_is_refused():
    class Mixed(nn.Module):
        def __init__(self):
            self.a = Value(1.0)
            self.b = Tensor(np.ones(2), requires_grad=True)

    with pytest.raises(TypeError, match="all Values .* or all Tensors"):
        nn.predict(Mixed(), np.ones((2, 2)))


# ---------------------------------------------------------------------------- save and load


def model_and_input(seed: int) -> tuple[Sequential, np.ndarray]:
    model = Sequential(Linear(3, 4, seed=seed), ReLU(), Linear(4, 2, seed=seed + 1))
    return model, np.random.default_rng(9).standard_normal((5, 3))


def test_a_sequential_saves_and_loads_with_pytorch_names(tmp_path):
    trained, x = model_and_input(0)
    path = nn.save(trained, tmp_path / "seq.safetensors")
    assert list(read_safetensors(path)) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    fresh, _ = model_and_input(10)
    arrays_before = [p.data for p in fresh.parameters()]
    assert nn.load(fresh, path) is fresh
    for a, b in zip(fresh.parameters(), trained.parameters(), strict=True):
        np.testing.assert_array_equal(a.data, b.data)
    assert all(p.data is a for p, a in zip(fresh.parameters(), arrays_before, strict=True))
    np.testing.assert_array_equal(fresh(x).data, trained(x).data)


def test_a_float32_sequential_round_trips_as_float32(tmp_path):
    model = Sequential(Linear(2, 3, dtype=np.float32, seed=0))
    path = nn.save(model, tmp_path / "f32.safetensors")
    assert read_safetensors(path)["0.weight"].dtype == np.float32
    other = Sequential(Linear(2, 3, dtype=np.float32, seed=1))
    nn.load(other, path)
    np.testing.assert_array_equal(other[0].weight.data, model[0].weight.data)


def test_a_wrong_or_damaged_file_leaves_the_sequential_unchanged(tmp_path):
    model, x = model_and_input(0)
    before = model(x).data.copy()
    wider = Sequential(Linear(3, 5, seed=0), ReLU(), Linear(5, 2, seed=1))
    path = nn.save(wider, tmp_path / "wider.safetensors")
    with pytest.raises(ValueError, match=r"shape mismatch for '0.weight'.*\(4, 3\).*\(5, 3\)"):
        nn.load(model, path)
    np.testing.assert_array_equal(model(x).data, before)

    good = nn.save(model_and_input(3)[0], tmp_path / "good.safetensors").read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(good[:-5])
    with pytest.raises(SafetensorsError, match="truncated"):
        nn.load(model, tmp_path / "cut.safetensors")
    np.testing.assert_array_equal(model(x).data, before)

    shallow = Sequential(Linear(3, 4, seed=0))
    with pytest.raises(ValueError, match=r"unexpected keys \['2.weight', '2.bias'\]"):
        nn.load(shallow, tmp_path / "good.safetensors")


# Both engines store a dense layer as PyTorch does: weight (nout, nin), bias (nout,). Only the
# names differ: MLP's layers are "layers.{i}", Sequential's are their positions, activations
# included ("0", "2", ...). So the i-th Layer of an MLP is the i-th Linear of the Sequential.


def linear_positions(sequential: Sequential) -> list[int]:
    """The positions of the Linear layers in a Sequential: [0, 2] for Linear, ReLU, Linear."""
    return [i for i, module in enumerate(sequential) if isinstance(module, Linear)]


def mlp_to_sequential_names(state: dict, sequential: Sequential) -> dict:
    """Rename an MLP's state ("layers.{i}.weight") for a Sequential ("{position}.weight")."""
    positions = linear_positions(sequential)
    renamed = {}
    for key, array in state.items():
        _, i, what = key.split(".")  # "layers", "1", "weight"
        renamed[f"{positions[int(i)]}.{what}"] = array
    return renamed


def sequential_to_mlp_names(state: dict, sequential: Sequential) -> dict:
    """The inverse renaming: "{position}.weight" -> "layers.{i}.weight"."""
    index = {position: i for i, position in enumerate(linear_positions(sequential))}
    renamed = {}
    for key, array in state.items():
        position, what = key.split(".")  # "2", "weight"
        renamed[f"layers.{index[int(position)]}.{what}"] = array
    return renamed


def test_a_scalar_mlp_file_loads_into_the_equivalent_sequential_and_back(tmp_path):
    mlp = nn.MLP(3, [4, 2], activation="relu", seed=0)
    path = nn.save(mlp, tmp_path / "mlp.safetensors")
    seq = Sequential(Linear(3, 4, seed=5), ReLU(), Linear(4, 2, seed=6))
    seq.load_state(mlp_to_sequential_names(read_safetensors(path), seq))
    x = np.random.default_rng(0).standard_normal((6, 3))
    expected = np.array([[v.data for v in mlp(row)] for row in x.tolist()])
    np.testing.assert_allclose(seq(x).data, expected, rtol=1e-13, atol=1e-15)

    # and back: the Sequential's file, renamed the other way, restores the MLP exactly
    back = nn.MLP(3, [4, 2], activation="relu", seed=1)
    seq_file = nn.save(seq, tmp_path / "seq.safetensors")
    back.load_state(sequential_to_mlp_names(read_safetensors(seq_file), seq))
    for a, b in zip(back.parameters(), mlp.parameters(), strict=True):
        assert a.data == b.data
