"""Small synthetic data sets, generated in code from a seed: moons, circles, XOR, spirals, regression.

Every generator takes ``seed`` (an int or a ``random.Random``; see ``nn.seeding``) and draws only
from that generator, never from the global random state, so the same call gives the same points
on every run and on every machine. ``seed=None`` draws from Python's global ``random`` instead.
Points are plain lists of floats (no numpy needed); labels are ints (classes) or floats
(regression targets).
"""

from __future__ import annotations

import math
import operator
import random
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

# rng_from and Seed live in nn.seeding (one home for models, data and training); re-exported here
# for callers that import them from nn.data.
from nn.seeding import Seed as Seed
from nn.seeding import rng_from as rng_from

#: Inputs as a list of points, each point a list of floats.
Points = list[list[float]]

X_ = TypeVar("X_")
Y_ = TypeVar("Y_")


def _linspace(start: float, stop: float, n: int, *, endpoint: bool = True) -> list[float]:
    """numpy's ``linspace``: ``n`` evenly spaced numbers from ``start`` to ``stop``."""
    if n <= 1:
        return [start][:n]
    step = (stop - start) / ((n - 1) if endpoint else n)
    return [start + i * step for i in range(n)]


def _as_int(value: object, minimum: int) -> int | None:
    """``value`` as a plain int if it is an integer (numpy integers too, not bools) >= ``minimum``, else None."""
    if isinstance(value, bool):
        return None
    try:
        number = operator.index(value)  # type: ignore[arg-type]  # None below if it has no __index__
    except TypeError:
        return None
    return number if number >= minimum else None


def _check_n(n: int, where: str) -> int:
    checked = _as_int(n, 0)
    if checked is None:
        raise ValueError(f"{where}: the number of points must be an int >= 0, got {n!r}")
    return checked


def _check_noise(noise: float, where: str) -> None:
    if not noise >= 0.0:  # also rejects NaN
        raise ValueError(f"{where}: noise is a standard deviation and must be >= 0, got {noise!r}")


def _finish(points: Points, labels: list[int], noise: float, rng: random.Random, shuffle: bool) -> tuple[Points, list[int]]:
    """Shuffle the points (with their labels), then add gaussian noise to every coordinate, as scikit-learn does."""
    if shuffle:
        order = list(range(len(points)))
        rng.shuffle(order)
        points = [points[i] for i in order]
        labels = [labels[i] for i in order]
    if noise > 0.0:
        points = [[c + rng.gauss(0.0, noise) for c in p] for p in points]
    return points, labels


def signed_labels(labels: Sequence[int]) -> list[int]:
    """Map class labels 0/1 to -1/+1, the labels a hinge (max-margin) loss wants, as in micrograd's demo.

    >>> signed_labels([0, 1, 1])
    [-1, 1, 1]
    """
    out = []
    for label in labels:
        if label not in (0, 1):
            raise ValueError(f"signed_labels: expected labels 0 or 1, got {label!r}")
        out.append(2 * label - 1)
    return out


def make_moons(
    n: int = 100, noise: float = 0.0, seed: Seed = 0, *, signed: bool = False, shuffle: bool = True
) -> tuple[Points, list[int]]:
    """Two interleaving half circles, as scikit-learn's ``make_moons``: ``n`` points, labels 0/1 (-1/+1 if ``signed``).

    The outer moon (label 0, ``n // 2`` points) is (cos t, sin t) and the inner moon (label 1,
    the rest) is (1 - cos t, 1 - sin t - 0.5), with t evenly spaced in [0, π]; then the points
    are shuffled and gaussian noise of standard deviation ``noise`` is added to each coordinate.

    >>> X, y = make_moons(4, noise=0.0, shuffle=False)
    >>> [[round(c, 3) for c in p] for p in X], y
    ([[1.0, 0.0], [-1.0, 0.0], [0.0, 0.5], [2.0, 0.5]], [0, 0, 1, 1])
    >>> make_moons(4, signed=True, shuffle=False)[1]
    [-1, -1, 1, 1]
    """
    n = _check_n(n, "make_moons")
    _check_noise(noise, "make_moons")
    rng = rng_from(seed)
    n_out = n // 2
    n_in = n - n_out
    outer = [[math.cos(t), math.sin(t)] for t in _linspace(0.0, math.pi, n_out)]
    inner = [[1.0 - math.cos(t), 1.0 - math.sin(t) - 0.5] for t in _linspace(0.0, math.pi, n_in)]
    X, y = _finish(outer + inner, [0] * n_out + [1] * n_in, noise, rng, shuffle)
    return X, signed_labels(y) if signed else y


