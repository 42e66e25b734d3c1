import React from 'react';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { PanelProps } from '@grafana/data';
import { fakeBackend, HttpFailure, type RecordedCall } from '../../../../test/backend';
import { FakeEventSource } from '../../../../test/eventSource';
import { makeEvent, makeImage, makeLineage } from '../../../../test/fixtures';
import { intersectAll } from '../../../../test/observers';
import { TEST_IDS } from '../../../../testIds';
import { DEFAULT_GALLERY_OPTIONS, type GalleryOptions } from '../../types';
import { GalleryPanel } from './GalleryPanel';

const props = (o: Partial<GalleryOptions> = {}): PanelProps<GalleryOptions> =>
  ({
    options: { ...DEFAULT_GALLERY_OPTIONS, ...o },
    width: 600,
    height: 400,
    replaceVariables: (v: string) => v,
  }) as unknown as PanelProps<GalleryOptions>;

const calibration = (c: RecordedCall) => {
  const gen = c.query.generation;
  const all = [makeImage('a', 'g1'), makeImage('b', 'g2'), makeImage('c', 'g2', 'pnl'), makeImage('d', 'g3')];
  const filtered = all.filter((i) => (!gen || i.generation === gen) && (!c.query.kind || i.kind === c.query.kind));
  if (c.query.cursor === 'p2') {
    return { items: [makeImage('e', 'g3', 'drift')], next_cursor: null };
  }
  return { items: filtered, next_cursor: gen ? null : 'p2' };
};

describe('GalleryPanel', () => {
  it('shows a lazy grid and loads the next page when the end scrolls into view', async () => {
    fakeBackend({ 'GET api/v1/lineage': () => makeLineage(), 'GET api/v1/artifacts/calibration': calibration });
    render(<GalleryPanel {...props()} />);
    const tiles = await screen.findAllByRole('listitem');
    expect(tiles).toHaveLength(4);
    expect(within(tiles[0]!).getByRole('img')).toHaveAttribute('loading', 'lazy');
    intersectAll();
    await waitFor(() => expect(screen.getAllByRole('listitem')).toHaveLength(5));
  });

  it('filters by generation and kind', async () => {
    const { calls } = fakeBackend({
      'GET api/v1/lineage': () => makeLineage(),
      'GET api/v1/artifacts/calibration': calibration,
    });
    render(<GalleryPanel {...props({ generation: 'g2' })} />);
    await waitFor(() => expect(screen.getAllByRole('listitem')).toHaveLength(2));
    expect(calls.find((c) => c.path === 'api/v1/artifacts/calibration')!.query.generation).toBe('g2');
    // Combobox's option list is virtualised (no layout in jsdom): choose by typing, as a keyboard user does.
    await userEvent.type(screen.getByLabelText('Kind'), 'pnl{ArrowDown}{Enter}');
    await waitFor(() => expect(screen.getAllByRole('listitem')).toHaveLength(1));
    expect(screen.getByTestId(TEST_IDS.gallery.tile('c'))).toBeInTheDocument();
  });

  it('opens the full-size view from a tile and steps with the keyboard', async () => {
    fakeBackend({ 'GET api/v1/lineage': () => makeLineage(), 'GET api/v1/artifacts/calibration': calibration });
    render(<GalleryPanel {...props()} />);
    await userEvent.click(await screen.findByTestId(TEST_IDS.gallery.tile('b')));
    const viewer = await screen.findByTestId(TEST_IDS.gallery.viewer);
    expect(viewer).toHaveTextContent('2 / 4');
    await userEvent.keyboard('{ArrowRight}');
    expect(screen.getByTestId(TEST_IDS.gallery.viewer)).toHaveTextContent('3 / 4');
  });

  it('compares two generations side by side', async () => {
    fakeBackend({ 'GET api/v1/lineage': () => makeLineage(), 'GET api/v1/artifacts/calibration': calibration });
    render(<GalleryPanel {...props()} />);
    await screen.findAllByRole('listitem');
    await userEvent.click(screen.getByRole('button', { name: /Compare/ }));
    const cmp = await screen.findByTestId(TEST_IDS.gallery.compare);
    await waitFor(() => expect(within(cmp).getAllByRole('img').length).toBeGreaterThan(0));
    expect(within(cmp).getByLabelText('Compare reliability/reliability.png')).toBeInTheDocument();
  });

  it('shows an empty state and an error state', async () => {
    fakeBackend({
      'GET api/v1/lineage': () => makeLineage(),
      'GET api/v1/artifacts/calibration': () => ({ items: [], next_cursor: null }),
    });
    const { unmount } = render(<GalleryPanel {...props()} />);
    expect(await screen.findByText('No calibration images')).toBeInTheDocument();
    unmount();
    fakeBackend({
      'GET api/v1/lineage': () => makeLineage(),
      'GET api/v1/artifacts/calibration': () => {
        throw new HttpFailure(500, { error: { code: 'internal', message: 'disk gone' } });
      },
    });
    render(<GalleryPanel {...props()} />);
    expect(await screen.findByText('disk gone')).toBeInTheDocument();
  });

  it('shows a new image from the stream without a reload, keeping the filters', async () => {
    FakeEventSource.install();
    let written = false;
    const { calls } = fakeBackend({
      'GET api/v1/lineage': () => makeLineage(),
      'GET api/v1/feeds/activity': () => ({ items: [], next_cursor: null }),
      'GET api/v1/artifacts/calibration': (c) => {
        const base = calibration(c);
        return written && c.query.generation === 'g2'
          ? { ...base, items: [...base.items, makeImage('new', 'g2', 'drift')] }
          : base;
      },
    });
    render(<GalleryPanel {...props({ generation: 'g2' })} />);
    await waitFor(() => expect(screen.getAllByRole('listitem')).toHaveLength(2));
    await waitFor(() => expect(FakeEventSource.instances).toHaveLength(1));
    const es = FakeEventSource.latest();
    expect(es.url).toBe('/api/plugin-proxy/lookout-ops-app/api/v1/stream?feeds=activity&kind=artifact.*');
    es.open();
    expect(screen.getByTestId(TEST_IDS.gallery.stream)).toHaveAttribute('data-mode', 'live');

    written = true;
    const before = calls.filter((c) => c.path === 'api/v1/artifacts/calibration').length;
    es.emit(makeEvent({ id: 'A2', source: 'watcher', kind: 'artifact.updated', subject: 'calibration/g2/drift.png' }));
    expect(await screen.findByTestId(TEST_IDS.gallery.tile('new'))).toBeInTheDocument();
    const reload = calls.filter((c) => c.path === 'api/v1/artifacts/calibration').slice(before);
    expect(reload.map((c) => c.query.generation)).toEqual(['g2']);
    expect(screen.getByLabelText('Generation')).toHaveValue('g2');
    expect(screen.getAllByRole('listitem')).toHaveLength(3);
  });
});
