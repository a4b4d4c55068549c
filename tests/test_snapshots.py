"""Tests for ``nn.snapshots``: a training run recorded epoch by epoch, and the two-moons boundary drawn from it."""

from __future__ import annotations

from pathlib import Path

import pytest

import nn
from nn.data import make_moons
from nn.snapshots import Snapshots


def test_each_snapshot_is_the_model_after_its_epoch() -> None:
    """Snapshot k holds the parameters a run of k epochs ends with, and the gradients its last update used."""
    X, y = make_moons(12, 0.1, 0, signed=True)
    model = nn.MLP(2, [3, 1], seed=0)
    snaps = Snapshots()
    history = nn.fit(model, "hinge", X, y, optimizer=nn.SGD(model.parameters(), lr=0.2), epochs=4, callbacks=[snaps],
                     progress=False)  # fmt: skip
    assert [s.epoch for s in snaps] == history.epochs and [s.train_loss for s in snaps] == history.train_loss
    for k in range(1, 5):
        replay = nn.MLP(2, [3, 1], seed=0)
        nn.fit(replay, "hinge", X, y, optimizer=nn.SGD(replay.parameters(), lr=0.2), epochs=k, progress=False)
        assert snaps[k - 1].params == replay.state_dict()
        # p_k = p_(k-1) - lr·g_k: the recorded gradient is the one the update used
        before = snaps[k - 2].params if k > 1 else nn.MLP(2, [3, 1], seed=0).state_dict()
        assert all(abs(before[n] - 0.2 * snaps[k - 1].grads[n] - snaps[k - 1].params[n]) < 1e-12 for n in before)


def test_every_keeps_every_nth_epoch_and_the_last() -> None:
    """every=3 over 7 epochs keeps epochs 1, 4, 7; restore() puts a snapshot's parameters back."""
    X, y = make_moons(8, 0.1, 0, signed=True)
    model = nn.MLP(2, [3, 1], seed=0)
    snaps = Snapshots(every=3)
    nn.fit(model, "hinge", X, y, optimizer=nn.SGD(model.parameters(), lr=0.2), epochs=7, callbacks=[snaps], progress=False)
    assert [s.epoch for s in snaps] == [1, 4, 7]
    snaps.restore(model, 0)
    assert model.state_dict() == snaps[0].params
    with pytest.raises(ValueError, match="every must be an int >= 1"):
        Snapshots(every=0)


def test_moons_animate_writes_the_boundary_per_epoch_as_a_figure_and_a_gif(tmp_path: Path) -> None:
    """demos.moons --animate writes moons_epochs.png and a GIF with one frame per snapshot."""
    from PIL import Image

    from demos import moons
    from tests.test_demos import assert_picture

    assert moons.main(["--quick", "--animate", "--out", str(tmp_path)]) == 0
    assert_picture(tmp_path / "moons_epochs.png")
    with Image.open(tmp_path / "moons_training.gif") as gif:
        assert gif.n_frames == moons.QUICK_STEPS  # one snapshot per epoch when steps < FRAMES
