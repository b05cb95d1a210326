"""softmax, log_softmax and logsumexp on lists of Values.

They rest on one identity:  logsumexp(x) = m + log(sum_i e**(x_i - m))  for any m. With
m = max(x) no exponent is positive, so logits 1000 apart neither overflow (e**1000 = inf) nor
turn a probability into 0/0; and log_softmax(x)_i = x_i - logsumexp(x) never takes the log of
an underflowed 0.
"""

from __future__ import annotations

import math
import warnings

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, gradcheck, log_softmax, logsumexp, softmax

E = math.e
logits = st.lists(st.floats(-1e4, 1e4), min_size=1, max_size=8)
moderate_logits = st.lists(st.floats(-10, 10), min_size=1, max_size=6)


def values(xs: list[float]) -> list[Value]:
    return [Value(x, label=f"x{i}") for i, x in enumerate(xs)]


def data(vs: list[Value]) -> list[float]:
    return [v.data for v in vs]


# --------------------------------------------------------------------------- by hand
def test_hand_values_for_small_logits():
    # logsumexp([0, 0]) = log(1 + 1) = log 2 = 0.6931471806
    assert logsumexp([Value(0.0), Value(0.0)]).data == pytest.approx(math.log(2.0), rel=1e-15)
    # softmax([0, log 3]) = [1, 3] / 4 = [0.25, 0.75]
    assert data(softmax(values([0.0, math.log(3.0)]))) == pytest.approx([0.25, 0.75], rel=1e-14)
    # log_softmax([0, log 3]) = [log 0.25, log 0.75] = [-1.3862943611, -0.2876820725]
    assert data(log_softmax(values([0.0, math.log(3.0)]))) == pytest.approx(
        [math.log(0.25), math.log(0.75)], rel=1e-14
    )


