"""Watching a network learn: one offline page of a training run, epoch by epoch, from ``nn.Snapshots``.

``watch_page(snapshots, model, path=...)`` (or ``snapshots.to_html(path)``) writes a self-contained
HTML file for a small MLP such as the lecture's 3→5→1 network:

- **the network drawn** as neurons and weights (inputs, hidden neurons, output in the style table's
  role colours; a weight's line is blue when positive and red when negative, as thick as it is
  large, its value and gradient in its tooltip), each neuron showing its bias and the bias's
  gradient (∇), the chosen parameter its value and gradient;
- **a table of every parameter** with its value after the epoch and the gradient ∂L/∂p that
  epoch's update used; click a row (or a weight's line) to choose a parameter, or Tab to it and
  press Enter;
- **the update written out** for the chosen parameter: ``p ← p − α·∂L/∂p`` with the numbers,
  and the value the run recorded beside it (equal for plain SGD; another optimizer says so);
- **the loss curve** (inline SVG) with the shown epoch marked;
- **a scrubber** over the epochs (a range input; the arrow keys, Home and End anywhere on the page).

Every number is formatted by ``autograd.seeing.numbers.fmt`` in Python (the script only places
preformatted text), every user string (a title, a parameter's name) goes through
``autograd.seeing.quoting.printable`` and is set as text, never as markup. The page's only script
is allowed by its hash in a Content-Security-Policy like the backprop page's: no inline handlers,
nothing fetched. ``WatchPage`` shows the same page in a notebook cell, in an iframe ``srcdoc``.

>>> import nn, tempfile, pathlib
>>> from nn.snapshots import Snapshots
>>> model = nn.MLP(3, [5, 1], seed=0)
>>> snaps = Snapshots()
>>> xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
>>> _ = nn.fit(model, "mse", xs, [1.0, -1.0, -1.0, 1.0], optimizer=nn.SGD(model.parameters(), lr=0.05),
...            epochs=5, callbacks=[snaps], progress=False)
>>> with tempfile.TemporaryDirectory() as folder:
...     page = snaps.to_html(pathlib.Path(folder) / "watch.html").read_text(encoding="utf-8")
>>> data = read_watch_data(page)
>>> len(data["epochs"]), len(data["params"]), "Content-Security-Policy" in page
(5, 26, True)
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograd.atomic import write_text_atomically
from autograd.seeing.numbers import fmt, json_number
from autograd.seeing.quoting import printable
from autograd.seeing.style import GROUP_FILL, ROLE_FILLS, css_variables
from nn._watch_assets import CSS, SCRIPT
from nn.snapshots import Snapshots

__all__ = ["WatchPage", "read_watch_data", "render_watch", "watch_data", "watch_page"]

# A parameter's recorded value and p − α·g agree "to rounding" when they are this close (relative).
_SAME = 1e-9


def watch_data(
    snapshots: Snapshots, model: Any, *, names: Mapping[str, str] | None = None, title: str | None = None
) -> dict[str, Any]:
    """What the page shows, as JSON-ready data: the parameters (key, name, place) and, per epoch, every number.

    ``names`` maps a parameter's dotted key (``layers.0.neurons.0.w.0``) to the name to show; by
    default a parameter is called as in the lecture (``w₁₁⁽²⁾``, ``b₁⁽²⁾``). Numbers come twice:
    as themselves (``json_number``) and as ``fmt`` text, which is what the page shows.

    >>> import nn
    >>> model = nn.MLP(1, [1], seed=0)
    >>> snaps = Snapshots()
    >>> _ = nn.fit(model, "mse", [[1.0]], [0.0], optimizer=nn.SGD(model.parameters(), lr=0.5), epochs=2,
    ...            callbacks=[snaps], progress=False)
    >>> data = watch_data(snaps, model)
    >>> [p["name"] for p in data["params"]], data["epochs"][1]["update"][0]["same"]
    (['w₁₁⁽²⁾', 'b₁⁽²⁾'], True)
    """
    if not len(snapshots):
        raise ValueError("watch_data: the Snapshots recorded no epoch; pass it to fit(callbacks=[...]) and train first")
    keys = list(snapshots[0].params)
    shown = _names(model, keys, names)
    params = [{"key": printable(key), "name": printable(shown[key]), **_place(key)} for key in keys]
    epochs = []
    for snap in snapshots:
        lr = snap.lr
        update = []
        for key in keys:
            before, grad, after = snap.before.get(key, math.nan), snap.grads.get(key, math.nan), snap.params[key]
            step = before - lr * grad
            same = math.isclose(step, after, rel_tol=_SAME, abs_tol=_SAME)
            update.append(
                {
                    "before": json_number(before),
                    "beforeText": fmt(before),
                    "next": json_number(step),
                    "nextText": fmt(step),
                    "same": same,
                }
            )
        epochs.append(
            {
                "epoch": snap.epoch,
                "lr": json_number(lr),
                "lrText": fmt(lr),
                "loss": json_number(snap.train_loss),
                "lossText": fmt(snap.train_loss),
                "params": [json_number(snap.params[key]) for key in keys],
                "paramsText": [fmt(snap.params[key]) for key in keys],
                "grads": [json_number(snap.grads.get(key, math.nan)) for key in keys],
                "gradsText": [fmt(snap.grads.get(key, math.nan)) for key in keys],
                "update": update,
            }
        )
    heading = printable(title) if title is not None else f"Watching {_shape(model)} learn"
    return {"title": heading, "layers": _widths(model, keys), "params": params, "epochs": epochs}


def render_watch(snapshots: Snapshots, model: Any, *, names: Mapping[str, str] | None = None, title: str | None = None) -> str:
    """The page as a string: a whole HTML document with its data, drawing, loss curve and script."""
    data = watch_data(snapshots, model, names=names, title=title)
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":")).replace("<", "\\u003c")
    digest = base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode("ascii")
    heading = html.escape(data["title"])
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        "<!-- Nothing runs but the page's own script (allowed by its hash): no inline handlers, no network. -->\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'sha256-{digest}'; "
        "style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="valuegrad nn.watch">\n'
        f'<title>{heading}</title>\n<link rel="icon" href="data:,">\n'
        f"<style>\n{css_variables('.vg-watch')}\n{CSS}</style>\n</head>\n<body>\n"
        f'<main class="vg-watch">\n<h1>{heading}</h1>\n'
        '<div class="vg-scrub"><label for="vg-epoch">epoch <output id="vg-epoch-text">1</output>'
        f" of {len(data['epochs'])}</label>"
        f'<input id="vg-epoch" type="range" min="0" max="{len(data["epochs"]) - 1}" value="0" step="1">'
        '<span class="vg-hint">← → Home End</span></div>\n'
        '<div class="vg-panes">\n'
        f'<section class="vg-net" aria-label="the network">{_network_svg(data)}</section>\n'
        '<section class="vg-side">\n'
        '<div class="vg-update" aria-live="polite"><h2>The update</h2>'
        '<p class="vg-rule">p ← p − α·∂L/∂p</p><p id="vg-update-line"></p><p id="vg-update-note"></p></div>\n'
        '<p class="vg-legend">On the drawing: a weight\'s line is blue when it is positive, red when negative, '
        "as thick as it is large (its numbers in its tooltip); under each neuron, its bias b and ∇ = ∂L/∂b. "
        "Click a line, a neuron or a row to choose a parameter.</p>\n"
        f'<div class="vg-loss"><h2>Loss <span id="vg-loss-text"></span></h2>{_loss_svg(data)}</div>\n'
        "</section>\n</div>\n"
        '<table class="vg-params"><thead><tr><th>parameter</th><th>value after the epoch</th>'
        "<th>∂L/∂p the update used</th></tr></thead><tbody>"
        + "".join(
            f'<tr tabindex="0" data-i="{i}"><td>{html.escape(p["name"])}</td><td class="vg-v"></td><td class="vg-g"></td></tr>'
            for i, p in enumerate(data["params"])
        )
        + "</tbody></table>\n"
        f'<script type="application/json" id="vg-watch-data">{text}</script>\n'
        f"<script>{SCRIPT}</script>\n</main>\n</body>\n</html>\n"
    )


def watch_page(
    snapshots: Snapshots,
    model: Any,
    *,
    path: str | os.PathLike[str],
    names: Mapping[str, str] | None = None,
    title: str | None = None,
) -> Path:
    """Write the watching page of a run to ``path`` (atomically, making its folder) and return the path."""
    target = Path(path)
    write_text_atomically(target, render_watch(snapshots, model, names=names, title=title), make_parents=True)
    return target


_DATA = re.compile(r'<script type="application/json" id="vg-watch-data">([^<]*)</script>')


def read_watch_data(page: str) -> dict[str, Any]:
    """The data a watching page carries (what ``watch_data`` gave), read back from its HTML."""
    found = _DATA.search(page)
    if found is None:
        raise ValueError("read_watch_data: this is not a watching page (no vg-watch-data script)")
    data: dict[str, Any] = json.loads(found.group(1))
    return data


@dataclass(frozen=True)
class WatchPage:
    """The watching page in a notebook cell: the whole document in an iframe ``srcdoc`` (its CSP and script intact)."""

    snapshots: Snapshots
    model: Any
    names: Mapping[str, str] | None = None
    title: str | None = None
    height: int = 760

    def _repr_html_(self) -> str:
        document = render_watch(self.snapshots, self.model, names=self.names, title=self.title)
        # The srcdoc is an attribute: escaping it (quotes included) keeps the page whole and inert outside the frame.
        return (
            f'<iframe class="vg-watch-frame" sandbox="allow-scripts" srcdoc="{html.escape(document, quote=True)}" '
            f'style="width: 100%; height: {int(self.height)}px; border: 1px solid #e5e7eb" '
            'title="training, epoch by epoch"></iframe>'
        )


# ------------------------------------------------------------------------------------- helpers

_KEY = re.compile(r"layers\.(\d+)\.neurons\.(\d+)\.(w\.(\d+)|b)$")


def _place(key: str) -> dict[str, Any]:
    """Where a parameter sits: its layer, neuron and (for a weight) input, from its dotted key."""
    found = _KEY.match(key)
    if found is None:
        return {"layer": -1, "neuron": -1, "input": -1}
    layer, neuron, _, source = found.groups()
    return {"layer": int(layer), "neuron": int(neuron), "input": int(source) if source is not None else -1}


def _widths(model: Any, keys: list[str]) -> list[int]:
    """The width of every layer of neurons, inputs first: ``[3, 5, 1]`` for the lecture's network."""
    nin = getattr(model, "nin", None)
    nouts = getattr(model, "nouts", None)
    if isinstance(nin, int) and nouts is not None:
        return [nin, *(int(n) for n in nouts)]
    places = [_place(key) for key in keys]
    depth = max((p["layer"] for p in places), default=-1) + 1
    widths = [1 + max((p["input"] for p in places if p["layer"] == 0), default=0)]
    return widths + [1 + max(p["neuron"] for p in places if p["layer"] == k) for k in range(depth)]


