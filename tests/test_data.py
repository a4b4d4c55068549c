"""Tests for ``nn.data``: shapes, determinism, labels and geometry of the synthetic data sets, splits and batches."""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nn.data import (
    batches,
    make_circles,
    make_moons,
    make_regression,
    make_sine,
    make_spirals,
    make_xor,
    rng_from,
    signed_labels,
    train_test_split,
)

sizes = st.integers(min_value=0, max_value=60)
seeds = st.integers(min_value=0, max_value=2**32)
noises = st.floats(min_value=0.0, max_value=0.5)


# ------------------------------------------------------------------------------------------ moons


@given(n=sizes, noise=noises, seed=seeds)
def test_moons_shape_and_balanced_labels(n: int, noise: float, seed: int) -> None:
    """make_moons gives n 2-D points, n // 2 of label 0 and the rest label 1, like scikit-learn."""
    X, y = make_moons(n, noise, seed)
    assert len(X) == len(y) == n
    assert all(len(p) == 2 and all(isinstance(c, float) for c in p) for p in X)
    assert Counter(y) == Counter({0: n // 2, 1: n - n // 2}) - Counter()  # Counter() drops zero counts


@given(n=sizes, noise=noises, seed=seeds)
def test_moons_is_deterministic_in_the_seed(n: int, noise: float, seed: int) -> None:
    """The same seed gives the same points, whether passed as an int or as a freshly seeded Random."""
    assert make_moons(n, noise, seed) == make_moons(n, noise, seed) == make_moons(n, noise, random.Random(seed))


def test_moons_seeds_differ() -> None:
    """Different seeds give different noisy data sets."""
    assert make_moons(50, 0.1, 1) != make_moons(50, 0.1, 2)


def test_generators_leave_the_global_random_state_alone() -> None:
    """No generator draws from (or reseeds) Python's global random state."""
    random.seed(1234)
    expected = random.random()
    random.seed(1234)
    make_moons(30, 0.2, 5)
    make_circles(30, 0.2, 5)
    make_xor(30, 0.2, 5)
    make_spirals(30, 0.2, 5)
    make_sine(30, 0.2, 5)
    train_test_split(list(range(30)), list(range(30)), 0.3, 5)
    list(batches(list(range(30)), list(range(30)), 4, 5))
    assert random.random() == expected


@given(n=st.integers(min_value=0, max_value=80), seed=seeds)
def test_moons_without_noise_lie_exactly_on_the_arcs(n: int, seed: int) -> None:
    """With noise=0 every outer point is on the upper unit half circle and every inner point on its shifted mirror."""
    X, y = make_moons(n, 0.0, seed)
    for (a, b), label in zip(X, y):
        if label == 0:
            assert math.isclose(a * a + b * b, 1.0, abs_tol=1e-12) and b >= -1e-12
        else:
            assert math.isclose((1 - a) ** 2 + (0.5 - b) ** 2, 1.0, abs_tol=1e-12) and b <= 0.5 + 1e-12


@given(n=st.integers(min_value=2, max_value=80))
def test_moons_angles_are_evenly_spaced_over_zero_to_pi(n: int) -> None:
    """Unshuffled, the outer moon's angles are numpy.linspace(0, π, n // 2): the ends at 0 and π, even steps."""
    X, _ = make_moons(2 * n, 0.0, 0, shuffle=False)
    angles = [math.atan2(b, a) for a, b in X[:n]]
    angles[-1] = abs(angles[-1])  # sin(π) is 1.2e-16, so atan2 may land on -π
    assert math.isclose(angles[0], 0.0, abs_tol=1e-12) and math.isclose(angles[-1], math.pi, abs_tol=1e-12)
    steps = [b - a for a, b in itertools.pairwise(angles)]
    assert all(math.isclose(s, math.pi / (n - 1), abs_tol=1e-9) for s in steps)


@given(n=st.integers(min_value=1, max_value=80), noise=st.floats(min_value=0.0, max_value=0.2), seed=seeds)
def test_moons_points_stay_within_the_known_bounds(n: int, noise: float, seed: int) -> None:
    """Points lie in [-1, 2] x [-0.5, 1] widened by 6 standard deviations of noise (a 1-in-10^8 event per coordinate)."""
    X, _ = make_moons(n, noise, seed)
    pad = 6 * noise + 1e-12
    assert all(-1 - pad <= a <= 2 + pad and -0.5 - pad <= b <= 1 + pad for a, b in X)


def test_moons_noise_has_the_requested_spread() -> None:
    """The distance of noisy points from the noise-free ones has standard deviation ≈ noise per coordinate."""
    clean, _ = make_moons(4000, 0.0, 9)
    noisy, _ = make_moons(4000, 0.3, 9)  # same seed, so the same shuffle; noise is drawn after it
    deltas = [n - c for p, q in zip(noisy, clean) for n, c in zip(p, q)]
    mean = sum(deltas) / len(deltas)
    std = math.sqrt(sum((d - mean) ** 2 for d in deltas) / len(deltas))
    assert abs(mean) < 0.02 and abs(std - 0.3) < 0.02


@given(n=sizes, seed=seeds)
def test_signed_moons_are_the_zero_one_labels_mapped_to_plus_minus_one(n: int, seed: int) -> None:
    """signed=True gives exactly 2·label - 1 for the same points."""
    X0, y0 = make_moons(n, 0.1, seed)
    X1, y1 = make_moons(n, 0.1, seed, signed=True)
    assert X0 == X1 and y1 == [2 * t - 1 for t in y0] and set(y1) <= {-1, 1}


def test_signed_labels_rejects_other_labels() -> None:
    """signed_labels names the label it cannot map."""
    with pytest.raises(ValueError, match="got 2"):
        signed_labels([0, 1, 2])


@pytest.mark.parametrize("bad", [-1, 1.5, True])
def test_bad_sizes_are_rejected(bad: object) -> None:
    """A negative, fractional or boolean number of points raises ValueError naming the generator."""
    with pytest.raises(ValueError, match="make_moons"):
        make_moons(bad, 0.1, 0)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [-0.1, math.nan])
def test_bad_noise_is_rejected(bad: float) -> None:
    """Negative or NaN noise raises ValueError."""
    with pytest.raises(ValueError, match="noise"):
        make_circles(10, bad, 0)


@pytest.mark.parametrize("bad", [1.5, "1", True])
def test_bad_seed_is_rejected(bad: object) -> None:
    """A seed that is neither an int, a Random nor None raises TypeError naming it."""
    with pytest.raises(TypeError, match="seed"):
        make_moons(10, seed=bad)  # type: ignore[arg-type]


def test_seed_none_draws_from_the_global_random() -> None:
    """seed=None means Python's global random, as for models: random.seed makes it reproducible."""
    state = random.getstate()
    try:
        random.seed(3)
        first = make_moons(20, noise=0.1, seed=None)
        random.seed(3)
        assert make_moons(20, noise=0.1, seed=None) == first
        assert rng_from(None).random() != rng_from(None).random()
    finally:
        random.setstate(state)


# ---------------------------------------------------------------------------------- other sets


@given(n=sizes, seed=seeds, factor=st.floats(min_value=0.0, max_value=0.95))
def test_circles_without_noise_lie_on_two_circles(n: int, seed: int, factor: float) -> None:
    """With noise=0, label 0 points have radius 1 and label 1 points radius factor; n // 2 are outer."""
    X, y = make_circles(n, 0.0, seed, factor=factor)
    assert len(X) == n and y.count(0) == n // 2
    for (a, b), label in zip(X, y):
        assert math.isclose(math.hypot(a, b), 1.0 if label == 0 else factor, abs_tol=1e-12)


@given(n=sizes, seed=seeds)
def test_xor_labels_are_the_xor_of_the_signs(n: int, seed: int) -> None:
    """Without noise, label 1 exactly where the two coordinates have different signs; points lie in [-1, 1]²."""
    X, y = make_xor(n, 0.0, seed)
    assert len(X) == n
    for (a, b), label in zip(X, y):
        assert -1 <= a <= 1 and -1 <= b <= 1
        assert label == int((a > 0) != (b > 0))
    assert make_xor(n, 0.0, seed, signed=True)[1] == signed_labels(y)


@given(n=sizes, seed=seeds, classes=st.integers(min_value=1, max_value=5))
def test_spirals_have_balanced_classes_within_the_unit_disc(n: int, seed: int, classes: int) -> None:
    """Class sizes differ by at most one, labels are 0..classes-1, noise-free points lie in the unit disc."""
    X, y = make_spirals(n, 0.0, seed, classes=classes)
    counts = [y.count(k) for k in range(classes)]
    assert len(X) == n and sum(counts) == n and max(counts) - min(counts) <= 1
    assert all(math.hypot(a, b) <= 1 + 1e-12 for a, b in X)


def test_spiral_arms_are_rotated_copies() -> None:
    """Arm k is arm 0 rotated by 2πk/classes: the same radii, angles shifted by that amount."""
    X, y = make_spirals(30, 0.0, 0, classes=3, shuffle=False)
    arm0 = [p for p, k in zip(X, y) if k == 0]
    arm2 = [p for p, k in zip(X, y) if k == 2]
    turn = 2 * math.pi * 2 / 3
    for (a, b), (c, d) in zip(arm0, arm2):
        assert math.isclose(a * math.cos(turn) - b * math.sin(turn), c, abs_tol=1e-12)
        assert math.isclose(a * math.sin(turn) + b * math.cos(turn), d, abs_tol=1e-12)


@given(n=sizes, seed=seeds, nin=st.integers(min_value=1, max_value=4))
def test_regression_targets_are_the_function_of_points_in_the_box(n: int, seed: int, nin: int) -> None:
    """Without noise, targets equal fn(point) and every coordinate lies in [low, high]."""
    X, y = make_regression(lambda p: sum(c * c for c in p), n, nin=nin, low=-2.0, high=3.0, seed=seed)
    assert len(X) == len(y) == n
    for p, t in zip(X, y):
        assert len(p) == nin and all(-2.0 <= c <= 3.0 for c in p)
        assert t == sum(c * c for c in p)


@given(n=sizes, seed=seeds)
def test_sine_is_one_input_in_minus_pi_to_pi(n: int, seed: int) -> None:
    """make_sine gives points [x] with x in [-π, π] and noise-free targets sin(x)."""
    X, y = make_sine(n, 0.0, seed)
    assert all(len(p) == 1 and -math.pi <= p[0] <= math.pi and t == math.sin(p[0]) for p, t in zip(X, y))


# ----------------------------------------------------------------------------- split and batches


@given(n=st.integers(min_value=2, max_value=200), fraction=st.floats(min_value=0.01, max_value=0.99), seed=seeds)
def test_split_is_a_partition_of_ceil_fraction_test_samples(n: int, fraction: float, seed: int) -> None:
    """Train and test together are the data, exactly once each, pairs kept together; test has ceil(fraction·n)."""
    X = [[float(i)] for i in range(n)]
    y = list(range(n))
    if math.ceil(fraction * n) >= n:
        with pytest.raises(ValueError, match="no training samples"):
            train_test_split(X, y, fraction, seed)
        return
    X_train, X_test, y_train, y_test = train_test_split(X, y, fraction, seed)
    assert len(X_test) == len(y_test) == math.ceil(fraction * n)
    assert sorted(y_train + y_test) == y
    assert all(p == [float(t)] for p, t in zip(X_train + X_test, y_train + y_test))
    assert train_test_split(X, y, fraction, seed) == (X_train, X_test, y_train, y_test)


def test_split_shuffles() -> None:
    """The test set is a random sample, not the tail of the data."""
    y = list(range(100))
    _, _, _, y_test = train_test_split(y, y, 0.2, seed=0)
    assert y_test != y[-20:] and sorted(y_test) != y[-20:]


def test_split_rejects_mismatched_lengths_and_bad_fractions() -> None:
    """Different numbers of inputs and labels, or a fraction outside (0, 1), raise ValueError."""
    with pytest.raises(ValueError, match="3 inputs but 2 labels"):
        train_test_split([1, 2, 3], [1, 2], 0.5)
    with pytest.raises(ValueError, match="test_fraction"):
        train_test_split([1, 2, 3], [1, 2, 3], 1.0)


@given(n=st.integers(min_value=0, max_value=100), size=st.integers(min_value=1, max_value=30), seed=seeds)
def test_batches_cover_every_sample_once_in_full_batches(n: int, size: int, seed: int) -> None:
    """One pass yields every (x, y) pair exactly once, in batches of `size` except possibly a smaller last one."""
    X = [[float(i)] for i in range(n)]
    y = list(range(n))
    got = list(batches(X, y, size, seed))
    assert [len(bx) for bx, _ in got] == [len(by) for _, by in got]
    assert all(len(by) == size for _, by in got[:-1]) and all(0 < len(by) <= size for _, by in got)
    assert sorted(t for _, by in got for t in by) == y
    assert all(p == [float(t)] for bx, by in got for p, t in zip(bx, by))
    assert list(batches(X, y, size, seed)) == got


def test_batches_reshuffle_each_epoch_from_one_random() -> None:
    """Passing the same Random on each epoch gives different orders, reproducible from the first seed."""
    y = list(range(50))

    def two_epochs(seed: int) -> list[list[int]]:
        rng = random.Random(seed)
        return [[t for _, by in batches(y, y, 10, rng) for t in by] for _ in range(2)]

    first, second = two_epochs(3)
    assert first != second and two_epochs(3) == [first, second]


def test_batches_without_shuffle_keep_the_order() -> None:
    """shuffle=False yields the data in its own order."""
    y = list(range(7))
    assert [by for _, by in batches(y, y, 3, shuffle=False)] == [[0, 1, 2], [3, 4, 5], [6]]


def test_batches_reject_a_bad_size() -> None:
    """A batch size below 1 raises ValueError."""
    with pytest.raises(ValueError, match="size"):
        list(batches([1], [1], 0))


def test_numpy_integers_are_accepted_for_sizes_and_seeds() -> None:
    """make_moons(np.int64(n), seed=np.int64(1)), spirals' classes and batch sizes accept numpy integers like ints."""
    import numpy as np

    assert make_moons(np.int64(10), seed=np.int64(1)) == make_moons(10, seed=1)
    assert make_spirals(np.int32(6), classes=np.int64(3), seed=np.int64(0)) == make_spirals(6, classes=3, seed=0)
    first = make_regression(lambda p: p[0], np.int64(3), nin=np.int64(2), seed=0)
    assert first == make_regression(lambda p: p[0], 3, nin=2, seed=0)
    X, y = make_xor(5, seed=0)
    assert list(batches(X, y, size=np.int64(2), seed=np.int64(3))) == list(batches(X, y, size=2, seed=3))