@pytest.mark.parametrize(
    ("xs", "lse", "probs", "logprobs"),
    [
        # [1000, 1000]: e**1000 overflows, but 1000 + log(e**0 + e**0) = 1000 + log 2
        ([1000.0, 1000.0], 1000 + math.log(2.0), [0.5, 0.5], [-math.log(2.0)] * 2),
        # [-1000, -1000]: e**-1000 underflows to 0 (log 0 = -inf), yet the answer is -1000 + log 2
        ([-1000.0, -1000.0], -1000 + math.log(2.0), [0.5, 0.5], [-math.log(2.0)] * 2),
        # [0, 1000]: 1000 + log(1 + e**-1000) = 1000; p = [e**-1000 (underflows to 0), 1];
        # log p = [0 - 1000, 0] = [-1000, 0], finite where log(0) would be -inf
        ([0.0, 1000.0], 1000.0, [0.0, 1.0], [-1000.0, 0.0]),
        # [1000, 999]: 1000 + log(1 + 1/e) = 1000.3132616875; p = [1, 1/e] / (1 + 1/e)
        (
            [1000.0, 999.0],
            1000 + math.log1p(1 / E),
            [1 / (1 + 1 / E), (1 / E) / (1 + 1 / E)],
            [-math.log1p(1 / E), -1 - math.log1p(1 / E)],
        ),
        # [-1000, 0, 1000]: logits 1000 apart on both sides
        ([-1000.0, 0.0, 1000.0], 1000.0, [0.0, 0.0, 1.0], [-2000.0, -1000.0, 0.0]),
    ],
)
def test_stable_for_logits_1000_apart(xs, lse, probs, logprobs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out_lse = logsumexp(values(xs))
        out_probs = softmax(values(xs))
        out_logprobs = log_softmax(values(xs))
    assert out_lse.data == pytest.approx(lse, rel=1e-15)
    # softmax is exp(x_i - lse): the subtraction of two numbers near 1000 keeps an absolute
    # rounding error of ~1e-13 (one ulp of 1000), which exp turns into a relative one.
    assert data(out_probs) == pytest.approx(probs, rel=1e-12, abs=1e-300)
    assert data(out_logprobs) == pytest.approx(logprobs, rel=1e-14)


def test_gradients_are_finite_for_logits_1000_apart():
    xs = values([0.0, 1000.0, -1000.0])
    (-log_softmax(xs)[0]).backward()
    # softmax - onehot(0) = [0 - 1, 1 - 0, 0 - 0]: finite, no nan from inf - inf
    assert [x.grad for x in xs] == pytest.approx([-1.0, 1.0, 0.0], abs=1e-300)


def test_minus_infinity_masks_a_logit_out_with_zero_gradient():
    # A masked logit (-inf) gets probability e**-inf = 0 and passes no gradient back.
    xs = values([-math.inf, 0.0, math.log(3.0)])
    p = softmax(xs)
    assert data(p) == pytest.approx([0.0, 0.25, 0.75], rel=1e-14)
    (-p[1].log()).backward()
    # -log p1 has gradient p - onehot(1) = [0, 0.25 - 1, 0.75]
    assert [x.grad for x in xs] == pytest.approx([0.0, -0.75, 0.75], rel=1e-14)


def test_softmax_jacobian_by_hand_at_equal_logits():
    # d s_i / d x_j = s_i (delta_ij - s_j); at x = [0, 0], s = [0.5, 0.5]:
    # d s_0 / d x_0 = 0.5 * 0.5 = 0.25,  d s_0 / d x_1 = -0.5 * 0.5 = -0.25
    xs = values([0.0, 0.0])
    softmax(xs)[0].backward()
    assert [x.grad for x in xs] == pytest.approx([0.25, -0.25], rel=1e-15)


# --------------------------------------------------------------------------- structure
def test_logsumexp_is_one_node_with_an_edge_per_input_and_softmax_as_local_gradients():
    xs = values([1.0, 2.0, 3.0])
    lse = logsumexp(xs)
    assert lse.op == "logsumexp"
    assert lse.parents == tuple(xs)
    # d/dx_j logsumexp(x) = e**x_j / sum_i e**x_i = softmax(x)_j
    expected = [math.exp(x) / (E + E**2 + E**3) for x in (1.0, 2.0, 3.0)]
    assert lse.local_grads() == pytest.approx(expected, rel=1e-14)


def test_log_softmax_and_softmax_are_built_from_visible_ops():
    xs = values([1.0, 2.0])
    for x, lp in zip(xs, log_softmax(xs), strict=True):
        # x_i - logsumexp(x): a "-" node whose second parent is the one logsumexp node
        assert lp.op == "-" and lp.parents[0] is x and lp.parents[1].op == "logsumexp"
    for p in softmax(xs):
        # exp(log_softmax(x)_i)
        assert p.op == "exp" and p.parents[0].op == "-"


def test_plain_numbers_are_accepted_as_constant_logits():
    p = softmax([0.0, math.log(3.0)])
    assert all(isinstance(v, Value) for v in p)
    assert data(p) == pytest.approx([0.25, 0.75], rel=1e-14)
    assert logsumexp([0, 0]).data == pytest.approx(math.log(2.0), rel=1e-15)


# --------------------------------------------------------------------------- properties
@given(xs=logits)
def test_softmax_is_a_distribution_for_any_logits(xs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = data(softmax(values(xs)))
        logp = data(log_softmax(values(xs)))
        lse = logsumexp(values(xs)).data
    assert all(0.0 <= q <= 1.0 for q in p)
    assert math.fsum(p) == pytest.approx(1.0, abs=1e-12)
    assert all(math.isfinite(lq) and lq <= 0.0 for lq in logp)
    assert [math.exp(lq) for lq in logp] == pytest.approx(p, rel=1e-12, abs=1e-300)
    # max(x) <= logsumexp(x) <= max(x) + log(n)
    assert max(xs) <= lse <= max(xs) + math.log(len(xs)) + 1e-9 * abs(lse)


@given(xs=logits, shift=st.floats(-1e3, 1e3))
def test_softmax_is_unchanged_by_adding_a_constant_to_every_logit(xs, shift):
    shifted = [x + shift for x in xs]
    assert data(softmax(values(shifted))) == pytest.approx(data(softmax(values(xs))), abs=1e-9)


@given(xs=st.lists(st.floats(-50, 50), min_size=1, max_size=8))
def test_gradient_of_logsumexp_is_softmax(xs):
    vs = values(xs)
    logsumexp(vs).backward()
    p = data(softmax(xs))
    assert [v.grad for v in vs] == pytest.approx(p, rel=1e-12, abs=1e-15)


@given(xs=st.lists(st.floats(-50, 50), min_size=1, max_size=8), data_=st.data())
def test_minus_log_softmax_of_the_target_has_gradient_softmax_minus_onehot(xs, data_):
    target = data_.draw(st.integers(0, len(xs) - 1), label="target")
    vs = values(xs)
    (-log_softmax(vs)[target]).backward()
    p = data(softmax(xs))
    onehot = [1.0 if i == target else 0.0 for i in range(len(xs))]
    expected = [q - t for q, t in zip(p, onehot, strict=True)]
    assert [v.grad for v in vs] == pytest.approx(expected, rel=1e-12, abs=1e-12)


@given(xs=moderate_logits, ws=st.lists(st.floats(-2, 2), min_size=6, max_size=6))
def test_gradients_match_central_differences(xs, ws):
    def weighted(f):
        return lambda *vs: sum(w * out for w, out in zip(ws, f(list(vs)), strict=False))

    inputs = values(xs)
    for f in (
        lambda *vs: logsumexp(list(vs)),
        weighted(softmax),
        weighted(log_softmax),
    ):
        result = gradcheck(f, inputs)
        assert result, str(result)
