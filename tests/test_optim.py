"""Tests for ``nn.optim``: every update against a float loop written from the published formula, and schedules."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value
from nn import MLP, mse
from nn.optim import SGD, Adam, constant, cosine, linear_decay, step_decay

starts = st.lists(st.floats(min_value=-5.0, max_value=5.0), min_size=1, max_size=4)
rates = st.floats(min_value=1e-4, max_value=0.5)
fractions = st.floats(min_value=0.0, max_value=0.99)
decays = st.one_of(st.just(0.0), st.floats(min_value=1e-4, max_value=0.1))
STEPS = 6


def gradient(i: int, x: float) -> float:
    """The gradient the tests feed in: of a different tilted quadratic per parameter, so steps differ."""
    return (i + 1.0) * (x - 0.5 * i) + 0.3 * math.sin(3.0 * x)


def run(optimizer: SGD | Adam, params: list[Value], steps: int = STEPS) -> list[float]:
    """Take ``steps`` optimizer steps, setting each grad from ``gradient`` first."""
    for _ in range(steps):
        for i, p in enumerate(params):
            p.grad = gradient(i, p.data)
        optimizer.step()
    return [p.data for p in params]


# ------------------------------------------------------------------------------------------ references
# Written from the formulas in PyTorch's documentation for torch.optim.SGD / Adam / AdamW, not from nn.optim.


def sgd_reference(
    x0: list[float], lr: Callable[[int], float], momentum: float, dampening: float, nesterov: bool, weight_decay: float
) -> list[float]:
    """PyTorch's SGD pseudo-code: g_t = ∇ + λθ; b_1 = g_1, b_t = μ b_(t-1) + (1 − τ) g_t; θ ← θ − γ (g_t + μ b_t | b_t)."""
    theta = list(x0)
    buffers = [0.0] * len(theta)
    for t in range(1, STEPS + 1):
        for i in range(len(theta)):
            g = gradient(i, theta[i]) + weight_decay * theta[i]
            if momentum != 0.0:
                buffers[i] = g if t == 1 else momentum * buffers[i] + (1.0 - dampening) * g
                g = g + momentum * buffers[i] if nesterov else buffers[i]
            theta[i] = theta[i] - lr(t - 1) * g
    return theta


def adam_reference(
    x0: list[float], lr: float, beta1: float, beta2: float, eps: float, weight_decay: float, decoupled: bool
) -> list[float]:
    """Kingma & Ba's Algorithm 1 with PyTorch's L2 term, or Loshchilov & Hutter's decoupled decay (AdamW)."""
    theta = list(x0)
    m = [0.0] * len(theta)
    v = [0.0] * len(theta)
    for t in range(1, STEPS + 1):
        for i in range(len(theta)):
            g = gradient(i, theta[i])
            if decoupled:
                theta[i] -= lr * weight_decay * theta[i]
            else:
                g += weight_decay * theta[i]
            m[i] = beta1 * m[i] + (1.0 - beta1) * g
            v[i] = beta2 * v[i] + (1.0 - beta2) * g**2
            m_hat = m[i] / (1.0 - beta1**t)
            v_hat = v[i] / (1.0 - beta2**t)
            theta[i] -= lr * m_hat / (math.sqrt(v_hat) + eps)
    return theta


# ------------------------------------------------------------------------------------------ SGD


@given(x0=starts, lr=rates, momentum=st.one_of(st.just(0.0), fractions), weight_decay=decays, dampening=fractions)
def test_sgd_matches_pytorch_formula(x0: list[float], lr: float, momentum: float, weight_decay: float, dampening: float) -> None:
    """SGD with momentum, dampening and weight decay follows PyTorch's update over several steps."""
    params = [Value(x) for x in x0]
    got = run(SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay, dampening=dampening), params)
    expected = sgd_reference(x0, constant(lr), momentum, dampening, False, weight_decay)
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-12)


@given(x0=starts, lr=rates, momentum=st.floats(min_value=0.01, max_value=0.99), weight_decay=decays)
def test_sgd_nesterov_matches_pytorch_formula(x0: list[float], lr: float, momentum: float, weight_decay: float) -> None:
    """Nesterov SGD steps along g + μ·b, as in PyTorch."""
    params = [Value(x) for x in x0]
    got = run(SGD(params, lr=lr, momentum=momentum, nesterov=True, weight_decay=weight_decay), params)
    assert got == pytest.approx(sgd_reference(x0, constant(lr), momentum, 0.0, True, weight_decay), rel=1e-12, abs=1e-12)


