"""Neurons, layers and MLPs: plain Python over ``autograd.Value``, with micrograd's signatures.

No gradient code lives here. A neuron's forward is one fused ``autograd.dot`` node followed by one
activation node, and ``backward`` takes every derivative from ``autograd.rules``.

Every parameter ``Value`` carries its dotted name (``layers.0.neurons.3.w.1``) as its ``label``, so
drawings and error messages say which weight they mean.
"""

from __future__ import annotations

import math
import numbers
import operator
import os
import random
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Set
from typing import TYPE_CHECKING, Any, Literal, NoReturn, Union, get_args

from autograd import Value, dot
from autograd._ops import ActivationOp
from autograd.seeing.groups import Group, set_group
from nn.seeding import Seed, rng_from

if TYPE_CHECKING:
    import torch

#: What a model accepts as one input component.
Scalar = Union[Value, float, int]
#: What calling a model returns: one ``Value`` for a single output (as in micrograd), else a list.
Output = Union[Value, list[Value]]
#: Every rule marked as an activation in autograd/rules.py, and "linear" (no activation node).
Activation = Literal[ActivationOp, "linear"]
Init = Literal["uniform", "xavier", "he"]
PathLike = Union[str, "os.PathLike[str]"]

ACTIVATIONS: tuple[str, ...] = get_args(Activation)
INITS: tuple[str, ...] = get_args(Init)

# The activation is a method of Value (one node from the rules table); ``linear`` adds no node.
_ACTIVATION_METHODS: dict[str, Callable[[Value], Value] | None] = {
    **{name: getattr(Value, name) for name in get_args(ActivationOp)},
    "linear": None,
}


class StateDictError(ValueError):
    """A state dict does not fit a module: missing or extra names, or values that are not finite numbers."""


def init_weights(rng: random.Random, init: str, fan_in: int, fan_out: int, count: int) -> list[float]:
    """``count`` initial weights for a neuron with ``fan_in`` inputs in a layer of ``fan_out`` neurons.

    ``uniform`` is micrograd's U(-1, 1); ``xavier`` is Glorot's uniform U(-a, a) with
    a = sqrt(6 / (fan_in + fan_out)); ``he`` is He's normal N(0, 2 / fan_in), for ReLU networks.

    >>> [round(w, 3) for w in init_weights(random.Random(0), "uniform", 2, 1, 2)]
    [0.689, 0.516]
    """
    if init == "uniform":
        return [rng.uniform(-1, 1) for _ in range(count)]
    if init == "xavier":
        bound = math.sqrt(6.0 / (fan_in + fan_out))
        return [rng.uniform(-bound, bound) for _ in range(count)]
    if init == "he":
        std = math.sqrt(2.0 / fan_in)
        return [rng.gauss(0.0, std) for _ in range(count)]
    raise ValueError(f"init must be one of {', '.join(map(repr, INITS))}, got {init!r}")


def _check_count(what: str, n: object, *, minimum: int = 1) -> int:
    """``n`` as a plain int (numpy integers too), or ValueError naming the size."""
    if not isinstance(n, bool):
        try:
            number = operator.index(n)  # type: ignore[arg-type]  # refused below if it has no __index__
        except TypeError:
            pass
        else:
            if number >= minimum:
                return number
    raise ValueError(f"{what} must be an int >= {minimum}, got {n!r}")


class Outputs(list[Value]):
    """Several outputs of one call, as the list micrograd returns; ``Value`` methods on it say which output to use.

    >>> out = MLP(2, [3, 2], seed=0)([1.0, 2.0])
    >>> len(out)
    2
    >>> out.backward()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: backward() needs one Value, but this call returned 2 outputs (a list): call it on one output, ...
    """

    def backward(self, *args: object, **kwargs: object) -> NoReturn:
        """Always an error: backpropagation starts from one Value."""
        raise TypeError(
            f"backward() needs one Value, but this call returned {len(self)} outputs (a list): call it on one "
            "output, out[i].backward(), or on a loss computed from all of them"
        )

    if not TYPE_CHECKING:  # at type-check time a list has no Value attributes, which is the point

        def __getattr__(self, name: str) -> NoReturn:
            if not name.startswith("__") and hasattr(Value, name):
                raise AttributeError(
                    f"{name!r} belongs to one Value, but this call returned {len(self)} outputs (a list): "
                    f"use one of them, out[i].{name}"
                )
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


