import React from 'react';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { PanelProps } from '@grafana/data';
import { fakeBackend, HttpFailure, setOrgRole } from '../../../../test/backend';
import { makeActionRecord, makeFleet, makePlan, makeStatus } from '../../../../test/fixtures';
import { TEST_IDS } from '../../../../testIds';
import { DEFAULT_ACTIONS_OPTIONS, type ActionsOptions } from '../../types';
import { ActionsPanel } from './ActionsPanel';

const props = (options: Partial<ActionsOptions> = {}): PanelProps<ActionsOptions> =>
  ({
    options: { ...DEFAULT_ACTIONS_OPTIONS, ...options },
    width: 400,
    height: 300,
    replaceVariables: (v: string) => v,
  }) as unknown as PanelProps<ActionsOptions>;

describe('ActionsPanel', () => {
  afterEach(() => setOrgRole('Admin'));

  it('disables every control button for a Viewer, with the reason', async () => {
    setOrgRole('Viewer');
    fakeBackend({ 'GET api/v1/status': () => makeStatus() });
    render(<ActionsPanel {...props()} />);
    await screen.findByTestId(TEST_IDS.killSwitch.banner);
    for (const name of DEFAULT_ACTIONS_OPTIONS.buttons) {
      expect(screen.getByRole('button', { name })).toBeDisabled();
      expect(screen.getByTestId(TEST_IDS.actionsPanel.disabledReason(name))).toHaveTextContent(
        /Requires the (Editor|Admin) role/
      );
    }
  });

  it('lets an Editor use operator actions but not admin ones', async () => {
    setOrgRole('Editor');
    fakeBackend({ 'GET api/v1/status': () => makeStatus() });
    render(<ActionsPanel {...props({ buttons: ['kill', 'flush_guardrails'] })} />);
    await screen.findByTestId(TEST_IDS.killSwitch.banner);
    expect(screen.getByRole('button', { name: 'kill' })).toBeEnabled();
    expect(screen.getByRole('button', { name: 'flush_guardrails' })).toBeDisabled();
    expect(screen.getByText(/Requires the Admin role/)).toBeInTheDocument();
  });

  it('allows only kill_release while the kill switch is engaged', async () => {
    setOrgRole('Admin');
    fakeBackend({
      'GET api/v1/status': () => makeStatus({ kill_switch: { engaged: true, actor: 'bob', reason: 'r', since: null } }),
    });
    render(<ActionsPanel {...props({ buttons: ['kill', 'retrain', 'kill_release'] })} />);
    await screen.findByText('Kill switch engaged');
    expect(screen.getByRole('button', { name: 'kill_release' })).toBeEnabled();
    expect(screen.getByRole('button', { name: 'retrain' })).toBeDisabled();
    expect(screen.getByTestId(TEST_IDS.actionsPanel.disabledReason('retrain'))).toHaveTextContent('only kill_release');
  });

  it('plans and applies a kill, then refreshes the state', async () => {
    setOrgRole('Editor');
    let engaged = false;
    fakeBackend({
      'GET api/v1/status': () => makeStatus({ kill_switch: { engaged, actor: 'grafana', reason: 'r', since: null } }),
      'POST api/v1/actions/kill/plan': () => makePlan(),
      'POST api/v1/actions/kill/apply': () => {
        engaged = true;
        return makeActionRecord({ status: 'verified' });
      },
    });
    render(<ActionsPanel {...props({ buttons: ['kill'] })} />);
    await userEvent.click(await screen.findByRole('button', { name: 'kill' }));
    const modal = await screen.findByTestId(TEST_IDS.actionFlow.modal);
    await userEvent.type(await within(modal).findByTestId(TEST_IDS.actionFlow.reason), 'stop now');
    await userEvent.click(within(modal).getByTestId(TEST_IDS.actionFlow.apply));
    await waitFor(() => expect(screen.getByText('Kill switch engaged')).toBeInTheDocument());
    expect(screen.getByText('Last action: kill → verified')).toBeInTheDocument();
  });

  it('shows an error and keeps buttons disabled when the sidecar cannot be read', async () => {
    fakeBackend({});
    render(<ActionsPanel {...props({ buttons: ['kill'] })} />);
    expect(await screen.findByText('Cannot read the sidecar state')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'kill' })).toBeDisabled();
  });

  it('shows an empty state with no actions selected', () => {
    fakeBackend({ 'GET api/v1/status': () => makeStatus() });
    render(<ActionsPanel {...props({ buttons: [] })} />);
    expect(screen.getByText('No actions selected')).toBeInTheDocument();
  });

  it('shows fleet kill and release when the app talks to a fleet hub: the kill for Editors, the release for Admins', async () => {
    setOrgRole('Editor');
    fakeBackend({
      'GET api/v1/status': () => makeStatus(),
      'GET api/v1/fleet': () => makeFleet(),
    });
    render(<ActionsPanel {...props()} />);
    const fleet = await screen.findByTestId(TEST_IDS.actionsPanel.fleet);
    expect(fleet).toHaveTextContent('Fleet of 2 nodes (2 up)');
    expect(screen.getByTestId(TEST_IDS.actionsPanel.fleetButton('kill'))).toBeEnabled();
    expect(screen.getByTestId(TEST_IDS.actionsPanel.fleetButton('kill_release'))).toBeDisabled();
  });

  it('shows no fleet buttons on a sidecar that is not a hub, nor when they are switched off', async () => {
    fakeBackend({
      'GET api/v1/status': () => makeStatus(),
      'GET api/v1/fleet': () => {
        throw new HttpFailure(409, { error: { code: 'fleet_not_enabled', message: 'fleet mode is off' } });
      },
    });
    const first = render(<ActionsPanel {...props()} />);
    await screen.findByTestId(TEST_IDS.killSwitch.banner);
    await waitFor(() => expect(screen.queryByTestId(TEST_IDS.actionsPanel.fleet)).not.toBeInTheDocument());
    first.unmount();
    const { calls } = fakeBackend({ 'GET api/v1/status': () => makeStatus(), 'GET api/v1/fleet': () => makeFleet() });
    render(<ActionsPanel {...props({ showFleet: false })} />);
    await screen.findByTestId(TEST_IDS.killSwitch.banner);
    expect(calls.map((c) => c.path)).not.toContain('api/v1/fleet');
  });

  it('acts on the node its node option names, through the hub', async () => {
    setOrgRole('Editor');
    const { calls } = fakeBackend({
      'GET api/v1/fleet/nodes/trader-2/api/v1/status': () => makeStatus({ node: 'trader-2' }),
      'POST api/v1/fleet/nodes/trader-2/api/v1/actions/kill/plan': () => makePlan(),
    });
    render(<ActionsPanel {...props({ node: 'trader-2', buttons: ['kill'], showFleet: false })} />);
    await screen.findByTestId(TEST_IDS.killSwitch.banner);
    await userEvent.click(screen.getByRole('button', { name: 'kill' }));
    await screen.findByTestId(TEST_IDS.actionFlow.changes);
    expect(calls.map((c) => c.path)).toEqual([
      'api/v1/fleet/nodes/trader-2/api/v1/status',
      'api/v1/fleet/nodes/trader-2/api/v1/actions/kill/plan',
    ]);
  });
});
