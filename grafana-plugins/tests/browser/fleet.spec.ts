import type { FleetResponse, StatusResponse } from '../../src/api';
import { TEST_IDS } from '../../src/testIds';
import { expect, renderApp, renderPanel, test } from './fixtures';

test.describe('the fleet through the hub, in a real browser against a real fleet (nats-server, a hub and a node)', () => {
  test('the Fleet page lists the nodes and an Admin’s fleet kill shows each node verified', async ({
    page,
    fleetHarness: h,
  }) => {
    const { names } = h.fleet;
    // Both nodes registered with the hub and run their workloads.
    await expect
      .poll(
        async () => (await h.sidecarGet<FleetResponse>('api/v1/fleet')).nodes.filter((n) => n.state === 'up').length,
        {
          timeout: 30_000,
        }
      )
      .toBe(2);
    await h.open(page, 'Admin');
    await renderApp(page, 'fleet');
    for (const n of [names.hub, names.node]) {
      await expect(page.getByTestId(TEST_IDS.fleet.node(n))).toContainText('up');
    }
    await h.screenshot(page, 'page-fleet', 'dark');

    await page.getByTestId(TEST_IDS.fleet.kill).click();
    const modal = page.getByTestId(TEST_IDS.fleetFlow.modal);
    // The plan shows each node going from running to engaged.
    for (const n of [names.hub, names.node]) {
      await expect(modal.getByTestId(TEST_IDS.fleetFlow.node(n))).toContainText('running → engaged');
    }
    await modal.getByTestId(TEST_IDS.fleetFlow.reason).fill('browser drill: stop the fleet');
    await modal.getByTestId(TEST_IDS.fleetFlow.apply).click();
    for (const n of [names.hub, names.node]) {
      await expect(modal.getByTestId(TEST_IDS.fleetFlow.nodeStatus(n))).toHaveText('verified', { timeout: 30_000 });
    }
    await expect(modal.getByTestId(TEST_IDS.fleetFlow.summary)).toContainText('Every selected node reported');
    await h.screenshot(page, 'fleet-kill-verified', 'dark');
    // The node itself says so, with the Grafana user who applied it on the hub.
    const fleet = await h.sidecarGet<FleetResponse>('api/v1/fleet');
    const node = fleet.nodes.find((n) => n.node === names.node)!;
    expect([node.kill.engaged, node.kill.actor, node.fleet_kill?.status]).toEqual([
      true,
      'grafana:admin@example.org',
      'verified',
    ]);
    await modal.getByRole('button', { name: 'Close' }).click();

    // Release it again, as an Admin.
    await page.getByTestId(TEST_IDS.fleet.release).click();
    const release = page.getByTestId(TEST_IDS.fleetFlow.modal);
    await release.getByTestId(TEST_IDS.fleetFlow.reason).fill('browser drill over');
    await release.getByTestId(TEST_IDS.fleetFlow.apply).click();
    for (const n of [names.hub, names.node]) {
      await expect(release.getByTestId(TEST_IDS.fleetFlow.nodeStatus(n))).toHaveText('verified', { timeout: 30_000 });
    }
  });

  test('a node opened from the Fleet page shows its own overview, read through the hub', async ({
    page,
    fleetHarness: h,
  }) => {
    const { names } = h.fleet;
    await h.open(page, 'Viewer');
    await renderApp(page, 'fleet');
    await page.getByTestId(TEST_IDS.fleet.node(names.node)).getByRole('link', { name: 'Overview' }).click();
    await expect(page.getByTestId(TEST_IDS.fleet.scope)).toContainText(`Node ${names.node}`);
    await expect(page.getByRole('region', { name: 'Status' })).toContainText(names.node);
    // The Viewer's reads of the node went through the hub's forward, answered by the node.
    const proxied = h.server.proxied.filter((p) => p.path.includes(`/fleet/nodes/${names.node}/`));
    expect(proxied.length).toBeGreaterThan(0);
    expect(proxied.every((p) => p.role === 'Viewer' && p.status === 200)).toBe(true);
  });

  test('an actions panel whose node option names the node shows that node’s kill switch', async ({
    page,
    fleetHarness: h,
  }) => {
    const { names } = h.fleet;
    const status = await h.sidecarGet<StatusResponse>(`api/v1/fleet/nodes/${names.node}/api/v1/status`);
    expect(status.node).toBe(names.node);
    await h.open(page, 'Editor');
    await renderPanel(page, 'actions', { node: names.node, buttons: ['kill'], showFleet: true });
    await expect(page.getByTestId(TEST_IDS.killSwitch.banner)).toBeVisible();
    await expect(page.getByTestId(TEST_IDS.actionsPanel.fleet)).toContainText('Fleet of 2 nodes');
    // An Editor may stop the fleet, not release it.
    await expect(page.getByTestId(TEST_IDS.actionsPanel.fleetButton('kill'))).toBeEnabled();
    await expect(page.getByTestId(TEST_IDS.actionsPanel.fleetButton('kill_release'))).toBeDisabled();
  });
});