def make_circles(
    n: int = 100, noise: float = 0.0, seed: Seed = 0, *, factor: float = 0.8, signed: bool = False, shuffle: bool = True
) -> tuple[Points, list[int]]:
    """A circle inside a circle, as scikit-learn's ``make_circles``: outer radius 1 (label 0), inner radius ``factor`` (label 1).

    >>> X, y = make_circles(4, factor=0.5, shuffle=False)
    >>> [[round(c, 3) + 0.0 for c in p] for p in X], y
    ([[1.0, 0.0], [-1.0, 0.0], [0.5, 0.0], [-0.5, 0.0]], [0, 0, 1, 1])
    """
    n = _check_n(n, "make_circles")
    _check_noise(noise, "make_circles")
    if not 0.0 <= factor < 1.0:
        raise ValueError(f"make_circles: factor (inner radius / outer radius) must be in [0, 1), got {factor!r}")
    rng = rng_from(seed)
    n_out = n // 2
    n_in = n - n_out
    outer = [[math.cos(t), math.sin(t)] for t in _linspace(0.0, 2 * math.pi, n_out, endpoint=False)]
    inner = [[factor * math.cos(t), factor * math.sin(t)] for t in _linspace(0.0, 2 * math.pi, n_in, endpoint=False)]
    X, y = _finish(outer + inner, [0] * n_out + [1] * n_in, noise, rng, shuffle)
    return X, signed_labels(y) if signed else y


def make_xor(n: int = 100, noise: float = 0.0, seed: Seed = 0, *, signed: bool = False) -> tuple[Points, list[int]]:
    """Points uniform in the square [-1, 1]², labelled 1 where exactly one coordinate is positive (XOR of the signs).

    The label is taken before the noise is added, so with noise some points cross the axes.

    >>> X, y = make_xor(200, seed=1)
    >>> all(label == int((p[0] > 0) != (p[1] > 0)) for p, label in zip(X, y))
    True
    """
    n = _check_n(n, "make_xor")
    _check_noise(noise, "make_xor")
    rng = rng_from(seed)
    points = [[rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0)] for _ in range(n)]
    labels = [int((x > 0) != (y > 0)) for x, y in points]
    X, y = _finish(points, labels, noise, rng, shuffle=False)
    return X, signed_labels(y) if signed else y


def make_spirals(
    n: int = 100, noise: float = 0.0, seed: Seed = 0, *, classes: int = 2, turns: float = 1.0, shuffle: bool = True
) -> tuple[Points, list[int]]:
    """``classes`` interleaved spiral arms (CS231n's spiral set), labels 0 … classes-1; a multi-class problem.

    Arm ``k`` holds about ``n / classes`` points at radius r evenly spaced in [0, 1] and angle
    2π·(turns·r + k / classes), so the arms are rotated copies of one another.

    >>> X, y = make_spirals(6, classes=3, shuffle=False)
    >>> y
    [0, 0, 1, 1, 2, 2]
    """
    n = _check_n(n, "make_spirals")
    _check_noise(noise, "make_spirals")
    checked_classes = _as_int(classes, 1)
    if checked_classes is None:
        raise ValueError(f"make_spirals: classes must be an int >= 1, got {classes!r}")
    classes = checked_classes
    rng = rng_from(seed)
    points: Points = []
    labels: list[int] = []
    for k in range(classes):
        size = n // classes + (1 if k < n % classes else 0)
        for r in _linspace(0.0, 1.0, size):
            angle = 2 * math.pi * (turns * r + k / classes)
            points.append([r * math.cos(angle), r * math.sin(angle)])
            labels.append(k)
    return _finish(points, labels, noise, rng, shuffle)