def _check_activation(what: str, activation: object) -> Activation:
    if isinstance(activation, bool):
        # micrograd's Neuron(nin, nonlin) passes a bool in this position.
        raise ValueError(f"{what} must be an activation name, got {activation!r}; for micrograd's flag use nonlin={activation!r}")
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        raise ValueError(f"{what} must be one of {', '.join(map(repr, ACTIVATIONS))}, got {activation!r}")
    return activation  # type: ignore[return-value]  # narrowed by the membership test above


def _activation_from(what: str, activation: object, nonlin: object, default: Activation = "relu") -> Activation:
    """The activation named by ``activation=`` or micrograd's ``nonlin=`` (True: ReLU, False: linear)."""
    if nonlin is not None and not isinstance(nonlin, bool):
        raise TypeError(f"{what} nonlin must be True or False (micrograd's flag), got {type(nonlin).__name__}: {nonlin!r}")
    if activation is None:
        if nonlin is None:
            return default
        return "relu" if nonlin else "linear"
    checked = _check_activation(f"{what} activation", activation)
    if nonlin is not None and nonlin != (checked != "linear"):
        raise ValueError(f"{what}: nonlin={nonlin} contradicts activation={checked!r}; give only one of them")
    return checked


def as_finite_float(name: str, value: object) -> float:
    """The float a state-dict entry stands for, or StateDictError naming the entry.

    >>> as_finite_float("w.0", 2), as_finite_float("b", Value(0.5))
    (2.0, 0.5)
    """
    if isinstance(value, Value):
        value = value.data
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise StateDictError(f"{name!r} must be a number, got {type(value).__name__}: {value!r}")
    try:
        number = float(value)
    except OverflowError:  # an int too large for a float
        raise StateDictError(f"{name!r} is too large for a float: {value!r}") from None
    if not math.isfinite(number):
        raise StateDictError(f"{name!r} must be finite, got {number!r}")
    return number


def _as_input_list(module: Module, x: object, nin: int) -> list[Value]:
    """``x`` as a list of ``nin`` Values, or an error that names the module.

    Numbers become input leaves ``x0``, ``x1``, ... here, once per forward pass: left as numbers,
    every neuron of the first layer would wrap each of them in a constant of its own, and a drawing
    of the graph would show the same input once per neuron.
    """
    if isinstance(x, (Value, numbers.Real)):
        if nin != 1:
            raise ValueError(f"{module!r}: expected {nin} inputs, got a single {type(x).__name__}")
        return [x if isinstance(x, Value) else Value(float(x), label="x0")]
    if isinstance(x, (str, bytes)) or not isinstance(x, Iterable):
        raise TypeError(f"{module!r}: expected a list of {nin} numbers or Values, got {type(x).__name__}: {x!r}")
    if isinstance(x, (Set, Mapping)):
        # A set has no order: which number would meet which weight would change from run to run.
        raise TypeError(f"{module!r}: inputs must be in a fixed order (a list or tuple), got a {type(x).__name__}: {x!r}")
    xs = list(x)
    if len(xs) != nin:
        raise ValueError(f"{module!r}: expected {nin} input{'s' if nin != 1 else ''}, got {len(xs)}")
    for i, xi in enumerate(xs):
        if not isinstance(xi, (Value, numbers.Real)):
            raise TypeError(f"{module!r}: input {i} must be a number or a Value, got {type(xi).__name__}: {xi!r}")
    return [xi if isinstance(xi, Value) else Value(float(xi), label=f"x{i}") for i, xi in enumerate(xs)]


# ------------------------------------------------------------------------------------- architectures
# What a module's architecture() dict implies, computed from the dict alone: model files are
# checked against these before anything is built (nn.serialize).


def architecture_repr(architecture: Mapping[str, Any]) -> str:
    """The constructor call of a module with this (valid) architecture: what its ``repr`` shows.

    >>> architecture_repr({"type": "Layer", "nin": 3, "nout": 2, "activation": "tanh"})
    "Layer(3, 2, activation='tanh')"
    """
    a = architecture
    if a["type"] == "Neuron":
        return f"Neuron({a['nin']}, activation={a['activation']!r})"
    if a["type"] == "Layer":
        return f"Layer({a['nin']}, {a['nout']}, activation={a['activation']!r})"
    return f"MLP({a['nin']}, {a['nouts']}, activation={a['activation']!r}, output_activation={a['output_activation']!r})"


