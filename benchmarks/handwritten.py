"""micrograd's demo step written by hand in plain floats: dense loops and the chain rule by hand.

The baseline the compiled path is measured against. The forward and backward follow the same
arithmetic as the graph (``b + w0*x0 + w1*x1 ...`` left to right, relu, hinge loss and
1e-4·Σp²), and the gradients are checked against valuegrad's before any timing.
"""

from __future__ import annotations

from collections.abc import Sequence

#: One layer: (weights[neuron][input], biases[neuron]).
Layer = tuple[list[list[float]], list[float]]


def step(layers: list[Layer], X: Sequence[Sequence[float]], y: Sequence[int], lr: float) -> tuple[float, list[Layer]]:
    """One full-batch step: returns the loss and the gradients (same nesting as ``layers``), updating in place.

    >>> layers = [([[0.5, -0.5]], [0.1]), ([[1.0]], [0.0])]
    >>> round(step(layers, [[1.0, 2.0]], [1], lr=0.0)[0], 6)
    1.000151
    """
    last = len(layers) - 1
    grads: list[Layer] = [([[0.0] * len(w) for w in W], [0.0] * len(B)) for W, B in layers]
    n = len(X)
    total = 0.0
    for x, label in zip(X, y):
        # forward, keeping each layer's input and pre-activation
        acts = [list(x)]
        pres = []
        h = acts[0]
        for k, (W, B) in enumerate(layers):
            pre = []
            for w, b in zip(W, B):
                s = b
                for wi, hi in zip(w, h):
                    s += wi * hi
                pre.append(s)
            pres.append(pre)
            h = pre if k == last else [s if s > 0.0 else 0.0 for s in pre]
            acts.append(h)
        score = h[0]
        margin = 1.0 + -label * score
        # The full backward runs even where relu zeroes the gradient, as a graph's backward does:
        # skipping it would make the baseline's cost depend on how far training has got.
        total += margin if margin > 0.0 else 0.0
        upstream = [-label * (1.0 / n) if margin > 0.0 else 0.0]
        for k in range(last, -1, -1):
            W, _ = layers[k]
            gW, gB = grads[k]
            pre = pres[k]
            if k != last:
                upstream = [u if s > 0.0 else 0.0 for u, s in zip(upstream, pre)]
            h = acts[k]
            down = [0.0] * len(h)
            for j, (w, u) in enumerate(zip(W, upstream)):
                gB[j] += u
                gw = gW[j]
                for i, hi in enumerate(h):
                    gw[i] += hi * u
                    down[i] += w[i] * u
            upstream = down
    loss = total * (1.0 / n)
    reg = 0.0
    for (W, B), (gW, gB) in zip(layers, grads):
        for w, gw in zip(W, gW):
            for i, wi in enumerate(w):
                reg += wi * wi
                gw[i] += 1e-4 * 2.0 * wi
        for j, b in enumerate(B):
            reg += b * b
            gB[j] += 1e-4 * 2.0 * b
    loss += 1e-4 * reg
    for (W, B), (gW, gB) in zip(layers, grads):
        for w, gw in zip(W, gW):
            for i, g in enumerate(gw):
                w[i] -= lr * g
        for j, g in enumerate(gB):
            B[j] -= lr * g
    return loss, grads


def step_tuned(layers: list[Layer], X: Sequence[Sequence[float]], y: Sequence[int], lr: float) -> float:
    """The same step written the way fast pure Python is written: ``sum(map(mul, ...))`` and comprehensions.

    Not bit-identical to the graph (``sum`` adds in another order than ``b + w0*x0 + ...``); it is
    the tuned baseline, the fastest plain Python we know for this step.

    >>> layers = [([[0.5, -0.5]], [0.1]), ([[1.0]], [0.0])]
    >>> round(step_tuned(layers, [[1.0, 2.0]], [1], lr=0.0), 6)
    1.000151
    """
    from operator import mul

    last = len(layers) - 1
    grads = [([[0.0] * len(w) for w in W], [0.0] * len(B)) for W, B in layers]
    n = len(X)
    total = 0.0
    for x, label in zip(X, y):
        acts = [x]
        h: Sequence[float] = x
        for k, (W, B) in enumerate(layers):
            pre = [sum(map(mul, w, h), b) for w, b in zip(W, B)]
            h = pre if k == last else [s if s > 0.0 else 0.0 for s in pre]
            acts.append(h)
        margin = 1.0 - label * h[0]
        if margin <= 0.0:
            continue
        total += margin
        upstream = [-label / n]
        for k in range(last, -1, -1):
            W, _ = layers[k]
            gW, gB = grads[k]
            if k != last:
                upstream = [u if a > 0.0 else 0.0 for u, a in zip(upstream, acts[k + 1])]
            hk = acts[k]
            for j, u in enumerate(upstream):
                if u:
                    gB[j] += u
                    gW[j] = [g + hi * u for g, hi in zip(gW[j], hk)]
            if k:
                upstream = [sum(map(mul, col, upstream)) for col in zip(*W)]
    reg = sum(wi * wi for W, B in layers for w in W for wi in w) + sum(b * b for _, B in layers for b in B)
    for (W, B), (gW, gB) in zip(layers, grads):
        for j, w in enumerate(W):
            W[j] = [wi - lr * (g + 2e-4 * wi) for wi, g in zip(w, gW[j])]
        B[:] = [b - lr * (g + 2e-4 * b) for b, g in zip(B, gB)]
    return total / n + 1e-4 * reg