def make_regression(
    fn: Callable[[list[float]], float],
    n: int = 100,
    *,
    nin: int = 1,
    low: float = -1.0,
    high: float = 1.0,
    noise: float = 0.0,
    seed: Seed = 0,
) -> tuple[Points, list[float]]:
    """Samples of a function of ``nin`` inputs: points uniform in [low, high]^nin, targets fn(point) + gaussian noise.

    >>> X, y = make_regression(lambda p: p[0] + 2 * p[1], 3, nin=2, seed=0)
    >>> all(abs(t - (p[0] + 2 * p[1])) < 1e-12 for p, t in zip(X, y))
    True
    """
    n = _check_n(n, "make_regression")
    _check_noise(noise, "make_regression")
    checked_nin = _as_int(nin, 1)
    if checked_nin is None:
        raise ValueError(f"make_regression: nin must be an int >= 1, got {nin!r}")
    nin = checked_nin
    if not high > low:
        raise ValueError(f"make_regression: need low < high, got low={low!r}, high={high!r}")
    rng = rng_from(seed)
    X = [[rng.uniform(low, high) for _ in range(nin)] for _ in range(n)]
    y = [float(fn(p)) for p in X]
    if noise > 0.0:
        y = [t + rng.gauss(0.0, noise) for t in y]
    return X, y


def make_sine(n: int = 100, noise: float = 0.0, seed: Seed = 0) -> tuple[Points, list[float]]:
    """A 1-D regression set: x uniform in [-π, π], target sin(x) plus gaussian noise; each point is ``[x]``.

    >>> X, y = make_sine(5, seed=0)
    >>> all(len(p) == 1 and abs(t - math.sin(p[0])) < 1e-12 for p, t in zip(X, y))
    True
    """
    return make_regression(lambda p: math.sin(p[0]), n, nin=1, low=-math.pi, high=math.pi, noise=noise, seed=seed)


def train_test_split(
    X: Sequence[X_], y: Sequence[Y_], test_fraction: float = 0.25, seed: Seed = 0
) -> tuple[list[X_], list[X_], list[Y_], list[Y_]]:
    """Shuffle and split into ``(X_train, X_test, y_train, y_test)``, scikit-learn's order; ceil(fraction·n) go to test.

    >>> X_train, X_test, y_train, y_test = train_test_split([[0.0], [1.0], [2.0], [3.0]], [0, 1, 2, 3], 0.25, seed=0)
    >>> len(X_train), len(X_test), sorted(y_train + y_test)
    (3, 1, [0, 1, 2, 3])
    """
    if len(X) != len(y):
        raise ValueError(f"train_test_split: {len(X)} inputs but {len(y)} labels")
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"train_test_split: test_fraction must be strictly between 0 and 1, got {test_fraction!r}")
    n = len(X)
    n_test = math.ceil(test_fraction * n)
    if n_test >= n:
        raise ValueError(f"train_test_split: {n} samples with test_fraction={test_fraction} leave no training samples")
    order = list(range(n))
    rng_from(seed).shuffle(order)
    test, train = order[:n_test], order[n_test:]
    return [X[i] for i in train], [X[i] for i in test], [y[i] for i in train], [y[i] for i in test]


def batches(
    X: Sequence[X_], y: Sequence[Y_], size: int, seed: Seed = 0, shuffle: bool = True
) -> Iterator[tuple[list[X_], list[Y_]]]:
    """One pass over the data in mini-batches of ``size`` (the last may be smaller), in a seeded random order.

    Pass the same ``random.Random`` on every epoch to get a fresh order each time that is still
    reproducible from the first seed.

    >>> [b for _, b in batches([[0.0], [1.0], [2.0]], [0, 1, 2], size=2, shuffle=False)]
    [[0, 1], [2]]
    """
    if len(X) != len(y):
        raise ValueError(f"batches: {len(X)} inputs but {len(y)} labels")
    checked_size = _as_int(size, 1)
    if checked_size is None:
        raise ValueError(f"batches: size must be an int >= 1, got {size!r}")
    size = checked_size
    order = list(range(len(X)))
    if shuffle:
        rng_from(seed).shuffle(order)
    for start in range(0, len(order), size):
        chunk = order[start : start + size]
        yield [X[i] for i in chunk], [y[i] for i in chunk]
