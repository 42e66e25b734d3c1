import React from 'react';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { App } from '../../components/App/App';
import { PLUGIN_BASE_URL } from '../../constants';
import { fakeBackend, HttpFailure, setOrgRole } from '../../test/backend';
import { makeFleet, makeFleetNode, makeStatus } from '../../test/fixtures';
import { renderInApp } from '../../test/router';
import { TEST_IDS } from '../../testIds';
import type { AppRootProps } from '@grafana/data';

const app = <App {...({} as AppRootProps)} />;

describe('Fleet page', () => {
  afterEach(() => setOrgRole('Admin'));

  it('lists every node with its state, version, kill switch and what it did with the fleet kill state', async () => {
    fakeBackend({
      'GET api/v1/fleet': () =>
        makeFleet({
          kill: { readable: true, revision: 9, state: null },
          nodes: [
            makeFleetNode('trader-1', {
              kill: { engaged: true, actor: 'grafana:alice', reason: 'drill', since: '2026-11-21T12:00:00.000Z' },
              fleet_kill: {
                revision: 9,
                engaged: true,
                selected: true,
                status: 'verified',
                action_id: '01JACTION00000000000000000',
                error: null,
                at: '2026-11-21T12:00:00.000Z',
              },
            }),
            makeFleetNode('trader-2', { state: 'stale', version: '0.0.9' }),
          ],
        }),
    });
    renderInApp(app, { url: `${PLUGIN_BASE_URL}/fleet`, route: '*' });
    const one = await screen.findByTestId(TEST_IDS.fleet.node('trader-1'));
    expect(one).toHaveTextContent('engaged');
    expect(one).toHaveTextContent('verified (revision 9)');
    const two = screen.getByTestId(TEST_IDS.fleet.node('trader-2'));
    expect(two).toHaveTextContent('stale');
    expect(two).toHaveTextContent('0.0.9');
  });

  it('opens one node’s own pages through the hub, and says so', async () => {
    const { calls } = fakeBackend({
      'GET api/v1/fleet': () => makeFleet(),
      'GET api/v1/fleet/nodes/trader-2/api/v1/status': () => makeStatus({ node: 'trader-2' }),
      'GET api/v1/fleet/nodes/trader-2/api/v1/incidents': () => ({ items: [], next_cursor: null }),
      'GET api/v1/fleet/nodes/trader-2/api/v1/feeds/scheduler': () => ({ items: [], next_cursor: null }),
    });
    const r = renderInApp(app, { url: `${PLUGIN_BASE_URL}/fleet`, route: '*' });
    const row = await screen.findByTestId(TEST_IDS.fleet.node('trader-2'));
    await userEvent.click(within(row).getByRole('link', { name: 'Overview' }));
    expect(await screen.findByTestId(TEST_IDS.pages.overview)).toBeInTheDocument();
    expect(r.location()).toBe(`${PLUGIN_BASE_URL}/overview?node=trader-2`);
    expect(screen.getByTestId(TEST_IDS.fleet.scope)).toHaveTextContent('Node trader-2');
    expect(await screen.findByRole('region', { name: 'Status' })).toHaveTextContent('trader-2');
    // Every call of the page went to that node, through the hub.
    const overviewCalls = calls.filter((c) => !c.path.startsWith('api/v1/fleet') || c.path.includes('/nodes/'));
    expect(overviewCalls.map((c) => c.path).every((p) => p.startsWith('api/v1/fleet/nodes/trader-2/api/v1/'))).toBe(
      true
    );
  });

  it('keeps the fleet kill for Editors and the release for Admins', async () => {
    fakeBackend({ 'GET api/v1/fleet': () => makeFleet() });
    setOrgRole('Viewer');
    const v = renderInApp(app, { url: `${PLUGIN_BASE_URL}/fleet`, route: '*' });
    expect(await screen.findByTestId(TEST_IDS.fleet.kill)).toBeDisabled();
    expect(screen.getByTestId(TEST_IDS.fleet.release)).toBeDisabled();
    v.unmount();
    setOrgRole('Editor');
    renderInApp(app, { url: `${PLUGIN_BASE_URL}/fleet`, route: '*' });
    expect(await screen.findByTestId(TEST_IDS.fleet.kill)).toBeEnabled();
    expect(screen.getByTestId(TEST_IDS.fleet.release)).toBeDisabled();
  });

  it('says so when the app talks to a sidecar that is not a fleet hub', async () => {
    fakeBackend({
      'GET api/v1/fleet': () => {
        throw new HttpFailure(409, { error: { code: 'not_fleet_hub', message: 'this sidecar is a fleet member' } });
      },
    });
    renderInApp(app, { url: `${PLUGIN_BASE_URL}/fleet`, route: '*' });
    expect(await screen.findByText('This sidecar is not a fleet hub')).toBeInTheDocument();
  });
});
