// valuegrad backprop page: replays backward() one node at a time over the graphviz SVG beside it.
// All numbers and their printed forms come from Python (the step records in .vg-data), so the page
// shows exactly what autograd.Backprop prints; this script only moves between recorded states.
// Everything is looked up inside this page's own root element, so several pages can share one
// document (a notebook) and each steps on its own.
(function (root) {
  "use strict";
  if (!root || root.getAttribute("data-vg-started")) { return; }
  root.setAttribute("data-vg-started", "1");

  function q(cls) { return root.querySelector("." + cls); }
  var data = JSON.parse(q("vg-data").textContent);
  // Non-finite floats travel as the strings "NaN", "Infinity", "-Infinity" (JSON has no literal for them).
  function num(x) { return typeof x === "string" ? Number(x) : x; }

  var nodes = data.nodes;
  var steps = data.steps;
  var total = steps.length;
  var svg = root.querySelector(".vg-viewport > svg");
  var slider = q("vg-slider");
  var standalone = root.classList.contains("vg-standalone");

  // ------------------------------------------------------------------ find the SVG pieces of each node
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
  var gradText = nodes.map(function () { return null; });
  if (svg) {
    Array.prototype.forEach.call(svg.querySelectorAll("text.vg-grad"), function (t) {
      gradText[Number(t.getAttribute("data-node"))] = t;
    });
  }
  // Which nodes an SVG element stands for (one for a record or op node, many for a collapsed box).
  var standsFor = {};
  nodes.forEach(function (n, i) {
    [n.svg, n.opSvg].forEach(function (id) { if (id) { (standsFor[id] = standsFor[id] || []).push(i); } });
  });
  // graphviz titles every edge "tail->head" with the DOT node names, which are our element ids.
  var edges = {};
  if (svg) {
    Array.prototype.forEach.call(svg.querySelectorAll("g.edge"), function (g) {
      var title = g.querySelector("title");
      if (title) { edges[title.textContent.replace(/:[^-]*(?=->)|:[^>]*$/g, "")] = g; }
    });
  }
  function edge(from, to) { return from && to && from !== to ? edges[from + "->" + to] || null : null; }

  // ------------------------------------------------------------------ numbers that fit their boxes
  // The drawing was laid out with each grad field at its widest text, so the numbers fit; a browser
  // font wider than the one graphviz measured with is squeezed into the box rather than spilling out.
  var dirty = [];
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

  // ------------------------------------------------------------------ state: grads after `position` steps
  var position = 0;
  var grads = nodes.map(function (n) { return num(n.grad0); });
  var gradStrings = nodes.map(function (n) { return n.grad0Text; });

  function setGrad(i, value, text) {
    grads[i] = num(value);
    gradStrings[i] = text;
    var t = gradText[i];
    if (t) {
      t.textContent = (t.getAttribute("data-prefix") || "") + text;
      t.setAttribute("data-grad", String(value));
      dirty.push(t);
    }
  }

  function forward(p) {  // apply step p (0-based), moving from position p to p + 1
    steps[p].edges.forEach(function (e) { setGrad(e.parent, e.after, e.afterText); });
  }
  function backward(p) {  // undo step p, moving from position p + 1 to p
    var es = steps[p].edges;
    for (var k = es.length - 1; k >= 0; k--) { setGrad(es[k].parent, es[k].before, es[k].beforeText); }
  }

  // ------------------------------------------------------------------ drawing one state
  var marked = [];
  function mark(el, cls) { if (el) { el.classList.add(cls); marked.push([el, cls]); } }
  function clearMarks() {
    marked.forEach(function (m) { m[0].classList.remove(m[1]); });
    marked = [];
  }

  function nodeName(i) { return nodes[i].name; }

  function render() {
    clearMarks();
    if (svg) {
      for (var s = 0; s < position; s++) {
        var done = steps[s].node;
        mark(shape[done], "vg-done");
        mark(opShape[done], "vg-done");
      }
    }
    var focus = null;
    if (position > 0) {
      var step = steps[position - 1];
      var k = step.node;
      mark(shape[k], "vg-current");
      mark(opShape[k], "vg-current");
      mark(edge(nodes[k].opSvg, nodes[k].svg), "vg-active");
      step.edges.forEach(function (e) {
        var p = e.parent;
        if (p !== k) { mark(shape[p], "vg-touched"); }
        mark(byId(e.edge) || edge(nodes[p].svg, nodes[k].opSvg || nodes[k].svg), "vg-active");
        mark(gradText[p], "vg-changed");
      });
      focus = shape[k] || opShape[k];
      q("vg-chain").textContent = step.text;
    } else {
      q("vg-chain").textContent = data.startText;
    }
    if (position < total) {
      var nextNode = steps[position].node;
      mark(shape[nextNode], "vg-upnext");
      mark(opShape[nextNode], "vg-upnext");
      if (!focus) { focus = shape[nextNode] || opShape[nextNode]; }
    }
    if (svg) {
      nodes.forEach(function (n, i) { if (position < n.final) { mark(gradText[i], "vg-pending"); } });
    }
    if (dirty.length) { fitTexts(dirty); dirty = []; }

    slider.value = String(position);
    var nextLabel = position < total ? " \u00b7 next: " + nodeName(steps[position].node) : " \u00b7 done";
    q("vg-position").textContent = "step " + position + " / " + total + nextLabel;
    root.setAttribute("data-position", String(position));
    q("vg-prev").disabled = q("vg-start").disabled = position === 0;
    q("vg-next").disabled = q("vg-end").disabled = position === total;
    renderLog();
    if (selected !== null) { showNode(selected); }
    if (focus && q("vg-follow").checked) { follow(focus); }
  }

  // The log holds one line per step taken, made when first shown: a 100,000-step page stays light.
  var log = q("vg-log");
  var logLines = [];
  function renderLog() {
    while (logLines.length < position) {
      var pre = document.createElement("pre");
      pre.textContent = steps[logLines.length].text;
      log.appendChild(pre);
      logLines.push(pre);
    }
    while (logLines.length > position) { log.removeChild(logLines.pop()); }
    var current = log.querySelector("pre.vg-current-line");
    if (current) { current.classList.remove("vg-current-line"); }
    if (position > 0) {
      var line = logLines[position - 1];
      line.classList.add("vg-current-line");
      log.scrollTop = line.offsetTop - log.offsetTop - log.clientHeight + line.offsetHeight + 8;
    }
  }

  function goTo(target) {
    target = Math.max(0, Math.min(total, target | 0));
    while (position < target) { forward(position); position++; }
    while (position > target) { position--; backward(position); }
    render();
  }

  // ------------------------------------------------------------------ play / pause
  var timer = null;
  function speed() { return Number(q("vg-speed").value) || 1; }
  function pause() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    q("vg-play").textContent = "play";
    q("vg-play").setAttribute("aria-label", "play");
  }
  function play() {
    pause();
    if (position === total) { goTo(0); }
    q("vg-play").textContent = "pause";
    q("vg-play").setAttribute("aria-label", "pause");
    timer = setInterval(function () {
      if (position >= total) { pause(); } else { goTo(position + 1); }
    }, 1000 / speed());
  }
  function toggle() { if (timer === null) { play(); } else { pause(); } }

  q("vg-start").addEventListener("click", function () { pause(); goTo(0); });
  q("vg-prev").addEventListener("click", function () { pause(); goTo(position - 1); });
  q("vg-next").addEventListener("click", function () { pause(); goTo(position + 1); });
  q("vg-end").addEventListener("click", function () { pause(); goTo(total); });
  q("vg-play").addEventListener("click", toggle);
  q("vg-speed").addEventListener("change", function () { if (timer !== null) { play(); } });
  slider.max = String(total);
  slider.addEventListener("input", function () { pause(); goTo(Number(slider.value)); });

  function onKey(ev) {
    if (ev.altKey || ev.ctrlKey || ev.metaKey || ev.defaultPrevented) { return; }
    var tag = ev.target && ev.target.tagName;
    if (tag === "SELECT") { return; }  // let the speed menu keep its own arrow keys
    var handled = true;
    switch (ev.key) {
      case "ArrowRight": case "ArrowDown": pause(); goTo(position + 1); break;
      case "ArrowLeft": case "ArrowUp": pause(); goTo(position - 1); break;
      case " ": case "Spacebar": toggle(); break;
      case "Home": pause(); goTo(0); break;
      case "End": pause(); goTo(total); break;
      case "+": case "=": zoomBy(1 / 1.25); break;
      case "-": case "_": zoomBy(1.25); break;
      case "0": fit(); break;
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

  // ------------------------------------------------------------------ node details on click
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
    fmtRow(dl, "node", n.name + (n.svg ? "  (" + n.svg + ")" : ""));
    fmtRow(dl, "label", n.label === null ? "\u2014" : n.label);
    fmtRow(dl, "op", n.op === "" ? "leaf" : n.op);
    fmtRow(dl, "data", n.dataText);
    fmtRow(dl, "grad now", gradStrings[i] + (position < n.final ? "  (not final yet)" : ""));
    fmtRow(dl, "grad at end", n.gradText);
    box.appendChild(dl);
    var pre = document.createElement("pre");
    pre.className = "vg-explain";
    pre.textContent = n.explain;
    box.appendChild(pre);
  }
  function showGroup(id, members) {
    selected = null;
    var box = q("vg-node");
    box.textContent = "";
    var dl = document.createElement("dl");
    fmtRow(dl, "box", id);
    fmtRow(dl, "stands for", members.length + " nodes");
    box.appendChild(dl);
    var pre = document.createElement("pre");
    pre.textContent = members.map(function (i) {
      return nodes[i].name + "  data " + nodes[i].dataText + "  grad " + gradStrings[i];
    }).join("\n");
    box.appendChild(pre);
  }

  // ------------------------------------------------------------------ pan and zoom (by the SVG's viewBox)
  var home = null, view = null, drag = null, dragged = false;
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
    if (!inside) {
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
      if (members.length === 1) { showNode(members[0]); } else { showGroup(id, members); }
    });
    svg.addEventListener("wheel", function (ev) {
      ev.preventDefault();
      var p = toGraph(ev.clientX, ev.clientY);
      zoomAt(Math.exp(ev.deltaY * 0.0015), p.x, p.y);
    }, { passive: false });
    svg.addEventListener("pointerdown", function (ev) {
      if (ev.button !== 0) { return; }
      drag = { x: ev.clientX, y: ev.clientY, vx: view.x, vy: view.y, id: ev.pointerId };
      dragged = false;
    });
    svg.addEventListener("pointermove", function (ev) {
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
    var endDrag = function () {
      drag = null;
      q("vg-viewport").classList.remove("vg-dragging");
      // `dragged` stays set until the click that ends this gesture has been ignored.
      setTimeout(function () { dragged = false; }, 0);
    };
    svg.addEventListener("pointerup", endDrag);
    svg.addEventListener("pointercancel", endDrag);
  }

  // ------------------------------------------------------------------ start
  nodes.forEach(function (n, i) { setGrad(i, n.grad0, n.grad0Text); });
  if (svg) {
    dirty = Array.prototype.slice.call(svg.querySelectorAll("g.node text"));
    fitTexts(dirty);
    dirty = [];
  }
  // Open with readable text (at least 11 px, whatever the graph's size): if the whole graph fitted
  // into the viewport would be smaller than that, start zoomed in at the output, and let "follow"
  // keep the node being processed in view from there.
  (function startView() {
    if (!svg) { return; }
    var box = svg.getBoundingClientRect();
    var fitScale = Math.min(box.width / home.w, box.height / home.h);
    var sample = svg.querySelector("g.node text");
    var fontSize = sample ? Number(sample.getAttribute("font-size")) || 12 : 12;
    var readable = 12 / fontSize;  // screen pixels per graph unit for 12 px text
    if (!(fitScale > 0) || fitScale >= readable) { return; }
    var start = shape[data.root] || opShape[data.root];
    if (!start) { return; }
    var r = start.getBoundingClientRect();
    var c = toGraph((r.left + r.right) / 2, (r.top + r.bottom) / 2), corner = toGraph(r.right, r.bottom);
    view.w = box.width / readable;
    view.h = box.height / readable;
    // The output sits at the right of a left-to-right drawing: keep it in view, with what feeds it.
    view.x = Math.min(corner.x + 10, home.x + home.w) - view.w;
    view.y = c.y - view.h / 2;
    applyView();
  })();
  render();
})((document.currentScript && document.currentScript.closest(".vg-page")) || document.getElementById("{{ROOT}}"));