def test_sgd_momentum_by_hand() -> None:
    """With constant grad 1, lr 0.1, momentum 0.9: buffers 1, 1.9, 2.71, so θ goes 1 → 0.9 → 0.71 → 0.439."""
    p = Value(1.0)
    opt = SGD([p], lr=0.1, momentum=0.9)
    seen = []
    for _ in range(3):
        p.grad = 1.0
        opt.step()
        seen.append(p.data)
    assert seen == pytest.approx([0.9, 0.71, 0.439], rel=1e-15)


def test_plain_sgd_is_micrograds_update() -> None:
    """Without momentum the update is micrograd's p.data -= lr * p.grad, exactly."""
    params = [Value(0.3), Value(-1.7)]
    for p, g in zip(params, (0.25, -3.5)):
        p.grad = g
    SGD(params, lr=0.07).step()
    assert [p.data for p in params] == [0.3 - 0.07 * 0.25, -1.7 - 0.07 * -3.5]


# ------------------------------------------------------------------------------------------ Adam


@given(
    x0=starts,
    lr=rates,
    beta1=fractions,
    beta2=st.floats(min_value=0.5, max_value=0.9999),
    eps=st.sampled_from([1e-8, 1e-3]),
    weight_decay=decays,
    decoupled=st.booleans(),
)
def test_adam_matches_published_formula(
    x0: list[float], lr: float, beta1: float, beta2: float, eps: float, weight_decay: float, decoupled: bool
) -> None:
    """Adam (L2 weight decay) and AdamW (decoupled) match Algorithm 1 with bias correction over several steps."""
    params = [Value(x) for x in x0]
    opt = Adam(params, lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=weight_decay, decoupled=decoupled)
    got = run(opt, params)
    expected = adam_reference(x0, lr, beta1, beta2, eps, weight_decay, decoupled)
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_adam_first_step_moves_by_lr_times_sign() -> None:
    """Bias correction makes Adam's first step lr · g / (|g| + eps): about lr against the gradient's sign."""
    params = [Value(1.0), Value(1.0)]
    params[0].grad, params[1].grad = 123.0, -0.004
    Adam(params, lr=0.01, eps=0.0).step()
    assert [p.data for p in params] == pytest.approx([0.99, 1.01], rel=1e-15)


def test_adamw_decay_is_decoupled_from_the_gradient() -> None:
    """With zero gradient AdamW still shrinks θ by (1 − lr·λ); Adam's L2 decay instead moves it by about lr."""
    w, l2 = Value(2.0), Value(2.0)
    Adam([w], lr=0.1, weight_decay=0.5, decoupled=True).step()
    Adam([l2], lr=0.1, weight_decay=0.5).step()
    assert w.data == pytest.approx(2.0 * (1 - 0.1 * 0.5), rel=1e-15)
    assert l2.data == pytest.approx(2.0 - 0.1, rel=1e-9)


# ------------------------------------------------------------------------------------------ against PyTorch itself


def test_optimizers_match_torch_optim() -> None:
    """SGD (momentum, Nesterov, decay), Adam and AdamW give torch.optim's float64 numbers over several steps."""
    torch = pytest.importorskip("torch", reason="PyTorch is not installed; the cross-check against torch.optim is skipped")
    x0 = [0.7, -1.3, 2.2]
    # (our optimizer, the torch.optim class, keyword arguments both take)
    cases: list[tuple[type[SGD | Adam], str, dict[str, object]]] = [
        (SGD, "SGD", {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.01}),
        (SGD, "SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True}),
        (SGD, "SGD", {"lr": 0.05, "momentum": 0.5, "dampening": 0.3}),
        (Adam, "Adam", {"lr": 0.03, "weight_decay": 0.1}),
        (Adam, "AdamW", {"lr": 0.03, "weight_decay": 0.1}),
    ]
    for ours, theirs, kwargs in cases:
        params = [Value(x) for x in x0]
        got = run(ours(params, **kwargs, **({"decoupled": True} if theirs == "AdamW" else {})), params)  # type: ignore[arg-type]
        tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in x0]
        opt = getattr(torch.optim, theirs)(tensors, **kwargs)
        for _ in range(STEPS):
            for i, t in enumerate(tensors):
                t.grad = torch.tensor(gradient(i, t.item()), dtype=torch.float64)
            opt.step()
        assert got == pytest.approx([t.item() for t in tensors], rel=1e-12), (theirs, kwargs)


