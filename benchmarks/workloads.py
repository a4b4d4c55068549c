"""The timed workloads, one setup function per engine; each returns a ``step()`` callable and its node count.

Every engine runs micrograd's demo step: ``MLP(2, [16, 16, 1])`` on 100 two-moons points (noise
0.1, labels ±1), loss mean(relu(1 − y·score)) + 1e-4·Σp², ``zero_grad``, ``backward`` and
SGD with learning rate 1.0 − 0.9·k/100 (k cycles over 100 steps).
"""

from __future__ import annotations

import importlib
import os
import random
from collections.abc import Callable
from typing import Any

Step = Callable[[int], float]

# micrograd 0.1.0's nn.py, verbatim but for the import: run "unchanged" on any Value class.
MICROGRAD_NN = """
class Module:
    def zero_grad(self):
        for p in self.parameters():
            p.grad = 0
    def parameters(self):
        return []

class Neuron(Module):
    def __init__(self, nin, nonlin=True):
        self.w = [Value(random.uniform(-1,1)) for _ in range(nin)]
        self.b = Value(0)
        self.nonlin = nonlin
    def __call__(self, x):
        act = sum((wi*xi for wi,xi in zip(self.w, x)), self.b)
        return act.relu() if self.nonlin else act
    def parameters(self):
        return self.w + [self.b]

class Layer(Module):
    def __init__(self, nin, nout, **kwargs):
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]
    def __call__(self, x):
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out
    def parameters(self):
        return [p for n in self.neurons for p in n.parameters()]

class MLP(Module):
    def __init__(self, nin, nouts):
        sz = [nin] + nouts
        self.layers = [Layer(sz[i], sz[i+1], nonlin=i!=len(nouts)-1) for i in range(len(nouts))]
    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x
    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]
"""


def moons() -> tuple[list[list[float]], list[int]]:
    """The demo's data: 100 two-moons points (``BENCH_POINTS`` overrides, for smoke runs), noise 0.1, labels ±1."""
    from nn.data import make_moons

    X, y = make_moons(int(os.environ.get("BENCH_POINTS", "100")), noise=0.1, seed=1337, signed=True)
    return [list(map(float, row)) for row in X], list(y)


def micrograd_mlp(value_class: Any, seed: int = 1337) -> Any:
    """micrograd's MLP(2, [16, 16, 1]) built by its own code on ``value_class``."""
    namespace: dict[str, Any] = {"Value": value_class, "random": random}
    exec(MICROGRAD_NN, namespace)
    random.seed(seed)
    return namespace["MLP"](2, [16, 16, 1])


