import React, { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import type { PanelProps } from '@grafana/data';
import { Alert, Button, Combobox, EmptyState, InlineField, LoadingPlaceholder, useStyles2 } from '@grafana/ui';
import { lookoutApi, type CalibrationImage } from '../../../../api';
import { StreamState } from '../../../../components/StreamState';
import { useAsync } from '../../../../hooks/useAsync';
import { useEventFeed } from '../../../../hooks/useEventFeed';
import { TEST_IDS } from '../../../../testIds';
import { distinct } from '../../data/compare';
import type { GalleryOptions } from '../../types';
import { CompareView } from '../CompareView';
import { ImageViewer } from '../ImageViewer';
import { getStyles } from './GalleryPanel.styles';

const ALL = '';

export function GalleryPanel({ options, replaceVariables }: PanelProps<GalleryOptions>): React.JSX.Element {
  const s = useStyles2(getStyles, options.tileWidth || 180);
  const idBase = useId();
  const [generation, setGeneration] = useState(
    () => replaceVariables?.(options.generation ?? '') ?? options.generation ?? ''
  );
  const [kind, setKind] = useState(options.kind ?? '');
  const [items, setItems] = useState<CalibrationImage[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string>();
  const [viewer, setViewer] = useState<number>();
  const [compare, setCompare] = useState<{ a: string; b: string }>();
  const request = useRef(0);
  const sentinel = useRef<HTMLDivElement>(null);
  const lineage = useAsync(() => lookoutApi.lineage(), []);

  const pageSize = options.pageSize || 40;
  const load = useCallback(
    async (reset: boolean, from?: string | null, limit = pageSize) => {
      const id = ++request.current;
      setLoading(true);
      setError(undefined);
      try {
        const page = await lookoutApi.calibration({
          generation: generation || undefined,
          kind: kind || undefined,
          cursor: from,
          limit,
        });
        if (id !== request.current) {
          return;
        }
        setItems((cur) =>
          reset ? page.items : [...cur, ...page.items.filter((i) => !cur.some((c) => c.id === i.id))]
        );
        setCursor(page.next_cursor ?? null);
      } catch (e) {
        if (id === request.current) {
          setError((e as Error).message);
        }
      } finally {
        if (id === request.current) {
          setLoading(false);
        }
      }
    },
    [generation, kind, pageSize]
  );

  // New, changed and removed images arrive on the stream (`artifact.*`, filtered by the sidecar), or by polling while
  // it is down. Each reloads what the grid already shows, in place: the filters, the open image and the compare view
  // stay as they are.
  const pollSeconds = Math.max(2, options.pollSeconds || 15);
  const live = useEventFeed({
    feeds: ['activity'],
    kinds: ['artifact.*'],
    minSeverity: 'debug',
    maxRows: 1,
    backfill: 1,
    pollMs: pollSeconds * 1000,
    paused: false,
  });
  useEffect(() => {
    if (live.changes > 0) {
      // eslint-disable-next-line react-hooks/set-state-in-effect -- a change on disk reloads the listing shown
      load(true, undefined, Math.min(500, Math.max(pageSize, items.length)));
    }
    // Only a change reloads; the count of images shown is read, not followed.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [live.changes]);

  useEffect(() => {
    // eslint-disable-next-line react-hooks/set-state-in-effect -- new filters start a new listing
    setItems([]);
    setCursor(undefined);
    load(true);
  }, [load]);

  // Infinite scroll: the sentinel below the grid asks for the next page when it comes into view.
  useEffect(() => {
    const el = sentinel.current;
    if (!el || !cursor || loading) {
      return undefined;
    }
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) {
        load(false, cursor);
      }
    });
    io.observe(el);
    return () => io.disconnect();
  }, [cursor, loading, load]);

  const generations = useMemo(() => {
    const fromLineage = (lineage.value?.generations ?? []).map((g) => g.id);
    return distinct([...fromLineage, ...items.map((i) => i.generation), generation]).reverse();
  }, [lineage.value, items, generation]);
  const kinds = useMemo(() => distinct([...items.map((i) => i.kind), kind]), [items, kind]);

  return (
    <div className={s.root} data-testid={TEST_IDS.gallery.root}>
      <div className={s.toolbar}>
        <StreamState mode={live.mode} pollSeconds={pollSeconds} testId={TEST_IDS.gallery.stream} />
        <InlineField label="Generation" htmlFor={`${idBase}-generation`}>
          <Combobox
            id={`${idBase}-generation`}
            width="auto"
            minWidth={20}
            options={[{ label: 'All generations', value: ALL }, ...generations.map((g) => ({ label: g, value: g }))]}
            value={generation}
            onChange={(v) => setGeneration(v.value)}
          />
        </InlineField>
        <InlineField label="Kind" htmlFor={`${idBase}-kind`}>
          <Combobox
            id={`${idBase}-kind`}
            width="auto"
            minWidth={20}
            options={[{ label: 'All kinds', value: ALL }, ...kinds.map((k) => ({ label: k, value: k }))]}
            value={kind}
            onChange={(v) => setKind(v.value)}
          />
        </InlineField>
        <Button
          variant="secondary"
          icon="columns"
          disabled={generations.length < 2}
          onClick={() => setCompare({ a: generations[1] ?? '', b: generations[0] ?? '' })}
        >
          Compare
        </Button>
      </div>
      {error && (
        <Alert severity="error" title="Cannot load calibration images">
          {error}
        </Alert>
      )}
      <div className={s.scroller}>
        {!loading && !error && items.length === 0 && (
          <EmptyState variant="not-found" message="No calibration images" hideImage>
            {generation || kind
              ? 'Nothing matches these filters.'
              : 'The workload has not written any calibration images yet.'}
          </EmptyState>
        )}
        <div className={s.grid} role="list" aria-label="Calibration images">
          {items.map((img, i) => (
            <button
              key={img.id}
              type="button"
              role="listitem"
              className={s.tile}
              data-testid={TEST_IDS.gallery.tile(img.id)}
              onClick={() => setViewer(i)}
            >
              <img
                className={s.img}
                src={lookoutApi.imageUrl(img)}
                alt={img.title ?? img.name}
                loading="lazy"
                decoding="async"
              />
              <span className={s.caption}>
                {img.generation} · {img.title ?? img.name}
              </span>
            </button>
          ))}
        </div>
        {loading && <LoadingPlaceholder text="Loading images…" />}
        <div ref={sentinel} className={s.sentinel} aria-hidden />
      </div>
      {viewer !== undefined && (
        <ImageViewer items={items} index={viewer} onIndexChange={setViewer} onClose={() => setViewer(undefined)} />
      )}
      {compare && (
        <CompareView
          generations={generations}
          a={compare.a}
          b={compare.b}
          onChange={(a, b) => setCompare({ a, b })}
          onClose={() => setCompare(undefined)}
        />
      )}
    </div>
  );
}
