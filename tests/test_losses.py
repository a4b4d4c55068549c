"""Tests for ``nn.losses``: exact formulas, accuracy for huge logits against 60-digit references, gradients."""

from __future__ import annotations

import decimal
import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from micrograd.engine import Value as MicrogradValue

from autograd import Value, gradients
from autograd.gradcheck import gradcheck
from nn.losses import binary_cross_entropy, cross_entropy, hinge, l2, mse

finite = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False)
moderate = st.floats(min_value=-8.0, max_value=8.0, allow_nan=False)
huge_logits = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False)
batch_sizes = st.integers(min_value=1, max_value=6)

# References are computed with the standard library's decimal module at 60 digits, in forms without
# cancellation (log1p by its series for tiny arguments), so even a loss of 1e-300 keeps 40+ digits.
REFERENCE = decimal.Context(prec=60, Emin=-(10**9), Emax=10**9)


def _close(got: float, exact: Decimal, *, rel: float = 1e-13) -> bool:
    """got equals the reference to a few ulps, relatively (so tiny losses must keep their digits)."""
    with decimal.localcontext(REFERENCE):
        return abs(Decimal(got) - exact) <= Decimal(rel) * abs(exact) + Decimal("1e-300")


def _exp(x: float | Decimal) -> Decimal:
    return REFERENCE.exp(Decimal(x))


def _log1p(t: Decimal) -> Decimal:
    """log(1 + t) for t >= 0: the series t − t²/2 + t³/3 (error < t⁴ ≈ 1e-48 relative) for tiny t."""
    with decimal.localcontext(REFERENCE):
        if t < Decimal("1e-12"):
            return t - t * t / 2 + t * t * t / 3
        return (1 + t).ln()


def _softplus(x: float) -> Decimal:
    """log(1 + e^x) = max(x, 0) + log1p(e^-|x|), exactly, at 60 digits."""
    with decimal.localcontext(REFERENCE):
        return max(Decimal(x), Decimal(0)) + _log1p(_exp(-abs(x)))


def _sigmoid(z: float) -> Decimal:
    with decimal.localcontext(REFERENCE):
        return 1 / (1 + _exp(-z))


# ------------------------------------------------------------------------------------------ mse


@given(st.lists(st.tuples(finite, finite), min_size=1, max_size=8))
def test_mse_is_exactly_the_mean_of_squared_errors(pairs: list[tuple[float, float]]) -> None:
    """mse is exactly 1/P Σ (y_p − ℓ_p)², bit for bit with the float formula written out."""
    ys = [Value(y) for y, _ in pairs]
    labels = [t for _, t in pairs]
    expected = sum((y - t) ** 2 for y, t in pairs) / len(pairs)
    assert mse(ys, labels).data == expected


@given(st.lists(st.tuples(finite, finite), min_size=1, max_size=8))
def test_mse_gradient_is_two_over_p_times_error(pairs: list[tuple[float, float]]) -> None:
    """d mse / d y_p = 2 (y_p − ℓ_p) / P."""
    ys = [Value(y) for y, _ in pairs]
    grads = gradients(mse(ys, [t for _, t in pairs]), ys)
    assert grads == pytest.approx([2.0 * (y - t) / len(pairs) for y, t in pairs], rel=1e-12, abs=1e-12)


def test_mse_accepts_value_targets_and_gives_them_gradients() -> None:
    """Targets may be Values too; they receive the opposite gradient."""
    y, t = Value(3.0), Value(1.0)
    assert gradients(mse([y], [t]), [y, t]) == [4.0, -4.0]


# ------------------------------------------------------------------------------------------ hinge


@given(st.lists(st.tuples(moderate, st.sampled_from([-1, 1])), min_size=1, max_size=8))
def test_hinge_gives_micrograds_numbers(pairs: list[tuple[float, int]]) -> None:
    """hinge equals micrograd's demo loss sum(relu(1 + -y*s)) * (1/n) bit for bit, gradients included."""
    ours = [Value(s) for s, _ in pairs]
    theirs = [MicrogradValue(s) for s, _ in pairs]
    their_losses = [(1 + -y * s).relu() for s, (_, y) in zip(theirs, pairs)]
    their_loss = sum(their_losses) * (1.0 / len(their_losses))
    our_loss = hinge(ours, [y for _, y in pairs])
    assert our_loss.data == their_loss.data
    our_loss.backward()
    their_loss.backward()
    assert [s.grad for s in ours] == [float(s.grad) for s in theirs]


