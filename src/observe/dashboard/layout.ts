// Where each thing of the view goes on the page: a row of Services (and the
// router) on top, the underlay below them, and the hosts on the underlay —
// each node a column holding its pods, then the outside host. Pure: the page
// only draws these boxes and lines, so the picture is decided (and tested) here.
import type { DashboardView, PodState } from "./view.js";

export type ShapeKind = "service" | "router" | "underlay" | "node" | "outside" | "pod";

export interface Shape {
  /** `svc:ns/name`, `router`, `underlay`, `node:NAME`, `outside`, `pod:ns/name` */
  id: string;
  kind: ShapeKind;
  x: number;
  y: number;
  w: number;
  h: number;
  label: string;
  /** the second line: addresses, ports, status */
  detail: string;
  state: PodState;
  /** pods: their IP, so a trace's addresses find them */
  ip?: string;
}

export interface Link {
  /** `from|to` */
  id: string;
  kind: "endpoint" | "attach" | "route";
  from: string;
  to: string;
  state: PodState;
}

export interface Scene {
  width: number;
  height: number;
  shapes: Shape[];
  links: Link[];
}

export const MARGIN = 20;
export const GAP = 14;
export const SERVICE_W = 180;
export const SERVICE_H = 46;
export const POD_W = 132;
export const POD_H = 34;
export const POD_GAP = 6;
export const PODS_PER_ROW = 2;
export const NODE_HEAD = 52;
export const NODE_W = PODS_PER_ROW * POD_W + (PODS_PER_ROW + 1) * POD_GAP;
export const UNDERLAY_H = 26;
export const MIN_WIDTH = 900;
/** pods no node runs yet: a column of their own */
export const UNSCHEDULED = "(unscheduled)";

export const shapeId = {
  service: (key: string) => `svc:${key}`,
  pod: (key: string) => `pod:${key}`,
  node: (name: string) => `node:${name}`,
  router: "router",
  underlay: "underlay",
  outside: "outside",
};

const link = (kind: Link["kind"], from: string, to: string, state: PodState = "ok"): Link => ({ id: `${from}|${to}`, kind, from, to, state });

