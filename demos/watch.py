"""Watch the lecture's 3→5→1 network learn its four samples, epoch by epoch, in one offline page.

    python -m demos.watch              # 60 epochs of gradient descent, out/watch.html
    python -m demos.watch --quick      # 5 epochs, for a smoke test
    python -m demos.watch --out DIR    # write the page to DIR/watch.html

The lecture's setup: ``MLP(3, [5, 1])`` with y = f(w⁽³⁾·f(w⁽²⁾·x + b⁽²⁾) + b⁽³⁾), f = tanh, the mean squared
error L = (1/P) Σ (y_p − ℓ_p)² over P = 4 samples, full-batch gradient descent with learning rate
α = 0.05, so every epoch is one update p ← p − α·∂L/∂p. The page (``nn.watch``) shows each
epoch's parameters and gradients on the network, the update written out with its numbers for the
parameter you click, and the loss curve; the terminal gets the same update for one weight.
"""

from __future__ import annotations

import sys
from pathlib import Path

from demos._common import demo_parser, steps_from
from nn.module import MLP
from nn.optim import SGD
from nn.snapshots import Snapshots
from nn.train import fit
from nn.watch import watch_data, watch_page

#: The lecture's four samples of three inputs and their targets.
XS = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
YS = [1.0, -1.0, -1.0, 1.0]
EPOCHS = 60
QUICK_EPOCHS = 5
LR = 0.05
SEED = 0


def train(epochs: int, seed: int = SEED) -> tuple[MLP, Snapshots]:
    """The lecture's network trained ``epochs`` full-batch epochs, with a snapshot after each one.

    >>> model, snaps = train(3)
    >>> len(snaps), snaps[-1].train_loss < snaps[0].train_loss
    (3, True)
    """
    model = MLP(3, [5, 1], activation="tanh", output_activation="tanh", seed=seed)
    snaps = Snapshots()
    fit(model, "mse", XS, YS, optimizer=SGD(model.parameters(), lr=LR), epochs=epochs, callbacks=[snaps], progress=False)
    return model, snaps


def update_line(snaps: Snapshots, model: MLP, epoch: int = -1, parameter: int = 0) -> str:
    """One epoch's update of one parameter, written out as the page writes it.

    >>> model, snaps = train(2)
    >>> update_line(snaps, model, 1).startswith("epoch 2: w₁₁⁽²⁾ ← ")
    True
    """
    data = watch_data(snaps, model)
    shown = data["epochs"][epoch]
    name = data["params"][parameter]["name"]
    u = shown["update"][parameter]
    return (
        f"epoch {shown['epoch']}: {name} ← {u['beforeText']} − {shown['lrText']} × ({shown['gradsText'][parameter]})"
        f" = {u['nextText']}"
    )


def main(argv: list[str] | None = None) -> int:
    """Train, print the first and last updates of one weight, write the page."""
    parser = demo_parser(__doc__.splitlines()[0], steps=EPOCHS, quick_steps=QUICK_EPOCHS, seed=SEED)
    args = parser.parse_args(argv)
    epochs = steps_from(args, steps=EPOCHS, quick_steps=QUICK_EPOCHS)
    if epochs < 1:
        raise SystemExit("--steps must be >= 1: the page shows at least one epoch")
    model, snaps = train(epochs, args.seed)
    print(f"trained the 3→5→1 network {epochs} epochs: loss {snaps[0].train_loss:.4g} → {snaps[-1].train_loss:.4g}")
    print(update_line(snaps, model, 0))
    print(update_line(snaps, model, -1))
    page = watch_page(snaps, model, path=Path(args.out) / "watch.html")
    print(f"wrote {page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