def test_hinge_refuses_zero_one_labels() -> None:
    """A 0 label (a 0/1 classification mix-up) raises ValueError pointing to binary_cross_entropy."""
    with pytest.raises(ValueError, match="binary_cross_entropy"):
        hinge([Value(0.5)], [0])


# ------------------------------------------------------------------------------------------ binary cross-entropy


def _bce_exact(z: float, label: float) -> Decimal:
    """−ℓ log σ(z) − (1 − ℓ) log(1 − σ(z)), using −log σ(z) = softplus(−z) and −log(1 − σ(z)) = softplus(z)."""
    with decimal.localcontext(REFERENCE):
        return Decimal(label) * _softplus(-z) + (1 - Decimal(label)) * _softplus(z)


@given(st.lists(st.tuples(huge_logits, st.sampled_from([0, 1])), min_size=1, max_size=5))
def test_bce_is_accurate_for_huge_logits(pairs: list[tuple[float, int]]) -> None:
    """binary_cross_entropy matches a 60-digit reference to ~1e-13 relative, for logits up to ±1e4 (no overflow)."""
    loss = binary_cross_entropy([Value(z) for z, _ in pairs], [y for _, y in pairs]).data
    with decimal.localcontext(REFERENCE):
        exact = sum((_bce_exact(z, y) for z, y in pairs), Decimal(0)) / len(pairs)
    assert math.isfinite(loss)
    assert _close(loss, exact), (loss, exact)


@given(z=st.floats(min_value=10.0, max_value=700.0))
def test_bce_confident_right_answer_keeps_a_tiny_positive_loss(z: float) -> None:
    """A confidently right logit gives the tiny loss log(1 + e^-z), not 0 from cancellation."""
    loss = binary_cross_entropy([Value(z)], [1]).data
    assert loss > 0.0
    assert _close(loss, _bce_exact(z, 1))


@given(z=moderate, label=st.floats(min_value=0.0, max_value=1.0))
def test_bce_soft_labels_match_reference(z: float, label: float) -> None:
    """Labels anywhere in [0, 1] give −ℓ log σ(z) − (1 − ℓ) log(1 − σ(z))."""
    assert _close(binary_cross_entropy([Value(z)], [label]).data, _bce_exact(z, label), rel=1e-12)