def layer_shapes(architecture: Mapping[str, Any]) -> list[tuple[str, int, int]]:
    """``(name prefix, nin, nout)`` of each layer; a Neuron is a layer of one without a prefix.

    >>> layer_shapes({"type": "Neuron", "nin": 2, "activation": "relu"})
    [('', 2, 1)]
    """
    a = architecture
    if a["type"] == "Neuron":
        return [("", a["nin"], 1)]
    if a["type"] == "Layer":
        return [("neurons.", a["nin"], a["nout"])]
    sizes = [a["nin"], *a["nouts"]]
    return [(f"layers.{k}.neurons.", sizes[k], sizes[k + 1]) for k in range(len(a["nouts"]))]


def parameter_count(architecture: Mapping[str, Any]) -> int:
    """How many parameters a module of this (valid) architecture has, without building it.

    >>> parameter_count({"type": "MLP", "nin": 2, "nouts": [16, 16, 1], "activation": "relu", "output_activation": "linear"})
    337
    """
    return sum(nout * (nin + 1) for _, nin, nout in layer_shapes(architecture))


def parameter_names(architecture: Mapping[str, Any]) -> Iterator[str]:
    """The dotted names of ``named_parameters()`` of a module of this (valid) architecture, one at a time.

    >>> list(parameter_names({"type": "Layer", "nin": 1, "nout": 2, "activation": "relu"}))
    ['neurons.0.w.0', 'neurons.0.b', 'neurons.1.w.0', 'neurons.1.b']
    """
    for prefix, nin, nout in layer_shapes(architecture):
        for i in range(nout):
            neuron = f"{prefix}{i}." if prefix else ""
            for j in range(nin):
                yield f"{neuron}w.{j}"
            yield f"{neuron}b"


# As parameter_names writes indices: no sign, no leading zeros; at most 18 digits (an index beyond
# any real network, and int() of a hostile 5000-digit one would raise past Python's digit limit).
_INDEX = r"(0|[1-9][0-9]{0,17})"
_NAME = re.compile(rf"(?:layers\.{_INDEX}\.)?(?:neurons\.{_INDEX}\.)?(?:w\.{_INDEX}|b)")


def is_parameter_name(
    architecture: Mapping[str, Any], name: str, shapes: Sequence[tuple[str, int, int]] | None = None
) -> bool:
    """Whether ``name`` is one of ``parameter_names(architecture)``, decided from the name alone (no list is made).

    ``shapes``: ``layer_shapes(architecture)``, made once by a caller checking many names.

    >>> arch = {"type": "MLP", "nin": 2, "nouts": [3, 1], "activation": "relu", "output_activation": "linear"}
    >>> is_parameter_name(arch, "layers.1.neurons.0.w.2"), is_parameter_name(arch, "layers.1.neurons.1.b")
    (True, False)
    """
    match = _NAME.fullmatch(name)
    if match is None:
        return False
    layer, neuron, weight = (None if g is None else int(g) for g in match.groups())
    if shapes is None:
        shapes = layer_shapes(architecture)
    kind = architecture["type"]
    if (layer is not None) != (kind == "MLP") or (neuron is not None) != (kind != "Neuron"):
        return False
    _, nin, nout = shapes[layer or 0] if (layer or 0) < len(shapes) else ("", 0, 0)
    return (neuron or 0) < nout and (weight is None or weight < nin)