def _shape(model: Any) -> str:
    nin, nouts = getattr(model, "nin", None), getattr(model, "nouts", None)
    if isinstance(nin, int) and nouts is not None:
        return "the " + "→".join(str(n) for n in [nin, *nouts]) + " network"
    return "the network"


def _names(model: Any, keys: list[str], names: Mapping[str, str] | None) -> dict[str, str]:
    shown = dict.fromkeys(keys, "")
    lecture: dict[Any, str] = {}
    if hasattr(model, "layers") and hasattr(model, "named_parameters"):
        from nn.notation import lecture_names

        lecture = lecture_names(model)
    by_key = dict(model.named_parameters()) if hasattr(model, "named_parameters") else {}
    for key in keys:
        value = by_key.get(key)
        shown[key] = (names or {}).get(key) or (lecture.get(value, key) if value is not None else key)
    return shown


_W, _H, _R = 560.0, 440.0, 18.0


def _positions(widths: list[int]) -> list[list[tuple[float, float]]]:
    """Centres of the input dots and neurons, layer by layer, left to right."""
    columns = len(widths)
    out = []
    for c, width in enumerate(widths):
        x = 50.0 + c * (_W - 100.0) / max(columns - 1, 1)
        out.append([(x, _H * (r + 1) / (width + 1)) for r in range(width)])
    return out


