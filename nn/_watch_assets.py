"""The watching page's stylesheet and script (``nn.watch``): kept apart so the page's Python reads on its own.

The script is allowed by its SHA-256 in the page's Content-Security-Policy, so it must be exactly
this text. It only places text Python formatted (``textContent``, never markup) and moves marks.
"""

from __future__ import annotations

__all__ = ["CSS", "SCRIPT"]

CSS = """
body { margin: 0; }
.vg-watch { font-family: system-ui, sans-serif; color: #111827; padding: 12px 16px; box-sizing: border-box; }
.vg-watch h1 { font-size: 1.25rem; margin: 0 0 8px; }
.vg-watch h2 { font-size: 1rem; margin: 0 0 4px; }
.vg-scrub { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; margin-bottom: 8px; }
.vg-scrub input { flex: 1 1 200px; min-width: 160px; }
.vg-hint { color: #6b7280; font-size: 0.85rem; }
.vg-panes { display: flex; gap: 16px; align-items: flex-start; }
.vg-net { flex: 3 1 0; min-width: 0; }
.vg-side { flex: 2 1 0; min-width: 0; display: flex; flex-direction: column; gap: 12px; }
.vg-net-svg, .vg-loss-svg { width: 100%; height: auto; display: block; }
.vg-net-svg text, .vg-loss-svg text { font-size: 11px; font-family: ui-monospace, 'DejaVu Sans Mono', monospace; }
.vg-w { stroke-linecap: round; }
.vg-hit { stroke: transparent; stroke-width: 12; cursor: pointer; }
.vg-w.vg-on { stroke: var(--vg-state-current) !important; stroke-width: 4px !important; }
.vg-neuron { stroke: #374151; stroke-width: 1; cursor: pointer; }
.vg-neuron.vg-on { stroke: var(--vg-state-current); stroke-width: var(--vg-state-current-width); }
.vg-in { stroke: #374151; }
.vg-b-name { pointer-events: none; }
.vg-b { font-size: 10px !important; fill: #374151; }
.vg-bg { font-size: 9px !important; fill: #6b7280; }
.vg-curve { fill: none; stroke: #2563eb; stroke-width: 2; }
.vg-axis { stroke: #9ca3af; }
#vg-loss-mark { fill: var(--vg-state-current); }
.vg-update { background: #f9fafb; border: 1px solid #e5e7eb; border-radius: 6px; padding: 8px 10px; }
.vg-update p { margin: 4px 0; font-family: ui-monospace, 'DejaVu Sans Mono', monospace; overflow-wrap: anywhere; }
.vg-rule { color: #6b7280; }
.vg-legend { color: #4b5563; font-size: 0.85rem; margin: 0; }
.vg-params { border-collapse: collapse; margin-top: 12px; font-size: 0.85rem;
  font-family: ui-monospace, 'DejaVu Sans Mono', monospace; }
.vg-params td, .vg-params th { padding: 2px 10px; text-align: left; border-bottom: 1px solid #e5e7eb; }
.vg-params tr[data-i] { cursor: pointer; }
.vg-params tr.vg-on { background: var(--vg-role-parameter); }
.vg-params tr:focus { outline: 2px solid var(--vg-state-next); }
@media (max-width: 700px) {
  .vg-panes { flex-direction: column; }
  .vg-net, .vg-side { flex: none; width: 100%; }
  .vg-params { width: 100%; font-size: 0.75rem; }
}
"""