class Module:
    """Base class: parameters, names, gradients, state dicts and files for every model piece."""

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``(dotted name, parameter)`` pairs in a fixed order (the order of ``parameters()``)."""
        return []

    def parameters(self) -> list[Value]:
        """Every trainable ``Value``, in the same order on every call."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` to 0.0 (gradients accumulate across ``backward`` calls)."""
        for p in self.parameters():
            p.grad = 0.0

    def architecture(self) -> dict[str, Any]:
        """A JSON-ready description that rebuilds an equal module (without its weights)."""
        raise NotImplementedError(f"{type(self).__name__} does not describe its architecture")

    def __call__(self, x: Any) -> Output:
        raise NotImplementedError(f"{type(self).__name__} does not define a forward pass")

    def __repr__(self) -> str:
        return architecture_repr(self.architecture())

    def _label_parameters(self) -> None:
        # Called last in each constructor, so an MLP's names (and drawing groups) overwrite its layers' shorter ones.
        named = self.named_parameters()
        for name, p in named:
            p.label = name
        _set_drawing_groups(named)

    # ----------------------------------------------------------------------------- state dicts

    def state_dict(self) -> dict[str, float]:
        """Parameter values by dotted name, in ``parameters()`` order (plain floats, JSON-ready).

        >>> Neuron(2, seed=0).state_dict()
        {'w.0': 0.6888437030500962, 'w.1': 0.515908805880605, 'b': 0.0}
        """
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, object]) -> None:
        """Set every parameter from ``state``; all-or-nothing.

        The whole dict is checked first (the same names exactly, every value a finite number),
        so on ``StateDictError`` no parameter has changed. Gradients are left as they are.

        >>> n = Neuron(2, seed=0)
        >>> n.load_state_dict({"w.0": 1.0, "w.1": 2.0, "b": 3.0})
        >>> n([1.0, 1.0]).data
        6.0
        """
        values = self._checked_state(state)
        for (_, p), value in zip(self.named_parameters(), values):
            p.data = value

    def _checked_state(self, state: Mapping[str, object]) -> list[float]:
        """The values of ``state`` in parameter order, or StateDictError describing every mismatch."""
        if not isinstance(state, Mapping):
            raise StateDictError(f"a state dict must be a mapping of names to numbers, got {type(state).__name__}")
        names = [name for name, _ in self.named_parameters()]
        expected = set(names)
        missing = [n for n in names if n not in state]
        extra = [n for n in state if n not in expected]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing {len(missing)} parameter(s): {preview(missing)}")
            if extra:
                parts.append(f"unexpected {len(extra)} parameter(s): {preview(extra)}")
            raise StateDictError(f"state dict does not fit {self!r}: {'; '.join(parts)}")
        return [as_finite_float(name, state[name]) for name in names]

    # ----------------------------------------------------------------------------- files

    def save(self, path: PathLike) -> None:
        """Write architecture and weights to a JSON file, atomically (see ``nn.serialize``)."""
        from nn.serialize import save

        save(self, path)

    def load_weights(self, path: PathLike) -> None:
        """Load weights saved from a module of the same architecture; on error nothing changes."""
        from nn.serialize import load_weights

        load_weights(self, path)


def _set_drawing_groups(named: list[tuple[str, Value]]) -> None:
    """Tell drawings which parameters make each neuron (``layers.0.neurons.3``) and which neurons each layer.

    Fresh ``Group`` objects per model: two models with the same names still draw as two sets of boxes.
    """
    groups: dict[str, Group] = {}
    for name, p in named:
        parts = name.split(".")
        neuron = ".".join(parts[:-1] if parts[-1] == "b" else parts[:-2])  # drop "b" or "w.<j>"
        if neuron not in groups:
            layer, found, _ = neuron.rpartition(".neurons.")
            parent = groups.setdefault(f"layer {layer}", Group(layer, "layer")) if found else None
            groups[neuron] = Group(neuron, "neuron", parent)
        set_group([p], groups[neuron])


def preview(names: list[str], limit: int = 5) -> str:
    """The first ``limit`` names, quoted, and how many more there are (for error messages about long lists).

    >>> preview(["a", "b", "c"], limit=2)
    "'a', 'b', ... (1 more)"
    """
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")


def _check_nouts(nin: int, nouts: object) -> list[int]:
    """``nouts`` as a list of layer widths, or an error that says what to write."""
    example = "e.g. MLP(2, [16, 16, 1]) for two hidden layers of 16 and one output"
    if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Iterable):
        hint = ""
        if isinstance(nouts, numbers.Integral) and not isinstance(nouts, bool):
            width = int(nouts)
            hint = f"; for a single layer of {width} neuron{'s' if width != 1 else ''} write MLP({nin}, [{width}])"
        raise TypeError(f"MLP nouts must be a list of layer sizes ({example}), got {type(nouts).__name__}: {nouts!r}{hint}")
    widths = list(nouts)
    if not widths:
        raise ValueError("MLP nouts must list at least one layer width, got []")
    return [_check_count("MLP layer width", n) for n in widths]