# ------------------------------------------------------------------------------------------ shared behaviour


def test_step_after_create_graph_uses_the_gradients_number() -> None:
    """After backward(create_graph=True) step() uses the gradient's number, as after a plain backward."""
    a, b = Value(1.5), Value(1.5)
    (a * a * a).backward(create_graph=True)
    assert isinstance(a.grad_value, Value)
    b.grad = 3 * 1.5**2
    SGD([a], lr=0.1).step()
    SGD([b], lr=0.1).step()
    assert a.data == b.data


def test_zero_grad_resets_the_optimizers_parameters() -> None:
    """optimizer.zero_grad() sets every parameter's grad to 0.0."""
    params = [Value(1.0), Value(2.0)]
    for p in params:
        p.grad = 5.0
    Adam(params).zero_grad()
    assert [p.grad for p in params] == [0.0, 0.0]


def test_training_an_mlp_with_sgd_lowers_the_loss() -> None:
    """A few full-batch SGD steps on a small regression reduce the MSE loss (optimizer and backward wired together)."""
    model = MLP(1, [8, 1], "tanh", seed=0)
    xs = [[x / 4.0] for x in range(-4, 5)]
    ys = [x[0] ** 2 for x in xs]
    opt = SGD(model.parameters(), lr=0.1, momentum=0.5)
    losses = []
    for _ in range(30):
        loss = mse([model(x) for x in xs], ys)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.data)
    assert losses[-1] < 0.5 * losses[0]


def test_parameters_listed_twice_are_refused() -> None:
    """A parameter listed twice (it would be stepped twice) raises ValueError naming it."""
    p = Value(1.0, label="layers.0.neurons.0.b")
    with pytest.raises(ValueError, match=r"parameter 1 \('layers.0.neurons.0.b'\) appears more than once"):
        SGD([p, p], lr=0.1)


@pytest.mark.parametrize(
    ("build", "pattern"),
    [
        (lambda: SGD([Value(0.0)], lr=-0.1), "lr must be a finite number >= 0"),
        (lambda: SGD([Value(0.0)], lr=0.1, momentum=-0.5), "momentum"),
        (lambda: SGD([Value(0.0)], lr=0.1, nesterov=True), "nesterov=True needs momentum > 0"),
        (lambda: Adam([Value(0.0)], betas=(1.0, 0.999)), r"betas\[0\] must be a finite number in \[0, 1\)"),
        (lambda: Adam([Value(0.0)], eps=-1.0), "eps"),
        (lambda: Adam([Value(0.0)], weight_decay=-1.0), "weight_decay"),
        (lambda: SGD([1.0], lr=0.1), "parameter 0 is a float, not a Value"),  # type: ignore[list-item]
    ],
)
def test_invalid_hyperparameters_are_refused(build: Callable[[], object], pattern: str) -> None:
    """Negative rates, betas outside [0, 1), Nesterov without momentum and non-Value parameters raise, saying which."""
    with pytest.raises((ValueError, TypeError), match=pattern):
        build()


# ------------------------------------------------------------------------------------------ schedules


def test_linear_decay_is_micrograds_schedule_exactly() -> None:
    """linear_decay(1.0, 0.1, 100) gives micrograd's 1.0 - 0.9*k/100 bit for bit for k in 0..99, then holds 0.1."""
    schedule = linear_decay(1.0, 0.1, 100)
    assert [schedule(k) for k in range(100)] == [1.0 - 0.9 * k / 100 for k in range(100)]
    assert schedule(100) == schedule(500) == 0.1


