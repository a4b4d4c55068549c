// valuegrad backprop page: replays backward() one node at a time over the Graphviz SVG beside it.
// Every number, name, step line and state rule comes from Python (the trace in .vg-data); this script
// only moves between recorded positions. A step touches only what changes -- the node stepped, its
// parents, the edges between them, the grads that become final -- so step 5,000 costs what step 5 does.
// Everything is looked up inside this page's own root element, so several pages can share a document.
(function (root) {
  "use strict";
  // What-if: the forward and local derivatives of the ops in this graph, written from the rules table
  // (autograd.seeing.jsformulas), and the helpers they call, with Python's float semantics.
  var H = {{HELPERS}};
  var OPS = {{OPS}};
  if (!root || root.getAttribute("data-vg-started")) { return; }
  root.setAttribute("data-vg-started", "1");

  function q(cls) { return root.querySelector("." + cls); }
  // Non-finite floats travel as the strings "NaN", "Infinity", "-Infinity" (JSON has no literal for them).
  function num(x) { return typeof x === "string" ? Number(x) : x; }

  // Big pages carry their data deflated (zlib) and base64-encoded; the browser inflates it.
  function load(el) {
    if (el.getAttribute("data-encoding") !== "deflate-base64") { return Promise.resolve(JSON.parse(el.textContent)); }
    var bin = atob(el.textContent.trim()), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Response(stream).text().then(JSON.parse);
  }
  load(q("vg-data")).then(start, function (error) {
    q("vg-chain").textContent = "This page could not read its data: " + error;
  });

  function start(data) {
    var nodes = data.nodes, steps = data.steps, total = steps.length, N = nodes.length;
    // One timeline: the forward pass (positions -F .. 0, one node computed a step), then backprop (0 .. total).
    var forwardSteps = data.forward || [], F = forwardSteps.length, computed = F;
    var svg = root.querySelector(".vg-viewport > svg");
    var slider = q("vg-slider");
    var standalone = root.classList.contains("vg-standalone");

    // ---------------------------------------------------------------- the SVG pieces of each node (once)
    // An embedded page's SVG ids carry a per-page prefix (ids must be unique in a document): strip it.
    var prefix = root.getAttribute("data-vg-prefix") || "";
    var elements = {};
    if (svg) {
      Array.prototype.forEach.call(svg.querySelectorAll("[id]"), function (el) {
        var id = el.getAttribute("id");
        elements[id.indexOf(prefix) === 0 ? id.slice(prefix.length) : id] = el;
      });
    }
    function byId(id) { return id ? elements[id] || null : null; }
    var shape = nodes.map(function (n) { return byId(n.svg); });
    var opShape = nodes.map(function (n) { return byId(n.opSvg); });
    var outEdge = nodes.map(function (n) { return byId(n.outEdge); });
    var gradText = new Array(N).fill(null), dataText = new Array(N).fill(null);
    if (svg) {
      Array.prototype.forEach.call(svg.querySelectorAll("text.vg-grad"), function (t) {
        gradText[Number(t.getAttribute("data-node"))] = t;
      });
      Array.prototype.forEach.call(svg.querySelectorAll("text.vg-value"), function (t) {
        dataText[Number(t.getAttribute("data-node"))] = t;
      });
    }
    // Which nodes an SVG element stands for (one for a record or op node, many for a collapsed box).
    var standsFor = {};
    nodes.forEach(function (n, i) {
      [n.svg, n.opSvg].forEach(function (id) { if (id) { (standsFor[id] = standsFor[id] || []).push(i); } });
    });
    // The nodes whose grad becomes final at each position (GraphView.final_at): the only ones whose
    // pending/done state changes when a step is taken or undone.
    // Each edge's grad before it: the grad after the parent's previous edge (or its grad at the start).
    (function befores() {
      var g = nodes.map(function (n) { return n.grad0; }), t = nodes.map(function (n) { return n.grad0Text; });
      steps.forEach(function (step) {
        step.edges.forEach(function (e) {
          e.before = g[e.parent]; e.beforeText = t[e.parent];
          g[e.parent] = e.after; t[e.parent] = e.afterText;
        });
      });
    })();
    var finalAt = [];
    for (var s0 = 0; s0 <= total; s0++) { finalAt.push([]); }
    nodes.forEach(function (n, i) { finalAt[Math.min(n.final, total)].push(i); });

    // ---------------------------------------------------------------- numbers that fit their boxes
    // The drawing was laid out with each grad field at its widest text, so the numbers fit; a browser
    // font wider than the one Graphviz measured with is squeezed into the box rather than spilling out.
    function fitTexts(texts) {
      var jobs = [];
      texts.forEach(function (t) {
        var g = t.parentNode;
        var outline = g && g.querySelector("polygon, ellipse, path");
        if (!outline) { return; }
        t.removeAttribute("textLength");
        t.removeAttribute("lengthAdjust");
        jobs.push([t, outline]);
      });
      // All reads after all writes: one layout, however many texts.
      var sizes = jobs.map(function (job) { return [job[0].getComputedTextLength(), job[1].getBBox().width - 6]; });
      jobs.forEach(function (job, k) {
        if (sizes[k][0] > sizes[k][1] && sizes[k][1] > 0) {
          job[0].setAttribute("textLength", String(sizes[k][1]));
          job[0].setAttribute("lengthAdjust", "spacingAndGlyphs");
        }
      });
    }

    // ---------------------------------------------------------------- state after `position` steps
    var position = 0;
    var grads = nodes.map(function (n) { return num(n.grad0); });
    var gradStrings = nodes.map(function (n) { return n.grad0Text; });
    // How many of the nodes an element stands for are still pending; the element shows "done" at 0.
    var pendingOf = new Map();
    function countPending(el, delta, changed) {
      if (!el) { return; }
      var before = pendingOf.get(el) || 0;
      pendingOf.set(el, before + delta);
      if ((before === 0) !== (before + delta === 0)) { changed.add(el); }
    }
    var changedNodes = new Set(), changedElements = new Set();
    // The quiz hides every grad the student has not answered yet (the output's, 1.0, is given).
    var quiz = Boolean(data.quiz), answered = nodes.map(function (n, i) { return i === data.root; });
    function hidden(i) { return quiz && !answered[i]; }

    function setGrad(i, value, text) {
      grads[i] = num(value);
      gradStrings[i] = text;
      changedNodes.add(i);
    }
    function finality(p, delta) {  // the nodes that become final at position p turn done (+1 step) or pending again
      finalAt[p].forEach(function (i) {
        countPending(shape[i], -delta, changedElements);
        countPending(opShape[i], -delta, changedElements);
        changedNodes.add(i);
      });
    }
    function forward(p) {  // apply step p (0-based), moving from position p to p + 1
      steps[p].edges.forEach(function (e) { setGrad(e.parent, e.after, e.afterText); });
      finality(p + 1, +1);
    }
    function compute(j, done) {  // forward step j computed (done) or not yet: its data field and its border
      var i = forwardSteps[j].node, t = dataText[i];
      if (t) {
        t.textContent = "data " + (done ? forwardSteps[j].valueText : "?");
        t.classList.toggle("vg-f-todo", !done);
      }
      if (shape[i]) { shape[i].classList.toggle("vg-f-todo", !done); }
      if (opShape[i]) { opShape[i].classList.toggle("vg-f-todo", !done); }
    }
    function backward(p) {  // undo step p, moving from position p + 1 to p
      finality(p + 1, -1);
      var es = steps[p].edges;
      for (var k = es.length - 1; k >= 0; k--) { setGrad(es[k].parent, es[k].before, es[k].beforeText); }
    }

    // ---------------------------------------------------------------- drawing the changes
    var marked = [];  // the transient marks of the last render: current, updated, next, active edges
    function mark(el, cls) { if (el) { el.classList.add(cls); marked.push([el, cls]); } }

    function paint() {
      var fit = [];
      changedNodes.forEach(function (i) {
        var t = gradText[i];
        if (!t) { return; }
        t.textContent = (t.getAttribute("data-prefix") || "") + (hidden(i) ? "?" : gradStrings[i]);
        t.setAttribute("data-grad", String(grads[i]));
        t.classList.toggle("vg-s-pending", position < nodes[i].final);
        fit.push(t);
      });
      changedElements.forEach(function (el) {
        var pending = (pendingOf.get(el) || 0) > 0;
        el.classList.toggle("vg-s-pending", pending);
        el.classList.toggle("vg-s-done", !pending);
      });
      changedNodes.clear();
      changedElements.clear();
      if (fit.length) { fitTexts(fit); }
    }

    var chain = q("vg-chain"), positionText = q("vg-position");
    function render() {
      marked.forEach(function (m) { m[0].classList.remove(m[1]); });
      marked = [];
      paint();
      var focus = null;
      root.classList.toggle("vg-forward", computed < F);
      if (computed < F) {  // in the forward pass: the node just computed, the one to compute next
        if (computed > 0) {
          var done = forwardSteps[computed - 1].node;
          mark(shape[done], "vg-s-current");
          mark(opShape[done], "vg-s-current");
          chain.textContent = forwardSteps[computed - 1].text;
          focus = shape[done];
        } else {
          chain.textContent = "The forward pass: each step computes one node from its inputs, in topological order. Press \u2192 (next).";
        }
        var upcoming = forwardSteps[computed].node;
        mark(shape[upcoming], "vg-s-next");
        mark(opShape[upcoming], "vg-s-next");
        if (!focus) { focus = shape[upcoming]; }
      } else if (position > 0) {
        var step = steps[position - 1];
        var k = step.node;
        mark(shape[k], "vg-s-current");
        mark(opShape[k], "vg-s-current");
        mark(outEdge[k], "vg-active");
        step.edges.forEach(function (e) {
          if (shape[e.parent] !== shape[k]) { mark(shape[e.parent], "vg-s-updated"); }
          mark(byId(e.edge), "vg-active");
          mark(gradText[e.parent], "vg-changed");
        });
        focus = shape[k] || opShape[k];
        chain.textContent = step.text;
      } else {
        chain.textContent = data.startText;
      }
      if (computed === F && position < total) {
        var nextNode = steps[position].node;
        if (position === 0 || shape[nextNode] !== shape[steps[position - 1].node]) { mark(shape[nextNode], "vg-s-next"); }
        mark(opShape[nextNode], "vg-s-next");
        if (!focus) { focus = shape[nextNode] || opShape[nextNode]; }
      }
      var at = computed < F ? computed - F : position;  // the timeline's position: negative in the forward pass
      slider.value = String(at);
      if (computed < F) {
        positionText.textContent = "forward " + computed + " / " + F + " \u00b7 next: " + nodes[forwardSteps[computed].node].name;
      } else {
        var nextLabel = position < total ? " \u00b7 next: " + nodes[steps[position].node].name : " \u00b7 done";
        positionText.textContent = "step " + position + " / " + total + nextLabel;
      }
      root.setAttribute("data-position", String(at));
      q("vg-prev").disabled = q("vg-start").disabled = at === -F;
      q("vg-next").disabled = q("vg-end").disabled = position === total;
      renderLog();
      renderCloseup();
      if (selected !== null) { showNode(selected); }
      if (focus && q("vg-follow").checked) { follow(focus); }
    }

    // The log shows the last LOG steps taken: a step adds one line and drops one, at step 5 or 50,000.
    var LOG = 30;
    var log = q("vg-log");
    var logFrom = 0, logLines = [];
    function logLine(s) {
      var pre = document.createElement("pre");
      pre.textContent = steps[s].text;
      return pre;
    }
    function renderLog() {
      var from = Math.max(0, position - LOG);
      if (from >= logFrom + logLines.length || position <= logFrom) {  // no line in common: start afresh
        logLines.forEach(function (pre) { log.removeChild(pre); });
        logLines = [];
        logFrom = from;
      }
      while (logFrom < from) { log.removeChild(logLines.shift()); logFrom++; }
      while (logFrom + logLines.length > position) { log.removeChild(logLines.pop()); }
      while (logFrom > from) { logFrom--; var first = logLine(logFrom); log.insertBefore(first, log.firstChild); logLines.unshift(first); }
      while (logFrom + logLines.length < position) { var pre = logLine(logFrom + logLines.length); log.appendChild(pre); logLines.push(pre); }
      var current = log.querySelector("pre.vg-current-line");
      if (current) { current.classList.remove("vg-current-line"); }
      if (logLines.length) {
        logLines[logLines.length - 1].classList.add("vg-current-line");
        log.scrollTop = log.scrollHeight;
      }
      log.setAttribute("data-first", String(logFrom));
    }

    // The close-up (focus): in a drawing of boxes, the step being taken at full detail -- the node and
    // each input it passes its grad to -- however many inputs the node has (the first CLOSEUP shown).
    var CLOSEUP = 12;
    var closeup = q("vg-closeup");
    var collapsed = Boolean(data.collapse);
    function cell(tr, text, tag) { var td = document.createElement(tag || "td"); td.textContent = text; tr.appendChild(td); }
    function renderCloseup() {
      if (!collapsed) { return; }
      closeup.hidden = position === 0;
      if (position === 0) { return; }
      var step = steps[position - 1], k = step.node;
      var table = document.createElement("table"), head = document.createElement("tr");
      ["node", "data", "\u2202/\u2202 input", "grad"].forEach(function (h) { cell(head, h, "th"); });
      table.appendChild(head);
      var row = document.createElement("tr");
      row.className = "vg-s-current";
      cell(row, nodes[k].name + " = " + (nodes[k].expression || nodes[k].op));
      cell(row, nodes[k].dataText); cell(row, ""); cell(row, step.gradText || "");
      table.appendChild(row);
      step.edges.slice(0, CLOSEUP).forEach(function (e) {
        var tr = document.createElement("tr");
        tr.className = "vg-s-updated";
        cell(tr, nodes[e.parent].name); cell(tr, nodes[e.parent].dataText); cell(tr, e.localText);
        cell(tr, e.beforeText + " \u2192 " + e.afterText);
        table.appendChild(tr);
      });
      closeup.textContent = "";
      closeup.appendChild(table);
      if (step.edges.length > CLOSEUP) {
        var more = document.createElement("p");
        more.className = "vg-hint";
        more.textContent = "\u2026 and " + (step.edges.length - CLOSEUP) + " more inputs (all in the step line above)";
        closeup.appendChild(more);
      }
    }

    function goTo(target) {
      target = Math.max(-F, Math.min(total, target | 0));
      var back = Math.max(target, 0), ahead = F + Math.min(target, 0);
      while (position > back) { position--; backward(position); }
      while (computed > ahead) { computed--; compute(computed, false); }
      while (computed < ahead) { compute(computed, true); computed++; }
      while (position < back) { forward(position); position++; }
      render();
    }
    function here() { return computed < F ? computed - F : position; }
    // |<< and Home: to the start of backprop, and from there to the start of the forward pass.
    function toStart() { goTo(here() > 0 ? 0 : -F); }

    // ---------------------------------------------------------------- play / pause
    var timer = null;
    function speed() { return Number(q("vg-speed").value) || 1; }
    function pause() {
      if (timer !== null) { clearInterval(timer); timer = null; }
      q("vg-play").textContent = "play";
      q("vg-play").setAttribute("aria-label", "play");
    }
    function play() {
      pause();
      if (position === total) { goTo(-F); }
      q("vg-play").textContent = "pause";
      q("vg-play").setAttribute("aria-label", "pause");
      timer = setInterval(function () {
        if (position >= total) { pause(); } else { goTo(here() + 1); }
      }, 1000 / speed());
    }
    function toggle() { if (timer === null) { play(); } else { pause(); } }
    function fold(folded) {
      root.classList.toggle("vg-folded", folded);
      q("vg-panel-toggle").setAttribute("aria-pressed", String(!folded));
    }

    q("vg-start").addEventListener("click", function () { pause(); toStart(); });
    q("vg-prev").addEventListener("click", function () { pause(); goTo(here() - 1); });
    q("vg-next").addEventListener("click", function () { pause(); goTo(here() + 1); });
    q("vg-end").addEventListener("click", function () { pause(); goTo(total); });
    q("vg-play").addEventListener("click", toggle);
    q("vg-panel-toggle").addEventListener("click", function () { fold(!root.classList.contains("vg-folded")); });
    q("vg-speed").addEventListener("change", function () { if (timer !== null) { play(); } });
    slider.max = String(total);
    slider.min = String(-F);
    slider.addEventListener("input", function () { pause(); goTo(Number(slider.value)); });

    function onKey(ev) {
      if (ev.altKey || ev.ctrlKey || ev.metaKey || ev.defaultPrevented) { return; }
      var tag = ev.target && ev.target.tagName;
      if (tag === "SELECT" || (tag === "INPUT" && ev.target.type === "text")) { return; }  // menus and answers keep their keys
      var handled = true;
      switch (ev.key) {
        case "ArrowRight": case "ArrowDown": pause(); goTo(here() + 1); break;
        case "ArrowLeft": case "ArrowUp": pause(); goTo(here() - 1); break;
        case " ": case "Spacebar": toggle(); break;
        case "Home": pause(); toStart(); break;
        case "End": pause(); goTo(total); break;
        case "+": case "=": zoomBy(1 / 1.25); break;
        case "-": case "_": zoomBy(1.25); break;
        case "0": fit(); break;
        case "p": fold(!root.classList.contains("vg-folded")); break;
        default: handled = false;
      }
      // The slider and buttons would act on these keys a second time; this handler is the only one.
      if (handled) { ev.preventDefault(); ev.stopPropagation(); }
    }
    // Keys act on the page that has the focus (a notebook may hold several); a page of its own also
    // takes the keys pressed when nothing in particular is focused.
    root.addEventListener("keydown", onKey);
    root.addEventListener("pointerdown", function (ev) {
      if (!ev.target.closest("button, input, select, label")) { root.focus({ preventScroll: true }); }
    });
    if (standalone) {
      document.addEventListener("keydown", function (ev) {
        if (ev.target === document.body || ev.target === document.documentElement) { onKey(ev); }
      });
    }

    // ---------------------------------------------------------------- node details on click
    var selected = null;
    function fmtRow(dl, name, value) {
      var dt = document.createElement("dt"), dd = document.createElement("dd");
      dt.textContent = name;
      dd.textContent = value;
      dl.appendChild(dt);
      dl.appendChild(dd);
    }
    function showNode(i) {
      selected = i;
      var n = nodes[i], box = q("vg-node");
      box.textContent = "";
      var dl = document.createElement("dl");
      fmtRow(dl, "node", n.name + "  (" + n.id + ")");
      fmtRow(dl, "label", n.label === null ? "\u2014" : n.label);
      fmtRow(dl, "op", n.op === "" ? "leaf" : n.op);
      fmtRow(dl, "data", n.dataText);
      if (hidden(i)) {
        fmtRow(dl, "grad", "? (the quiz asks for it)");
        box.appendChild(dl);
        return;
      }
      fmtRow(dl, "grad now", gradStrings[i] + (position < n.final ? "  (not final yet)" : ""));
      fmtRow(dl, "grad at end", n.gradText);
      box.appendChild(dl);
      whatIfControls(i, box);
      var pre = document.createElement("pre");
      pre.className = "vg-explain";
      pre.textContent = n.explain;
      box.appendChild(pre);
    }
    // ---------------------------------------------------------------- what-if and the nudge (no Python)
    // A leaf's value can be edited: every value, gradient, step line and drawn field is recomputed here
    // from the rules' formulas (OPS), node by node in topological order, then backprop in the trace's
    // order, as autograd.seeing.whatif.recompute does in Python. An edit is not a step: it costs O(graph).
    var leafValue = nodes.map(function (n) { return num(n.data); });
    var recorded = leafValue.slice();
    var nudgeH = 1e-6, generation = 0, nudged = {}, derivatives = null;  // the last nudge per node, for this edit and h
    function pyfmt(x) {  // autograd.seeing.numbers.fmt: 6 significant digits, "%g" style, whole numbers keep ".0"
      if (x === 0) { return "0.0"; }
      if (Number.isNaN(x)) { return "nan"; }
      if (!Number.isFinite(x)) { return x > 0 ? "inf" : "-inf"; }
      var parts = x.toExponential(5).split("e"), exp = Number(parts[1]);
      if (exp < -4 || exp >= 6) {
        var mantissa = parts[0].replace(/\.?0+$/, "");
        var digits = String(Math.abs(exp));
        return mantissa + "e" + (exp < 0 ? "-" : "+") + (digits.length < 2 ? "0" + digits : digits);
      }
      var text = x.toFixed(5 - exp);
      if (text.indexOf(".") >= 0) { text = text.replace(/0+$/, "").replace(/\.$/, ""); }
      return text.indexOf(".") >= 0 ? text : text + ".0";
    }
    function rule(i) {
      var op = OPS[nodes[i].op];
      if (!op) { throw H.err("ValueError", "what-if: " + nodes[i].name + " (op " + JSON.stringify(nodes[i].op) + ") has no formula in the rules table"); }
      return op;
    }
    function values(changes) {  // every node's value, with the nodes in `changes` held at theirs
      var v = new Array(N);
      for (var i = 0; i < N; i++) {
        var ps = nodes[i].parents;
        if (Object.prototype.hasOwnProperty.call(changes, i)) { v[i] = changes[i]; }
        else if (!ps.length) { v[i] = leafValue[i]; }
        else { v[i] = rule(i).f(ps.map(function (p) { return v[p]; })); }
      }
      return v;
    }
    function recompute() {  // values, grads and each step's numbers for the current leaf values
      var v = values({}), g = new Array(N).fill(0), records = [];
      g[data.root] = 1;
      steps.forEach(function (step) {
        var k = step.node, ps = nodes[k].parents, upstream = g[k];
        var locals = rule(k).d(ps.map(function (p) { return v[p]; }), v[k]), edges = [];
        ps.forEach(function (p, input) {
          var before = g[p], local = Number(locals[input]), contribution = local * upstream;
          g[p] = before + contribution;
          edges.push({ local: local, before: before, contribution: contribution, after: g[p] });
        });
        records.push({ grad: upstream, edges: edges });
      });
      return { v: v, g: g, steps: records };
    }
    // A step's text with new numbers: the formula of each local derivative as Python wrote it, its value
    // now; the "+=" line's names as Python wrote them, its numbers now.
    function stepText(step, record) {
      var lines = step.text0.split("\n"), out = [lines[0]];
      step.edges.forEach(function (e, m) {
        var r = record.edges[e.input], localLine = lines[1 + 2 * m] || "", plusLine = lines[2 + 2 * m] || "";
        var segments = localLine.split(" = ");
        if (segments.length > 2) { localLine = segments[0] + " = " + segments[1] + " = " + pyfmt(r.local); }
        var tail = " = " + e.localText0 + " \u00b7 " + step.gradText0 + " \u2192 ", at = plusLine.lastIndexOf(tail);
        if (at >= 0) {
          plusLine = plusLine.slice(0, at) + " = " + pyfmt(r.local) + " \u00b7 " + pyfmt(record.grad) + " \u2192 " +
            (r.before === 0 ? pyfmt(r.after) : pyfmt(r.before) + " + " + pyfmt(r.contribution) + " = " + pyfmt(r.after));
        }
        out.push(localLine, plusLine);
      });
      return out.join("\n");
    }
    steps.forEach(function (step) {  // the recorded texts, which every what-if text is written from
      step.text0 = step.text; step.gradText0 = step.gradText;
      step.edges.forEach(function (e) { e.localText0 = e.localText; });
    });
    function whatIf() {  // recompute and show; a domain error leaves the page as it was, with the message
      var message = q("vg-whatif-message"), result;
      try { result = recompute(); } catch (error) {
        if (message) { message.textContent = "Cannot recompute: " + error.message; message.hidden = false; }
        return false;
      }
      if (message) { message.hidden = true; message.textContent = ""; }
      var v = result.v, g = result.g, edited = leafValue.some(function (x, i) { return !Object.is(x, recorded[i]); });
      root.classList.toggle("vg-whatif", edited);
      nodes.forEach(function (n, i) {
        n.data = v[i]; n.dataText = pyfmt(v[i]); n.grad = g[i]; n.gradText = pyfmt(g[i]);
        n.grad0 = i === data.root ? 1 : 0; n.grad0Text = pyfmt(n.grad0);
        if (n.explain0 === undefined) { n.explain0 = n.explain; }
        n.explain = edited ? "(what-if: the chain rule with these numbers is in the step lines; reset for the recorded explanation)" : n.explain0;
      });
      generation++;
      steps.forEach(function (step, s) {
        var record = result.steps[s];
        step.grad = record.grad; step.gradText = pyfmt(record.grad);
        step.edges.forEach(function (e) {
          var r = record.edges[e.input];
          e.local = r.local; e.localText = pyfmt(r.local);
          e.before = r.before; e.beforeText = pyfmt(r.before);
          e.after = r.after; e.afterText = pyfmt(r.after);
        });
        step.text = edited ? stepText(step, record) : step.text0;
      });
      forwardSteps.forEach(function (f) {
        if (f.text0 === undefined) { f.text0 = f.text; f.valueText0 = f.valueText; }
        f.value = v[f.node]; f.valueText = pyfmt(v[f.node]);
        f.text = edited ? f.header + " = " + f.valueText : f.text0;
      });
      // Show it: the grads as at this position, every data field, the log afresh, then the usual render.
      grads = nodes.map(function (n) { return num(n.grad0); });
      gradStrings = nodes.map(function (n) { return n.grad0Text; });
      for (var s = 0; s < position; s++) {
        steps[s].edges.forEach(function (e) { grads[e.parent] = e.after; gradStrings[e.parent] = e.afterText; });
      }
      var fit = [];
      nodes.forEach(function (n, i) {
        changedNodes.add(i);
        var t = dataText[i];
        if (!t) { return; }
        t.setAttribute("data-value", String(v[i]));
        if (!n.parents.length) { t.textContent = "data " + n.dataText; fit.push(t); }
      });
      for (var j = 0; j < computed; j++) { compute(j, true); fit.push(dataText[forwardSteps[j].node]); }
      logLines.forEach(function (pre) { log.removeChild(pre); });
      logLines = []; logFrom = 0;
      fitTexts(fit.filter(Boolean));
      render();
      return true;
    }
    function setLeaf(i, text) {
      var x = Number(String(text).trim().replace(/\u2212/g, "-"));
      var message = q("vg-whatif-message");
      if (String(text).trim() === "" || Number.isNaN(x) && !/^nan$/i.test(String(text).trim())) {
        if (message) { message.textContent = "Not a number: " + JSON.stringify(String(text)); message.hidden = false; }
        return;
      }
      var old = leafValue[i];
      leafValue[i] = x;
      if (!whatIf()) { leafValue[i] = old; return; }
      var again = q("vg-edit");  // the panel was written afresh: keep typing where the value is
      if (again) { again.focus({ preventScroll: true }); again.select(); }
    }
    function nudge(i, h) {  // (L(x + h) - L(x)) / h from the formulas, beside dL/dx
      var changes = {};
      changes[i] = nodes[i].data + h;
      var moved = values(changes)[data.root];
      return (moved - nodes[data.root].data) / h;
    }
    function whatIfControls(i, box) {
      if (quiz) { return; }
      var n = nodes[i], rootName = nodes[data.root].name;
      if (!n.parents.length) {
        var form = document.createElement("form");
        form.className = "vg-whatif-form";
        var label = document.createElement("label");
        label.textContent = "what if " + n.name + " = ";
        var input = document.createElement("input");
        input.className = "vg-edit"; input.type = "text"; input.inputMode = "decimal"; input.autocomplete = "off";
        input.value = String(leafValue[i]);
        input.setAttribute("aria-label", "new value of " + n.name);
        label.appendChild(input);
        form.appendChild(label);
        var set = document.createElement("button");
        set.type = "submit"; set.className = "vg-set"; set.textContent = "set";
        form.appendChild(set);
        var reset = document.createElement("button");
        reset.type = "button"; reset.className = "vg-reset"; reset.textContent = "reset all";
        form.appendChild(reset);
        form.addEventListener("submit", function (ev) { ev.preventDefault(); setLeaf(i, input.value); });
        reset.addEventListener("click", function () { leafValue = recorded.slice(); whatIf(); });
        box.appendChild(form);
      }
      var msg = document.createElement("p");
      msg.className = "vg-whatif-message vg-wrong"; msg.hidden = true;
      box.appendChild(msg);
      if (i === data.root) { return; }
      var nudgeForm = document.createElement("form");
      nudgeForm.className = "vg-nudge-form";
      var hLabel = document.createElement("label");
      hLabel.textContent = "nudge h = ";
      var hInput = document.createElement("input");
      hInput.className = "vg-h"; hInput.type = "text"; hInput.inputMode = "decimal"; hInput.autocomplete = "off";
      hInput.value = String(nudgeH);
      hInput.setAttribute("aria-label", "nudge size h");
      hLabel.appendChild(hInput);
      nudgeForm.appendChild(hLabel);
      var go = document.createElement("button");
      go.type = "submit"; go.textContent = "nudge";
      nudgeForm.appendChild(go);
      var shown = document.createElement("pre");
      shown.className = "vg-nudge";
      function show() {
        var h = Number(hInput.value);
        if (!(h !== 0 && Number.isFinite(h))) { shown.textContent = "h must be a non-zero number"; return; }
        nudgeH = h;
        var slope, key = generation + " " + h;
        if (nudged[i] && nudged[i].key === key) { slope = nudged[i].slope; } else {  // a step re-shows the panel: no recomputing
          try { slope = nudge(i, h); } catch (error) { shown.textContent = "Cannot nudge: " + error.message; return; }
          nudged[i] = { key: key, slope: slope };
        }
        // d root / d node from the rules, as a fresh backward() gives it (the replayed pass may start from
        // grads the graph already had), as explain's nudge does.
        if (!derivatives || derivatives.generation !== generation) {
          try { derivatives = { generation: generation, g: recompute().g }; } catch (error) { shown.textContent = "Cannot nudge: " + error.message; return; }
        }
        var derivative = derivatives.g[i];
        shown.setAttribute("data-slope", String(slope));
        shown.textContent = "(" + rootName + "(" + n.name + " + h) \u2212 " + rootName + "(" + n.name + ")) / h = " + pyfmt(slope) +
          "  at h = " + pyfmt(h) + "\n\u2202" + rootName + "/\u2202" + n.name + " = " + pyfmt(derivative) +
          "\ndifference " + pyfmt(slope - derivative);
      }
      nudgeForm.addEventListener("submit", function (ev) { ev.preventDefault(); show(); });
      nudgeForm.appendChild(shown);
      box.appendChild(nudgeForm);
      show();
    }

    // A box opens by a click: everything inside it, with its grad now (the first BOX_ROWS; more on request).
    var BOX_ROWS = 200;
    function showGroup(id, members, limit) {
      selected = null;
      var box = q("vg-node");
      box.textContent = "";
      var dl = document.createElement("dl");
      fmtRow(dl, "box", id);
      fmtRow(dl, "stands for", members.length + " nodes");
      box.appendChild(dl);
      var pre = document.createElement("pre");
      pre.className = "vg-members";
      pre.textContent = members.slice(0, limit).map(function (i) {
        return nodes[i].name + "  data " + nodes[i].dataText + "  grad " + gradStrings[i] + (position < nodes[i].final ? " (not final)" : "");
      }).join("\n");
      box.appendChild(pre);
      if (members.length > limit) {
        var more = document.createElement("button");
        more.type = "button";
        more.textContent = "show " + Math.min(BOX_ROWS, members.length - limit) + " more";
        more.addEventListener("click", function () { showGroup(id, members, limit + BOX_ROWS); });
        box.appendChild(more);
      }
    }

    // ---------------------------------------------------------------- pan and zoom (by the SVG's viewBox)
    var home = null, view = null, drag = null, dragged = false, pointers = new Map(), pinch = null;
    function applyView() { svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].join(" ")); }
    function toGraph(clientX, clientY) {
      var m = svg.getScreenCTM();
      var pt = svg.createSVGPoint();
      pt.x = clientX; pt.y = clientY;
      return m ? pt.matrixTransform(m.inverse()) : { x: view.x + view.w / 2, y: view.y + view.h / 2 };
    }
    function zoomAt(factor, cx, cy) {
      if (!svg) { return; }
      var w = Math.max(home.w / 60, Math.min(home.w * 4, view.w * factor));
      var f = w / view.w;
      view.x = cx - (cx - view.x) * f;
      view.y = cy - (cy - view.y) * f;
      view.w *= f;
      view.h *= f;
      applyView();
    }
    function zoomBy(factor) { if (svg) { zoomAt(factor, view.x + view.w / 2, view.y + view.h / 2); } }
    function fit() { if (svg) { view = { x: home.x, y: home.y, w: home.w, h: home.h }; applyView(); } }
    function follow(el) {
      if (!svg || (view.w >= home.w * 0.999 && view.h >= home.h * 0.999)) { return; }  // whole graph in view already
      var r = el.getBoundingClientRect();
      var a = toGraph(r.left, r.top), b = toGraph(r.right, r.bottom);
      var inside = a.x >= view.x && b.x <= view.x + view.w && a.y >= view.y && b.y <= view.y + view.h;
      // A box bigger than the view (a layer of a big network) stays put while any of it is in view:
      // moving the view re-renders the whole drawing, and the close-up shows the step anyway.
      var big = b.x - a.x > view.w || b.y - a.y > view.h;
      var seen = a.x < view.x + view.w && b.x > view.x && a.y < view.y + view.h && b.y > view.y;
      if (!inside && !(big && seen)) {
        view.x = (a.x + b.x) / 2 - view.w / 2;
        view.y = (a.y + b.y) / 2 - view.h / 2;
        applyView();
      }
    }
    q("vg-zoom-in").addEventListener("click", function () { zoomBy(1 / 1.25); });
    q("vg-zoom-out").addEventListener("click", function () { zoomBy(1.25); });
    q("vg-fit").addEventListener("click", fit);

    if (svg) {
      var full = svg.viewBox.baseVal;
      home = { x: full.x, y: full.y, w: full.width, h: full.height };
      view = { x: home.x, y: home.y, w: home.w, h: home.h };
      var selectedShape = null;
      svg.addEventListener("click", function (ev) {
        if (dragged) { return; }
        var g = ev.target.closest ? ev.target.closest("g.node") : null;
        var id = g && g.getAttribute("id");
        if (id && id.indexOf(prefix) === 0) { id = id.slice(prefix.length); }
        if (!g || !standsFor[id]) { return; }
        if (selectedShape) { selectedShape.classList.remove("vg-selected"); }
        selectedShape = g;
        g.classList.add("vg-selected");
        var members = standsFor[id];
        if (members.length === 1) { showNode(members[0]); } else { showGroup(id, members, BOX_ROWS); }
        // A click (or tap) on a leaf's data field goes straight to editing its value.
        var edit = ev.target.closest("text.vg-value") && q("vg-edit");
        if (edit) {
          fold(false);  // the value is edited in the side panel: open it if it was folded away
          edit.focus({ preventScroll: true });
          edit.select();
        }
      });
      svg.addEventListener("wheel", function (ev) {
        ev.preventDefault();
        var p = toGraph(ev.clientX, ev.clientY);
        zoomAt(Math.exp(ev.deltaY * 0.0015), p.x, p.y);
      }, { passive: false });
      // One pointer drags (mouse or finger); two fingers pinch to zoom about their midpoint.
      svg.addEventListener("pointerdown", function (ev) {
        if (ev.pointerType === "mouse" && ev.button !== 0) { return; }
        pointers.set(ev.pointerId, { x: ev.clientX, y: ev.clientY });
        if (pointers.size === 2) {
          var ps = Array.from(pointers.values());
          pinch = { d: Math.hypot(ps[0].x - ps[1].x, ps[0].y - ps[1].y) || 1 };
          drag = null;
          dragged = true;
          return;
        }
        drag = { x: ev.clientX, y: ev.clientY, vx: view.x, vy: view.y, id: ev.pointerId };
        dragged = false;
      });
      svg.addEventListener("pointermove", function (ev) {
        if (!pointers.has(ev.pointerId)) { return; }
        pointers.set(ev.pointerId, { x: ev.clientX, y: ev.clientY });
        if (pinch && pointers.size === 2) {
          var ps = Array.from(pointers.values());
          var d = Math.hypot(ps[0].x - ps[1].x, ps[0].y - ps[1].y) || 1;
          var c = toGraph((ps[0].x + ps[1].x) / 2, (ps[0].y + ps[1].y) / 2);
          zoomAt(pinch.d / d, c.x, c.y);
          pinch.d = d;
          return;
        }
        if (!drag) { return; }
        var dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
        if (!dragged && Math.abs(dx) + Math.abs(dy) < 4) { return; }  // a click, not a drag (yet)
        if (!dragged) { dragged = true; svg.setPointerCapture(drag.id); q("vg-viewport").classList.add("vg-dragging"); }
        var m = svg.getScreenCTM();
        var scale = m ? m.a : 1;
        view.x = drag.vx - dx / scale;
        view.y = drag.vy - dy / scale;
        applyView();
      });
      var endDrag = function (ev) {
        pointers.delete(ev.pointerId);
        if (pointers.size < 2) { pinch = null; }
        drag = null;
        q("vg-viewport").classList.remove("vg-dragging");
        // `dragged` stays set until the click that ends this gesture has been ignored.
        setTimeout(function () { dragged = false; }, 0);
      };
      svg.addEventListener("pointerup", endDrag);
      svg.addEventListener("pointercancel", endDrag);
    }

    // ---------------------------------------------------------------- the quiz
    // Each grad in backprop order (the order grads become final), the output's given. A wrong answer
    // shows the node's chain rule with its numbers (explain); "show me" gives the answer, without a point.
    var questions = [], asked = 0, score = 0, missed = false;
    if (quiz) {
      nodes.forEach(function (n, i) { if (i !== data.root) { questions.push(i); } });
      questions.sort(function (a, b) { return nodes[a].final - nodes[b].final || b - a; });
      root.classList.add("vg-quizzing");
      q("vg-quiz").hidden = false;
      q("vg-answer-form").addEventListener("submit", function (ev) { ev.preventDefault(); check(); });
      q("vg-reveal").addEventListener("click", function () { missed = true; answer(); });
    }
    function ask() {
      var feedback = q("vg-feedback");
      if (asked >= questions.length) {
        q("vg-question").textContent = "Done: every gradient of the graph.";
        q("vg-answer-form").hidden = true;
        q("vg-score").textContent = "Score: " + score + " / " + questions.length;
        return;
      }
      var i = questions[asked];
      missed = false;
      goTo(nodes[i].final);
      q("vg-question").textContent = "Question " + (asked + 1) + " of " + questions.length + ": what is " +
        nodes[i].name + ".grad, d" + nodes[data.root].name + "/d" + nodes[i].name + "?";
      q("vg-score").textContent = "Score so far: " + score + " / " + asked;
      feedback.textContent = "";
      feedback.classList.remove("vg-wrong");
      var input = q("vg-answer");
      input.value = "";
      input.focus({ preventScroll: true });
    }
    function isRight(text, i) {
      var t = text.trim().replace(/\u2212/g, "-");
      if (t === "" ) { return false; }
      if (t === nodes[i].gradText) { return true; }
      var v = Number(t), g = num(nodes[i].grad);
      if (Number.isNaN(g)) { return t.toLowerCase() === "nan"; }
      return !Number.isNaN(v) && Math.abs(v - g) <= 1e-4 * Math.max(1, Math.abs(g));
    }
    function answer() {
      var i = questions[asked];
      if (!missed) { score++; }
      answered[i] = true;
      changedNodes.add(i);
      paint();
      asked++;
      ask();
    }
    function check() {
      var i = questions[asked];
      if (isRight(q("vg-answer").value, i)) { answer(); return; }
      missed = true;
      var feedback = q("vg-feedback");
      feedback.classList.add("vg-wrong");
      feedback.textContent = "Not quite. The chain rule for " + nodes[i].name + ":\n" + nodes[i].explain + "\nTry again, or press \u201cshow me\u201d.";
    }

    // ---------------------------------------------------------------- start
    nodes.forEach(function (n, i) {
      if (n.final > 0) { countPending(shape[i], 1, changedElements); countPending(opShape[i], 1, changedElements); }
      changedNodes.add(i);
    });
    if (svg) {  // every drawn node gets its first state; the texts get fitted once
      Array.prototype.forEach.call(svg.querySelectorAll("g.node"), function (g) { changedElements.add(g); });
    }
    paint();
    if (svg) { fitTexts(Array.prototype.slice.call(svg.querySelectorAll("g.node text"))); }
    // Open with readable text (at least 11 px): the whole graph when it fits so (folding the side panel
    // if that makes it fit), else zoomed in at the output, from where "follow" keeps the step in view.
    var READABLE_PX = 11.1;
    function fitScale() {
      var box = svg.getBoundingClientRect();
      return Math.min(box.width / home.w, box.height / home.h);
    }
    (function startView() {
      if (!svg) { return; }
      var sample = svg.querySelector("g.node text");
      var fontSize = sample ? Number(sample.getAttribute("font-size")) || 12 : 12;
      var readable = READABLE_PX / fontSize;  // screen pixels per graph unit for readable text
      if (fitScale() >= readable) { return; }
      if (root.querySelector(".vg-aside").offsetWidth > 0) {
        fold(true);
        if (fitScale() >= readable) { return; }
        fold(false);
      }
      var startAt = shape[data.root] || opShape[data.root];
      if (!startAt) { return; }
      var box = svg.getBoundingClientRect();
      var r = startAt.getBoundingClientRect();
      var c = toGraph((r.left + r.right) / 2, (r.top + r.bottom) / 2), corner = toGraph(r.right, r.bottom);
      view.w = box.width / readable;
      view.h = box.height / readable;
      // The output sits at the right of a left-to-right drawing: keep it in view, with what feeds it.
      view.x = Math.min(corner.x + 10, home.x + home.w) - view.w;
      view.y = c.y - view.h / 2;
      applyView();
    })();
    goTo(data.start || 0);
    if (quiz) { ask(); }
  }
})((document.currentScript && document.currentScript.closest(".vg-page")) || document.getElementById("{{ROOT}}"));