class Neuron(Module):
    """One neuron: ``activation(w · x + b)`` as one fused ``dot`` node plus one activation node.

    >>> n = Neuron(2, activation="linear", seed=0)
    >>> n.load_state_dict({"w.0": 2.0, "w.1": -1.0, "b": 0.5})
    >>> n([3.0, 4.0]).data
    2.5
    """

    def __init__(
        self,
        nin: int,
        activation: Activation | None = None,
        *,
        nonlin: bool | None = None,
        init: Init = "uniform",
        seed: Seed = None,
        fan_out: int = 1,
    ) -> None:
        self.nin = _check_count("Neuron nin", nin)
        self.activation: Activation = _activation_from("Neuron", activation, nonlin)
        _check_count("Neuron fan_out", fan_out)
        rng = rng_from(seed)
        self.w = [Value(w) for w in init_weights(rng, init, nin, fan_out, nin)]
        self.b = Value(0.0)  # biases start at zero for every init, as in micrograd
        self._activate = _ACTIVATION_METHODS[self.activation]
        self._label_parameters()

    def __call__(self, x: Any) -> Value:
        """The neuron's output for ``nin`` inputs (a single number or Value is fine when nin == 1)."""
        return self._forward(_as_input_list(self, x, self.nin))

    def _forward(self, xs: list[Any]) -> Value:
        out = dot(self.w, xs, self.b)
        return out if self._activate is None else self._activate(out)

    @property
    def nonlin(self) -> bool:
        """micrograd's flag: whether the neuron has an activation (False for ``"linear"``)."""
        return self.activation != "linear"

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``w.0``, ``w.1``, ..., then ``b`` (micrograd's order: ``w + [b]``)."""
        return [*((f"w.{i}", w) for i, w in enumerate(self.w)), ("b", self.b)]

    def architecture(self) -> dict[str, Any]:
        """``{"type": "Neuron", "nin": ..., "activation": ...}``."""
        return {"type": "Neuron", "nin": self.nin, "activation": self.activation}


class Layer(Module):
    """``nout`` neurons reading the same inputs; calling returns a list, or one Value when nout == 1.

    >>> layer = Layer(3, 2, activation="tanh", seed=0)
    >>> len(layer([1.0, 2.0, 3.0])), len(layer.parameters())
    (2, 8)
    """

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: Activation | None = None,
        *,
        nonlin: bool | None = None,
        init: Init = "uniform",
        seed: Seed = None,
    ) -> None:
        self.nin = _check_count("Layer nin", nin)
        self.nout = _check_count("Layer nout", nout)
        self.activation: Activation = _activation_from("Layer", activation, nonlin)
        rng = rng_from(seed)
        self.neurons = [Neuron(self.nin, self.activation, init=init, seed=rng, fan_out=self.nout) for _ in range(self.nout)]
        self._label_parameters()

    def __call__(self, x: Any) -> Output:
        """The layer's outputs: a list of ``nout`` Values, or a single Value when nout == 1 (as in micrograd)."""
        out = self._forward(_as_input_list(self, x, self.nin))
        return out[0] if len(out) == 1 else Outputs(out)

    def outputs(self, x: Any) -> list[Value]:
        """Like calling the layer, but always a list (also for nout == 1)."""
        return self._forward(_as_input_list(self, x, self.nin))

    def _forward(self, xs: list[Any]) -> list[Value]:
        return [n._forward(xs) for n in self.neurons]

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``neurons.<i>.<name>`` for each neuron's parameters, neuron by neuron."""
        return [(f"neurons.{i}.{name}", p) for i, n in enumerate(self.neurons) for name, p in n.named_parameters()]

    def architecture(self) -> dict[str, Any]:
        """``{"type": "Layer", "nin": ..., "nout": ..., "activation": ...}``."""
        return {"type": "Layer", "nin": self.nin, "nout": self.nout, "activation": self.activation}