@given(lr=rates, every=st.integers(min_value=1, max_value=20), factor=fractions, k=st.integers(min_value=0, max_value=200))
def test_step_decay_formula(lr: float, every: int, factor: float, k: int) -> None:
    """step_decay gives lr · factor^⌊k / every⌋."""
    assert step_decay(lr, every, factor)(k) == pytest.approx(lr * factor ** math.floor(k / every), rel=1e-12)


@given(
    lr=rates,
    steps=st.integers(min_value=1, max_value=500),
    min_lr=st.floats(min_value=0.0, max_value=1e-4),
    k=st.integers(min_value=0, max_value=1000),
)
def test_cosine_formula(lr: float, steps: int, min_lr: float, k: int) -> None:
    """cosine gives min_lr + (lr − min_lr)(1 + cos(π t / T)) / 2 with t = min(k, T): lr at 0, min_lr from T on."""
    t = min(k, steps)
    expected = min_lr + 0.5 * (lr - min_lr) * (1.0 + math.cos(math.pi * t / steps))
    assert cosine(lr, steps, min_lr)(k) == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert cosine(lr, steps, min_lr)(0) == lr
    assert cosine(lr, steps, min_lr)(steps + k) == min_lr


@given(x0=starts, momentum=st.one_of(st.just(0.0), fractions))
def test_optimizer_follows_its_schedule_step_by_step(x0: list[float], momentum: float) -> None:
    """With a schedule, step k uses lr = schedule(k); .lr reports the rate of the next step."""
    schedule = linear_decay(0.3, 0.01, 4)
    params = [Value(x) for x in x0]
    opt = SGD(params, lr=schedule, momentum=momentum)
    rates_seen = []
    for _ in range(STEPS):
        rates_seen.append(opt.lr)
        for i, p in enumerate(params):
            p.grad = gradient(i, p.data)
        opt.step()
    assert rates_seen == [schedule(k) for k in range(STEPS)]
    expected = sgd_reference(x0, schedule, momentum, 0.0, False, 0.0)
    assert [p.data for p in params] == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_lr_can_be_reassigned() -> None:
    """Setting .lr to a number replaces the schedule with that constant rate."""
    opt = SGD([Value(0.0)], lr=cosine(1.0, 10))
    opt.lr = 0.25
    assert opt.lr == 0.25 and opt.schedule == constant(0.25)


@pytest.mark.parametrize("build", [lambda: linear_decay(1.0, 0.1, 0), lambda: step_decay(1.0, 0, 0.5), lambda: cosine(1.0, 0)])
def test_schedules_refuse_non_positive_lengths(build: Callable[[], object]) -> None:
    """A schedule over zero steps (a division by zero later) is refused when made."""
    with pytest.raises(ValueError, match="must be positive"):
        build()


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: SGD([], lr=-1.0), "SGD: lr must be a finite number >= 0, got -1.0"),
        (lambda: SGD([], lr=0.1, momentum=-0.5), "SGD: momentum must be a finite number >= 0, got -0.5"),
        (lambda: Adam([], betas=(1.0, 0.999)), "Adam: betas[0] must be a finite number in [0, 1), got 1.0"),
        (lambda: Adam([], eps=-1e-8), "Adam: eps must be a finite number >= 0, got -1e-08"),
        (lambda: SGD([], lr=math.inf), "SGD: lr must be a finite number >= 0, got inf"),
        (lambda: SGD([], lr=math.nan), "SGD: lr must be a finite number >= 0, got nan"),
        (lambda: SGD([], lr=0.1, momentum=math.inf), "SGD: momentum must be a finite number >= 0, got inf"),
        (lambda: SGD([], lr=0.1, weight_decay=math.inf), "SGD: weight_decay must be a finite number >= 0, got inf"),
        (lambda: SGD([], lr=0.1, dampening=math.nan), "SGD: dampening must be a finite number in [0, 1], got nan"),
        (lambda: Adam([], lr=0.1, weight_decay=math.nan), "Adam: weight_decay must be a finite number >= 0, got nan"),
        (lambda: Adam([], eps=math.inf), "Adam: eps must be a finite number >= 0, got inf"),
        (lambda: Adam([], betas=(0.9, math.nan)), "Adam: betas[1] must be a finite number in [0, 1), got nan"),
    ],
)
def test_bad_hyperparameters_name_the_optimizer_and_the_value(make: Callable[[], object], words: str) -> None:
    """A bad setting raises ValueError naming the optimizer, the setting, the rule and the value."""
    with pytest.raises(ValueError) as error:
        make()
    assert str(error.value) == words


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: SGD([], lr="0.1"), "SGD: lr must be a number (or a schedule), got str: '0.1'"),  # type: ignore[arg-type]
        (lambda: SGD([], lr=None), "SGD: lr must be a number (or a schedule), got NoneType: None"),  # type: ignore[arg-type]
        (lambda: SGD([], lr=0.1, momentum=True), "SGD: momentum must be a number, got bool: True"),
        (lambda: Adam([], betas=0.9), "Adam: betas must be a pair (beta1, beta2), got float: 0.9"),  # type: ignore[arg-type]
    ],
)
def test_non_number_hyperparameters_are_refused(make: Callable[[], object], words: str) -> None:
    """A hyperparameter that is not a number raises TypeError naming the optimizer, the setting and the value."""
    with pytest.raises(TypeError) as error:
        make()
    assert str(error.value) == words


