"""Where ``nn``'s random numbers come from: one ``Seed`` type and one ``rng_from`` for models, data and training.

A seed is an int (numpy integers too), a ``random.Random`` (used and advanced as is), or None. None
means Python's global ``random`` module, as in micrograd and PyTorch: ``random.seed(1337)`` then
``MLP(2, [16, 16, 1])`` draws exactly micrograd's weights. An int or a ``Random`` never touches the
global state.
"""

from __future__ import annotations

import operator
import random
from typing import Union

#: A seed: an int, a ``random.Random`` that is drawn from (and so advanced), or None for the global ``random``.
Seed = Union[int, random.Random, None]


class _GlobalRandom(random.Random):
    """The global ``random`` module's state behind the ``random.Random`` interface.

    ``uniform``, ``shuffle``, ``choice`` ... are inherited and call ``random()`` / ``getrandbits()``,
    which go to the module-level functions, so ``rng.uniform(-1, 1)`` draws exactly what
    ``random.uniform(-1, 1)`` would. ``gauss`` keeps a cached second value, so it is forwarded too.
    """

    def random(self) -> float:
        """The next float in [0, 1) from the global state."""
        return random.random()

    def getrandbits(self, k: int, /) -> int:
        """``k`` random bits from the global state."""
        return random.getrandbits(k)

    def gauss(self, mu: float = 0.0, sigma: float = 1.0) -> float:
        """A normal draw from the global state (sharing its cached second value)."""
        return random.gauss(mu, sigma)


#: The global ``random`` module as a ``random.Random``; what ``rng_from(None)`` returns.
GLOBAL_RANDOM: random.Random = _GlobalRandom(0)


def rng_from(seed: Seed) -> random.Random:
    """A ``random.Random`` for ``seed``: the object itself, a fresh one seeded with the int, or the global one for None.

    >>> rng_from(3).random() == rng_from(3).random()
    True
    >>> random.seed(5); a = rng_from(None).uniform(-1, 1); random.seed(5); a == random.uniform(-1, 1)
    True
    """
    if seed is None:
        return GLOBAL_RANDOM
    if isinstance(seed, random.Random):
        return seed
    if isinstance(seed, bool):
        raise TypeError(f"seed must be an int, a random.Random or None, got the bool {seed!r}")
    try:
        number = operator.index(seed)  # int, numpy integers, anything that is an integer exactly
    except TypeError:
        raise TypeError(f"seed must be an int, a random.Random or None, got {type(seed).__name__}: {seed!r}") from None
    return random.Random(number)
