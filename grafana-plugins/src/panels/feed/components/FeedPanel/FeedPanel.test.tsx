import React from 'react';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { PanelProps } from '@grafana/data';
import { fakeBackend, HttpFailure, setOrgRole } from '../../../../test/backend';
import { FakeEventSource } from '../../../../test/eventSource';
import { FIXED_TS, makeDecision, makeEvent, makeIncident } from '../../../../test/fixtures';
import { TEST_IDS } from '../../../../testIds';
import { DEFAULT_FEED_OPTIONS, type FeedOptions } from '../../types';
import { FeedPanel } from './FeedPanel';

const props = (o: Partial<FeedOptions> = {}): PanelProps<FeedOptions> =>
  ({
    options: { ...DEFAULT_FEED_OPTIONS, ...o },
    width: 800,
    height: 400,
    replaceVariables: (v: string) => v,
  }) as unknown as PanelProps<FeedOptions>;

describe('FeedPanel', () => {
  beforeEach(() => {
    FakeEventSource.install();
    setOrgRole('Editor');
  });

  it('backfills, then goes live over SSE through the plugin proxy with feeds and severity', async () => {
    fakeBackend({
      'GET api/v1/feeds/guardian': () => ({
        items: [makeEvent({ id: 'E1', source: 'guardian', kind: 'rule.evaluated' })],
        next_cursor: 'c1',
      }),
    });
    render(<FeedPanel {...props({ feeds: ['guardian'], minSeverity: 'warning' })} />);
    await waitFor(() => expect(FakeEventSource.instances).toHaveLength(1));
    const es = FakeEventSource.latest();
    expect(es.url).toBe('/api/plugin-proxy/lookout-ops-app/api/v1/stream?feeds=guardian&severity=warning');
    es.open();
    expect(within(screen.getByTestId(TEST_IDS.feed.mode)).getByText('live')).toBeInTheDocument();
    es.emit(
      makeEvent({
        id: 'E2',
        kind: 'incident.opened',
        severity: 'critical',
        subject: 'inc-1',
        data: { incident_id: 'inc-1' },
      })
    );
    expect(await screen.findByTestId(TEST_IDS.feed.row('E2'))).toHaveTextContent('incident.opened');
    // The backfilled info event is below the minimum severity.
    expect(screen.queryByTestId(TEST_IDS.feed.row('E1'))).not.toBeInTheDocument();
  });

  it('drops duplicate events replayed after a reconnect', async () => {
    fakeBackend({ 'GET api/v1/feeds/all': () => ({ items: [], next_cursor: null }) });
    render(<FeedPanel {...props()} />);
    await waitFor(() => expect(FakeEventSource.instances).toHaveLength(1));
    const es = FakeEventSource.latest();
    es.open();
    const e = makeEvent({ id: 'DUP' });
    es.emit(e);
    es.emit(e);
    expect(await screen.findAllByTestId(TEST_IDS.feed.row('DUP'))).toHaveLength(1);
  });

  it('falls back to polling for events newer than the newest seen when the stream cannot be opened', async () => {
    let n = 0;
    const { calls } = fakeBackend({
      'GET api/v1/feeds/all': () => {
        n += 1;
        return {
          items: [
            makeEvent({ id: 'FIRST', ts: '2026-11-21T12:00:00.000Z' }),
            ...(n >= 2 ? [makeEvent({ id: 'POLLED', ts: '2026-11-21T12:00:05.000Z' })] : []),
          ],
          next_cursor: 'older-page',
        };
      },
    });
    render(<FeedPanel {...props({ pollSeconds: 1 })} />);
    await waitFor(() => expect(FakeEventSource.instances).toHaveLength(1));
    FakeEventSource.latest().fail(true);
    expect(await screen.findByTestId(TEST_IDS.feed.row('POLLED'))).toBeInTheDocument();
    expect(within(screen.getByTestId(TEST_IDS.feed.mode)).getByText('polling')).toBeInTheDocument();
    expect(calls[0]!.query.since).toBeUndefined();
    expect(calls[1]!.query).toMatchObject({ since: '2026-11-21T12:00:00.000Z' });
    expect(calls[1]!.query.cursor).toBeUndefined();
    expect(screen.getAllByTestId(TEST_IDS.feed.row('FIRST'))).toHaveLength(1);
  });

  it('pauses when scrolled and shows an "n new" marker that brings the new rows in', async () => {
    const backlog = Array.from({ length: 100 }, (_, i) =>
      makeEvent({ id: `B${String(i).padStart(3, '0')}`, ts: FIXED_TS })
    );
    fakeBackend({ 'GET api/v1/feeds/all': () => ({ items: backlog, next_cursor: null }) });
    render(<FeedPanel {...props()} />);
    await waitFor(() => expect(FakeEventSource.instances).toHaveLength(1));
    const es = FakeEventSource.latest();
    es.open();
    const list = screen.getByTestId(TEST_IDS.feed.list);
    // Virtualized: 100 events but only the visible window is rendered.
    expect(within(list).getAllByRole('listitem').length).toBeLessThan(40);
    fireEvent.scroll(list, { target: { scrollTop: 600 } });
    es.emit(makeEvent({ id: 'NEW1', ts: '2026-11-21T12:05:00.000Z' }));
    es.emit(makeEvent({ id: 'NEW2', ts: '2026-11-21T12:06:00.000Z' }));
    const marker = await screen.findByTestId(TEST_IDS.feed.newMarker);
    expect(marker).toHaveTextContent('2 new');
    expect(screen.queryByTestId(TEST_IDS.feed.row('NEW2'))).not.toBeInTheDocument();
    await userEvent.click(marker);
    expect(await screen.findByTestId(TEST_IDS.feed.row('NEW2'))).toBeInTheDocument();
    expect(screen.queryByTestId(TEST_IDS.feed.newMarker)).not.toBeInTheDocument();
  });

  it('acknowledges an incident from its row', async () => {
    const { calls } = fakeBackend({
      'GET api/v1/feeds/all': () => ({
        items: [makeEvent({ id: 'I1', kind: 'incident.opened', severity: 'critical', data: { incident_id: 'inc-7' } })],
        next_cursor: null,
      }),
      'POST api/v1/incidents/inc-7/ack': () => makeIncident('inc-7', { status: 'acknowledged' }),
    });
    render(<FeedPanel {...props()} />);
    const row = await screen.findByTestId(TEST_IDS.feed.row('I1'));
    await userEvent.click(within(row).getByRole('button', { name: 'Ack' }));
    await waitFor(() => expect(within(row).getByRole('button', { name: 'Acked' })).toBeDisabled());
    expect(calls.find((c) => c.method === 'POST')!.body).toEqual({ note: 'Acknowledged from the Lookout feed panel' });
  });

  it('links a diagnostics row to its diagnostic in the app', async () => {
    fakeBackend({
      'GET api/v1/feeds/all': () => ({
        items: [
          makeEvent({
            id: 'L1',
            source: 'diagnostics',
            kind: 'diagnostic.incident_linked',
            data: { diagnostic_id: 'D-3', incident_id: 'inc-9' },
          }),
        ],
        next_cursor: null,
      }),
    });
    render(<FeedPanel {...props()} />);
    const row = await screen.findByTestId(TEST_IDS.feed.row('L1'));
    expect(within(row).getByRole('link', { name: 'D-3' })).toHaveAttribute(
      'href',
      '/a/lookout-ops-app/diagnostics/D-3'
    );
  });

  it('does not let a Viewer acknowledge', async () => {
    setOrgRole('Viewer');
    fakeBackend({
      'GET api/v1/feeds/all': () => ({
        items: [makeEvent({ id: 'I2', kind: 'incident.opened', data: { incident_id: 'inc-8' } })],
        next_cursor: null,
      }),
    });
    render(<FeedPanel {...props()} />);
    const row = await screen.findByTestId(TEST_IDS.feed.row('I2'));
    expect(within(row).getByRole('button', { name: 'Ack' })).toBeDisabled();
  });

  it('opens the "why" of a decision row', async () => {
    fakeBackend({
      'GET api/v1/feeds/all': () => ({
        items: [makeEvent({ id: 'D1', source: 'scheduler', kind: 'decision.made', data: { decision_id: 'dec-1' } })],
        next_cursor: null,
      }),
      'GET api/v1/decisions/dec-1': () => makeDecision('dec-1', { verdict: 'hold', reason: 'canary not better' }),
    });
    render(<FeedPanel {...props()} />);
    const row = await screen.findByTestId(TEST_IDS.feed.row('D1'));
    await userEvent.click(within(row).getByRole('button', { name: /Why/ }));
    expect(await screen.findByText('canary not better')).toBeInTheDocument();
  });

  it('shows an empty state', async () => {
    fakeBackend({ 'GET api/v1/feeds/all': () => ({ items: [], next_cursor: null }) });
    render(<FeedPanel {...props()} />);
    await waitFor(() => expect(FakeEventSource.instances).toHaveLength(1));
    FakeEventSource.latest().open();
    expect(await screen.findByText('No events yet')).toBeInTheDocument();
  });

  it('reads the fleet hub’s feed of the nodes the dashboard variable holds, shows each event’s node and acks it there', async () => {
    const { calls } = fakeBackend({
      'GET api/v1/fleet/feeds/guardian': () => ({
        items: [
          makeEvent({
            id: 'F1',
            node: 'trader-2',
            source: 'guardian',
            kind: 'incident.opened',
            severity: 'critical',
            subject: 'inc-9',
            data: { incident_id: 'inc-9' },
          }),
        ],
        next_cursor: null,
      }),
      'POST api/v1/fleet/nodes/trader-2/api/v1/incidents/inc-9/ack': () =>
        makeIncident('inc-9', { status: 'acknowledged' }),
    });
    render(
      <FeedPanel
        {...props({ feeds: ['guardian'], node: '${node:csv}' })}
        replaceVariables={(v: string) => v.replace('${node:csv}', 'trader-1,trader-2')}
      />
    );
    await waitFor(() => expect(FakeEventSource.instances).toHaveLength(1));
    expect(FakeEventSource.latest().url).toBe(
      '/api/plugin-proxy/lookout-ops-app/api/v1/fleet/stream?feeds=guardian&severity=info&node=trader-1%2Ctrader-2'
    );
    expect(calls[0]!.query).toMatchObject({ node: 'trader-1,trader-2' });
    const row = await screen.findByTestId(TEST_IDS.feed.row('F1'));
    expect(row).toHaveTextContent('trader-2 · inc-9');
    await userEvent.click(within(row).getByRole('button', { name: 'Ack' }));
    await waitFor(() =>
      expect(calls.map((c) => c.path)).toContain('api/v1/fleet/nodes/trader-2/api/v1/incidents/inc-9/ack')
    );
  });

  it('falls back to the sidecar’s own feed for every node when the app does not talk to a hub', async () => {
    const { calls } = fakeBackend({
      'GET api/v1/fleet/feeds/all': () => {
        throw new HttpFailure(409, { error: { code: 'fleet_not_enabled', message: 'fleet mode is off' } });
      },
      'GET api/v1/feeds/all': () => ({ items: [makeEvent({ id: 'OWN' })], next_cursor: null }),
    });
    render(<FeedPanel {...props({ node: '$__all' })} />);
    expect(await screen.findByTestId(TEST_IDS.feed.row('OWN'))).toBeInTheDocument();
    expect(calls.map((c) => c.path)).toEqual(['api/v1/fleet/feeds/all', 'api/v1/feeds/all']);
    expect(screen.queryByText('Feed problem')).not.toBeInTheDocument();
  });

  it("marks a shadow rule's decision as shadow, and a live one not", async () => {
    fakeBackend({
      'GET api/v1/feeds/guardian': () => ({
        items: [
          makeEvent({ id: 'SH', source: 'guardian', kind: 'rule.fired', severity: 'warning', data: { shadow: true } }),
          makeEvent({ id: 'LV', source: 'guardian', kind: 'rule.fired', severity: 'warning', data: { shadow: false } }),
        ],
        next_cursor: null,
      }),
    });
    render(<FeedPanel {...props({ feeds: ['guardian'] })} />);
    const shadow = await screen.findByTestId(TEST_IDS.feed.row('SH'));
    expect(within(shadow).getByTestId(TEST_IDS.shadow.badge)).toHaveTextContent('shadow');
    expect(within(screen.getByTestId(TEST_IDS.feed.row('LV'))).queryByTestId(TEST_IDS.shadow.badge)).toBeNull();
  });
});
