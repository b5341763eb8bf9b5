/* The configurator's flow diagram: lays out the steps with dagre (vendored) and draws them as
   SVG; each step is a link to its page, steps with problems are marked. The text outline under
   it says the same for screen readers and without JavaScript. */
(function () {
  "use strict";
  var holder = document.querySelector("[data-flow-diagram]");
  var source = document.getElementById("flow-data");
  if (!holder || !source || !window.dagre) { return; }
  var data = JSON.parse(source.textContent);
  var graph = data.graph, labels = data.labels;
  var SVG = "http://www.w3.org/2000/svg";
  var CHAR = 7.4, LINE = 18, PAD = 12, WIDTH = 190;

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) { parent.appendChild(node); }
    return node;
  }

  function wrap(text, width) {
    var words = String(text).split(/\s+/), lines = [], line = "";
    var max = Math.max(8, Math.floor(width / CHAR));
    words.forEach(function (w) {
      if ((line + " " + w).trim().length > max && line) { lines.push(line); line = w; }
      else { line = (line + " " + w).trim(); }
    });
    if (line) { lines.push(line); }
    return lines.slice(0, 4);
  }

  var g = new window.dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: "TB", nodesep: 36, ranksep: 56, edgesep: 18, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(function () { return {}; });
  var known = {};
  graph.nodes.forEach(function (n) {
    known[n.id] = true;
    var lines = wrap(n.title, WIDTH - 2 * PAD);
    var notes = [];
    if (n.errors) { notes.push(n.errors + " " + labels.errors); }
    if (n.warnings) { notes.push(n.warnings + " " + labels.warnings); }
    if (!n.reachable) { notes.push(labels.unreachable); }
    n.lines = lines;
    n.note = notes.length ? "⚠ " + notes.join(", ") : "";
    var extra = n.note ? 1 : 0;
    g.setNode(n.id, { width: WIDTH, height: PAD * 2 + LINE * (lines.length + 1 + extra), data: n });
  });
  graph.edges.forEach(function (e, i) {
    if (!known[e.to]) {
      var ghost = "?" + e.to;
      if (!known[ghost]) {
        known[ghost] = true;
        g.setNode(ghost, { width: 140, height: 44, data: { id: ghost, missing: e.to } });
      }
      e.to = ghost;
    }
    var label = e.label || "";
    g.setEdge(e.from, e.to, { label: label, width: label ? Math.min(160, label.length * 6.2) : 0,
                              height: label ? 16 : 0, labelpos: "c" }, "e" + i);
  });
  window.dagre.layout(g);

  var size = g.graph();
  var svg = el("svg", { viewBox: "0 0 " + Math.ceil(size.width) + " " + Math.ceil(size.height),
                        role: "group", "aria-labelledby": "flow-svg-title", "class": "flow-svg" });
  svg.style.maxWidth = Math.ceil(size.width) + "px";  /* never drawn larger than laid out */
  el("title", { id: "flow-svg-title" }, svg).textContent = data.title;
  var defs = el("defs", {}, svg);
  var marker = el("marker", { id: "flow-arrow", viewBox: "0 0 10 10", refX: 10, refY: 5,
                              markerWidth: 8, markerHeight: 8, orient: "auto-start-reverse" }, defs);
  el("path", { d: "M 0 0 L 10 5 L 0 10 z", "class": "flow-arrow" }, marker);

  g.edges().forEach(function (ref) {
    var edge = g.edge(ref);
    var d = edge.points.map(function (p, i) { return (i ? "L" : "M") + p.x.toFixed(1) + " " + p.y.toFixed(1); }).join(" ");
    el("path", { d: d, "class": "flow-edge", "marker-end": "url(#flow-arrow)" }, svg);
    if (edge.label) {
      var t = el("text", { x: edge.x, y: edge.y + 4, "class": "flow-edge-label", "text-anchor": "middle" }, svg);
      t.textContent = edge.label;
    }
  });

  g.nodes().forEach(function (id) {
    var node = g.node(id), n = node.data;
    var x = node.x - node.width / 2, y = node.y - node.height / 2;
    if (n.missing) {
      var ghost = el("g", { "class": "flow-node flow-node--missing" }, svg);
      el("rect", { x: x, y: y, width: node.width, height: node.height, rx: 6 }, ghost);
      var gt = el("text", { x: node.x, y: node.y + 5, "text-anchor": "middle" }, ghost);
      gt.textContent = "«" + n.missing + "» " + labels.missing;
      return;
    }
    var state = n.errors ? " flow-node--error" : (n.warnings ? " flow-node--warning" : "");
    var kind = n.end ? " flow-node--end" : (n.start ? " flow-node--start" : "");
    var link = el("a", { href: n.url, tabindex: "0", "class": "flow-node" + state + kind }, svg);
    link.addEventListener("keydown", function (event) {  /* SVG links: Enter follows them too */
      if (event.key === "Enter") { event.preventDefault(); window.location.assign(n.url); }
    });
    el("rect", { x: x, y: y, width: node.width, height: node.height, rx: n.end ? 22 : 6 }, link);
    var type = el("text", { x: x + PAD, y: y + PAD + 12, "class": "flow-node-type" }, link);
    type.textContent = (n.start ? labels.start + " · " : "") + n.type;
    n.lines.forEach(function (line, i) {
      var text = el("text", { x: x + PAD, y: y + PAD + 12 + LINE * (i + 1), "class": "flow-node-title" }, link);
      text.textContent = line;
    });
    if (n.note) {
      var note = el("text", { x: x + PAD, y: y + PAD + 12 + LINE * (n.lines.length + 1), "class": "flow-node-badge" }, link);
      note.textContent = n.note;
    }
  });

  var scroller = document.createElement("div");
  scroller.className = "flow-scroll";
  scroller.setAttribute("tabindex", "0");
  scroller.setAttribute("role", "region");
  scroller.setAttribute("aria-label", data.title);
  scroller.appendChild(svg);
  holder.appendChild(scroller);
  holder.hidden = false;
})();