@given(st.lists(st.tuples(huge_logits, st.sampled_from([0, 1])), min_size=1, max_size=5))
def test_bce_gradient_is_sigmoid_minus_label_over_n(pairs: list[tuple[float, int]]) -> None:
    """d bce / d z_i = (σ(z_i) − ℓ_i) / N, even where σ saturates."""
    zs = [Value(z) for z, _ in pairs]
    grads = gradients(binary_cross_entropy(zs, [y for _, y in pairs]), zs)
    with decimal.localcontext(REFERENCE):
        # σ(z) − 1 = −σ(−z): written that way so the reference does not cancel for large z.
        expected = [float((_sigmoid(z) if y == 0 else -_sigmoid(-z)) / len(pairs)) for z, y in pairs]
    assert grads == pytest.approx(expected, rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("label", [-0.5, 1.5, 2])
def test_bce_refuses_labels_outside_zero_one(label: float) -> None:
    """Labels outside [0, 1] (for example ±1 hinge labels... or 2) raise ValueError."""
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        binary_cross_entropy([Value(0.0)], [label])


# ------------------------------------------------------------------------------------------ cross-entropy


Batch = tuple[list[list[float]], list[int]]


@st.composite
def classification_batches(draw: st.DrawFn, scores: st.SearchStrategy[float] = huge_logits) -> Batch:
    """Rows of class scores (1 to 5 classes, same count per row) with a valid label for each row."""
    classes = draw(st.integers(min_value=1, max_value=5))
    n = draw(batch_sizes)
    rows = draw(st.lists(st.lists(scores, min_size=classes, max_size=classes), min_size=n, max_size=n))
    labels = draw(st.lists(st.integers(min_value=0, max_value=classes - 1), min_size=n, max_size=n))
    return rows, labels


def _ce_exact(row: list[float], label: int) -> Decimal:
    """log Σ_j e^(s_j) − s_label = (m − s_label) + log1p(Σ_(j≠k) e^(s_j − m)), k the first largest score m."""
    with decimal.localcontext(REFERENCE):
        m = max(row)
        k = row.index(m)
        rest = sum((_exp(Decimal(s) - Decimal(m)) for j, s in enumerate(row) if j != k), Decimal(0))
        return (Decimal(m) - Decimal(row[label])) + _log1p(rest)


@given(classification_batches())
def test_cross_entropy_is_accurate_for_huge_scores(batch: Batch) -> None:
    """cross_entropy matches a 60-digit log-sum-exp reference to ~1e-13 relative for scores up to ±1e4."""
    rows, labels = batch
    loss = cross_entropy([[Value(s) for s in row] for row in rows], labels).data
    with decimal.localcontext(REFERENCE):
        exact = sum((_ce_exact(row, y) for row, y in zip(rows, labels)), Decimal(0)) / len(rows)
    assert math.isfinite(loss)
    assert _close(loss, exact, rel=1e-12), (loss, exact)


@given(margin=st.floats(min_value=5.0, max_value=700.0), classes=st.integers(min_value=2, max_value=5))
def test_cross_entropy_confident_right_answer_keeps_a_tiny_positive_loss(margin: float, classes: int) -> None:
    """When the labelled class wins by a wide margin the loss is tiny but positive and accurate, not 0."""
    row = [0.0] * classes
    row[1] = margin
    loss = cross_entropy([[Value(s) for s in row]], [1]).data
    assert loss > 0.0
    assert _close(loss, _ce_exact(row, 1))


@given(classification_batches())
def test_cross_entropy_gradient_is_softmax_minus_one_hot_over_n(batch: Batch) -> None:
    """d ce / d s_ij = (softmax(s_i)_j − [j = ℓ_i]) / N, computed independently with decimal."""
    rows, labels = batch
    scores = [[Value(s) for s in row] for row in rows]
    flat = [v for row in scores for v in row]
    grads = gradients(cross_entropy(scores, labels), flat)
    expected = []
    with decimal.localcontext(REFERENCE):
        for row, y in zip(rows, labels):
            total = sum(_exp(s) for s in row)
            expected += [float((_exp(s) / total - (j == y)) / len(rows)) for j, s in enumerate(row)]
    assert grads == pytest.approx(expected, rel=1e-9, abs=1e-15)


@given(classification_batches(moderate))
def test_cross_entropy_gradients_match_central_differences(batch: Batch) -> None:
    """The engine's gradient of cross_entropy agrees with central differences (autograd.gradcheck)."""
    rows, labels = batch
    width = len(rows[0])

    def f(*flat: Value) -> Value:
        return cross_entropy([list(flat[i * width : (i + 1) * width]) for i in range(len(rows))], labels)

    assert gradcheck(f, [s for row in rows for s in row])


@given(st.lists(st.tuples(moderate, st.sampled_from([0, 1])), min_size=1, max_size=5))
def test_bce_and_mse_gradients_match_central_differences(pairs: list[tuple[float, int]]) -> None:
    """The engine's gradients of binary_cross_entropy and mse agree with central differences."""
    labels = [y for _, y in pairs]
    assert gradcheck(lambda *zs: binary_cross_entropy(zs, labels), [z for z, _ in pairs])
    assert gradcheck(lambda *zs: mse(zs, labels), [z for z, _ in pairs])


def test_cross_entropy_of_one_class_is_zero() -> None:
    """With a single class softmax is 1, so the loss and its gradient are exactly 0."""
    s = Value(123.0)
    loss = cross_entropy([[s]], [0])
    assert loss.data == 0.0
    assert gradients(loss, [s]) == [0.0]


def test_cross_entropy_accepts_plain_number_scores() -> None:
    """Rows of plain numbers work (constant scores), giving log(classes) for equal scores."""
    assert cross_entropy([[2.0, 2.0, 2.0, 2.0]], [3]).data == pytest.approx(math.log(4.0), rel=1e-15)


@pytest.mark.parametrize(
    ("rows", "labels", "pattern"),
    [
        ([[1.0, 2.0]], [2], r"label 0 must be a class index in 0..1, got 2"),
        ([[1.0, 2.0]], [-1], r"class index"),
        ([[1.0, 2.0]], [True], r"class index"),
        ([[1.0, 2.0]], [0, 1], r"1 rows of class scores but 2 labels"),
        ([[]], [0], r"row 0 has no class scores"),
        ([], [], r"at least one"),
    ],
)
def test_cross_entropy_refuses_bad_labels_and_shapes(rows: list[list[float]], labels: list[int], pattern: str) -> None:
    """Out-of-range, negative or bool labels, count mismatches and empty rows raise ValueError saying which."""
    with pytest.raises(ValueError, match=pattern):
        cross_entropy(rows, labels)


# ------------------------------------------------------------------------------------------ l2 and shared checks


@given(st.lists(finite, max_size=8))
def test_l2_is_the_sum_of_squares(ps: list[float]) -> None:
    """l2 is Σ p², with gradient 2p per parameter."""
    params = [Value(p) for p in ps]
    penalty = l2(params)
    assert penalty.data == pytest.approx(math.fsum(p * p for p in ps), rel=1e-14)
    if params:
        assert gradients(penalty, params) == [2.0 * p for p in ps]


@pytest.mark.parametrize("loss", [mse, hinge, binary_cross_entropy])
def test_losses_refuse_length_mismatch_and_empty_batches(loss: object) -> None:
    """Different numbers of predictions and targets, or none at all, raise ValueError naming the loss."""
    name = loss.__name__  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match=f"{name}: 2 predictions but 1 targets"):
        loss([Value(1.0), Value(1.0)], [1])  # type: ignore[operator]
    with pytest.raises(ValueError, match=f"{name}: needs at least one"):
        loss([], [])  # type: ignore[operator]