def _network_svg(data: dict[str, Any]) -> str:
    """The network: a dot per input, a circle per neuron (its bias inside), a line per weight (its index in data-i)."""
    at = _positions(data["layers"])
    lines, nodes = [], []
    biases: dict[tuple[int, int], int] = {}

    def bias_name(i: int) -> str:
        return str(data["params"][i]["name"]) if i >= 0 else ""

    for i, p in enumerate(data["params"]):
        layer, neuron, source = p["layer"], p["neuron"], p["input"]
        if layer < 0:
            continue
        if source < 0:
            biases[(layer, neuron)] = i
            continue
        (x1, y1), (x2, y2) = at[layer][source], at[layer + 1][neuron]
        lines.append(
            f'<line class="vg-w" data-i="{i}" x1="{x1 + 8:.1f}" y1="{y1:.1f}" x2="{x2 - _R:.1f}" y2="{y2:.1f}"/>'
            f'<line class="vg-hit" data-i="{i}" x1="{x1 + 8:.1f}" y1="{y1:.1f}" x2="{x2 - _R:.1f}" y2="{y2:.1f}">'
            f'<title class="vg-tip" data-i="{i}"></title></line>'
        )
    for r, (x, y) in enumerate(at[0]):
        nodes.append(
            f'<circle class="vg-in" cx="{x:.1f}" cy="{y:.1f}" r="8" fill="{ROLE_FILLS["input"]}"/>'
            f'<text x="{x - 14:.1f}" y="{y + 4:.1f}" text-anchor="end">x{_sub(r + 1)}</text>'
        )
    last = len(at) - 1
    for c in range(1, len(at)):
        fill = ROLE_FILLS["output"] if c == last else GROUP_FILL
        for r, (x, y) in enumerate(at[c]):
            i = biases.get((c - 1, r), -1)
            nodes.append(
                f'<circle class="vg-neuron" data-i="{i}" cx="{x:.1f}" cy="{y:.1f}" r="{_R:.0f}" fill="{fill}"/>'
                f'<text class="vg-b-name" x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle">{html.escape(bias_name(i))}</text>'
                f'<text class="vg-b" data-i="{i}" x="{x:.1f}" y="{y + _R + 11:.1f}" text-anchor="middle"></text>'
                f'<text class="vg-bg" data-i="{i}" x="{x:.1f}" y="{y + _R + 21:.1f}" text-anchor="middle"></text>'
            )
    return (
        f'<svg class="vg-net-svg" viewBox="0 0 {_W:.0f} {_H + 30:.0f}" role="img" aria-label="neurons and weights">'
        f"<g>{''.join(lines)}</g><g>{''.join(nodes)}</g>"
        f'<text id="vg-chosen" x="{_W / 2:.0f}" y="{_H + 22:.0f}" text-anchor="middle"></text></svg>'
    )


