import React from 'react';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { PanelProps } from '@grafana/data';
import { fakeBackend, HttpFailure } from '../../../../test/backend';
import { FakeEventSource } from '../../../../test/eventSource';
import { makeEvent, makeGeneration, makeImage, makeLineage } from '../../../../test/fixtures';
import { TEST_IDS } from '../../../../testIds';
import { DEFAULT_LINEAGE_OPTIONS, type LineageOptions } from '../../types';
import { LineagePanel } from './LineagePanel';

const props = { options: DEFAULT_LINEAGE_OPTIONS, width: 800, height: 400 } as unknown as PanelProps<LineageOptions>;

describe('LineagePanel', () => {
  beforeEach(() => FakeEventSource.install());

  it('draws the generations with a summary and opens details with images on click', async () => {
    fakeBackend({
      'GET api/v1/lineage': () => makeLineage(),
      'GET api/v1/artifacts/calibration': () => ({ items: [makeImage('i1', 'g2')], next_cursor: null }),
    });
    render(<LineagePanel {...props} />);
    expect(await screen.findByTestId(TEST_IDS.lineage.node('g1'))).toBeInTheDocument();
    expect(screen.getByLabelText('Lineage summary')).toHaveTextContent('3 generations');
    expect(screen.getByLabelText('Lineage summary')).toHaveTextContent('active g2');
    await userEvent.click(screen.getByRole('button', { name: 'Generation g2, active' }));
    expect(await screen.findByRole('img', { name: 'reliability g2' })).toBeInTheDocument();
  });

  it('shows an empty state when there are no generations', async () => {
    fakeBackend({ 'GET api/v1/lineage': () => makeLineage({ generations: [] }) });
    render(<LineagePanel {...props} />);
    expect(await screen.findByText('No generations yet')).toBeInTheDocument();
  });

  it('shows the sidecar error', async () => {
    fakeBackend({
      'GET api/v1/lineage': () => {
        throw new HttpFailure(503, { error: { code: 'unavailable', message: 'store not ready' } });
      },
    });
    render(<LineagePanel {...props} />);
    expect(await screen.findByText('store not ready')).toBeInTheDocument();
  });

  it('follows lineage changes on the stream, keeping the zoom and the selection', async () => {
    let version = 1;
    fakeBackend({
      'GET api/v1/lineage': () =>
        makeLineage(
          version === 1
            ? {}
            : {
                generations: [
                  ...makeLineage().generations.map((g) => (g.id === 'g3' ? { ...g, status: 'active' as const } : g)),
                  makeGeneration('g4', 'g3', { status: 'candidate' }),
                ],
              }
        ),
      'GET api/v1/feeds/activity': () => ({ items: [], next_cursor: null }),
      'GET api/v1/artifacts/calibration': () => ({ items: [], next_cursor: null }),
    });
    render(<LineagePanel {...props} />);
    await screen.findByTestId(TEST_IDS.lineage.node('g3'));
    await waitFor(() => expect(FakeEventSource.instances).toHaveLength(1));
    const es = FakeEventSource.latest();
    // Only lineage changes are streamed to the panel; the sidecar filters the rest out.
    expect(es.url).toBe('/api/plugin-proxy/lookout-ops-app/api/v1/stream?feeds=activity&kind=lineage.*');
    es.open();
    expect(screen.getByTestId(TEST_IDS.lineage.stream)).toHaveAttribute('data-mode', 'live');

    // The user zooms in and selects g3.
    const svg = screen.getByTestId(TEST_IDS.lineage.svg);
    fireEvent.keyDown(screen.getByRole('group'), { key: '+' });
    const zoomed = svg.getAttribute('data-transform');
    fireEvent.click(screen.getByRole('button', { name: 'Generation g3, canary' }));
    // g3's own details: its parent and its notes.
    expect(await screen.findByTestId(TEST_IDS.lineage.details)).toHaveTextContent(/Parentg2.*tighter stops/);

    version = 2;
    es.emit(makeEvent({ id: 'L2', source: 'watcher', kind: 'lineage.updated', subject: 'lineage/lineage_index.json' }));
    expect(await screen.findByTestId(TEST_IDS.lineage.node('g4'))).toBeInTheDocument();
    expect(screen.getByTestId(TEST_IDS.lineage.node('g3'))).toHaveAttribute('data-status', 'active');
    expect(svg.getAttribute('data-transform')).toBe(zoomed);
    expect(screen.getByTestId(TEST_IDS.lineage.details)).toHaveTextContent(/Parentg2.*tighter stops/);
  });

  it('says when the stream is down and it polls instead', async () => {
    fakeBackend({
      'GET api/v1/lineage': () => makeLineage(),
      'GET api/v1/feeds/activity': () => ({ items: [], next_cursor: null }),
    });
    render(<LineagePanel {...props} />);
    await waitFor(() => expect(FakeEventSource.instances).toHaveLength(1));
    FakeEventSource.latest().fail(true);
    await waitFor(() => expect(screen.getByTestId(TEST_IDS.lineage.stream)).toHaveAttribute('data-mode', 'polling'));
    expect(screen.getByTestId(TEST_IDS.lineage.stream)).toHaveAttribute(
      'title',
      'The live stream is unavailable: checking for changes every 15 s'
    );
  });
});
