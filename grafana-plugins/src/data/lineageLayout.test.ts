import { makeGeneration, makeGenerations } from '../test/fixtures';
import { cullToViewport, fitTransform, GAP_X, layoutLineage, NODE_W, zoomAt } from './lineageLayout';

describe('layoutLineage', () => {
  it('puts each generation one layer right of its parent', () => {
    const l = layoutLineage([makeGeneration('a', null), makeGeneration('b', 'a'), makeGeneration('c', 'b')]);
    expect(l.nodes.map((n) => n.depth)).toEqual([0, 1, 2]);
    expect(l.byId.get('c')!.x).toBe(2 * (NODE_W + GAP_X));
    expect(l.edges).toHaveLength(2);
  });

  it('gives sibling branches distinct rows and centres the parent between them', () => {
    const l = layoutLineage([makeGeneration('a', null), makeGeneration('b', 'a'), makeGeneration('c', 'a')]);
    const [b, c, a] = [l.byId.get('b')!, l.byId.get('c')!, l.byId.get('a')!];
    expect(b.y).not.toBe(c.y);
    expect(a.y).toBe((b.y + c.y) / 2);
  });

  it('treats a generation with an unknown parent as a root and survives a parent cycle', () => {
    const l = layoutLineage([makeGeneration('x', 'missing'), makeGeneration('p', 'q'), makeGeneration('q', 'p')]);
    expect(l.nodes).toHaveLength(3);
    expect(l.byId.get('x')!.depth).toBe(0);
  });

  it('lays out 2,000 generations without recursion limits', () => {
    const l = layoutLineage(makeGenerations(2000, 5));
    expect(l.nodes).toHaveLength(2000);
    expect(l.width).toBeGreaterThan(0);
  });
});

describe('view transforms', () => {
  const l = layoutLineage(makeGenerations(50));
  it('fit shows the whole layout inside the viewport', () => {
    const t = fitTransform(l, 800, 400);
    expect(l.width * t.k).toBeLessThanOrEqual(800);
    expect(cullToViewport(l, t, 800, 400).nodes).toHaveLength(50);
  });

  it('zoomAt keeps the point under the cursor fixed', () => {
    const t = zoomAt({ k: 1, tx: 0, ty: 0 }, 2, 100, 50);
    expect((100 - t.tx) / t.k).toBeCloseTo(100 / 1);
    expect((50 - t.ty) / t.k).toBeCloseTo(50);
  });

  it('culls nodes outside the viewport', () => {
    const visible = cullToViewport(l, { k: 1, tx: 0, ty: 0 }, 400, 200, 0);
    expect(visible.nodes.length).toBeLessThan(5);
  });
});

describe('fit on a long chain', () => {
  it('shows all 2,000 generations of a linear chain', () => {
    const l = layoutLineage(makeGenerations(2000));
    const t = fitTransform(l, 1200, 700);
    expect(cullToViewport(l, t, 1200, 700).nodes).toHaveLength(2000);
  });
});