SCRIPT = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("vg-watch-data").textContent);
  var range = document.getElementById("vg-epoch");
  var chosen = 0;
  var epoch = 0;
  var rows = document.querySelectorAll(".vg-params tr[data-i]");
  var weights = document.querySelectorAll(".vg-w");
  var biases = document.querySelectorAll(".vg-b");
  var neurons = document.querySelectorAll(".vg-neuron");
  var marks = JSON.parse(document.querySelector(".vg-loss-svg").getAttribute("data-marks"));
  var mark = document.getElementById("vg-loss-mark");
  function text(id, value) { document.getElementById(id).textContent = value; }
  function show() {
    var e = data.epochs[epoch];
    range.value = String(epoch);
    text("vg-epoch-text", String(e.epoch));
    text("vg-loss-text", "L = " + e.lossText + " after epoch " + e.epoch);
    mark.setAttribute("cx", String(marks[epoch][0]));
    mark.setAttribute("cy", String(marks[epoch][1]));
    rows.forEach(function (row) {
      var i = Number(row.getAttribute("data-i"));
      row.querySelector(".vg-v").textContent = e.paramsText[i];
      row.querySelector(".vg-g").textContent = e.gradsText[i];
      row.classList.toggle("vg-on", i === chosen);
      row.setAttribute("aria-selected", i === chosen ? "true" : "false");
    });
    weights.forEach(function (line) {
      var i = Number(line.getAttribute("data-i"));
      var w = Number(e.params[i]);
      line.setAttribute("stroke", w >= 0 ? "#2563eb" : "#dc2626");
      line.setAttribute("stroke-width", String(Math.min(8, 0.75 + 2.5 * Math.abs(w))));
      line.classList.toggle("vg-on", i === chosen);
    });
    biases.forEach(function (t) {
      var i = Number(t.getAttribute("data-i"));
      t.textContent = i >= 0 ? e.paramsText[i] : "";
    });
    document.querySelectorAll(".vg-bg").forEach(function (t) {
      var i = Number(t.getAttribute("data-i"));
      t.textContent = i >= 0 ? "\u2207 " + e.gradsText[i] : "";
    });
    document.querySelectorAll(".vg-tip").forEach(function (t) {
      var i = Number(t.getAttribute("data-i"));
      t.textContent = data.params[i].name + " = " + e.paramsText[i] + ", \u2202L/\u2202p = " + e.gradsText[i];
    });
    neurons.forEach(function (c) { c.classList.toggle("vg-on", Number(c.getAttribute("data-i")) === chosen); });
    var p = data.params[chosen];
    var u = e.update[chosen];
    var g = e.gradsText[chosen];
    text("vg-chosen", p.name + " = " + e.paramsText[chosen] + ",  \\u2202L/\\u2202" + p.name + " = " + g);
    text("vg-update-line", p.name + " \\u2190 " + u.beforeText + " \\u2212 " + e.lrText + " \\u00d7 (" + g + ") = " + u.nextText);
    text("vg-update-note", u.same
      ? "epoch " + e.epoch + " recorded " + p.name + " = " + e.paramsText[chosen] + ": the same"
      : "epoch " + e.epoch + " recorded " + p.name + " = " + e.paramsText[chosen] +
        ": the optimizer's step is not plain p \\u2212 \\u03b1\\u00b7g (momentum, Adam or weight decay)");
  }
  function go(k) { epoch = Math.max(0, Math.min(data.epochs.length - 1, k)); show(); }
  function choose(i) { if (i >= 0 && i < data.params.length) { chosen = i; show(); } }
  range.addEventListener("input", function () { go(Number(range.value)); });
  rows.forEach(function (row) {
    row.addEventListener("click", function () { choose(Number(row.getAttribute("data-i"))); });
    row.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); choose(Number(row.getAttribute("data-i"))); }
    });
  });
  document.querySelectorAll(".vg-hit, .vg-neuron").forEach(function (el) {
    el.addEventListener("click", function () { choose(Number(el.getAttribute("data-i"))); });
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.target === range) { return; }
    if (ev.key === "ArrowRight") { ev.preventDefault(); go(epoch + 1); }
    else if (ev.key === "ArrowLeft") { ev.preventDefault(); go(epoch - 1); }
    else if (ev.key === "Home") { ev.preventDefault(); go(0); }
    else if (ev.key === "End") { ev.preventDefault(); go(data.epochs.length - 1); }
  });
  show();
})();
"""
