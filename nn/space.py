"""What a hyperparameter search tries: the known settings with their defaults, grids and random draws.

>>> grid({"width": [2, 4]})
[{'width': 2}, {'width': 4}]
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Union

from nn.inputs import count
from nn.seeding import Seed, rng_from

__all__ = [
    "DEFAULTS", "OPTIMIZERS", "Choices", "Settings", "Space", "check_fixed", "check_keys", "grid", "log_uniform", "sample",
    "uniform",
]


#: Every hyperparameter a trial understands, with the value a trial uses when the space leaves it out.
DEFAULTS: dict[str, Any] = {
    "layers": 2,  # hidden layers
    "width": 8,  # neurons per hidden layer
    "activation": "relu",
    "init": "uniform",
    "optimizer": "sgd",  # "sgd", "adam" or "adamw"
    "lr": 0.1,
    "momentum": 0.0,  # sgd only
    "nesterov": False,  # sgd only
    "beta1": 0.9,  # adam / adamw only
    "beta2": 0.999,  # adam / adamw only
    "weight_decay": 0.0,
    "batch_size": None,  # None: full batch (gradient descent)
    "epochs": 50,
    "l2": 0.0,
    "patience": None,  # early stopping on the validation loss after this many epochs without improvement
}

OPTIMIZERS = ("sgd", "adam", "adamw")


@dataclass(frozen=True)
class uniform:
    """A random-search range: a float drawn uniformly from [low, high].

    >>> 0.2 <= uniform(0.2, 0.9).sample(random.Random(0)) <= 0.9
    True
    """

    low: float
    high: float

    def sample(self, rng: random.Random) -> float:
        """One draw from ``rng``."""
        return rng.uniform(self.low, self.high)


@dataclass(frozen=True)
class log_uniform:
    """A random-search range for scales such as learning rates: log10 of the value uniform in [log10 low, log10 high].

    >>> 1e-3 <= log_uniform(1e-3, 1.0).sample(random.Random(0)) <= 1.0
    True
    """

    low: float
    high: float

    def __post_init__(self) -> None:
        if not 0.0 < self.low <= self.high:
            raise ValueError(f"log_uniform: need 0 < low <= high, got low={self.low!r}, high={self.high!r}")

    def sample(self, rng: random.Random) -> float:
        """One draw from ``rng``."""
        return float(10.0 ** rng.uniform(math.log10(self.low), math.log10(self.high)))


#: What a space maps each hyperparameter to: the values to try (a list), or a range to sample from.
Choices = Union[Sequence[Any], uniform, log_uniform]
Space = Mapping[str, Choices]
Settings = dict[str, Any]


def check_keys(keys: Iterable[str], where: str) -> None:
    for key in keys:
        if key not in DEFAULTS:
            raise ValueError(f"{where}: unknown hyperparameter {key!r}; known: {', '.join(DEFAULTS)}")


def check_fixed(space: Space, fixed: Mapping[str, Any], where: str) -> None:
    check_keys(fixed, where)
    both = sorted(set(space) & set(fixed))
    if both:
        raise ValueError(f"{where}: {', '.join(map(repr, both))} is both searched over and fixed; give it in one place")


def grid(space: Space) -> list[Settings]:
    """Every combination of the listed values, the first key varying slowest (``itertools.product`` order).

    >>> grid({"width": [4, 8], "lr": [0.1, 1.0]})
    [{'width': 4, 'lr': 0.1}, {'width': 4, 'lr': 1.0}, {'width': 8, 'lr': 0.1}, {'width': 8, 'lr': 1.0}]
    """
    check_keys(space, "grid")
    axes: list[list[Any]] = []
    for key, choices in space.items():
        if isinstance(choices, (uniform, log_uniform)):
            raise ValueError(f"grid: {key!r} is a range ({choices!r}); a grid needs a list of values (or use random search)")
        if isinstance(choices, (str, bytes)) or not isinstance(choices, Sequence) or not choices:
            raise ValueError(f"grid: {key!r} must be a non-empty list of values, got {choices!r}")
        axes.append(list(choices))
    return [dict(zip(space, combo)) for combo in itertools.product(*axes)]


def sample(space: Space, n: int, seed: Seed = 0) -> list[Settings]:
    """``n`` random settings: each key drawn from its range, or uniformly from its list; reproducible from ``seed``.

    >>> space = {"width": [4, 8, 16], "lr": log_uniform(0.01, 1.0)}
    >>> sample(space, 2, seed=0) == sample(space, 2, seed=0)
    True
    """
    check_keys(space, "sample")
    n = count(n, "sample: n", least=1)
    rng = rng_from(seed)
    out: list[Settings] = []
    for _ in range(n):
        settings: Settings = {}
        for key, choices in space.items():
            if isinstance(choices, (uniform, log_uniform)):
                settings[key] = choices.sample(rng)
            elif isinstance(choices, (str, bytes)) or not isinstance(choices, Sequence) or not choices:
                raise ValueError(f"sample: {key!r} must be a non-empty list of values or a range, got {choices!r}")
            else:
                settings[key] = rng.choice(list(choices))
        out.append(settings)
    return out


# ------------------------------------------------------------------------------------- one trial
