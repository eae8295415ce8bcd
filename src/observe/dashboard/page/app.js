// kemu dashboard page: draws what the server sends over the WebSocket (see
// src/observe/dashboard/messages.ts). The server decides the layout, the
// heatmaps, the charts and a trace's drawing; this file only places them.
// Plain ES module, no framework, no build step, nothing fetched from elsewhere.
const SVG = "http://www.w3.org/2000/svg";
const token = new URLSearchParams(location.search).get("token") ?? "";
const $ = (id) => document.getElementById(id);

const state = {
  scene: { width: 900, height: 200, shapes: new Map(), links: new Map() },
  drawing: null,
  flows: [],
  firstPaint: false,
};

function el(name, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) node.setAttribute(k, String(v));
  for (const c of children) node.append(c);
  return node;
}

function html(name, attrs = {}, ...children) {
  const node = document.createElement(name);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) node.setAttribute(k, String(v));
  for (const c of children) node.append(c);
  return node;
}

// ---- topology ----

function applyUpdate(u) {
  const s = state.scene;
  s.width = u.width;
  s.height = u.height;
  for (const id of u.removedShapes) s.shapes.delete(id);
  for (const id of u.removedLinks) s.links.delete(id);
  for (const shape of u.shapes) s.shapes.set(shape.id, shape);
  for (const link of u.links) s.links.set(link.id, link);
}

const center = (s) => ({ x: s.x + s.w / 2, y: s.y + s.h / 2 });

function linkLine(link) {
  const a = state.scene.shapes.get(link.from);
  const b = state.scene.shapes.get(link.to);
  if (!a || !b) return null;
  if (link.kind === "attach") {
    // A host hangs from the underlay: a vertical line from its top to the bar.
    const x = a.x + a.w / 2;
    return el("line", { class: `link attach ${link.state}`, x1: x, y1: a.y, x2: x, y2: b.y + b.h });
  }
  return el("line", { class: `link ${link.kind} ${link.state}`, x1: a.x + a.w / 2, y1: a.y + a.h, x2: b.x + b.w / 2, y2: b.y });
}

function shapeGroup(s) {
  const g = el("g", { class: `shape ${s.kind} ${s.state}`, "data-id": s.id, "data-kind": s.kind });
  if (s.kind === "pod") g.setAttribute("data-pod", s.label);
  if (s.kind === "service") g.setAttribute("data-service", s.label);
  if (s.kind === "node") g.setAttribute("data-node", s.label);
  g.append(el("title", {}, `${s.label}\n${s.detail}`));
  g.append(el("rect", { x: s.x, y: s.y, width: s.w, height: s.h }));
  const maxChars = Math.floor(s.w / 6.2);
  const cut = (t) => (t.length > maxChars ? `${t.slice(0, maxChars - 1)}…` : t);
  if (s.kind === "underlay") {
    g.append(el("text", { class: "label", x: s.x + 8, y: s.y + s.h / 2 + 4 }, s.label));
  } else {
    g.append(el("text", { class: "label", x: s.x + 6, y: s.y + 14 }, cut(s.label)));
    g.append(el("text", { class: "detail", x: s.x + 6, y: s.y + 27 }, cut(s.detail)));
  }
  return g;
}