def recipe_loss(model: Any, value_class: Any, X: list[list[float]], y: list[int]) -> Any:
    """micrograd demo's ``loss()``: inputs wrapped in Values, hinge loss, L2 regularisation."""
    inputs = [list(map(value_class, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    return data_loss + reg_loss


def _sgd(params: list[Any], k: int) -> None:
    lr = 1.0 - 0.9 * (k % 100) / 100
    for p in params:
        p.data -= lr * p.grad


def valuegrad_recipe() -> Step:
    """micrograd's own demo code on ``autograd.Value``."""
    from autograd import Value

    X, y = moons()
    model = micrograd_mlp(Value)

    def step(k: int) -> float:
        loss = recipe_loss(model, Value, X, y)
        model.zero_grad()
        loss.backward()
        _sgd(model.parameters(), k)
        return float(loss.data)

    return step


def valuegrad_nn() -> Step:
    """The product: ``nn.MLP`` (fused dot nodes) with ``nn.hinge`` and ``nn.l2``."""
    from nn.losses import hinge, l2
    from nn.module import MLP

    X, y = moons()
    model = MLP(2, [16, 16, 1], seed=1337)
    params = model.parameters()

    def step(k: int) -> float:
        scores: list[Any] = [model(x) for x in X]  # one Value each: the output layer has one neuron
        loss = hinge(scores, y) + 1e-4 * l2(params)
        model.zero_grad()
        loss.backward()
        _sgd(params, k)
        return float(loss.data)

    return step


def valuegrad_compiled() -> Step:
    """The same recipe traced once by ``autograd.compile`` and replayed as float code (inputs per call)."""
    from autograd import Value, compile

    X, y = moons()
    model = micrograd_mlp(Value)
    params = model.parameters()

    def loss(xs: list[list[Value]], ys: list[Value]) -> Value:
        scores = list(map(model, xs))
        losses = [(1 + -yi * si).relu() for yi, si in zip(ys, scores)]
        total: Value = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in params)
        return total

    compiled = compile(loss)
    yf = [float(v) for v in y]
    return _compiled_step(compiled, params, X, yf)


def _compiled_step(compiled: Any, params: list[Any], X: list[list[float]], yf: list[float]) -> Step:
    """Zero the grads, replay, update: on the C engine all three in C (the tape's zero_grad and sgd)."""
    tape = compiled.tape(X, yf)

    def step(k: int) -> float:
        lr = 1.0 - 0.9 * (k % 100) / 100
        if tape is not None:
            tape.zero_grad()
            value: float = tape.run([x for row in X for x in row] + yf)[0]
            tape.sgd(lr)
            return value
        for p in params:
            p.grad = 0.0
        value, _ = compiled.value_and_grad(X, yf)
        _sgd(params, k)
        return value

    return step


def valuegrad_compiled_nn() -> Step:
    """``nn.MLP`` (fused dot nodes) with ``nn.hinge`` + ``nn.l2``, traced once by ``autograd.compile``."""
    from autograd import Value, compile
    from nn.losses import hinge, l2
    from nn.module import MLP

    X, y = moons()
    model = MLP(2, [16, 16, 1], seed=1337)
    params = model.parameters()

    def loss(xs: list[list[Value]], ys: list[Value]) -> Value:
        total: Value = hinge([model(x) for x in xs], ys) + 1e-4 * l2(params)
        return total

    return _compiled_step(compile(loss), params, X, [float(v) for v in y])


#: Updates per timed call of the fit row (its figure is divided by this).
FIT_STEPS = 50


def valuegrad_fit() -> Step:
    """``nn.fit(model, "hinge", X, y, compile=True)`` on two-moons: one step per call (the lesson demos' path)."""
    from nn.module import MLP
    from nn.optim import SGD
    from nn.train import fit

    X, y = moons()
    model = MLP(2, [16, 16, 1], seed=1337)
    optimizer = SGD(model.parameters(), lr=0.5)

    def step(k: int) -> float:
        # One call is a whole fit of FIT_STEPS updates (tracing included, as a user pays it); __main__ divides.
        history = fit(model, "hinge", X, y, optimizer=optimizer, steps=FIT_STEPS, compile=True, progress=False)
        return float(history.train_loss[-1])

    return step


def numpy_vectorised() -> Step:
    """numpy float64 on whole arrays, the same step with the chain rule by hand: the vectorised floor."""
    import numpy as np

    X, y = moons()
    model = micrograd_mlp(float)
    xs, ys = np.array(X), np.array(y, dtype=float)
    Ws = [np.array([[w for w in n.w] for n in layer.neurons]).T for layer in model.layers]
    Bs = [np.array([n.b for n in layer.neurons], dtype=float) for layer in model.layers]
    n = len(X)

    def step(k: int) -> float:
        lr = 1.0 - 0.9 * (k % 100) / 100
        acts, pres = [xs], []
        h = xs
        for i, (W, b) in enumerate(zip(Ws, Bs)):
            pre = h @ W + b
            pres.append(pre)
            h = pre if i == 2 else np.maximum(pre, 0.0)
            acts.append(h)
        margin = 1.0 - ys * h[:, 0]
        reg = sum(float((W * W).sum()) + float((b * b).sum()) for W, b in zip(Ws, Bs))
        loss = float(np.maximum(margin, 0.0).mean()) + 1e-4 * reg
        up = (-(ys * (margin > 0.0)) / n)[:, None]
        for i in range(2, -1, -1):
            if i != 2:
                up = up * (pres[i] > 0.0)
            gW, gb = acts[i].T @ up, up.sum(axis=0)
            if i:
                up = up @ Ws[i].T
            Ws[i] -= lr * (gW + 2e-4 * Ws[i])
            Bs[i] -= lr * (gb + 2e-4 * Bs[i])
        return loss

    return step


def handwritten_tuned() -> Step:
    """Plain floats written the fast way (``sum(map(mul, ...))``, comprehensions): benchmarks/handwritten.step_tuned."""
    from benchmarks import handwritten as hw

    X, y = moons()
    model = micrograd_mlp(float)
    floats = [([list(n.w) for n in layer.neurons], [float(n.b) for n in layer.neurons]) for layer in model.layers]

    def step(k: int) -> float:
        return hw.step_tuned(floats, X, y, 1.0 - 0.9 * (k % 100) / 100)

    return step


def valuegrad_per_sample() -> Step:
    """The same recipe through ``autograd.compile_per_sample`` (fit(compile=True)'s path): one sample traced, looped over."""
    from autograd import Value, compile, compile_per_sample

    X, y = moons()
    model = micrograd_mlp(Value)
    params = model.parameters()
    # Labels are static (one trace per label), the penalty a trace of its own, replayed first as backward() orders it.
    sample = compile_per_sample(lambda x, label: (1 + -label * model(x)).relu(), static=(1,))
    penalty = compile(lambda: 1e-4 * sum(p * p for p in params))

    def step(k: int) -> float:
        for p in params:
            p.grad = 0.0
        reg = penalty.value_and_grad()[0]
        value = sample.value_and_grad(X, y).value + reg
        _sgd(params, k)
        return value

    return step


def micrograd() -> Step:
    """micrograd 0.1.0 itself (its engine and its nn)."""
    from micrograd.engine import Value
    from micrograd.nn import MLP

    X, y = moons()
    random.seed(1337)
    model = MLP(2, [16, 16, 1])

    def step(k: int) -> float:
        loss = recipe_loss(model, Value, X, y)
        model.zero_grad()
        loss.backward()
        _sgd(model.parameters(), k)
        return float(loss.data)

    return step


def _torch_update(torch: Any, loss: Any, params: list[Any], k: int) -> float:
    """Backward and the demo's SGD update (lr 1.0 -> 0.1 over 100 steps), as both PyTorch variants do it."""
    for p in params:
        p.grad = None
    loss.backward()
    lr = 1.0 - 0.9 * (k % 100) / 100
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
    return float(loss.detach())


def torch_scalars() -> Step:
    """PyTorch with one 0-dim float64 tensor per scalar, micrograd's recipe."""
    torch: Any = importlib.import_module("torch")  # optional and untyped here
    torch.set_num_threads(1)

    X, y = moons()
    random.seed(1337)
    sizes = [2, 16, 16, 1]
    layers = []
    for i in range(3):
        layer = []
        for _ in range(sizes[i + 1]):
            w = [torch.tensor(random.uniform(-1, 1), dtype=torch.float64, requires_grad=True) for _ in range(sizes[i])]
            layer.append((w, torch.tensor(0.0, dtype=torch.float64, requires_grad=True)))
        layers.append(layer)
    params = [p for layer in layers for w, b in layer for p in (*w, b)]

    def forward(x: list[Any]) -> Any:
        for i, layer in enumerate(layers):
            out = [sum((wi * xi for wi, xi in zip(w, x)), b) for w, b in layer]
            x = out if i == 2 else [o.relu() for o in out]
        return x[0]

    def step(k: int) -> float:
        inputs = [[torch.tensor(v, dtype=torch.float64) for v in row] for row in X]
        scores = [forward(x) for x in inputs]
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
        loss = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in params)
        return _torch_update(torch, loss, params, k)

    return step


def torch_vectorised() -> Step:
    """PyTorch on whole tensors (float64): context for what vectorisation buys."""
    torch: Any = importlib.import_module("torch")
    torch.set_num_threads(1)  # the other engines use one core; a second thread only fights the other process

    X, y = moons()
    torch.manual_seed(1337)
    xs = torch.tensor(X, dtype=torch.float64)
    ys = torch.tensor(y, dtype=torch.float64)
    shapes = [(2, 16), (16, 16), (16, 1)]
    weights = [(torch.rand(a, b, dtype=torch.float64) * 2 - 1).requires_grad_() for a, b in shapes]
    biases = [torch.zeros(b, dtype=torch.float64, requires_grad=True) for _, b in shapes]
    params = [*weights, *biases]

    def step(k: int) -> float:
        h = xs
        for i, (w, b) in enumerate(zip(weights, biases)):
            h = h @ w + b
            if i < 2:
                h = h.relu()
        loss = (1 - ys * h[:, 0]).relu().mean() + 1e-4 * sum((p * p).sum() for p in params)
        return _torch_update(torch, loss, params, k)

    return step


def handwritten() -> Step:
    """Plain floats, loops and the chain rule by hand (benchmarks/handwritten.py), checked against valuegrad first."""
    from autograd import Value
    from benchmarks import handwritten as hw

    X, y = moons()
    model = micrograd_mlp(Value)
    layers: list[Any] = [([list(n.w) for n in layer.neurons], [n.b for n in layer.neurons]) for layer in model.layers]
    floats = [([[w.data for w in ws] for ws in W], [b.data for b in B]) for W, B in layers]
    # The gradients must be valuegrad's before anything is timed.
    loss = recipe_loss(model, Value, X, y)
    model.zero_grad()
    loss.backward()
    value, grads = hw.step(floats, X, y, lr=0.0)
    assert abs(value - loss.data) <= 1e-12, (value, loss.data)
    for (W, B), (gW, gB) in zip(layers, grads):
        for ws, gws in zip(W, gW):
            for w, g in zip(ws, gws):
                assert abs(w.grad - g) <= 1e-12 * max(1.0, abs(g)), (w.grad, g)
        for b, g in zip(B, gB):
            assert abs(b.grad - g) <= 1e-12 * max(1.0, abs(g)), (b.grad, g)

    def step(k: int) -> float:
        lr = 1.0 - 0.9 * (k % 100) / 100
        return hw.step(floats, X, y, lr)[0]

    return step


def microgpt_valuegrad() -> Step:
    """The microgpt-shaped step (benchmarks/microgpt.py) on ``autograd.Value``."""
    from autograd import Value
    from benchmarks import microgpt

    return microgpt.setup(Value)


def microgpt_tiny() -> Step:
    """The same step on benchmarks/microgpt.TinyValue, a minimal microgpt-style Value."""
    from benchmarks import microgpt

    return microgpt.setup(microgpt.TinyValue)


def microgpt_variable() -> Step:
    """The microgpt-shaped step on documents of different lengths, eager on ``autograd.Value``."""
    from autograd import Value
    from benchmarks import microgpt

    return microgpt.setup(Value, variable=True)


def microgpt_per_length() -> Step:
    """The same through ``autograd.compile``: one-hot inputs, so one C tape per document length."""
    from benchmarks import microgpt

    return microgpt.setup_compiled()


#: Rows whose timed call runs several steps: their figures are divided by this (ms per step for every row).
STEPS_PER_CALL: dict[str, int] = {"valuegrad fit(compile=True)": FIT_STEPS}

#: The rows of the microgpt-shaped workload start with this (a table of their own).
MICROGPT = "microgpt-shaped step: "

#: Engines whose name ends with this run in a process with ``VALUEGRAD_PURE=1``: the pure-Python engine.
PURE_SUFFIX = " [pure]"


def is_valuegrad(name: str) -> bool:
    """Whether a row runs valuegrad (so its engine is valuegrad's C or pure one), e.g. "microgpt-shaped step: valuegrad".

    >>> is_valuegrad("valuegrad compiled"), is_valuegrad(MICROGPT + "valuegrad [pure]"), is_valuegrad("numpy vectorised")
    (True, True, False)
    """
    return name.removeprefix(MICROGPT).startswith("valuegrad")


#: name -> (setup, what it is, module it needs or None)
ENGINES: dict[str, tuple[Callable[[], Step], str, str | None]] = {
    "valuegrad eager (micrograd recipe)": (valuegrad_recipe, "micrograd's demo code on autograd.Value", None),
    "valuegrad eager (nn.MLP)": (valuegrad_nn, "nn.MLP with fused dot nodes, nn.hinge + nn.l2", None),
    "valuegrad compiled": (valuegrad_compiled, "autograd.compile replay of the recipe", None),
    "valuegrad eager (micrograd recipe)" + PURE_SUFFIX: (valuegrad_recipe, "the recipe on the pure-Python engine", None),
    "valuegrad eager (nn.MLP)" + PURE_SUFFIX: (valuegrad_nn, "nn.MLP on the pure-Python engine", None),
    "valuegrad compiled" + PURE_SUFFIX: (valuegrad_compiled, "compile's replay, traced on the pure engine", None),
    "valuegrad compiled per sample": (valuegrad_per_sample, "autograd.compile_per_sample replay (fit's path)", None),
    "valuegrad compiled (nn.MLP)": (valuegrad_compiled_nn, "autograd.compile of nn.MLP + nn.hinge + nn.l2", None),
    "valuegrad compiled (nn.MLP)" + PURE_SUFFIX: (valuegrad_compiled_nn, "the same, Python replay on the pure engine", None),
    "valuegrad fit(compile=True)": (valuegrad_fit, "nn.fit on two-moons, FIT_STEPS steps per call", None),
    "hand-written floats": (handwritten, "benchmarks/handwritten.py", None),
    "hand-written floats (tuned)": (handwritten_tuned, "benchmarks/handwritten.step_tuned", None),
    "numpy vectorised": (numpy_vectorised, "float64 arrays, full batch, chain rule by hand", "numpy"),
    MICROGPT + "valuegrad": (microgpt_valuegrad, "benchmarks/microgpt.py on autograd.Value", None),
    MICROGPT + "valuegrad" + PURE_SUFFIX: (microgpt_valuegrad, "the same on the pure engine", None),
    MICROGPT + "valuegrad, variable length": (microgpt_variable, "documents of 2 to 8 positions, eager", None),
    MICROGPT + "valuegrad compiled, one tape per length": (microgpt_per_length, "the same through compile", None),
    MICROGPT + "microgpt-style Value": (microgpt_tiny, "benchmarks/microgpt.TinyValue", None),
    "micrograd 0.1.0": (micrograd, "micrograd's engine and nn", "micrograd"),
    "torch 0-dim scalars": (torch_scalars, "one float64 0-dim tensor per scalar", "torch"),
    "torch vectorised": (torch_vectorised, "float64 tensors, full batch", "torch"),
}
