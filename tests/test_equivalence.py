"""The scalar engine and the tensor engine compute the same thing: the backprop of seed 003.

Two claims, each a test:

1. The same network with the same weights, built once as ``nn.MLP`` (one Value per weight) and
   once as ``nn.Sequential`` (one Tensor per layer), gives the same loss and the same gradient
   for every weight and bias, to 1e-12 in float64, on a batch.

2. Both equal the four equations of seed 003 (matrix form, columns = the examples of a
   mini-batch, sigma the activation, (.) the elementwise product):

       z^l = W^l a^(l-1) + b^l,   a^l = sigma(z^l),   a^0 = x
       BP1   delta^L = grad_a C (.) sigma'(z^L)                       the output layer's error
       BP2   delta^l = ((W^(l+1))^T delta^(l+1)) (.) sigma'(z^l)      one layer back
       BP3   dC/db^l_j    = delta^l_j                                  (summed over the batch)
       BP4   dC/dw^l_jk   = a^(l-1)_k delta^l_j                        (summed over the batch)

   where delta^l_j = dC/dz^l_j. The scalar graph is these equations written out element by
   element: neuron j of layer l has one "sum" node z^l_j per example, and after backward its
   gradient IS delta^l_j for that example; each weight's gradient is BP4's sum of products.
   The tensor graph holds the same numbers as whole matrices, one row per example.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd import Tensor, Value

ACTIVATION_MODULES = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


def sequential_like(mlp: nn.MLP) -> nn.Sequential:
    """The MLP as a Sequential: Linear, activation, Linear, ..., Linear, with its weights.

    Both store layer i as weight (nout, nin) and bias (nout,); the MLP names them
    "layers.{i}.weight", the Sequential by position ("{2 i}.weight", activations between).
    """
    modules: list[object] = []
    positions = []  # where each Linear lands in the Sequential
    for layer in mlp.layers:
        positions.append(len(modules))
        modules.append(nn.Linear(layer.nin, layer.nout))
        if layer.activation != "linear":
            modules.append(ACTIVATION_MODULES[layer.activation]())
    seq = nn.Sequential(*modules)
    state = {}
    for i, position in enumerate(positions):
        state[f"{position}.weight"] = mlp.state()[f"layers.{i}.weight"]
        state[f"{position}.bias"] = mlp.state()[f"layers.{i}.bias"]
    seq.load_state(state)
    return seq


def mlp_gradients(mlp: nn.MLP) -> list[tuple[np.ndarray, np.ndarray]]:
    """(dC/dW, dC/db) of each layer, gathered from the Values into PyTorch-shaped arrays."""
    return [
        (
            np.array([[w.grad for w in n.w] for n in layer.neurons]),
            np.array([n.b.grad for n in layer.neurons]),
        )
        for layer in mlp.layers
    ]


def sequential_gradients(seq: nn.Sequential) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(m.weight.grad, m.bias.grad) for m in seq if isinstance(m, nn.Linear)]


def both_engines(mlp: nn.MLP, X: np.ndarray, loss_fn: Callable, target: np.ndarray):
    """Run the batch through the MLP (row by row) and its Sequential twin (all at once)."""
    seq = sequential_like(mlp)
    scalar_loss = loss_fn([mlp(row) for row in X.tolist()], target)
    scalar_loss.backward()
    tensor_loss = loss_fn(seq(Tensor(X)), target)
    tensor_loss.backward()
    return scalar_loss, tensor_loss, mlp_gradients(mlp), sequential_gradients(seq)


def assert_same(scalar_loss, tensor_loss, scalar_grads, tensor_grads) -> None:
    assert isinstance(scalar_loss, Value) and isinstance(tensor_loss, Tensor)
    assert tensor_loss.item() == pytest.approx(scalar_loss.data, rel=1e-12, abs=1e-12)
    for layer, (s, t) in enumerate(zip(scalar_grads, tensor_grads, strict=True)):
        for what, a, b in (("weight", s[0], t[0]), ("bias", s[1], t[1])):
            assert a.shape == b.shape
            np.testing.assert_allclose(
                b, a, rtol=1e-12, atol=1e-12, err_msg=f"layer {layer} {what}: tensor vs scalar"
            )


def batch(seed: int, n: int, nin: int, classes: int):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, nin))
    labels = rng.integers(0, classes, n)
    return X, labels, rng.standard_normal((n, classes))


# ---------------------------------------------------------------------------- 1. same numbers


@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
def test_mlp_and_sequential_with_the_same_weights_give_the_same_loss_and_gradients(
    activation, loss
):
    mlp = nn.MLP(4, [6, 5, 3], activation=activation, seed=0)
    X, labels, Y = batch(1, n=8, nin=4, classes=3)
    loss_fn = nn.mse_loss if loss == "mse" else nn.cross_entropy
    target = Y if loss == "mse" else labels
    assert_same(*both_engines(mlp, X, loss_fn, target))


@settings(max_examples=15)
@given(
    seed=st.integers(0, 2**32 - 1),
    activation=st.sampled_from(["relu", "tanh", "sigmoid"]),
    widths=st.lists(st.integers(1, 5), min_size=1, max_size=3),
    n=st.integers(1, 6),
    loss=st.sampled_from(["mse", "cross_entropy"]),
)
def test_the_engines_agree_on_random_networks_and_batches(seed, activation, widths, n, loss):
    classes = 3
    mlp = nn.MLP(3, [*widths, classes], activation=activation, seed=seed)
    X, labels, Y = batch(seed, n=n, nin=3, classes=classes)
    loss_fn = nn.mse_loss if loss == "mse" else nn.cross_entropy
    assert_same(*both_engines(mlp, X, loss_fn, Y if loss == "mse" else labels))


# ---------------------------------------------------------------------------- 2. BP1-BP4


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


#: sigma and sigma' of each activation, in NumPy (sigma'(0) = 0 for relu, as in the engines).
SIGMAS: dict[str, tuple[Callable, Callable]] = {
    "sigmoid": (sigmoid, lambda z: sigmoid(z) * (1.0 - sigmoid(z))),
    "tanh": (np.tanh, lambda z: 1.0 - np.tanh(z) ** 2),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z: (z > 0.0).astype(float)),
    "linear": (lambda z: z, np.ones_like),
}


def textbook_backprop(mlp: nn.MLP, X: np.ndarray, grad_a_cost: Callable):
    """Seed 003's backprop over a mini-batch, by hand in NumPy, columns = examples.

    ``grad_a_cost(a_L)`` is grad_a C for the output activations (one column per example).
    Returns (z, delta, dW, db): lists over the layers l = 1..L (index 0 is layer 1).
    """
    weights = [mlp_layer_weights(layer) for layer in mlp.layers]
    sigma = [SIGMAS[layer.activation] for layer in mlp.layers]
    a = [X.T]  # a^0 = x, one column per example
    z = []
    for (W, b), (act, _) in zip(weights, sigma, strict=True):
        z.append(W @ a[-1] + b[:, None])  # z^l = W^l a^(l-1) + b^l
        a.append(act(z[-1]))  # a^l = sigma(z^l)
    L = len(weights)
    delta = [np.empty(0)] * L
    delta[L - 1] = grad_a_cost(a[L]) * sigma[L - 1][1](z[L - 1])  # BP1
    for l in range(L - 2, -1, -1):
        W_next = weights[l + 1][0]
        delta[l] = (W_next.T @ delta[l + 1]) * sigma[l][1](z[l])  # BP2
    db = [d.sum(axis=1) for d in delta]  # BP3, summed over the examples
    dW = [delta[l] @ a[l].T for l in range(L)]  # BP4: sum over x of delta_j a_k, as a matrix
    return z, delta, dW, db


def mlp_layer_weights(layer: nn.Layer) -> tuple[np.ndarray, np.ndarray]:
    state = layer.state()
    return state["weight"], state["bias"]


def scalar_forward_keeping_z(mlp: nn.MLP, X: np.ndarray):
    """Outputs of each example, and the "sum" node z^l_j of every neuron for every example."""
    outputs, z_nodes = [], []  # z_nodes[x][l][j]
    for row in X.tolist():
        a: list = row
        zs = []
        for layer in mlp.layers:
            out = layer(a)
            out = out if isinstance(out, list) else [out]
            # after the activation node, its one parent is the sum; a linear neuron IS the sum
            zs.append([o if layer.activation == "linear" else o.parents[0] for o in out])
            a = out
        outputs.append(a)
        z_nodes.append(zs)
    return outputs, z_nodes


def tensor_forward_keeping_z(seq: nn.Sequential, X: np.ndarray):
    """The Sequential's output, and the z^l tensor (examples, n_l) of each Linear."""
    h = Tensor(X)
    zs = []
    for module in seq:
        h = module(h)
        if isinstance(module, nn.Linear):
            zs.append(h)
    return h, zs


