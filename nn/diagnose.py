"""Why a network does not train: per-layer gradient norms, dead ReLU units, vanishing and exploding gradients.

One measurement serves both ways in: ``diagnose(model, X, y)`` for people with their own loop
(one forward and backward on a batch, the model's gradients left as they were), and ``fit``,
which reads the gradients of its own steps through ``GradientMonitor`` and warns once per
problem with a ``DiagnosisWarning``.

A layer's *gradient norm* is the Euclidean norm of the gradients of all its weights and biases.
A ReLU unit is *dead* on a batch when it outputs exactly 0 for every example: its local
derivative is then 0 everywhere, so neither its own weights nor anything below it learn
through it. Only ReLU units can die; other layers report a dead fraction of 0.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from autograd import Value, no_grad, vsum
from nn.tables import Table

#: A layer whose gradient norm is below this fraction of the largest layer's has a vanishing gradient.
VANISHING_RATIO = 1e-4
#: A layer whose gradient norm is above this (or not finite) has an exploding gradient.
EXPLODING_NORM = 1e3

FindingKind = Literal["dead", "vanishing", "exploding"]

_REMEDIES: dict[str, str] = {
    "dead": (
        "usual remedies: tanh units (MLP(..., activation='tanh')), He initialisation (init='he'), "
        "a smaller learning rate (one large step can push every unit below zero for good)"
    ),
    "vanishing": (
        "usual remedies: tanh or ReLU instead of sigmoid, He or Xavier initialisation (init='he' / init='xavier'), "
        "fewer layers"
    ),
    "exploding": (
        "usual remedies: a smaller learning rate, Xavier or He initialisation (init='xavier' / init='he') "
        "instead of U(-1, 1), tanh units, inputs scaled to about [-1, 1]"
    ),
}


class DiagnosisWarning(UserWarning):
    """``fit`` found a dead layer or a vanishing or exploding gradient (see ``History.findings``)."""


@dataclass(frozen=True)
class LayerStats:
    """One layer's measurements: gradient norm and the fraction of its units that are dead."""

    name: str
    activation: str
    units: int
    grad_norm: float
    #: Fraction of units outputting exactly 0 on every example (ReLU layers only; else 0.0).
    dead_fraction: float


@dataclass(frozen=True)
class Finding:
    """One problem: its kind, the layer it is in, and a message with the measured norms and the remedies."""

    kind: FindingKind
    layer: str
    message: str
    #: The epoch after which ``fit`` found it (None from ``diagnose``).
    epoch: int | None = None

    def __str__(self) -> str:
        return self.message

    def _repr_html_(self) -> str:
        return Table(["kind", "layer", "epoch", "finding"], [[self.kind, self.layer, str(self.epoch or ""), self.message]]).html()


@dataclass(frozen=True)
class Diagnosis:
    """What ``diagnose`` measured: one ``LayerStats`` per layer (input side first) and the findings."""

    layers: tuple[LayerStats, ...]
    findings: tuple[Finding, ...]
    examples: int

    @property
    def grad_norms(self) -> dict[str, float]:
        """Layer name -> gradient norm."""
        return {s.name: s.grad_norm for s in self.layers}

    @property
    def dead_fraction(self) -> dict[str, float]:
        """Layer name -> fraction of dead units."""
        return {s.name: s.dead_fraction for s in self.layers}

    @property
    def healthy(self) -> bool:
        """True when nothing was found."""
        return not self.findings

    def _table(self) -> Table:
        rows = [[s.name, s.activation, str(s.units), f"{s.grad_norm:.3g}", f"{s.dead_fraction:.0%}"] for s in self.layers]
        notes = [f"- {f.message}" for f in self.findings] or ["no dead layer, vanishing or exploding gradient found"]
        header = ["layer", "activation", "units", f"{'grad norm':>10}", f"{'dead':>6}"]  # the widths of the numbers
        return Table(header, rows, numeric={2, 3, 4}, notes=notes)

    def __str__(self) -> str:
        return self._table().text()

    def __repr__(self) -> str:
        return f"Diagnosis({self.examples} examples)\n{self}"

    def _repr_html_(self) -> str:
        return self._table().html()