def _sub(n: int) -> str:
    return "".join("₀₁₂₃₄₅₆₇₈₉"[int(d)] for d in str(n))


def _loss_svg(data: dict[str, Any]) -> str:
    """The training loss per epoch as a polyline, with a marker the script moves to the shown epoch."""
    losses = [e["loss"] for e in data["epochs"]]
    finite = [v for v in losses if isinstance(v, float) and math.isfinite(v)] or [0.0]
    low, high = min(0.0, min(finite)), max(finite)
    span = high - low or 1.0
    w, h, pad, left = 320.0, 180.0, 24.0, 64.0
    count = max(len(losses) - 1, 1)
    points = []
    for k, v in enumerate(losses):
        if isinstance(v, float) and math.isfinite(v):
            points.append(f"{left + k * (w - left - pad) / count:.1f},{h - pad - (v - low) / span * (h - 2 * pad):.1f}")
    xs = [left + k * (w - left - pad) / count for k in range(len(losses))]
    ys = [h - pad - ((v if isinstance(v, float) and math.isfinite(v) else low) - low) / span * (h - 2 * pad) for v in losses]
    marks = json.dumps([[round(x, 1), round(y, 1)] for x, y in zip(xs, ys)])
    return (
        f'<svg class="vg-loss-svg" viewBox="0 0 {w:.0f} {h:.0f}" role="img" aria-label="training loss per epoch" '
        f"data-marks='{html.escape(marks)}'>"
        f'<line class="vg-axis" x1="{left}" y1="{h - pad}" x2="{w - pad}" y2="{h - pad}"/>'
        f'<line class="vg-axis" x1="{left}" y1="{pad}" x2="{left}" y2="{h - pad}"/>'
        f'<text x="{left - 4}" y="{pad + 4}" text-anchor="end">{html.escape(fmt(high))}</text>'
        f'<text x="{left - 4}" y="{h - pad + 4}" text-anchor="end">{html.escape(fmt(low))}</text>'
        f'<text x="{w - pad}" y="{h - 8}" text-anchor="end">epoch</text>'
        f'<polyline class="vg-curve" points="{" ".join(points)}"/>'
        f'<circle id="vg-loss-mark" r="5" cx="{xs[0]:.1f}" cy="{ys[0]:.1f}"/></svg>'
    )
