import type { Generation } from '../api';

export const NODE_W = 150;
export const NODE_H = 48;
export const GAP_X = 60;
export const GAP_Y = 20;

export interface LayoutNode {
  id: string;
  x: number;
  y: number;
  depth: number;
  generation: Generation;
}

export interface LayoutEdge {
  from: string;
  to: string;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export interface LineageLayout {
  nodes: LayoutNode[];
  edges: LayoutEdge[];
  byId: Map<string, LayoutNode>;
  width: number;
  height: number;
}

/**
 * Layered layout of the generation DAG: the x layer is the distance from a root, the y slot comes from a tidy-tree
 * pass (leaves take consecutive rows, a parent is centred on its children) so branches never cross. Generations
 * whose parent is unknown become roots; a parent cycle is broken where it is found. O(n log n) for sorting.
 */
export function layoutLineage(generations: Generation[]): LineageLayout {
  const byGen = new Map<string, Generation>();
  for (const g of generations) {
    byGen.set(g.id, g);
  }
  const children = new Map<string, string[]>();
  const roots: string[] = [];
  for (const g of generations) {
    const p = g.parent;
    if (p && byGen.has(p) && p !== g.id) {
      const list = children.get(p) ?? [];
      list.push(g.id);
      children.set(p, list);
    } else {
      roots.push(g.id);
    }
  }
  const byCreated = (a: string, b: string): number => {
    // A generation without a creation time sorts first, then by id.
    const ca = byGen.get(a)!.created_at ?? '';
    const cb = byGen.get(b)!.created_at ?? '';
    return ca < cb ? -1 : ca > cb ? 1 : a < b ? -1 : a > b ? 1 : 0;
  };
  roots.sort(byCreated);
  for (const list of children.values()) {
    list.sort(byCreated);
  }

  const depth = new Map<string, number>();
  const row = new Map<string, number>();
  let nextRow = 0;
  const visited = new Set<string>();

  const walk = (root: string): void => {
    // Iterative post-order so a 2,000-long chain cannot overflow the stack.
    const stack: Array<{ id: string; d: number; expanded: boolean }> = [{ id: root, d: 0, expanded: false }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (!top.expanded) {
        top.expanded = true;
        visited.add(top.id);
        depth.set(top.id, top.d);
        const kids = (children.get(top.id) ?? []).filter((k) => !visited.has(k));
        for (let i = kids.length - 1; i >= 0; i--) {
          stack.push({ id: kids[i]!, d: top.d + 1, expanded: false });
        }
        continue;
      }
      stack.pop();
      const kids = (children.get(top.id) ?? []).filter((k) => row.has(k) && depth.get(k) === top.d + 1);
      if (kids.length === 0) {
        row.set(top.id, nextRow++);
      } else {
        row.set(top.id, (row.get(kids[0]!)! + row.get(kids[kids.length - 1]!)!) / 2);
      }
    }
  };
  for (const r of roots) {
    if (!visited.has(r)) {
      walk(r);
    }
  }
  // Anything left is on a parent cycle with no root: start from its oldest member.
  for (const g of [...generations].sort((a, b) => byCreated(a.id, b.id))) {
    if (!visited.has(g.id)) {
      walk(g.id);
    }
  }

  const nodes: LayoutNode[] = [];
  const byId = new Map<string, LayoutNode>();
  let maxDepth = 0;
  for (const g of generations) {
    if (byId.has(g.id)) {
      continue;
    }
    const d = depth.get(g.id) ?? 0;
    maxDepth = Math.max(maxDepth, d);
    const n: LayoutNode = {
      id: g.id,
      depth: d,
      x: d * (NODE_W + GAP_X),
      y: row.get(g.id)! * (NODE_H + GAP_Y),
      generation: g,
    };
    nodes.push(n);
    byId.set(g.id, n);
  }
  const edges: LayoutEdge[] = [];
  for (const n of nodes) {
    const p = n.generation.parent ? byId.get(n.generation.parent) : undefined;
    if (p && p.id !== n.id && n.depth === p.depth + 1) {
      edges.push({ from: p.id, to: n.id, x1: p.x + NODE_W, y1: p.y + NODE_H / 2, x2: n.x, y2: n.y + NODE_H / 2 });
    }
  }
  return {
    nodes,
    edges,
    byId,
    width: nodes.length ? (maxDepth + 1) * (NODE_W + GAP_X) - GAP_X : 0,
    height: nodes.length ? Math.max(0, nextRow - 1) * (NODE_H + GAP_Y) + NODE_H : 0,
  };
}

export interface ViewTransform {
  k: number;
  tx: number;
  ty: number;
}

// Low enough that "fit" shows a 2,000-generation chain whole (its layout is ~420,000 px wide).
export const MIN_ZOOM = 0.001;
export const MAX_ZOOM = 3;

const clampZoom = (k: number): number => Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, k));

/** The transform that shows the whole layout centred in a `width` × `height` viewport. */
export function fitTransform(
  layout: Pick<LineageLayout, 'width' | 'height'>,
  width: number,
  height: number,
  pad = 16
): ViewTransform {
  if (layout.width === 0 || width <= 0 || height <= 0) {
    return { k: 1, tx: pad, ty: pad };
  }
  const k = clampZoom(Math.min((width - 2 * pad) / layout.width, (height - 2 * pad) / layout.height, 1));
  return { k, tx: (width - layout.width * k) / 2, ty: (height - layout.height * k) / 2 };
}

/** Zooms by `factor` keeping the layout point under screen point (px, py) fixed. */
export function zoomAt(t: ViewTransform, factor: number, px: number, py: number): ViewTransform {
  const k = clampZoom(t.k * factor);
  const f = k / t.k;
  return { k, tx: px - (px - t.tx) * f, ty: py - (py - t.ty) * f };
}

/**
 * Nodes and edges that intersect the viewport (plus a margin), so only what can be seen is put in the DOM.
 * Edges are kept when their bounding box touches the view, even if both ends are off-screen.
 */
export function cullToViewport(
  layout: LineageLayout,
  t: ViewTransform,
  width: number,
  height: number,
  margin = 100
): { nodes: LayoutNode[]; edges: LayoutEdge[] } {
  const x0 = (-t.tx - margin) / t.k;
  const y0 = (-t.ty - margin) / t.k;
  const x1 = (width - t.tx + margin) / t.k;
  const y1 = (height - t.ty + margin) / t.k;
  const nodes = layout.nodes.filter((n) => n.x + NODE_W >= x0 && n.x <= x1 && n.y + NODE_H >= y0 && n.y <= y1);
  const edges = layout.edges.filter(
    (e) =>
      Math.max(e.x1, e.x2) >= x0 &&
      Math.min(e.x1, e.x2) <= x1 &&
      Math.max(e.y1, e.y2) >= y0 &&
      Math.min(e.y1, e.y2) <= y1
  );
  return { nodes, edges };
}