# ------------------------------------------------------------------------------------- layers


@dataclass(frozen=True)
class _Layer:
    name: str
    module: Any
    neurons: tuple[Any, ...]
    activation: str
    params: tuple[Value, ...]


def _activation(neuron: Any) -> str:
    activation = getattr(neuron, "activation", None)
    if isinstance(activation, str):
        return activation
    # micrograd's Neuron says ``nonlin=True`` for ReLU.
    return "relu" if getattr(neuron, "nonlin", False) else "linear"


def _layer(name: str, module: Any, neurons: Sequence[Any]) -> _Layer:
    params = tuple(p for n in neurons for p in (*n.w, n.b))
    kinds = {_activation(n) for n in neurons}
    return _Layer(name, module, tuple(neurons), kinds.pop() if len(kinds) == 1 else "mixed", params)


def find_layers(model: Any) -> list[_Layer] | None:
    """The layers of an ``MLP`` (``.layers``), a ``Layer`` (``.neurons``) or a ``Neuron`` (``.w``, ``.b``); else None.

    >>> from nn import MLP
    >>> [(layer.name, layer.activation, len(layer.neurons)) for layer in find_layers(MLP(2, [3, 1], seed=0))]
    [('layers.0', 'relu', 3), ('layers.1', 'linear', 1)]
    """
    if hasattr(model, "layers"):
        layers = list(model.layers)
        if layers and all(hasattr(layer, "neurons") for layer in layers):
            return [_layer(f"layers.{k}", layer, layer.neurons) for k, layer in enumerate(layers)]
        return None
    if hasattr(model, "neurons"):
        return [_layer("layer", model, model.neurons)]
    if hasattr(model, "w") and hasattr(model, "b"):
        return [_layer("neuron", None, [model])]
    return None


def _require_layers(model: Any) -> list[_Layer]:
    layers = find_layers(model)
    if layers is None:
        raise TypeError(
            f"diagnose: cannot find the layers of {type(model).__name__}; it needs .layers (each with .neurons) "
            "as an MLP has, .neurons as a Layer has, or .w and .b as a Neuron has"
        )
    return layers


def _call_layer(layer: _Layer, xs: Any) -> list[Value]:
    module = layer.module
    if module is None:  # a single neuron
        return [layer.neurons[0](xs)]
    if hasattr(module, "outputs"):
        outs: list[Value] = module.outputs(xs)
        return outs
    out = module(xs)
    return [out] if isinstance(out, Value) else list(out)


def _forward_layers(layers: Sequence[_Layer], x: Any) -> list[list[Value]]:
    """Each layer's outputs for one input, input side first (the model's output is the last list)."""
    per_layer: list[list[Value]] = []
    xs = x
    for layer in layers:
        xs = _call_layer(layer, xs)
        per_layer.append(xs)
    return per_layer


def _dead_fractions(layers: Sequence[_Layer], X: Sequence[Any]) -> list[float]:
    """For each layer, the fraction of its ReLU units that output exactly 0 on every input in ``X``."""
    if not any(layer.activation in ("relu", "mixed") for layer in layers):
        return [0.0] * len(layers)
    alive = [[False] * len(layer.neurons) for layer in layers]
    with no_grad():
        for x in X:
            for k, outs in enumerate(_forward_layers(layers, x)):
                row = alive[k]
                for i, out in enumerate(outs):
                    # nan is not dead: it is a different failure, which fit reports on its own.
                    if out.data != 0.0:
                        row[i] = True
    fractions = []
    for layer, row in zip(layers, alive):
        relus = [a for n, a in zip(layer.neurons, row) if _activation(n) == "relu"]
        fractions.append(sum(not a for a in relus) / len(row) if relus else 0.0)
    return fractions


def _grad_norms(layers: Sequence[_Layer]) -> list[float]:
    """Each layer's gradient norm, read from its parameters' ``grad`` now."""
    return [math.sqrt(math.fsum(p.grad * p.grad for p in layer.params)) for layer in layers]


# ------------------------------------------------------------------------------------- findings


def _norms_text(stats: Sequence[LayerStats]) -> str:
    return ", ".join(f"{s.name} {s.grad_norm:.3g}" for s in stats)


