import React, { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { cx } from '@emotion/css';
import { IconButton, useStyles2, useTheme2 } from '@grafana/ui';
import type { Generation } from '../../api';
import { formatValue } from '../../data/format';
import {
  cullToViewport,
  fitTransform,
  layoutLineage,
  NODE_H,
  NODE_W,
  zoomAt,
  type ViewTransform,
} from '../../data/lineageLayout';
import { TEST_IDS } from '../../testIds';
import { getStyles, statusColor } from './LineageGraph.styles';

export interface LineageGraphProps {
  generations: Generation[];
  width: number;
  height: number;
  selectedId?: string;
  onSelect?: (g: Generation) => void;
}

/** Below this zoom a node is only a coloured box: text is unreadable and costs most of the render time. */
const DETAIL_ZOOM = 0.45;

/** SVG DAG of generations with zoom (wheel, buttons, +/-), pan (drag, arrows), fit (0) and viewport culling. */
export function LineageGraph({
  generations,
  width,
  height,
  selectedId,
  onSelect,
}: LineageGraphProps): React.JSX.Element {
  const s = useStyles2(getStyles);
  const theme = useTheme2();
  const layout = useMemo(() => layoutLineage(generations), [generations]);
  const [t, setView] = useState<ViewTransform>(() => fitTransform(layout, width, height));
  // Once the user zooms or pans, the view is theirs: live updates (a new generation, a status change) keep it.
  const userMoved = useRef(false);
  const setT = useCallback((next: React.SetStateAction<ViewTransform>) => {
    userMoved.current = true;
    setView(next);
  }, []);
  const [hover, setHover] = useState<{ g: Generation; x: number; y: number }>();
  const rootRef = useRef<HTMLDivElement>(null);
  const drag = useRef<{ x: number; y: number; tx: number; ty: number; moved: boolean } | null>(null);

  const fit = useCallback(() => {
    userMoved.current = false;
    setView(fitTransform(layout, width, height));
  }, [layout, width, height]);
  // Follow the data and the panel size while the view is still the fitted one; never take a chosen view away.
  useEffect(() => {
    if (!userMoved.current) {
      setView(fitTransform(layout, width, height));
    }
  }, [layout, width, height]);

  useEffect(() => {
    const el = rootRef.current;
    if (!el) {
      return undefined;
    }
    // React's wheel listener is passive; zooming must stop the page from scrolling.
    const onWheel = (e: WheelEvent): void => {
      e.preventDefault();
      const r = el.getBoundingClientRect();
      setT((cur) => zoomAt(cur, Math.exp(-e.deltaY * 0.0015), e.clientX - r.left, e.clientY - r.top));
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  }, [setT]);

  const onHover = (g: Generation, e: React.MouseEvent): void => {
    const r = rootRef.current?.getBoundingClientRect();
    setHover({ g, x: e.clientX - (r?.left ?? 0), y: e.clientY - (r?.top ?? 0) });
  };

  const visible = useMemo(() => cullToViewport(layout, t, width, height), [layout, t, width, height]);
  const detailed = t.k >= DETAIL_ZOOM;

  const onKeyDown = (e: React.KeyboardEvent): void => {
    const step = 60;
    const keys: Record<string, () => void> = {
      '+': () => setT((c) => zoomAt(c, 1.25, width / 2, height / 2)),
      '=': () => setT((c) => zoomAt(c, 1.25, width / 2, height / 2)),
      '-': () => setT((c) => zoomAt(c, 0.8, width / 2, height / 2)),
      '0': fit,
      ArrowLeft: () => setT((c) => ({ ...c, tx: c.tx + step })),
      ArrowRight: () => setT((c) => ({ ...c, tx: c.tx - step })),
      ArrowUp: () => setT((c) => ({ ...c, ty: c.ty + step })),
      ArrowDown: () => setT((c) => ({ ...c, ty: c.ty - step })),
    };
    const fn = keys[e.key];
    if (fn) {
      e.preventDefault();
      fn();
    }
  };

  return (
    <div
      ref={rootRef}
      className={s.root}
      style={{ width, height }}
      tabIndex={0}
      role="group"
      aria-label={`Lineage graph, ${generations.length} generations. Drag to pan, wheel or +/- to zoom, 0 to fit.`}
      onKeyDown={onKeyDown}
    >
      <svg
        className={s.svg}
        width={width}
        height={height}
        data-testid={TEST_IDS.lineage.svg}
        data-zoom={t.k.toFixed(3)}
        data-transform={`${t.tx.toFixed(1)},${t.ty.toFixed(1)},${t.k.toFixed(4)}`}
        onPointerDown={(e) => {
          drag.current = { x: e.clientX, y: e.clientY, tx: t.tx, ty: t.ty, moved: false };
        }}
        onPointerMove={(e) => {
          const d = drag.current;
          if (d && (e.buttons & 1) === 1) {
            const dx = e.clientX - d.x;
            const dy = e.clientY - d.y;
            if (Math.abs(dx) + Math.abs(dy) > 3) {
              d.moved = true;
            }
            setT((c) => ({ ...c, tx: d.tx + dx, ty: d.ty + dy }));
          }
        }}
        onPointerUp={() => {
          setTimeout(() => (drag.current = null), 0);
        }}
      >
        <g transform={`translate(${t.tx},${t.ty}) scale(${t.k})`}>
          {visible.edges.map((e) => {
            const mx = (e.x1 + e.x2) / 2;
            const d = detailed
              ? `M${e.x1},${e.y1} C${mx},${e.y1} ${mx},${e.y2} ${e.x2},${e.y2}`
              : `M${e.x1},${e.y1} L${e.x2},${e.y2}`;
            return <path key={`${e.from}-${e.to}`} className={s.edge} d={d} />;
          })}
          {!detailed &&
            visible.nodes.map((n) => (
              // Zoomed out: a bare coloured rect per node, the cheapest thing SVG can draw, still hoverable and clickable.
              <rect
                key={n.id}
                x={n.x}
                y={n.y}
                width={NODE_W}
                height={NODE_H}
                fill={statusColor(theme, n.generation.status)}
                className={s.node}
                data-testid={TEST_IDS.lineage.node(n.id)}
                data-status={n.generation.status}
                role="button"
                aria-label={`Generation ${n.id}, ${n.generation.status}`}
                onMouseEnter={(e) => onHover(n.generation, e)}
                onMouseLeave={() => setHover(undefined)}
                onClick={() => !drag.current?.moved && onSelect?.(n.generation)}
              />
            ))}
          {detailed &&
            visible.nodes.map((n) => {
              const g = n.generation;
              const color = statusColor(theme, g.status);
              const firstKpi = Object.entries(g.kpis ?? {})[0];
              return (
                <g
                  key={n.id}
                  className={s.node}
                  transform={`translate(${n.x},${n.y})`}
                  data-testid={TEST_IDS.lineage.node(n.id)}
                  data-status={g.status}
                  role="button"
                  aria-label={`Generation ${g.id}, ${g.status}`}
                  onMouseEnter={(e) => onHover(g, e)}
                  onMouseLeave={() => setHover(undefined)}
                  onClick={() => {
                    if (!drag.current?.moved) {
                      onSelect?.(g);
                    }
                  }}
                >
                  <rect
                    className={cx(s.nodeBox, g.id === selectedId && s.nodeSelected)}
                    width={NODE_W}
                    height={NODE_H}
                    rx={6}
                    stroke={color}
                  />
                  <circle cx={12} cy={14} r={5} fill={color} />
                  <text className={s.nodeTitle} x={22} y={18}>
                    {g.id.length > 16 ? `${g.id.slice(0, 15)}…` : g.id}
                  </text>
                  <text className={s.nodeMeta} x={8} y={38}>
                    {g.status}
                    {firstKpi ? ` · ${firstKpi[0]} ${formatValue(firstKpi[1])}` : ''}
                  </text>
                </g>
              );
            })}
        </g>
      </svg>
      <div className={s.toolbar}>
        <IconButton
          name="plus"
          tooltip="Zoom in (+)"
          onClick={() => setT((c) => zoomAt(c, 1.25, width / 2, height / 2))}
        />
        <IconButton
          name="minus"
          tooltip="Zoom out (-)"
          onClick={() => setT((c) => zoomAt(c, 0.8, width / 2, height / 2))}
        />
        <IconButton name="expand-arrows" tooltip="Fit (0)" onClick={fit} data-testid={TEST_IDS.lineage.fit} />
      </div>
      {hover && (
        <div
          className={s.tooltip}
          style={{ left: Math.min(hover.x + 12, width - 200), top: hover.y + 12 }}
          data-testid={TEST_IDS.lineage.tooltip}
          role="tooltip"
        >
          <strong>{hover.g.id}</strong> · {hover.g.status}
          <div>parent: {hover.g.parent ?? '—'}</div>
          <div>created: {hover.g.created_at}</div>
          <dl className={s.kpis}>
            {Object.entries(hover.g.kpis ?? {}).map(([k, v]) => (
              <React.Fragment key={k}>
                <dt>{k}</dt>
                <dd>{formatValue(v)}</dd>
              </React.Fragment>
            ))}
          </dl>
        </div>
      )}
    </div>
  );
}