def test_numpy_hyperparameters_are_accepted() -> None:
    """numpy floats and ints are numbers like any other."""
    import numpy as np

    opt = Adam([Value(1.0)], lr=np.float64(0.1), betas=(np.float32(0.5), 0.9), eps=np.float64(1e-8))
    assert opt.lr == 0.1 and opt.betas == (0.5, 0.9)


# ------------------------------------------------------------------------------------------ all or nothing (issue 12.5)


def snapshot(opt: SGD | Adam) -> tuple[object, ...]:
    """Everything a step may change: parameter data and grads, the step count and the optimizer's buffers."""
    state = (list(opt.buffers),) if isinstance(opt, SGD) else (list(opt.m), list(opt.v))
    return ([p.data for p in opt.params], [p.grad for p in opt.params], opt.steps, *state)


def test_adam_with_zero_eps_and_zero_gradient_fails_whole() -> None:
    """Adam(eps=0.0) with a zero gradient: ZeroDivisionError naming the parameter, and nothing moved, m/v/steps kept."""
    params = [Value(1.0, label="a"), Value(2.0, label="b"), Value(3.0, label="c")]
    opt = Adam(params, lr=0.1, eps=0.0)
    for p in params:
        p.grad = 1.0
    opt.step()
    params[0].grad, params[1].grad, params[2].grad = 0.5, 0.0, 0.25
    opt.v[1] = 0.0  # a parameter whose gradients have all been zero: v̂ = 0
    before = snapshot(opt)
    with pytest.raises(ZeroDivisionError, match=r"Adam step 2: parameter 1 \('b'\).*eps=0\.0.*nothing was changed"):
        opt.step()
    assert snapshot(opt) == before


def _give_bad_grad(p: Value, bad: object) -> bool:
    """Set a grad that is not a number; False where the engine refuses it at once (both engines do: issue 19.4)."""
    try:
        p.grad = bad  # type: ignore[assignment]
    except TypeError:
        return False
    return True


def test_bad_gradient_leaves_everything_as_it_was() -> None:
    """A gradient that is not a number raises TypeError naming the parameter, before anything is written."""
    params = [Value(1.0), Value(2.0, label="layers.0.neurons.0.b")]
    opt = SGD(params, lr=0.1, momentum=0.9)
    params[0].grad = 0.5
    if not _give_bad_grad(params[1], None):
        return
    before = snapshot(opt)
    with pytest.raises(TypeError, match=r"SGD: parameter 1 \('layers.0.neurons.0.b'\) has grad None"):
        opt.step()
    assert snapshot(opt) == before