function defs() {
  const head = (id, color) =>
    el("marker", { id, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, el("path", { d: "M0 0 L10 5 L0 10 z", fill: color }));
  return el("defs", {}, head("arrowhead", "#1565c0"), head("arrowhead-reply", "#2e7d32"), head("arrowhead-drop", "#c62828"));
}

function renderTopology() {
  const svg = $("topology");
  const { width, height, shapes, links } = state.scene;
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const linkLayer = el("g", { class: "links" });
  for (const l of links.values()) {
    const line = linkLine(l);
    if (line) linkLayer.append(line);
  }
  const shapeLayer = el("g", { class: "shapes" });
  // Containers first, so that pods are drawn on their node.
  const order = { underlay: 0, node: 1, outside: 1, service: 2, router: 2, pod: 3 };
  const sorted = [...shapes.values()].sort((a, b) => order[a.kind] - order[b.kind]);
  const onPath = new Set(state.drawing?.path ?? []);
  for (const s of sorted) {
    const g = shapeGroup(s);
    if (onPath.has(s.id)) g.classList.add("on-path");
    shapeLayer.append(g);
  }
  svg.replaceChildren(defs(), linkLayer, shapeLayer, traceLayer());

  const pods = sorted.filter((s) => s.kind === "pod").map((s) => s.label);
  $("pod-names").replaceChildren(...["outside", ...pods].map((p) => html("option", { value: p })));
  document.body.dataset.pods = String(pods.length);
  if (!state.firstPaint && pods.length > 0) {
    state.firstPaint = true;
    // The benchmark reads this mark once the pods are on the page.
    requestAnimationFrame(() => performance.mark("kemu-pods-drawn"));
  }
}

// ---- trace ----

function traceLayer() {
  const layer = el("g", { class: "trace" });
  const d = state.drawing;
  if (!d) return layer;
  const shapes = state.scene.shapes;
  d.arrows.forEach((a, i) => {
    const from = shapes.get(a.from);
    const to = shapes.get(a.to);
    if (!from || !to) return;
    const p = center(from);
    const q = center(to);
    // Replies curve the other way, so that they do not hide the request.
    const bend = a.kind === "reply" ? -40 : 30;
    const mx = (p.x + q.x) / 2 + (q.y - p.y === 0 ? 0 : bend);
    const my = (p.y + q.y) / 2 - bend;
    layer.append(el("path", { class: `arrow ${a.kind}`, d: `M${p.x} ${p.y} Q${mx} ${my} ${q.x} ${q.y}`, "data-step": i }));
    if (a.label) layer.append(el("text", { class: "arrow-label", x: mx, y: my }, a.label));
  });
  const perShape = new Map();
  for (const m of d.marks) {
    const s = shapes.get(m.shape);
    if (!s) continue;
    const n = perShape.get(m.shape) ?? 0;
    perShape.set(m.shape, n + 1);
    const w = Math.min(Math.max(60, m.text.length * 5.8 + 8), 300);
    const y = s.y - 16 - n * 17;
    layer.append(el("g", { class: `mark ${m.kind}`, "data-mark": m.kind }, el("rect", { x: s.x + 4, y, width: w, height: 15 }), el("text", { x: s.x + 8, y: y + 11 }, m.text)));
  }
  return layer;
}

function showTrace(result, drawing) {
  state.drawing = drawing;
  const summary = $("trace-summary");
  summary.className = drawing.result.replace(/ /g, "-");
  summary.textContent = drawing.summary + (drawing.missing.length ? ` (not on the page: ${drawing.missing.join(", ")})` : "");
  summary.dataset.result = drawing.result;
  const hops = drawing.panel.map((h) => {
    const rules = h.rules.map((r) =>
      html("div", { class: "rule" }, html("code", {}, `${r.table} ${r.chain}: ${r.rule} → ${r.verdict}`), r.object ? html("div", { class: "object" }, `from ${r.object}`) : ""),
    );
    return html(
      "div",
      { class: `hop ${h.outcome}` },
      html("h3", {}, `${h.title} — ${h.outcome}`),
      html("code", {}, h.packet),
      h.leaving ? html("div", {}, html("code", {}, `leaves as ${h.leaving}`)) : "",
      ...h.notes.map((n) => html("div", {}, n)),
      ...rules,
    );
  });
  const dns = (result.dns ?? []).map((q) => html("div", { class: "hop" }, `DNS ${q.type} ${q.name} → ${q.rcode} ${q.answers.join(", ")}`));
  $("trace-hops").replaceChildren(...dns, ...hops);
  renderTopology();
}

async function submitTrace(event) {
  event.preventDefault();
  const body = { from: $("trace-from").value, target: $("trace-target").value, protocol: $("trace-protocol").value };
  const summary = $("trace-summary");
  summary.className = "muted";
  summary.textContent = `tracing ${body.from} → ${body.target}…`;
  delete summary.dataset.result;
  try {
    const res = await fetch(`/api/trace?token=${encodeURIComponent(token)}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const answer = await res.json();
    if (!res.ok) {
      summary.className = "error";
      summary.textContent = answer.error ?? `HTTP ${res.status}`;
      return;
    }
    showTrace(answer.result, answer.drawing);
  } catch (err) {
    summary.className = "error";
    summary.textContent = String(err);
  }
}

// ---- reachability ----

function renderProbe(status, heatmap) {
  const text = { off: "(off)", waiting: "(waiting for the first run)", running: "(probing…)", done: "", failed: `(failed: ${status.message ?? ""})` }[status.state] ?? "";
  const when = heatmap ? ` probed ${new Date(heatmap.at).toLocaleTimeString()} in ${Math.round(heatmap.elapsedMs)} ms` : "";
  $("probe-status").textContent = `${text}${when}`;
  $("probe-panel").dataset.state = status.state;
  if (!heatmap) return;
  const grids = heatmap.grids.map((g) => {
    const size = Math.max(4, Math.min(14, Math.floor(560 / Math.max(1, g.cols.length))));
    const labels = size >= 10;
    const left = labels ? 180 : 0;
    const top = labels ? 110 : 0;
    const svg = el("svg", { width: left + g.cols.length * size + 2, height: top + g.rows.length * size + 2 });
    const name = (v) => (v === 1 ? "r1" : v === 0 ? "r0" : v === null ? "rnull" : "rnone");
    g.rows.forEach((row, i) => {
      if (labels) svg.append(el("text", { x: left - 4, y: top + i * size + size - 3, "text-anchor": "end" }, row));
      g.cols.forEach((col, j) => {
        const v = g.cells[i][j];
        const what = v === 1 ? "reachable" : v === 0 ? `blocked (${g.details[i][j]})` : v === null ? "unknown" : "not probed";
        svg.append(el("rect", { class: `cell ${name(v)}`, x: left + j * size, y: top + i * size, width: size - 1, height: size - 1 }, el("title", {}, `${row} → ${col} ${g.title}: ${what}`)));
      });
    });
    if (labels) g.cols.forEach((col, j) => svg.append(el("text", { transform: `translate(${left + j * size + size - 3} ${top - 4}) rotate(-60)` }, col)));
    return html("div", { class: "grid", "data-grid": g.title }, html("h3", {}, `${g.title}: ${g.reachable} reachable, ${g.blocked} blocked`), svg);
  });
  const notes = heatmap.notes.map((n) => html("p", { class: "muted" }, n));
  $("heatmaps").replaceChildren(...grids, ...notes);
}

// ---- flows and charts ----

function renderFlows(rows, available) {
  if (!available) {
    $("flows-status").textContent = "flows are not available in this dashboard";
    return;
  }
  state.flows = state.flows.concat(rows).slice(-200);
  $("flows-status").textContent = state.flows.length ? "" : "no flows yet";
  const tr = (f) => html("tr", { class: f.verdict }, html("td", {}, f.time.slice(11, 23)), html("td", {}, f.node), html("td", {}, f.protocol), html("td", {}, f.text), html("td", {}, f.policy ? `${f.verdict} by ${f.policy}` : f.verdict));
  $("flows").tBodies[0].replaceChildren(...state.flows.slice().reverse().map(tr));
}

function renderCharts(charts) {
  if (charts.length === 0) return;
  const fmt = (v) => (v === null ? "–" : v >= 100 ? v.toFixed(0) : v.toFixed(2));
  $("charts").replaceChildren(
    ...charts.map((c) =>
      html("div", { class: "chart", "data-chart": c.id }, html("span", {}, c.title), html("span", {}, `${fmt(c.last)} ${c.unit}`), el("svg", { width: 180, height: 36, viewBox: "0 0 180 36" }, el("path", { d: c.path }))),
    ),
  );
}

// ---- the connection ----

function connect() {
  const ws = new WebSocket(`ws://${location.host}/ws?token=${encodeURIComponent(token)}`);
  ws.onopen = () => {
    $("connection").textContent = "live";
    $("connection").className = "ok";
  };
  ws.onclose = () => {
    $("connection").textContent = "disconnected — retrying";
    $("connection").className = "bad";
    setTimeout(connect, 1000);
  };
  ws.onmessage = (event) => {
    const msg = JSON.parse(event.data);
    switch (msg.type) {
      case "hello":
        $("cluster").textContent = msg.cluster;
        document.title = `kemu ${msg.cluster}`;
        state.scene = { width: 0, height: 0, shapes: new Map(), links: new Map() };
        state.flows = [];
        applyUpdate({ ...msg.scene, removedShapes: [], removedLinks: [] });
        renderTopology();
        renderProbe(msg.probe, msg.heatmap);
        renderFlows(msg.flows ?? [], msg.flows !== null);
        renderCharts(msg.charts);
        $("trace-form").querySelector("button").disabled = !msg.traceAvailable;
        if (!msg.traceAvailable) $("trace-summary").textContent = "kemu trace is not available in this dashboard";
        break;
      case "scene":
        applyUpdate(msg.update);
        renderTopology();
        break;
      case "probe":
        renderProbe(msg.status, msg.heatmap);
        break;
      case "flows":
        renderFlows(msg.rows, true);
        break;
      case "charts":
        renderCharts(msg.charts);
        break;
    }
  };
}

$("trace-form").addEventListener("submit", submitTrace);
connect();