def _find_problems(stats: Sequence[LayerStats], examples: int, norms_are: str = "gradient norms by layer") -> list[Finding]:
    """The findings for a set of layer measurements: dead layers, then vanishing, then exploding gradients."""
    findings: list[Finding] = []
    norms = f"{norms_are}: {_norms_text(stats)}"
    dead = [k for k, s in enumerate(stats) if s.dead_fraction == 1.0]
    for k in dead:
        s = stats[k]
        findings.append(Finding("dead", s.name, (
            f"dead layer {s.name}: all {s.units} ReLU units output 0 on every one of the {examples} examples, so no "
            f"gradient flows through it{' or to the layers before it' if k else ''} ({norms}); "
            f"{_REMEDIES['dead']}"
        )))
    # A dead layer already explains the zero gradients at and below it.
    explained = max(dead, default=-1)
    largest = max((s.grad_norm for s in stats if math.isfinite(s.grad_norm)), default=0.0)
    if largest > 0.0:
        for k, s in enumerate(stats):
            # An exact 0 is no vanishing: a piecewise-linear loss or ReLU units give it to healthy
            # networks (every example already beyond the hinge's margin, say); dead units are checked above.
            if k > explained and 0.0 < s.grad_norm < VANISHING_RATIO * largest:
                findings.append(Finding("vanishing", s.name, (
                    f"vanishing gradient in {s.name}: its gradient norm {s.grad_norm:.3g} is {s.grad_norm / largest:.1e} "
                    f"times the largest layer's {largest:.3g}, so it barely learns ({norms}); "
                    f"{_REMEDIES['vanishing']}"
                )))
    for s in stats:
        if not s.grad_norm <= EXPLODING_NORM:
            findings.append(Finding("exploding", s.name, (
                f"exploding gradient in {s.name}: gradient norm {s.grad_norm:.3g}, above {EXPLODING_NORM:g} "
                f"({norms}); {_REMEDIES['exploding']}"
            )))
    return findings


def _stats(layers: Sequence[_Layer], norms: Sequence[float], dead: Sequence[float]) -> list[LayerStats]:
    return [LayerStats(layer.name, layer.activation, len(layer.neurons), n, d) for layer, n, d in zip(layers, norms, dead)]


def diagnose(model: Any, X: Sequence[Any], y: Sequence[Any] | None = None, loss: Any = None) -> Diagnosis:
    """Measure per-layer gradient norms and dead units of ``model`` on a batch, and say what is wrong.

    The gradient is that of ``loss(outputs, y)`` (``loss`` a name from ``nn.losses`` or a function;
    ``"mse"`` when only ``y`` is given), or of the mean summed output when ``y`` is None. The
    model's parameters and their ``grad`` are left exactly as they were.

    >>> from nn import MLP
    >>> xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    >>> model = MLP(3, [4, 4, 1], seed=0)
    >>> for neuron in model.layers[1].neurons:  # force every unit of the second layer below zero
    ...     neuron.b.data = -100.0
    >>> report = diagnose(model, xs, [1.0, -1.0, -1.0, 1.0])
    >>> [(f.kind, f.layer) for f in report.findings]
    [('dead', 'layers.1')]
    >>> report.dead_fraction
    {'layers.0': 0.25, 'layers.1': 1.0, 'layers.2': 0.0}
    """
    layers = _require_layers(model)
    from nn.inputs import examples
    from nn.metrics import resolve_loss

    X = examples(X, "X")  # numpy arrays as lists of Python numbers, as fit takes them
    y = None if y is None else examples(y, "y")
    if not X:
        raise ValueError("diagnose: X is empty; give at least one example")
    if y is not None and len(y) != len(X):
        raise ValueError(f"diagnose: {len(X)} inputs but {len(y)} targets")
    params = [p for layer in layers for p in layer.params]
    saved = [p.grad for p in params]
    try:
        for p in params:
            p.grad = 0.0
        per_example = [_forward_layers(layers, x) for x in X]
        outputs: list[Any] = [outs[-1][0] if len(outs[-1]) == 1 else outs[-1] for outs in per_example]
        if y is None:
            flat = [v for o in outputs for v in ([o] if isinstance(o, Value) else o)]
            objective = vsum(flat) / len(outputs)
        else:
            objective = resolve_loss("mse" if loss is None else loss)(outputs, list(y))
        objective.backward()
        norms = _grad_norms(layers)
    finally:
        for p, g in zip(params, saved):
            p.grad = g
    stats = _stats(layers, norms, _dead_fractions(layers, X))
    return Diagnosis(tuple(stats), tuple(_find_problems(stats, len(X))), len(X))