export function layoutScene(view: DashboardView): Scene {
  const shapes: Shape[] = [];
  const links: Link[] = [];

  // The hosts' row decides the width: one column per node (plus unscheduled pods), then outside.
  const columns = view.nodes.map((n) => n.name);
  const podsOf = new Map<string, DashboardView["pods"]>();
  for (const p of view.pods) {
    const column = p.node && columns.includes(p.node) ? p.node : UNSCHEDULED;
    podsOf.set(column, [...(podsOf.get(column) ?? []), p]);
  }
  if (podsOf.has(UNSCHEDULED)) columns.push(UNSCHEDULED);
  const hostsWidth = columns.length * (NODE_W + GAP) + SERVICE_W;
  const width = Math.max(MIN_WIDTH, 2 * MARGIN + hostsWidth);

  // Services (the router first) in rows across the width.
  const perRow = Math.max(1, Math.floor((width - 2 * MARGIN + GAP) / (SERVICE_W + GAP)));
  const boxes: Omit<Shape, "x" | "y" | "w" | "h">[] = [];
  if (view.router) {
    const r = view.router;
    boxes.push({
      id: shapeId.router,
      kind: "router",
      label: "Ingress/Gateway router",
      detail: `${r.addresses.join(", ") || "no address yet"} · ${r.routes.length} route${r.routes.length === 1 ? "" : "s"}`,
      state: r.pods.length > 0 ? "ok" : "warn",
    });
  }
  for (const s of view.services) {
    const ready = s.endpoints.filter((e) => e.ready).length;
    boxes.push({
      id: shapeId.service(s.key),
      kind: "service",
      label: s.key,
      detail: `${s.type} ${s.clusterIP ?? ""} ${s.ports.join(" ")}`.replace(/\s+/g, " ").trim(),
      state: s.endpoints.length === 0 ? "warn" : ready === s.endpoints.length ? "ok" : "warn",
    });
  }
  boxes.forEach((b, i) => shapes.push({ ...b, x: MARGIN + (i % perRow) * (SERVICE_W + GAP), y: MARGIN + Math.floor(i / perRow) * (SERVICE_H + GAP), w: SERVICE_W, h: SERVICE_H }));
  const serviceRows = Math.ceil(boxes.length / perRow);
  // Room under the Services for their lines to fan out to the pods.
  const underlayY = MARGIN + serviceRows * (SERVICE_H + GAP) + (boxes.length > 0 ? 3 * GAP : 0);
  shapes.push({ id: shapeId.underlay, kind: "underlay", x: MARGIN, y: underlayY, w: width - 2 * MARGIN, h: UNDERLAY_H, label: `underlay kemu-${view.cluster}-net`, detail: "", state: "ok" });

  const hostsY = underlayY + UNDERLAY_H + 2 * GAP;
  let height = hostsY + NODE_HEAD + MARGIN;
  columns.forEach((column, i) => {
    const node = view.nodes.find((n) => n.name === column);
    const pods = podsOf.get(column) ?? [];
    const rows = Math.ceil(pods.length / PODS_PER_ROW);
    const x = MARGIN + i * (NODE_W + GAP);
    const h = NODE_HEAD + rows * (POD_H + POD_GAP) + POD_GAP;
    const id = shapeId.node(column);
    shapes.push({
      id,
      kind: "node",
      x,
      y: hostsY,
      w: NODE_W,
      h,
      label: column,
      detail: node ? [node.ip, node.podCIDR && `pods ${node.podCIDR}`, node.ready ? "" : "NotReady"].filter(Boolean).join(" · ") : "no node",
      state: node ? (node.ready ? "ok" : "bad") : "warn",
    });
    if (node) links.push(link("attach", id, shapeId.underlay, node.ready ? "ok" : "bad"));
    pods.forEach((p, j) => {
      shapes.push({
        id: shapeId.pod(p.key),
        kind: "pod",
        x: x + POD_GAP + (j % PODS_PER_ROW) * (POD_W + POD_GAP),
        y: hostsY + NODE_HEAD + Math.floor(j / PODS_PER_ROW) * (POD_H + POD_GAP),
        w: POD_W,
        h: POD_H,
        label: p.key,
        detail: `${p.ip ?? "no IP"}${p.hostNetwork ? " (host)" : ""} · ${p.status}`,
        state: p.state,
        ...(p.ip ? { ip: p.ip } : {}),
      });
    });
    height = Math.max(height, hostsY + h + MARGIN);
  });
  shapes.push({
    id: shapeId.outside,
    kind: "outside",
    x: MARGIN + columns.length * (NODE_W + GAP),
    y: hostsY,
    w: SERVICE_W - GAP,
    h: NODE_HEAD,
    label: "outside",
    detail: view.outsideIP ?? "",
    state: "ok",
  });
  links.push(link("attach", shapeId.outside, shapeId.underlay));

  // A Service's endpoints; the router's routes to their Services.
  const podIds = new Set(view.pods.map((p) => shapeId.pod(p.key)));
  for (const s of view.services) {
    for (const e of s.endpoints) {
      if (e.pod && podIds.has(shapeId.pod(e.pod))) links.push(link("endpoint", shapeId.service(s.key), shapeId.pod(e.pod), e.ready ? "ok" : "warn"));
    }
  }
  if (view.router) {
    const services = new Set(view.services.map((s) => s.key));
    const targets = new Set(view.router.routes.flatMap((r) => r.backends).filter((b) => services.has(b)));
    for (const b of [...targets].sort()) links.push(link("route", shapeId.router, shapeId.service(b)));
  }
  return { width, height, shapes, links };
}