class MLP(Module):
    """A multi-layer perceptron: ``MLP(2, [16, 16, 1])`` as in micrograd, the output layer linear by default.

    ``nouts`` lists the width of every layer, the last one being the number of outputs. Hidden
    layers use ``activation`` (ReLU unless said otherwise; micrograd's ``nonlin=False`` makes them
    linear), the last layer ``output_activation``.

    Seeds: without ``seed=`` the weights come from Python's global ``random``, in micrograd's
    order, so ``random.seed(1337); MLP(2, [16, 16, 1])`` has exactly micrograd 0.1.0's weights.
    With ``seed=`` (an int or a ``random.Random``) the model draws from its own generator, gives
    micrograd's weights for ``random.seed(seed)`` with ``init="uniform"``, and leaves the global
    state alone.

    The lecture's network, tanh in every layer including the output:

    >>> lecture = MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh", seed=0)
    >>> [layer.activation for layer in lecture.layers]
    ['tanh', 'tanh', 'tanh']

    >>> model = MLP(2, [16, 16, 1], seed=1337)
    >>> model
    MLP(2, [16, 16, 1], activation='relu', output_activation='linear')
    >>> len(model.parameters())
    337
    >>> round(model([2.0, -1.0]).data, 6)
    -1.534206
    """

    def __init__(
        self,
        nin: int,
        nouts: Iterable[int],
        activation: Activation | None = None,
        output_activation: Activation = "linear",
        *,
        nonlin: bool | None = None,
        init: Init = "uniform",
        seed: Seed = None,
    ) -> None:
        self.nin = _check_count("MLP nin", nin)
        self.nouts = _check_nouts(self.nin, nouts)
        self.activation: Activation = _activation_from("MLP", activation, nonlin)
        self.output_activation: Activation = _check_activation("MLP output_activation", output_activation)
        if init not in INITS:
            raise ValueError(f"init must be one of {', '.join(map(repr, INITS))}, got {init!r}")
        rng = rng_from(seed)
        sizes = [self.nin, *self.nouts]
        last = len(self.nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], self.output_activation if i == last else self.activation, init=init, seed=rng)
            for i in range(len(self.nouts))
        ]
        self._label_parameters()

    # Typed as one Value so that the micrograd loop (``model(x).relu()``, ``map(model, xs)``)
    # type-checks; a model with several outputs still returns a list at run time, as micrograd's
    # does, and typed code reaches those through ``outputs(x)``.
    def __call__(self, x: Any) -> Value:
        """The network's output: one Value if the last layer has one neuron (typed so), else a list (see ``outputs``)."""
        out = self.outputs(x)
        return out[0] if len(out) == 1 else Outputs(out)  # type: ignore[return-value]  # see the comment above

    def outputs(self, x: Any) -> list[Value]:
        """Like calling the model, but always a list of Values (also for a single output)."""
        xs: list[Any] = _as_input_list(self, x, self.nin)
        # Layers pass lists to each other internally, so a hidden layer of one neuron just works.
        for layer in self.layers:
            xs = layer._forward(xs)
        return xs

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``layers.<k>.neurons.<i>.w.<j>`` and ``layers.<k>.neurons.<i>.b``, layer by layer."""
        return [(f"layers.{k}.{name}", p) for k, layer in enumerate(self.layers) for name, p in layer.named_parameters()]

    def architecture(self) -> dict[str, Any]:
        """``{"type": "MLP", "nin": ..., "nouts": [...], "activation": ..., "output_activation": ...}``."""
        return {
            "type": "MLP",
            "nin": self.nin,
            "nouts": list(self.nouts),
            "activation": self.activation,
            "output_activation": self.output_activation,
        }

    def lecture_names(self, root: Value | None = None) -> dict[Value, str]:
        """The lecture's names (w₁₃⁽²⁾, b₁⁽²⁾, x₂⁽¹⁾) of the parameters and of ``root``'s states: see ``nn.notation``.

        >>> model = MLP(3, [5, 1], seed=0)
        >>> model.lecture_names()[model.layers[0].neurons[2].w[1]]
        'w₃₂⁽²⁾'
        """
        from nn.notation import lecture_names

        return lecture_names(self, root)

    def summary(self) -> str:
        """A table of the layers: shape, activation and parameter count.

        >>> print(MLP(2, [3, 1], seed=0).summary())
        MLP(2, [3, 1], activation='relu', output_activation='linear')
          layers.0  Layer(2, 3, activation='relu')        9 parameters
          layers.1  Layer(3, 1, activation='linear')      4 parameters
          total                                          13 parameters
        """
        rows = [(f"layers.{k}", repr(layer), len(layer.parameters())) for k, layer in enumerate(self.layers)]
        width = max(len(r[1]) for r in rows)
        lines = [repr(self)]
        lines += [f"  {name}  {text:<{width}}  {count:>5} parameters" for name, text, count in rows]
        lines.append(f"  {'total':<{8}}  {'':<{width}}  {len(self.parameters()):>5} parameters")
        return "\n".join(lines)

    # ----------------------------------------------------------------------------- files and PyTorch

    @classmethod
    def load(cls, path: PathLike) -> MLP:
        """A new MLP from a file written by ``save`` (``nn.load`` for any module type)."""
        from nn.serialize import load

        model = load(path)
        if not isinstance(model, MLP):
            from nn.serialize import ModelFileError

            raise ModelFileError(path, f"holds a {type(model).__name__}, not an MLP")
        return model

    def to_torch(self) -> torch.nn.Sequential:
        """An equivalent ``torch.nn.Sequential`` in float64 with the same weights (needs PyTorch)."""
        from nn.torch_bridge import to_torch

        return to_torch(self)

    @classmethod
    def from_torch(cls, seq: torch.nn.Module) -> MLP:
        """An MLP with the weights of a ``torch.nn.Sequential`` of ``Linear`` layers and activations."""
        from nn.torch_bridge import from_torch

        return from_torch(seq)
