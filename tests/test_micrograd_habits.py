"""What a micrograd user types first: each habit works, or fails saying the gradflow way."""

from __future__ import annotations

import pytest

import nn
import viz
from autograd import Value


def test_micrograd_constructor_is_a_type_error_that_shows_the_gradflow_way():
    a, b = Value(2.0), Value(-3.0)
    # micrograd: Value(data, _children, _op); its ops call it with their operands.
    with pytest.raises(TypeError, match=r"micrograd.*a \+ b"):
        Value(a.data + b.data, (a, b), "+")


@pytest.mark.parametrize("label", [("a", "b"), 3, None, ["x"]])
def test_a_label_that_is_not_a_string_is_a_type_error(label):
    with pytest.raises(TypeError, match="label"):
        Value(1.0, label)


def test_the_lecture_labels_work_as_written():
    # The lecture's own Value: Value(2.0, label='a'), and e.label = 'e' after an op.
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    e = a * b
    e.label = "e"
    assert (a.label, e.label, e.op, e.parents) == ("a", "e", "*", (a, b))


def test_draw_dot_is_draw():
    assert viz.draw_dot is viz.draw


def test_gradients_accumulate_as_in_micrograd():
    # micrograd's fix of the lecture's a + a bug: +=, so a node used twice gets both.
    a = Value(3.0)
    b = a + a
    b.backward()
    assert a.grad == 2.0
    b.backward()  # no zeroing in between: accumulates, in micrograd as in PyTorch
    assert a.grad == 4.0


def test_mlp_activations_are_stated_for_the_lecture_and_the_library():
    lecture = nn.MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh", seed=0)
    library = nn.MLP(2, [16, 16, 1], activation="relu", seed=0)
    assert [layer.activation for layer in lecture.layers] == ["tanh", "tanh", "tanh"]
    assert [layer.activation for layer in library.layers] == ["relu", "relu", "linear"]
    assert len(lecture.parameters()) == 41 and len(library.parameters()) == 337


def test_uniform_init_draws_micrograds_weights():
    # micrograd: w = random.uniform(-1, 1), b = 0, whatever the fan-in.
    layer = nn.Layer(50, 20, activation="relu", init="uniform", seed=0)
    weights = [w.data for n in layer.neurons for w in n.w]
    assert all(-1.0 <= w <= 1.0 for w in weights) and max(map(abs, weights)) > 0.9
    assert all(n.b.data == 0.0 for n in layer.neurons)


def test_zero_grad_on_a_root_clears_its_whole_graph():
    a, b = Value(2.0), Value(-3.0)
    c = a * b + a
    c.backward()
    assert (a.grad, b.grad) == (-2.0, 2.0)
    c.zero_grad()
    assert (a.grad, b.grad, c.grad) == (0.0, 0.0, 0.0)