CASES = {
    # seed 003's own network: sigmoid everywhere, quadratic cost
    "sigmoid + mse (seed 003)": ("sigmoid", "sigmoid", "mse"),
    "tanh + mse": ("tanh", "tanh", "mse"),
    # the digits network: ReLU hidden, linear output (sigma' = 1), softmax cross-entropy
    "relu + cross entropy": ("relu", "linear", "cross_entropy"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_both_engines_compute_bp1_to_bp4_of_seed_003_element_by_element(case):
    hidden, output, loss = CASES[case]
    mlp = nn.MLP(3, [4, 4, 2], activation=hidden, output_activation=output, seed=3)
    X, labels, Y = batch(4, n=5, nin=3, classes=2)
    N, C = Y.shape
    if loss == "mse":
        # C = (1/(N C)) sum (a - y)**2 over examples and outputs:  grad_a C = 2 (a - y) / (N C)
        def grad_a_cost(a_L):
            return 2.0 * (a_L - Y.T) / (N * C)

        loss_fn, target = nn.mse_loss, Y
    else:
        # C = (1/N) sum_x (logsumexp(a) - a_t) with a = z^L:  grad_a C = (softmax(a) - onehot) / N
        def grad_a_cost(a_L):
            e = np.exp(a_L - a_L.max(axis=0))
            return (e / e.sum(axis=0) - np.eye(C)[:, labels]) / N

        loss_fn, target = nn.cross_entropy, labels
    z, delta, dW, db = textbook_backprop(mlp, X, grad_a_cost)

    # The scalar engine: every z node's gradient is delta^l_j for its example (BP1, BP2), and
    # every bias and weight gradient is BP3's and BP4's sum over the batch.
    outputs, z_nodes = scalar_forward_keeping_z(mlp, X)
    loss_fn(outputs, target).backward()
    for x in range(N):
        for l, layer_nodes in enumerate(z_nodes[x]):
            for j, node in enumerate(layer_nodes):
                assert node.data == pytest.approx(z[l][j, x], rel=1e-12, abs=1e-14)
                assert node.grad == pytest.approx(delta[l][j, x], rel=1e-12, abs=1e-14), (
                    f"delta of layer {l + 1}, neuron {j}, example {x}"
                )
    for l, layer in enumerate(mlp.layers):
        for j, neuron in enumerate(layer.neurons):
            assert neuron.b.grad == pytest.approx(db[l][j], rel=1e-12, abs=1e-14)  # BP3
            for k, w in enumerate(neuron.w):
                assert w.grad == pytest.approx(dW[l][j, k], rel=1e-12, abs=1e-14)  # BP4

    # The tensor engine: the same numbers as matrices, one row per example (so transposed).
    seq = sequential_like(mlp)
    out, z_tensors = tensor_forward_keeping_z(seq, X)
    loss_fn(out, target).backward()
    linears = [m for m in seq if isinstance(m, nn.Linear)]
    for l, (zt, lin) in enumerate(zip(z_tensors, linears, strict=True)):
        np.testing.assert_allclose(zt.data, z[l].T, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(zt.grad, delta[l].T, rtol=1e-12, atol=1e-14)  # BP1, BP2
        np.testing.assert_allclose(lin.bias.grad, db[l], rtol=1e-12, atol=1e-14)  # BP3
        np.testing.assert_allclose(lin.weight.grad, dW[l], rtol=1e-12, atol=1e-14)  # BP4


def test_bp4_in_one_example_a_weight_learns_slowly_from_a_quiet_input():
    # BP4 for one example: dC/dw_jk = a_k delta_j. With input x_0 = 0 the gradient of every
    # weight reading x_0 is exactly 0 in both engines ("weights from low-activation neurons
    # learn slowly", seed 003), while the others are not.
    mlp = nn.MLP(2, [3, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
    X = np.array([[0.0, 1.5]])
    scalar, tensor, s_grads, t_grads = both_engines(mlp, X, nn.mse_loss, np.array([1.0]))
    first_layer_s, first_layer_t = s_grads[0][0], t_grads[0][0]
    np.testing.assert_array_equal(first_layer_s[:, 0], [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(first_layer_t[:, 0], [0.0, 0.0, 0.0])
    assert np.all(first_layer_s[:, 1] != 0.0)