# ------------------------------------------------------------------------------------- in fit


class GradientMonitor:
    """What ``fit`` uses: reads every step's gradients, counts dead units when they look dead, warns once per problem.

    The norms are those of the data loss's gradient, as ``diagnose`` measures them: the ``l2``
    term's share (``2·l2·p``) is taken out of each ``grad``. So a dead layer's gradient is zero
    (or a rounding error) whatever ``l2`` is, and that zero is what triggers counting dead units:
    a healthy run costs no extra forward pass.
    """

    def __init__(self, model: Any, X: Sequence[Any], *, record: bool, l2: float = 0.0) -> None:
        self.layers = find_layers(model)
        self._order: list[Value] = list(model.parameters()) if self.layers is not None else []
        if record and self.layers is None:
            _require_layers(model)  # raises, saying what record_gradients needs
        self.X = X
        self.record = record
        self.l2 = l2
        self._sums = [0.0] * len(self.layers or ())
        self._steps = 0
        self._suspects: frozenset[int] = frozenset()
        self._reported: set[tuple[str, str]] = set()
        self.findings: list[Finding] = []
        #: How far up the stack the warning points: at the caller of ``fit`` (fit -> callback -> here).
        self.stacklevel = 3

    @property
    def active(self) -> bool:
        """False for models whose layers cannot be found (then fit trains without a diagnosis)."""
        return self.layers is not None

    def after_backward(self, before: Sequence[float] | None = None) -> None:
        """Add this step's per-layer gradient norms (of the data loss).

        ``before``: every parameter's value before the optimizer stepped, in ``model.parameters()``
        order (fit calls this after the step); without it the parameters are read as they are now.
        """
        if self.layers is None:
            return
        twice = 2.0 * self.l2
        values = self._values(before) if twice else {}
        for k, layer in enumerate(self.layers):
            if twice:
                squares = math.fsum((p.grad - twice * values.get(id(p), p.data)) ** 2 for p in layer.params)
            else:
                squares = math.fsum(p.grad * p.grad for p in layer.params)
            self._sums[k] += math.sqrt(squares)
        self._steps += 1

    def _values(self, before: Sequence[float] | None) -> dict[int, float]:
        if before is None:
            return {}
        return {id(p): x for p, x in zip(self._order, before)}

    def end_epoch(self, epoch: int) -> list[LayerStats] | None:
        """This epoch's stats (mean gradient norm over its steps); warns about problems not reported yet."""
        if self.layers is None or self._steps == 0:
            return None
        norms = [s / self._steps for s in self._sums]
        self._sums = [0.0] * len(self.layers)
        self._steps = 0
        # Zero or tiny gradients are what dead units look like from here: then count them, once
        # for each new set of such layers (a stuck network does not cost a forward pass per epoch).
        largest = max(norms)
        suspects = frozenset(k for k, n in enumerate(norms) if n == 0.0 or n < VANISHING_RATIO * largest)
        count_dead = self.record or (suspects and suspects != self._suspects)
        self._suspects = suspects
        dead = _dead_fractions(self.layers, self.X) if count_dead else [0.0] * len(self.layers)
        stats = _stats(self.layers, norms, dead)
        found = _find_problems(stats, len(self.X), f"mean gradient norms by layer over epoch {epoch}'s steps")
        new = [f for f in found if (f.kind, f.layer) not in self._reported]
        if new:
            self._reported.update((f.kind, f.layer) for f in new)
            self.findings.extend(replace(f, epoch=epoch) for f in new)
            text = "\n".join(f"- {f.message}" for f in new)
            warnings.warn(f"fit: after epoch {epoch}:\n{text}", DiagnosisWarning, stacklevel=self.stacklevel)
        return stats
