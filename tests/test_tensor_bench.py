"""The benchmark's Tensor step computes what the textbook equations compute (no timing here).

bench/tensor.py times gradflow's Tensor engine against a hand-written NumPy MLP step (the
backprop equations BP1-BP4, no autodiff). Those two must agree on the loss, on every gradient
and on the parameters after an SGD step, or the timings compare different work.
"""

import numpy as np
import pytest

import bench.tensor as bench_tensor
from bench.tensor import (
    BareNodes,
    GradflowTensor,
    HandNumpy,
    Tape,
    check_agreement,
    make_problem,
    more_inputs,
    pooled,
    ratio,
    ratios,
    run_steps,
    set_ratios,
    targets,
    time_sets,
)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_engine_gradients_equal_the_textbook_backprop_equations(dtype):
    params, X, y = make_problem(batch=16, dtype=dtype, seed=3)
    hand, engine = HandNumpy(params, X, y), GradflowTensor(params, X, y)
    for impl in (hand, engine):
        impl.forward()
        impl.backward()
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    assert engine.loss.item() == pytest.approx(float(hand.loss), rel=rtol)
    for mine, textbook in zip(engine.gradients(), hand.gradients(), strict=True):
        assert mine.dtype == dtype and mine.shape == textbook.shape
        np.testing.assert_allclose(mine, textbook, rtol=rtol, atol=rtol * 1e-3)
    hand.update()
    engine.update()
    for p, q in zip(engine.params, hand.params, strict=True):
        np.testing.assert_allclose(p.data, q, rtol=rtol, atol=rtol * 1e-3)


def test_check_agreement_runs_without_pytorch():
    check_agreement(batch=8, dtype=np.float64)  # raises AssertionError on any disagreement


@pytest.mark.parametrize("floor", [Tape, BareNodes])
@pytest.mark.parametrize("batch", [1, 16])  # 16 x 128 takes the bitwise select
def test_the_floors_compute_the_textbook_gradients(floor, batch):
    params, X, y = make_problem(batch=batch, dtype=np.float64, seed=5)
    hand, mine = HandNumpy(params, X, y), floor(params, X, y)
    for impl in (hand, mine):
        impl.forward()
        impl.backward()
    assert mine.loss.item() == pytest.approx(float(hand.loss), rel=1e-12)
    for got, textbook in zip(mine.gradients(), hand.gradients(), strict=True):
        np.testing.assert_allclose(got, textbook, rtol=1e-12, atol=1e-15)
    hand.update()
    mine.update()
    mine.forward()  # the second step starts from the updated weights
    hand.forward()
    assert mine.loss.item() == pytest.approx(float(hand.loss), rel=1e-12)


def test_each_step_takes_the_next_batch_and_all_agree_on_every_batch():
    params, X, y = make_problem(batch=16, dtype=np.float64, seed=6)
    inputs = more_inputs(X, 3)
    assert inputs[0] is X and len(inputs) == 3
    assert all(b.shape == X.shape and b.dtype == X.dtype for b in inputs)
    assert not np.array_equal(inputs[1], inputs[2])
    impls = [cls(params, X, y) for cls in (HandNumpy, GradflowTensor, Tape, BareNodes)]
    for batch in inputs[1:]:  # a batch other than the one they were made with
        for impl in impls:
            impl.X = impl.as_input(batch)
            impl.forward()
            impl.backward()
        textbook = impls[0].gradients()
        for impl in impls[1:]:
            for mine, expected in zip(impl.gradients(), textbook, strict=True):
                np.testing.assert_allclose(mine, expected, rtol=1e-12, atol=1e-15)
        for impl in impls:
            impl.update()


def test_the_steps_of_a_round_go_through_the_batches_in_turn():
    params, X, y = make_problem(batch=4, dtype=np.float64, seed=7)
    seen = []

    class Recording(HandNumpy):
        name = "recording"

        def forward(self):
            seen.append(self.X)
            super().forward()

    inputs = more_inputs(X, 3)
    run_steps(Recording(params, X, y), inputs, 7)
    assert [next(i for i, b in enumerate(inputs) if b is x) for x in seen] == [0, 1, 2, 0, 1, 2, 0]


def rounds_of(steps):
    """Rounds as time_steps gives them, from {name: [seconds per step, one per round]}."""
    return {
        name: [{"step": t, "forward": t / 2, "backward": t / 2} for t in times]
        for name, times in steps.items()
    }


def test_ratios_pair_each_round_with_itself_and_pooled_sets_keep_every_round():
    first = rounds_of({"tensor": [3.0, 2.0], "numpy": [2.0, 2.0]})
    second = rounds_of({"tensor": [6.0], "numpy": [4.0]})
    assert ratios(first, "tensor", "numpy") == [1.5, 1.0]
    both = pooled([first, second])
    assert ratios(both, "tensor", "numpy") == [1.5, 1.0, 1.5]
    assert ratio(both, "tensor", "numpy") == 1.5  # the median over all three rounds


def test_time_sets_times_new_implementations_for_each_set(monkeypatch):
    calls = []

    def fake_time_steps(impls, inputs):  # records what each set was given, times nothing
        calls.append((impls, inputs))
        return rounds_of({impl.name: [1.0] for impl in impls})

    monkeypatch.setattr(bench_tensor, "time_steps", fake_time_steps)
    sets = time_sets(4, np.float64, 3)
    assert len(sets) == 3 and len(calls) == 3
    made = [id(impl) for impls, _ in calls for impl in impls]
    assert len(set(made)) == len(made)  # no implementation is timed in two sets
    assert all(inputs is calls[0][1] and len(inputs) == bench_tensor.INPUTS for _, inputs in calls)


@pytest.mark.parametrize(
    ("per_set", "verdict", "count"),
    [
        ([1.25, 1.32, 1.34, 1.29], "MISSED", "2 of 4 met"),  # median (1.29 + 1.32) / 2 = 1.305
        ([1.31, 1.28, 1.27, 1.33], "met   ", "2 of 4 met"),  # median (1.28 + 1.31) / 2 = 1.295
    ],
)
def test_a_ratio_target_is_judged_on_the_median_of_the_sets(per_set, verdict, count):
    # one round per set, numpy taking 1 s: each set's tensor/numpy ratio is its tensor time
    sets = [rounds_of({"tensor": [r], "numpy": [1.0]}) for r in per_set]
    middle, each = set_ratios(sets)
    assert each == per_set and middle == pytest.approx(np.median(per_set))
    found = {"ratio": middle, "sets": each, "bwd/fwd": 1.4, "tensor/torch": 0.5}
    line = targets(32, "float64", found)[0]
    assert line.startswith(verdict) and "tensor/numpy" in line
    assert count in line and " ".join(f"{r:.2f}" for r in per_set) in line
    assert all("tensor/numpy" not in x for x in targets(256, "float64", found))  # no target
