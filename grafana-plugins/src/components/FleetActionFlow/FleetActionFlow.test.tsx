import React from 'react';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { fakeBackend } from '../../test/backend';
import { makeFleet, makeFleetApplied, makeFleetNode, makeFleetPlan, makeFleetPlanNode } from '../../test/fixtures';
import { TEST_IDS } from '../../testIds';
import { FleetActionFlow } from './FleetActionFlow';

const report = (revision: number, status: 'verified' | 'applying' | 'failed', error: string | null = null) => ({
  revision,
  engaged: true,
  selected: true,
  status,
  action_id: '01JACTION00000000000000000',
  error,
  at: '2026-11-21T12:00:00.000Z',
});

describe('FleetActionFlow', () => {
  it('plans first with the diff per node, applies with a reason, then shows each node verified', async () => {
    const plan = makeFleetPlan({
      nodes: [
        makeFleetPlanNode('trader-1'),
        makeFleetPlanNode('trader-2', { state: 'stale', note: 'stale: follows the fleet state when it is back' }),
        makeFleetPlanNode('hub-1', { selected: false, change: false, to: { engaged: false }, note: 'does not follow' }),
      ],
    });
    let polls = 0;
    const { calls } = fakeBackend({
      'POST api/v1/fleet/actions/kill/plan': () => plan,
      'POST api/v1/fleet/actions/kill/apply': () => makeFleetApplied(plan, 5),
      'GET api/v1/fleet': () => {
        polls += 1;
        return makeFleet({
          nodes: [
            makeFleetNode('trader-1', { fleet_kill: report(5, polls > 1 ? 'verified' : 'applying') }),
            makeFleetNode('trader-2', { state: 'stale', fleet_kill: polls > 1 ? report(5, 'verified') : null }),
            makeFleetNode('hub-1', { follow_kill: false }),
          ],
        });
      },
    });
    const onFinished = jest.fn();
    render(<FleetActionFlow action="kill" onDismiss={() => undefined} onFinished={onFinished} pollMs={10} />);
    const nodes = await screen.findByTestId(TEST_IDS.fleetFlow.nodes);
    expect(within(screen.getByTestId(TEST_IDS.fleetFlow.node('trader-1'))).getByText('engaged')).toBeInTheDocument();
    expect(nodes).toHaveTextContent('stale: follows the fleet state when it is back');
    expect(screen.getByTestId(TEST_IDS.fleetFlow.node('hub-1'))).toHaveTextContent('not selected');
    // Nothing is applied without a reason.
    expect(screen.getByTestId(TEST_IDS.fleetFlow.apply)).toBeDisabled();
    await userEvent.type(screen.getByTestId(TEST_IDS.fleetFlow.reason), 'halt every node');
    await userEvent.click(screen.getByTestId(TEST_IDS.fleetFlow.apply));
    await waitFor(() =>
      expect(screen.getByTestId(TEST_IDS.fleetFlow.nodeStatus('trader-2'))).toHaveTextContent('verified')
    );
    expect(screen.getByTestId(TEST_IDS.fleetFlow.nodeStatus('trader-1'))).toHaveTextContent('verified');
    expect(screen.getByTestId(TEST_IDS.fleetFlow.summary)).toHaveTextContent('Every selected node reported revision 5');
    await waitFor(() => expect(onFinished).toHaveBeenCalledTimes(1));
    const apply = calls.find((c) => c.path === 'api/v1/fleet/actions/kill/apply')!;
    expect(apply.body).toEqual({ plan_id: plan.plan_id, reason: 'halt every node' });
    expect(apply.headers['Idempotency-Key']).toMatch(/.+/);
  });

  it('plans for the nodes with some labels, and refuses a selector it cannot read', async () => {
    const { calls } = fakeBackend({
      'POST api/v1/fleet/actions/kill_release/plan': (c) =>
        makeFleetPlan({ action: 'kill_release', selector: (c.body as { selector?: null }).selector ?? null }),
    });
    render(<FleetActionFlow action="kill_release" onDismiss={() => undefined} />);
    await screen.findByTestId(TEST_IDS.fleetFlow.nodes);
    await userEvent.type(screen.getByTestId(TEST_IDS.fleetFlow.labels), 'Region=eu');
    expect(screen.getByRole('button', { name: 'Plan again' })).toBeDisabled();
    await userEvent.clear(screen.getByTestId(TEST_IDS.fleetFlow.labels));
    await userEvent.type(screen.getByTestId(TEST_IDS.fleetFlow.labels), 'region=eu');
    await userEvent.click(screen.getByRole('button', { name: 'Plan again' }));
    await waitFor(() => expect(calls.filter((c) => c.path.endsWith('/plan'))).toHaveLength(2));
    expect(calls[1]!.body).toEqual({ selector: { labels: { region: 'eu' } } });
  });

  it('shows why a node did not stop', async () => {
    const plan = makeFleetPlan({ nodes: [makeFleetPlanNode('trader-1')] });
    fakeBackend({
      'POST api/v1/fleet/actions/kill/plan': () => plan,
      'POST api/v1/fleet/actions/kill/apply': () => makeFleetApplied(plan, 6),
      'GET api/v1/fleet': () =>
        makeFleet({ nodes: [makeFleetNode('trader-1', { fleet_kill: report(6, 'failed', 'no responders') })] }),
    });
    render(<FleetActionFlow action="kill" onDismiss={() => undefined} pollMs={10} />);
    await userEvent.type(await screen.findByTestId(TEST_IDS.fleetFlow.reason), 'halt');
    await userEvent.click(screen.getByTestId(TEST_IDS.fleetFlow.apply));
    expect(await screen.findByText('failed: no responders')).toBeInTheDocument();
  });
});
