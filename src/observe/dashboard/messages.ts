// What the server sends the page over the WebSocket (JSON, one message per
// frame). The page's app.js reads exactly these shapes.
import type { ChartId } from "./charts.js";
import type { FlowRow } from "./flow-rows.js";
import type { Heatmap } from "./heatmap.js";
import type { Scene } from "./layout.js";
import type { SceneUpdate } from "./scene-diff.js";

export interface ChartMessage {
  id: ChartId;
  title: string;
  unit: string;
  path: string;
  max: number;
  last: number | null;
}

export type ServerMessage =
  /** on connect: everything there is so far */
  | { type: "hello"; cluster: string; scene: Scene; probe: ProbeStatus; heatmap?: Heatmap; flows: FlowRow[] | null; charts: ChartMessage[]; traceAvailable: boolean }
  | { type: "scene"; update: SceneUpdate }
  | { type: "probe"; status: ProbeStatus; heatmap?: Heatmap }
  | { type: "flows"; rows: FlowRow[] }
  | { type: "charts"; charts: ChartMessage[] };

export interface ProbeStatus {
  state: "off" | "waiting" | "running" | "done" | "failed";
  message?: string;
}
