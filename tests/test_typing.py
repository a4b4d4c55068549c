"""A user's training loop, written the obvious micrograd way, type-checks under the real ``mypy --strict``.

What passes and what does not (and why) is pinned here, so the README's typing note stays true:

* ``p.data -= lr * p.grad``: ``grad`` is always a float (create_graph gradients are ``grad_value``).
* ``neuron(x).relu()``, ``(1 + -y * score).relu()``, ``loss.backward()``, ``vsum(losses).backward()``
  and ``sum(losses, Value(0.0)).backward()`` pass.
* ``sum(losses).backward()`` does not on its own: typeshed types ``sum(iterable)`` as
  ``T | Literal[0]`` (the empty sum is the int 0). With ``plugins = autograd.mypy_plugin`` in the
  user's mypy configuration it does; without it, write ``vsum(losses)`` (one node, and typed
  ``Value``) or ``sum(losses, Value(0.0))``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow  # the real mypy analyses autograd and nn: several seconds

HEADER = """\
import random

from autograd import Value, vsum
from nn import MLP, Neuron

random.seed(1337)
xs = [[2.0, 3.0], [3.0, -1.0], [0.5, 1.0], [1.0, 1.0]]
ys = [1.0, -1.0, -1.0, 1.0]
"""

#: The loop as people write it, on a model whose call is typed ``Value`` (a Neuron).
NEURON_LOOP = HEADER + """
neuron = Neuron(2)
for k in range(5):
    scores = [neuron(x) for x in xs]
    losses = [(1 + -yi * s).relu() for s, yi in zip(scores, ys)]
    loss = vsum(losses) * (1.0 / len(losses))
    neuron.zero_grad()
    loss.backward()
    for p in neuron.parameters():
        p.data -= 0.05 * p.grad
total = sum(losses, Value(0.0))
total.backward()
print(loss.data, total.item(), float(total), neuron(xs[0]).tanh().data)
"""

#: The same with the int-started sum: typeshed's ``sum`` makes it ``Value | Literal[0]``.
PLAIN_SUM = HEADER + """
neuron = Neuron(2)
losses = [(1 + -yi * neuron(x)).relu() for x, yi in zip(xs, ys)]
sum(losses).backward()
"""

#: The micrograd loop on an MLP: ``model(x)`` must be typed ``Value`` for a one-output MLP (nn's typing).
MLP_LOOP = HEADER + """
model = MLP(2, [16, 16, 1])
for k in range(3):
    losses = [(1 + -yi * model(x)).relu() for x, yi in zip(xs, ys)]
    loss = vsum(losses)
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data -= 0.05 * p.grad
"""


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mypy cache for this module's runs, so autograd and nn are analysed once."""
    return tmp_path_factory.mktemp("mypy-cache")


def mypy(tmp_path: Path, cache: Path, *, plugin: bool = False, **scripts: str) -> dict[str, list[str]]:
    """Run the real mypy --strict once over the scripts (with autograd's plugin if asked); each script's error lines, by name."""
    for name, text in scripts.items():
        (tmp_path / f"{name}.py").write_text(text, encoding="utf-8")
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\n" + ("plugins = autograd.mypy_plugin\n" if plugin else ""), encoding="utf-8")
    # PYTHONPATH: mypy imports a plugin as a Python module, from its own sys.path.
    env = {**os.environ, "MYPYPATH": str(ROOT), "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "mypy", "--strict", "--config-file", str(config), "--cache-dir", str(cache)]
    command += [f"{n}.py" for n in scripts]
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
    errors: dict[str, list[str]] = {name: [] for name in scripts}
    for line in result.stdout.splitlines():
        name = line.split(".py:", 1)[0]
        if name in errors and ": error:" in line:
            errors[name].append(line)
    assert result.returncode in (0, 1), result.stdout + result.stderr
    return errors


def test_micrograd_style_loop_type_checks_and_sum_without_start_does_not(tmp_path: Path, cache: Path) -> None:
    """The obvious loop passes mypy --strict; sum(losses).backward() fails only on typeshed's Literal[0]."""
    errors = mypy(tmp_path, cache, neuron_loop=NEURON_LOOP, plain_sum=PLAIN_SUM)
    assert errors["neuron_loop"] == []
    (only,) = errors["plain_sum"]
    assert 'Item "int" of "Value | Literal[0]" has no attribute "backward"' in only
    # And the checked script really runs.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "neuron_loop.py"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def test_micrograd_loop_on_an_mlp_type_checks(tmp_path: Path, cache: Path) -> None:
    """model(x).relu() on MLP(2, [16, 16, 1]) type-checks once nn types a one-output call as Value."""
    assert mypy(tmp_path, cache, mlp_loop=MLP_LOOP)["mlp_loop"] == []


def test_with_the_plugin_sum_of_values_is_a_value(tmp_path: Path) -> None:
    """plugins = autograd.mypy_plugin: micrograd's sum(losses).backward() passes mypy --strict; other sums keep their types."""
    other_sums = HEADER + """
ints: int = sum([1, 2, 3])
floats: float = sum([0.5, 1.5])
started = sum([Value(1.0), Value(2.0)], Value(0.0))
started.backward()
"""
    errors = mypy(tmp_path, tmp_path / "cache", plugin=True, plain_sum=PLAIN_SUM, other_sums=other_sums)
    assert errors == {"plain_sum": [], "other_sums": []}