@given(
    x0=starts,
    kind=st.sampled_from(["sgd", "momentum", "nesterov", "adam", "adamw"]),
    warmup=st.integers(min_value=0, max_value=3),
    data=st.data(),
)
def test_a_failing_step_changes_nothing(x0: list[float], kind: str, warmup: int, data: st.DataObject) -> None:
    """Whichever parameter's update fails, after warm-up steps of any optimizer: parameters, grads and state unchanged."""
    params = [Value(x, label=f"p{i}") for i, x in enumerate(x0)]
    opt: SGD | Adam
    if kind in ("sgd", "momentum", "nesterov"):
        opt = SGD(params, lr=0.1, momentum=0.0 if kind == "sgd" else 0.9, nesterov=kind == "nesterov", weight_decay=0.01)
    else:
        opt = Adam(params, lr=0.1, weight_decay=0.01, decoupled=kind == "adamw")
    run(opt, params, warmup)
    for i, p in enumerate(params):
        p.grad = gradient(i, p.data)
    bad = data.draw(st.integers(min_value=0, max_value=len(params) - 1))
    if not _give_bad_grad(params[bad], "not a number"):
        return
    before = snapshot(opt)
    with pytest.raises(TypeError, match=f"parameter {bad} \\('p{bad}'\\)"):
        opt.step()
    assert snapshot(opt) == before


def test_a_failing_update_changes_nothing_even_late_in_the_list() -> None:
    """An update that raises at the last parameter leaves the earlier parameters and buffers untouched."""

    class Faulty(SGD):
        def _update(self, i: int, x: float, g: float, lr: float) -> float:
            if i == len(self.params) - 1:
                raise OverflowError("simulated")
            return super()._update(i, x, g, lr)

    params = [Value(float(i)) for i in range(4)]
    opt = Faulty(params, lr=0.1, momentum=0.9)
    for p in params:
        p.grad = 1.0
    before = snapshot(opt)
    with pytest.raises(OverflowError, match=r"step 1: parameter 3 .*simulated.*nothing was changed"):
        opt.step()
    assert snapshot(opt) == before


@pytest.mark.parametrize(
    ("value", "error", "words"),
    [
        (math.nan, ValueError, "gave nan at step 2"),
        (-0.5, ValueError, "gave -0.5 at step 2"),
        (math.inf, ValueError, "gave inf at step 2"),
        ("fast", TypeError, "gave str: 'fast' at step 2"),
        (None, TypeError, "gave NoneType: None at step 2"),
    ],
)
def test_schedule_values_are_checked_at_use(value: object, error: type[Exception], words: str) -> None:
    """A schedule giving nan, a negative, inf or a non-number raises (naming the optimizer and step) and changes nothing."""

    def schedule(step: int) -> float:
        return 0.1 if step < 2 else value  # type: ignore[return-value]

    params = [Value(1.0), Value(-1.0)]
    opt = Adam(params, lr=schedule)
    for _ in range(2):
        for p in params:
            p.grad = 0.3
        opt.step()
    before = snapshot(opt)
    with pytest.raises(error, match=f"Adam: the learning-rate schedule .* {re.escape(words)}"):
        opt.step()
    assert snapshot(opt) == before


def test_adam_refuses_a_weight_decay_whose_second_moment_overflows_at_the_first_step() -> None:
    """Adam(weight_decay=1e308) is refused when made, naming the limit; just below the limit is accepted."""
    p = Value(1.0)
    with pytest.raises(ValueError, match=r"weight_decay=1e\+308 .* overflow at the first step .* must be below 4\.2"):
        Adam([p], weight_decay=1e308)
    Adam([p], weight_decay=1e150)
    Adam([p], weight_decay=1e308, decoupled=True)  # AdamW's decay never enters the moments


def test_adam_refuses_a_step_whose_second_moment_overflows_and_changes_nothing() -> None:
    """A gradient so large that v = (1 - beta2)·g² is inf raises OverflowError; parameters and state stay as they were."""
    p = Value(1.0)
    p.grad = 1e200
    adam = Adam([p], lr=0.1)
    with pytest.raises(OverflowError, match="second moment"):
        adam.step()
    assert p.data == 1.0 and adam.steps == 0 and adam.m == adam.v == [0.0]


def test_state_and_restore_round_trip_every_optimizer() -> None:
    """restore(state()) after a step puts back the step count and every buffer: the next step is the first one again."""
    for make in (lambda ps: SGD(ps, lr=0.1, momentum=0.9), lambda ps: Adam(ps, lr=0.1)):
        p = Value(1.0)
        p.grad = 0.5
        optimizer = make([p])
        saved = optimizer.state()
        optimizer.step()
        first = p.data
        optimizer.restore(saved)
        p.data = 1.0
        optimizer.step()
        assert p.data == first and optimizer.steps == 1