def test_losses_refuse_non_numbers() -> None:
    """A string prediction raises TypeError naming the loss and the position."""
    with pytest.raises(TypeError, match="mse: prediction 1 must be a Value or a number"):
        mse([Value(1.0), "2"], [1.0, 2.0])  # type: ignore[list-item]


# ------------------------------------------------------------------------------------------ odd inputs (issue 12)


def test_hinge_of_a_nan_score_is_nan() -> None:
    """A nan score gives a nan loss, not a quiet 0.0 from relu(nan)."""
    assert math.isnan(hinge([Value(math.nan)], [1]).data)


def test_cross_entropy_of_a_nan_score_is_nan_and_blames_no_log() -> None:
    """A nan score propagates to a nan loss (it raised "log: input nan is outside the domain")."""
    assert math.isnan(cross_entropy([[Value(math.nan), Value(1.0), Value(0.0)]], [1]).data)
    assert math.isnan(cross_entropy([[Value(0.0), Value(math.nan)]], [0]).data)


def test_cross_entropy_on_a_single_output_says_so() -> None:
    """A model with one output gives one Value per example, not a row: the error says that, not 'not iterable'."""
    with pytest.raises(ValueError, match=r"row 0 is a single score .*one output.*binary_cross_entropy"):
        cross_entropy([Value(0.5)], [0])  # type: ignore[list-item]


def test_cross_entropy_reads_no_scores_as_numbers() -> None:
    """The graph is the same whichever score is largest: nothing in it depends on the scores' values."""

    def ops(row: list[float]) -> list[str]:
        from autograd import topological_order

        return [n.op for n in topological_order(cross_entropy([[Value(s) for s in row]], [1]))]

    assert ops([3.0, 1.0, 2.0]) == ops([1.0, 3.0, 2.0]) == ops([-800.0, 800.0, 0.0])


@given(z=moderate, label=st.floats(min_value=0.0, max_value=1.0))
def test_bce_with_a_value_label_uses_it_in_the_graph(z: float, label: float) -> None:
    """A Value label is used as a node (no .data read), giving the float label's loss and the label's gradient."""
    y = Value(label)
    logit = Value(z)
    loss = binary_cross_entropy([logit], [y])
    assert _close(loss.data, _bce_exact(z, label), rel=1e-12)
    assert gradients(loss, [y]) == pytest.approx([z * -1.0], rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(("loss", "label"), [(hinge, 0.5), (binary_cross_entropy, 1.5)])
def test_value_labels_are_still_checked(loss: object, label: float) -> None:
    """A Value label out of range is refused like a number label."""
    with pytest.raises(ValueError, match="label 0"):
        loss([Value(0.0)], [Value(label)])  # type: ignore[operator]


def test_hinge_refuses_a_nan_label() -> None:
    """A nan label is neither -1 nor 1."""
    with pytest.raises(ValueError, match="label 0 must be -1 or 1"):
        hinge([Value(0.5)], [math.nan])
