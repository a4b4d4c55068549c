// valuegrad backprop page: replays backward() one node at a time over the graphviz SVG above.
// All numbers and their printed forms come from Python (the step records in #vg-data), so the page
// shows exactly what autograd.Backprop prints; this script only moves between recorded states.
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("vg-data").textContent);
  // Non-finite floats travel as the strings "NaN", "Infinity", "-Infinity" (JSON has no literal for them).
  function num(x) { return typeof x === "string" ? Number(x) : x; }

  var nodes = data.nodes;
  var steps = data.steps;
  var total = steps.length;
  var svg = document.querySelector("#vg-viewport > svg");
  var $ = function (id) { return document.getElementById(id); };
  var slider = $("vg-slider");

  // ------------------------------------------------------------------ find the SVG pieces of each node
  function byId(id) { return id ? document.getElementById(id) : null; }
  var shape = nodes.map(function (n) { return byId(n.svg); });
  var opShape = nodes.map(function (n) { return byId(n.opSvg); });
  var gradText = nodes.map(function (n, i) { return svg.querySelector('text.vg-grad[data-node="' + i + '"]'); });
  // Which nodes an SVG element stands for (one for a record or op node, many for a collapsed box).
  var standsFor = {};
  nodes.forEach(function (n, i) {
    [n.svg, n.opSvg].forEach(function (id) { if (id) { (standsFor[id] = standsFor[id] || []).push(i); } });
  });
  // graphviz titles every edge "tail->head" with the DOT node names, which are our element ids.
  var edges = {};
  Array.prototype.forEach.call(svg.querySelectorAll("g.edge"), function (g) {
    var title = g.querySelector("title");
    if (title) { edges[title.textContent.replace(/:[^-]*(?=->)|:[^>]*$/g, "")] = g; }
  });
  function edge(from, to) { return from && to && from !== to ? edges[from + "->" + to] || null : null; }

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
    for (var s = 0; s < position; s++) {
      var done = steps[s].node;
      mark(shape[done], "vg-done");
      mark(opShape[done], "vg-done");
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
      $("vg-chain").textContent = step.text;
    } else {
      $("vg-chain").textContent = data.startText;
    }
    if (position < total) {
      var nextNode = steps[position].node;
      mark(shape[nextNode], "vg-next");
      mark(opShape[nextNode], "vg-next");
      if (!focus) { focus = shape[nextNode] || opShape[nextNode]; }
    }
    nodes.forEach(function (n, i) { if (position < n.final) { mark(gradText[i], "vg-pending"); } });

    slider.value = String(position);
    var nextLabel = position < total ? " \u00b7 next: " + nodeName(steps[position].node) : " \u00b7 done";
    $("vg-position").textContent = "step " + position + " / " + total + nextLabel;
    document.body.setAttribute("data-position", String(position));
    $("vg-prev").disabled = $("vg-start").disabled = position === 0;
    $("vg-next").disabled = $("vg-end").disabled = position === total;
    renderLog();
    if (selected !== null) { showNode(selected); }
    if (focus && $("vg-follow").checked) { follow(focus); }
  }

  var logLines = steps.map(function (step) {
    var pre = document.createElement("pre");
    pre.textContent = step.text;
    pre.hidden = true;
    $("vg-log").appendChild(pre);
    return pre;
  });
  function renderLog() {
    logLines.forEach(function (pre, s) {
      pre.hidden = s >= position;
      pre.classList.toggle("current", s === position - 1);
    });
    if (position > 0) {
      var box = $("vg-log"), line = logLines[position - 1];
      box.scrollTop = line.offsetTop - box.offsetTop - box.clientHeight + line.offsetHeight + 8;
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
  function speed() { return Number($("vg-speed").value) || 1; }
  function pause() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    $("vg-play").textContent = "play";
    $("vg-play").setAttribute("aria-label", "play");
  }
  function play() {
    pause();
    if (position === total) { goTo(0); }
    $("vg-play").textContent = "pause";
    $("vg-play").setAttribute("aria-label", "pause");
    timer = setInterval(function () {
      if (position >= total) { pause(); } else { goTo(position + 1); }
    }, 1000 / speed());
  }
  function toggle() { if (timer === null) { play(); } else { pause(); } }

  $("vg-start").addEventListener("click", function () { pause(); goTo(0); });
  $("vg-prev").addEventListener("click", function () { pause(); goTo(position - 1); });
  $("vg-next").addEventListener("click", function () { pause(); goTo(position + 1); });
  $("vg-end").addEventListener("click", function () { pause(); goTo(total); });
  $("vg-play").addEventListener("click", toggle);
  $("vg-speed").addEventListener("change", function () { if (timer !== null) { play(); } });
  slider.max = String(total);
  slider.addEventListener("input", function () { pause(); goTo(Number(slider.value)); });

  document.addEventListener("keydown", function (ev) {
    if (ev.altKey || ev.ctrlKey || ev.metaKey) { return; }
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
    if (handled) { ev.preventDefault(); }
  });

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
    var n = nodes[i], box = $("vg-node");
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
    var box = $("vg-node");
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
  var selectedShape = null;
  svg.addEventListener("click", function (ev) {
    if (dragged) { return; }
    var g = ev.target.closest ? ev.target.closest("g.node") : null;
    if (!g || !standsFor[g.id]) { return; }
    if (selectedShape) { selectedShape.classList.remove("vg-selected"); }
    selectedShape = g;
    g.classList.add("vg-selected");
    var members = standsFor[g.id];
    if (members.length === 1) { showNode(members[0]); } else { showGroup(g.id, members); }
  });

  // ------------------------------------------------------------------ pan and zoom (by the SVG's viewBox)
  var full = svg.viewBox.baseVal;
  var home = { x: full.x, y: full.y, w: full.width, h: full.height };
  var view = { x: home.x, y: home.y, w: home.w, h: home.h };
  function applyView() { svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].join(" ")); }
  function toGraph(clientX, clientY) {
    var m = svg.getScreenCTM();
    var pt = svg.createSVGPoint();
    pt.x = clientX; pt.y = clientY;
    return m ? pt.matrixTransform(m.inverse()) : { x: view.x + view.w / 2, y: view.y + view.h / 2 };
  }
  function zoomAt(factor, cx, cy) {
    var w = Math.max(home.w / 60, Math.min(home.w * 4, view.w * factor));
    var f = w / view.w;
    view.x = cx - (cx - view.x) * f;
    view.y = cy - (cy - view.y) * f;
    view.w *= f;
    view.h *= f;
    applyView();
  }
  function zoomBy(factor) { zoomAt(factor, view.x + view.w / 2, view.y + view.h / 2); }
  function fit() { view = { x: home.x, y: home.y, w: home.w, h: home.h }; applyView(); }
  function follow(el) {
    if (view.w >= home.w * 0.999 && view.h >= home.h * 0.999) { return; }  // whole graph in view already
    var r = el.getBoundingClientRect();
    var a = toGraph(r.left, r.top), b = toGraph(r.right, r.bottom);
    var inside = a.x >= view.x && b.x <= view.x + view.w && a.y >= view.y && b.y <= view.y + view.h;
    if (!inside) {
      view.x = (a.x + b.x) / 2 - view.w / 2;
      view.y = (a.y + b.y) / 2 - view.h / 2;
      applyView();
    }
  }
  $("vg-zoom-in").addEventListener("click", function () { zoomBy(1 / 1.25); });
  $("vg-zoom-out").addEventListener("click", function () { zoomBy(1.25); });
  $("vg-fit").addEventListener("click", fit);
  svg.addEventListener("wheel", function (ev) {
    ev.preventDefault();
    var p = toGraph(ev.clientX, ev.clientY);
    zoomAt(Math.exp(ev.deltaY * 0.0015), p.x, p.y);
  }, { passive: false });

  var drag = null, dragged = false;
  svg.addEventListener("pointerdown", function (ev) {
    if (ev.button !== 0) { return; }
    drag = { x: ev.clientX, y: ev.clientY, vx: view.x, vy: view.y, id: ev.pointerId };
    dragged = false;
  });
  svg.addEventListener("pointermove", function (ev) {
    if (!drag) { return; }
    var dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (!dragged && Math.abs(dx) + Math.abs(dy) < 4) { return; }  // a click, not a drag (yet)
    if (!dragged) { dragged = true; svg.setPointerCapture(drag.id); $("vg-viewport").classList.add("dragging"); }
    var m = svg.getScreenCTM();
    var scale = m ? m.a : 1;
    view.x = drag.vx - dx / scale;
    view.y = drag.vy - dy / scale;
    applyView();
  });
  function endDrag() {
    drag = null;
    $("vg-viewport").classList.remove("dragging");
    // `dragged` stays set until the click that ends this gesture has been ignored.
    setTimeout(function () { dragged = false; }, 0);
  }
  svg.addEventListener("pointerup", endDrag);
  svg.addEventListener("pointercancel", endDrag);

  // ------------------------------------------------------------------ start
  nodes.forEach(function (n, i) { setGrad(i, n.grad0, n.grad0Text); });
  // A big graph fitted into the window is too small to read: start closer, at the output, and let
  // "follow" keep the node being processed in view from there.
  (function startView() {
    var box = svg.getBoundingClientRect();
    var fitScale = Math.min(box.width / home.w, box.height / home.h);
    if (!(fitScale > 0) || fitScale >= 0.45) { return; }
    var root = shape[data.root] || opShape[data.root];
    if (!root) { return; }
    var r = root.getBoundingClientRect();
    var c = toGraph((r.left + r.right) / 2, (r.top + r.bottom) / 2);
    var factor = fitScale / 0.8;  // about 80 % of the drawing's natural size
    view.w = home.w * factor;
    view.h = home.h * factor;
    view.x = c.x - view.w * 0.75;
    view.y = c.y - view.h / 2;
    applyView();
  })();
  render();
})();
