// The small update the page gets when the cluster changes: the shapes and
// links that are new or moved or changed, the ids that went away, and the
// canvas size. Applying it to the previous scene gives the next one. Pure.
import type { Link, Scene, Shape } from "./layout.js";

export interface SceneUpdate {
  width: number;
  height: number;
  shapes: Shape[];
  links: Link[];
  removedShapes: string[];
  removedLinks: string[];
}

function changed<T extends { id: string }>(before: T[], after: T[]): { upsert: T[]; removed: string[] } {
  const old = new Map(before.map((x) => [x.id, JSON.stringify(x)]));
  const upsert = after.filter((x) => old.get(x.id) !== JSON.stringify(x));
  const now = new Set(after.map((x) => x.id));
  return { upsert, removed: before.filter((x) => !now.has(x.id)).map((x) => x.id) };
}

export function diffScene(before: Scene, after: Scene): SceneUpdate {
  const shapes = changed(before.shapes, after.shapes);
  const links = changed(before.links, after.links);
  return { width: after.width, height: after.height, shapes: shapes.upsert, links: links.upsert, removedShapes: shapes.removed, removedLinks: links.removed };
}

export function isEmptyUpdate(u: SceneUpdate, before: Scene): boolean {
  return u.width === before.width && u.height === before.height && u.shapes.length + u.links.length + u.removedShapes.length + u.removedLinks.length === 0;
}

/** What the page does with an update (the page's app.js applies it the same way). */
export function applySceneUpdate(scene: Scene, u: SceneUpdate): Scene {
  const merge = <T extends { id: string }>(list: T[], upsert: T[], removed: string[]) => {
    const gone = new Set(removed);
    const byId = new Map(list.filter((x) => !gone.has(x.id)).map((x) => [x.id, x]));
    for (const x of upsert) byId.set(x.id, x);
    return [...byId.values()];
  };
  return { width: u.width, height: u.height, shapes: merge(scene.shapes, u.shapes, u.removedShapes), links: merge(scene.links, u.links, u.removedLinks) };
}
