"""Losses on Values: hand-derived values and gradients, gradcheck, edge cases, bad input."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd import Value, gradcheck
from nn.losses import get_loss


def values(*xs: float) -> list[Value]:
    return [Value(x) for x in xs]


# ---------------------------------------------------------------------------- mse


def test_mse_is_the_mean_square_and_its_gradient_is_2_p_minus_t_over_n():
    p = values(1.0, 2.0)
    loss = nn.mse_loss(p, [0.0, 4.0])
    # L = ((1 - 0)**2 + (2 - 4)**2) / 2 = 2.5;  dL/dp_i = 2 (p_i - t_i) / 2 = [1, -2]
    assert loss.data == 2.5
    loss.backward()
    assert [x.grad for x in p] == [1.0, -2.0]


def test_mse_flattens_several_outputs_per_sample():
    p = [values(1.0, 0.0), values(0.0, 3.0)]
    loss = nn.mse_loss(p, [[0.0, 0.0], [0.0, 1.0]])
    # (1 + 0 + 0 + 4) / 4 = 1.25
    assert loss.data == 1.25
    assert nn.mse_loss(Value(3.0), 1.0).data == 4.0  # one Value and one number


# ---------------------------------------------------------------------------- bce


def test_seed_000_example_2_sigmoid_then_bce_gives_yhat_minus_y():
    # z = w x + b = 1*2 - 1 = 1, yhat = sigmoid(1) = 0.7311, y = 0
    # L = -log(1 - 0.7311) = 1.3133;  dL/dz = yhat - y = 0.7311
    z = Value(1.0)
    loss = nn.binary_cross_entropy(z.sigmoid(), 0.0)
    loss.backward()
    assert loss.data == pytest.approx(1.3132616875)
    assert z.grad == pytest.approx(0.7310585786)


def test_bce_with_a_soft_target_has_gradient_p_minus_t_over_p_one_minus_p():
    p = Value(0.5)
    loss = nn.binary_cross_entropy(p, 0.25)
    # L = -(0.25 log 0.5 + 0.75 log 0.5) = log 2;  dL/dp = (0.5 - 0.25) / (0.5 * 0.5) = 1
    loss.backward()
    assert loss.data == pytest.approx(math.log(2))
    assert p.grad == pytest.approx(1.0)


@pytest.mark.parametrize(
    "p, t, expected",
    [
        (0.0, 1.0, 100.0),  # log(0) clamped at -100, as PyTorch's BCELoss
        (1.0, 0.0, 100.0),  # log(1 - 1) clamped too
        (1.0, 1.0, 0.0),
        (0.0, 0.0, 0.0),
        (0.0, 0.5, 50.0),  # -(0.5 * -100 + 0.5 * log 1)
    ],
)
def test_bce_is_finite_at_probabilities_0_and_1(p, t, expected):
    prob = Value(p)
    loss = nn.binary_cross_entropy(prob, t)
    loss.backward()
    assert loss.data == pytest.approx(expected)
    assert math.isfinite(prob.grad)


def test_bce_rejects_values_that_are_not_probabilities():
    with pytest.raises(ValueError, match=r"prediction 1 is 1.5, not a probability.*logits"):
        nn.binary_cross_entropy(values(0.5, 1.5), [0, 1])
    with pytest.raises(ValueError, match="target 0 is 2.0"):
        nn.binary_cross_entropy(Value(0.5), 2)


# ---------------------------------------------------------------------------- bce with logits


def test_bce_with_logits_gradient_is_sigmoid_minus_target():
    z = values(0.0, 2.0)
    loss = nn.binary_cross_entropy_with_logits(z, [1, 0])
    # softplus(z) - t z:  (log 2 - 0 + log(1 + e**2) - 0) / 2;  dL/dz_i = (sigmoid(z_i) - t_i) / 2
    loss.backward()
    assert loss.data == pytest.approx((math.log(2) + math.log(1 + math.e**2)) / 2)
    assert z[0].grad == pytest.approx((0.5 - 1) / 2)
    assert z[1].grad == pytest.approx((1 / (1 + math.exp(-2)) - 0) / 2)


def test_bce_with_logits_equals_sigmoid_then_bce():
    for zv, t in [(1.0, 0.0), (-0.3, 1.0), (2.5, 0.3)]:
        a = nn.binary_cross_entropy_with_logits(Value(zv), t).data
        b = nn.binary_cross_entropy(Value(zv).sigmoid(), t).data
        assert a == pytest.approx(b)


def test_bce_with_logits_is_finite_for_huge_logits():
    z = values(1000.0, -1000.0)
    loss = nn.binary_cross_entropy_with_logits(z, [0, 1])
    loss.backward()
    # Each sample is confidently wrong by 1000: L = 1000;  dL/dz = (1 - 0) / 2, (0 - 1) / 2
    assert loss.data == pytest.approx(1000.0)
    assert [v.grad for v in z] == [0.5, -0.5]


# ---------------------------------------------------------------------------- cross entropy


def test_cross_entropy_of_equal_logits_is_log_c():
    z = values(0.0, 0.0)
    loss = nn.cross_entropy(z, 0)
    loss.backward()
    # softmax = [0.5, 0.5]; L = -log 0.5 = log 2; dL/dz = softmax - onehot = [-0.5, 0.5]
    assert loss.data == pytest.approx(math.log(2))
    assert [v.grad for v in z] == pytest.approx([-0.5, 0.5])


def test_cross_entropy_gradient_is_softmax_minus_one_hot_over_the_batch():
    a, b = values(1.0, 2.0, 3.0), values(0.0, 0.0, 0.0)
    loss = nn.cross_entropy([a, b], [2, 1])
    # Sample a: log(e + e**2 + e**3) - 3 = 0.40761, softmax = [0.09003, 0.24473, 0.66524]
    # Sample b: log 3, softmax = [1/3, 1/3, 1/3];  mean of the two, so every gradient is halved.
    loss.backward()
    assert loss.data == pytest.approx((0.40760596444 + math.log(3)) / 2)
    assert [v.grad for v in a] == pytest.approx([0.09003057 / 2, 0.24472847 / 2, -0.33475904 / 2])
    assert [v.grad for v in b] == pytest.approx([1 / 6, -1 / 3, 1 / 6])


def test_cross_entropy_is_stable_for_logits_1000_apart():
    z = values(1000.0, 0.0)
    loss = nn.cross_entropy(z, 1)
    loss.backward()
    # log_softmax(z)[1] = 0 - logsumexp = -1000 (to double precision); gradient [1, -1]
    assert loss.data == pytest.approx(1000.0)
    assert [v.grad for v in z] == pytest.approx([1.0, -1.0])


def test_cross_entropy_rejects_bad_targets():
    with pytest.raises(ValueError, match=r"class 3, but there are 3 classes \(0 to 2\)"):
        nn.cross_entropy(values(1, 2, 3), 3)
    with pytest.raises(TypeError, match="class indices"):
        nn.cross_entropy(values(1, 2), 0.5)
    with pytest.raises(ValueError, match="2 samples but 1 targets"):
        nn.cross_entropy([values(1, 2), values(3, 4)], [0])


# ---------------------------------------------------------------------------- hinge


def test_hinge_loss_is_the_mean_margin_violation():
    s = values(0.5, -2.0, 3.0, 2.0)
    loss = nn.hinge_loss(s, [1, 1, -1, 1])
    # relu(1 - t s): relu(0.5) = 0.5, relu(3) = 3, relu(4) = 4, relu(-1) = 0;  mean = 7.5 / 4
    # d/ds = -t / 4 where the margin is violated, else 0
    loss.backward()
    assert loss.data == 7.5 / 4
    assert [v.grad for v in s] == [-0.25, -0.25, 0.25, 0.0]


def test_hinge_loss_reads_0_as_minus_1():
    assert (
        nn.hinge_loss(values(0.5, 0.5), [0, 1]).data
        == nn.hinge_loss(values(0.5, 0.5), [-1, 1]).data
    )
    with pytest.raises(ValueError, match=r"target 0 is 0.5; use \+1 / -1"):
        nn.hinge_loss(Value(1.0), 0.5)


# ---------------------------------------------------------------------------- shared checks


def test_mismatched_lengths_and_bad_types_are_clear_errors():
    with pytest.raises(ValueError, match="2 predictions but 3 targets"):
        nn.mse_loss(values(1, 2), [1, 2, 3])
    with pytest.raises(TypeError, match="target must be numbers, not a Value"):
        nn.mse_loss(Value(1.0), Value(2.0))
    with pytest.raises(TypeError, match="pred must be a Value or a list of Values, not float"):
        nn.mse_loss(1.0, 1.0)
    with pytest.raises(ValueError, match="empty batch"):
        nn.hinge_loss([], [])


def test_losses_by_name():
    assert get_loss("bce_with_logits") is nn.binary_cross_entropy_with_logits
    assert get_loss(nn.mse_loss) is nn.mse_loss
    with pytest.raises(ValueError, match="unknown loss 'l1'.*'mse', 'bce'"):
        get_loss("l1")


floats = st.floats(-3.0, 3.0, allow_nan=False)


@settings(max_examples=40)
@given(st.lists(st.tuples(floats, floats), min_size=1, max_size=4))
def test_mse_passes_gradcheck(pairs):
    preds = [Value(p) for p, _ in pairs]
    targets = [t for _, t in pairs]
    result = gradcheck(lambda *p: nn.mse_loss(list(p), targets), preds)
    assert result, str(result)


@settings(max_examples=40)
@given(st.lists(st.tuples(st.floats(0.02, 0.98), st.floats(0.0, 1.0)), min_size=1, max_size=4))
def test_bce_passes_gradcheck(pairs):
    probs = [Value(p) for p, _ in pairs]
    targets = [t for _, t in pairs]
    result = gradcheck(lambda *p: nn.binary_cross_entropy(list(p), targets), probs)
    assert result, str(result)


@settings(max_examples=40)
@given(st.lists(st.tuples(floats, st.sampled_from([0.0, 1.0, 0.3])), min_size=1, max_size=4))
def test_bce_with_logits_passes_gradcheck(pairs):
    logits = [Value(z) for z, _ in pairs]
    targets = [t for _, t in pairs]
    result = gradcheck(lambda *z: nn.binary_cross_entropy_with_logits(list(z), targets), logits)
    assert result, str(result)


@settings(max_examples=40)
@given(
    st.lists(st.lists(floats, min_size=3, max_size=3), min_size=1, max_size=3),
    st.data(),
)
def test_cross_entropy_passes_gradcheck(rows, data):
    targets = [data.draw(st.integers(0, 2)) for _ in rows]
    flat = [Value(z) for row in rows for z in row]

    def f(*zs: Value) -> Value:
        return nn.cross_entropy([list(zs[3 * i : 3 * i + 3]) for i in range(len(rows))], targets)

    result = gradcheck(f, flat)
    assert result, str(result)


@settings(max_examples=40)
@given(st.lists(st.tuples(floats, st.sampled_from([-1, 1])), min_size=1, max_size=4))
def test_hinge_passes_gradcheck_away_from_the_kink(pairs):
    # relu has a kink where the margin t * s is exactly 1: keep the scores away from it.
    pairs = [(s, t) for s, t in pairs if abs(1 - t * s) > 1e-3]
    if not pairs:
        return
    scores = [Value(s) for s, _ in pairs]
    targets = [t for _, t in pairs]
    result = gradcheck(lambda *s: nn.hinge_loss(list(s), targets), scores)
    assert result, str(result)
