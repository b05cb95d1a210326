"""Bad input to nn, on both engines: each is a clear error, never a silent wrong result.

Already covered elsewhere: a wrong width given to MLP, Layer or Neuron directly
(test_nn_module.py), Linear's own argument checks (test_tensor_nn.py), an overflowing loss in
``fit`` and an empty dataset for a scalar model (test_nn_train.py), bad targets given to each
loss directly (test_nn_losses.py). Here: the same mistakes made through ``fit`` and
``predict`` on both engines, non-numeric samples, nan in the training data, class labels out
of range, and empty data.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import nn
from autograd import Tensor, Value

X4 = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
Y4 = np.array([1.0, 1.0, 0.0, 0.0])
C4 = np.array([0, 1, 2, 1])  # class labels for a 3-output model


def scalar(nout: int = 1, output: str = "linear") -> nn.MLP:
    return nn.MLP(2, [3, nout], seed=0, output_activation=output)


def tensor(nout: int = 1, output: str = "linear") -> nn.Sequential:
    tail = [nn.Sigmoid()] if output == "sigmoid" else []
    return nn.Sequential(nn.Linear(2, 3, seed=0), nn.Tanh(), nn.Linear(3, nout, seed=1), *tail)


ENGINES = {"MLP": scalar, "Sequential": tensor}
engines = pytest.mark.parametrize("make", ENGINES.values(), ids=ENGINES.keys())


def fit(model, X, y, **kwargs):
    kwargs = {"progress": False, "epochs": 2, **kwargs}
    return nn.fit(model, X, y, **kwargs)


# ---------------------------------------------------------------------------- input width

WIDTH_ERRORS = {
    "MLP": r"MLP expects 2 inputs, got 3",
    "Sequential": r"input of shape \(4, 3\) does not fit weight \(3, 2\)",
}


@pytest.mark.parametrize("kind", list(ENGINES))
def test_a_wrong_input_width_in_fit_and_predict_names_both_widths(kind):
    model = ENGINES[kind]()
    before = model.state()
    for run in (
        lambda: fit(model, np.ones((4, 3)), Y4),
        lambda: nn.predict(model, np.ones((4, 3))),
    ):
        with pytest.raises(ValueError, match=WIDTH_ERRORS[kind]):
            run()
    assert all(np.array_equal(before[k], v) for k, v in model.state().items())


def test_linear_refuses_an_input_without_a_feature_axis():
    with pytest.raises(ValueError, match=r"input of shape \(\) does not fit weight \(3, 2\)"):
        nn.Linear(2, 3, seed=0)(Tensor(1.0))
    # one sample as a 1-D row works, as in PyTorch: (2,) -> (3,)
    assert nn.Linear(2, 3, seed=0)(np.ones(2)).shape == (3,)


# ---------------------------------------------------------------------------- non-numeric


@pytest.mark.parametrize(
    "sample, name",
    [
        (["a", 1.0], "str 'a'"),
        ([1.0, None], "NoneType None"),
        ([[1.0], 2.0], "list [1.0]"),
        ([1.0, 2j], "complex 2j"),
        (np.array(["a", "b"]), "str 'a'"),
    ],
)
def test_a_non_numeric_input_to_an_mlp_names_its_position_and_type(sample, name):
    position = 0 if name[0] in "sl" else 1
    for module, who in ((nn.MLP(2, [3, 1], seed=0), "MLP"), (nn.Layer(2, 2, seed=0), "Layer"),
                        (nn.Neuron(2, seed=0), "Neuron")):  # fmt: skip
        message = rf"{who} input {position} is {re.escape(name)}; inputs must be real numbers"
        with pytest.raises(TypeError, match=message):
            module(sample)


def test_bytes_are_not_a_list_of_inputs():
    # b"ab" is a sequence of ints (97, 98): read as numbers it would give a silent result
    with pytest.raises(TypeError, match="MLP takes a list of numbers or Values, not bytes"):
        nn.MLP(2, [1], seed=0)(b"ab")


def test_values_numpy_numbers_and_bools_are_accepted_inputs():
    model = nn.MLP(2, [1], seed=0)
    reference = model([1.0, 0.0]).data
    assert model([Value(1.0), np.float32(0.0)]).data == reference
    assert model([True, False]).data == reference  # bools are the numbers 1 and 0


@pytest.mark.parametrize(
    "bad, name",
    [([["a", 1.0]], "dtype <U"), ([[None, 1.0]], "dtype object"), (None, "NoneType")],
)
def test_a_non_numeric_input_to_linear_is_a_type_error_naming_it(bad, name):
    with pytest.raises(TypeError, match=f"Linear takes a Tensor or an array of numbers: .*{name}"):
        nn.Linear(2, 3, seed=0)(bad)


@engines
def test_non_numeric_targets_in_fit_are_a_type_error_before_any_update(make):
    model = make()
    before = model.state()
    for y in (np.array(["a", "b", "c", "d"]), ["0", "1", "1", "0"], [0, 1, None, 0]):
        with pytest.raises(TypeError, match="y must hold real numbers"):
            fit(model, X4, y, progress=False)
    assert all(np.array_equal(v, before[k]) for k, v in model.state().items())


@engines
def test_non_numeric_or_ragged_X_in_fit_is_an_error_naming_X(make):
    for X in ([["a", "b"], ["c", "d"]], [[1.0, 2.0], [1.0]]):
        with pytest.raises((TypeError, ValueError), match=r"\bX\b"):
            fit(make(), X, [0.0, 1.0])


@engines
@pytest.mark.filterwarnings("ignore::numpy.exceptions.ComplexWarning")
def test_complex_X_in_fit_is_refused_not_silently_cast(make):
    with pytest.raises(TypeError, match=r"\bX\b.*complex"):
        fit(make(), X4 + 1j, Y4)


# ---------------------------------------------------------------------------- nan in the data


def nan_rows(X: np.ndarray, row: int = 2) -> np.ndarray:
    bad = X.copy()
    bad[row, 0] = np.nan
    return bad


@engines
@pytest.mark.parametrize("loss", ["mse", "bce_with_logits", "hinge"])
def test_nan_in_X_stops_fit_naming_the_epoch_and_batch_before_any_update_from_it(make, loss):
    model = make()
    # Row 2 is in batch 2 of 2 (shuffle off): batch 1 trains, batch 2 must not.
    with pytest.raises(FloatingPointError, match=r"nan at epoch 1/2, batch 2/2"):
        fit(model, nan_rows(X4), Y4, loss=loss, batch_size=2, shuffle=False)
    reference = make()
    fit(reference, X4[:2], Y4[:2], loss=loss, batch_size=2, shuffle=False, epochs=1)
    for k, v in model.state().items():  # exactly one update: the clean first batch's
        np.testing.assert_array_equal(v, reference.state()[k])


@engines
def test_nan_in_X_stops_fit_with_cross_entropy(make):
    with pytest.raises(FloatingPointError, match=r"nan at epoch 1/2, batch 2/2"):
        fit(make(3), nan_rows(X4), C4, loss="cross_entropy", batch_size=2, shuffle=False)


@engines
def test_nan_in_y_stops_fit_with_mse(make):
    y = Y4.copy()
    y[0] = np.nan
    with pytest.raises(FloatingPointError, match=r"nan at epoch 1/2, batch 1/2"):
        fit(make(), X4, y, batch_size=2, shuffle=False)


@engines
def test_nan_in_X_stops_fit_with_bce_naming_the_epoch_and_batch(make):
    with pytest.raises(FloatingPointError, match=r"nan .*epoch 1/2, batch 2/2"):
        fit(make(output="sigmoid"), nan_rows(X4), Y4, loss="bce", batch_size=2, shuffle=False)


@engines
def test_nan_in_y_stops_fit_with_bce_with_logits_naming_the_epoch_and_batch(make):
    y = Y4.copy()
    y[1] = np.nan
    with pytest.raises(FloatingPointError, match=r"nan .*epoch 1/2, batch 1/2"):
        fit(make(), X4, y, loss="bce_with_logits", batch_size=2, shuffle=False)


# ---------------------------------------------------------------------------- class labels


@engines
@pytest.mark.parametrize("label", [3, -1])
def test_a_class_label_out_of_range_is_a_value_error_naming_it(make, label):
    y = C4.copy()
    y[2] = label
    model = make(3)
    before = model.state()
    with pytest.raises(ValueError, match=rf"is class {label}, but there are 3 classes \(0 to 2\)"):
        fit(model, X4, y, loss="cross_entropy")
    assert all(np.array_equal(before[k], v) for k, v in model.state().items())


@engines
def test_float_class_labels_are_a_type_error(make):
    with pytest.raises(TypeError, match="class ind"):
        fit(make(3), X4, C4.astype(np.float64), loss="cross_entropy")


@engines
def test_a_class_label_out_of_range_names_its_row_in_y(make):
    y = C4.copy()
    y[2] = 3
    with pytest.raises(ValueError, match=r"y\[2\]"):
        fit(make(3), X4, y, loss="cross_entropy", seed=0)


@engines
def test_cross_entropy_with_a_one_output_model_says_it_needs_one_output_per_class(make):
    with pytest.raises(ValueError, match="one output per class"):
        fit(make(1), X4, C4, loss="cross_entropy")


# ---------------------------------------------------------------------------- empty data


@engines
def test_fit_refuses_an_empty_training_or_validation_set(make):
    with pytest.raises(ValueError, match="empty dataset"):
        fit(make(), np.zeros((0, 2)), np.zeros(0))
    with pytest.raises(ValueError, match="empty dataset"):
        fit(make(), X4, Y4, validation_data=(np.zeros((0, 2)), np.zeros(0)))


@engines
def test_predict_on_no_rows_returns_no_outputs(make):
    out = nn.predict(make(), np.zeros((0, 2)))
    assert out.shape == (0,) and out.dtype == np.float64


def test_losses_refuse_an_empty_batch_on_both_engines():
    empty = Tensor(np.zeros((0, 1)), requires_grad=True)
    for call in (lambda: nn.mse_loss([], []), lambda: nn.mse_loss(empty, np.zeros((0, 1))),
                 lambda: nn.binary_cross_entropy(empty, np.zeros((0, 1)))):  # fmt: skip
        with pytest.raises(ValueError, match="empty batch"):
            call()
    with pytest.raises(ValueError, match=r"cross_entropy: logits must have shape .* got \(0, 3\)"):
        nn.cross_entropy(Tensor(np.zeros((0, 3)), requires_grad=True), np.zeros(0, dtype=int))
