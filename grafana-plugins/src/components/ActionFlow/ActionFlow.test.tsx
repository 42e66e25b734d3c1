import React from 'react';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { fakeBackend, HttpFailure } from '../../test/backend';
import { makeActionRecord, makePlan } from '../../test/fixtures';
import { TEST_IDS } from '../../testIds';
import { ActionFlow } from './ActionFlow';

describe('ActionFlow', () => {
  it('shows the plan, requires a reason, applies with plan id and an Idempotency-Key, then follows to verified', async () => {
    let polls = 0;
    const { calls } = fakeBackend({
      'POST api/v1/actions/kill/plan': () => makePlan(),
      'POST api/v1/actions/kill/apply': () => makeActionRecord({ status: 'applying' }),
      'GET api/v1/actions/act-1': () => makeActionRecord({ status: ++polls < 2 ? 'applied' : 'verified' }),
    });
    const onFinished = jest.fn();
    render(<ActionFlow action="kill" onDismiss={jest.fn()} onFinished={onFinished} pollMs={5} />);

    const changes = await screen.findByRole('table', { name: 'Changes' });
    expect(changes).toHaveTextContent('kill_switch.engaged');
    const apply = screen.getByTestId(TEST_IDS.actionFlow.apply);
    expect(apply).toBeDisabled();

    await userEvent.type(screen.getByTestId(TEST_IDS.actionFlow.reason), '   ');
    expect(apply).toBeDisabled();
    await userEvent.type(screen.getByTestId(TEST_IDS.actionFlow.reason), 'drift too high');
    expect(apply).toBeEnabled();
    await userEvent.click(apply);

    await waitFor(() => expect(onFinished).toHaveBeenCalledWith(expect.objectContaining({ status: 'verified' })));
    expect(screen.getByTestId(TEST_IDS.actionFlow.status)).toHaveTextContent('status: verified');
    const applyCall = calls.find((c) => c.path === 'api/v1/actions/kill/apply')!;
    expect(applyCall.body).toEqual({ plan_id: 'plan-1', reason: 'drift too high' });
    expect(applyCall.headers['Idempotency-Key']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('blocks apply while interlocks are reported', async () => {
    fakeBackend({
      'POST api/v1/actions/retrain/plan': () =>
        makePlan({
          action: 'retrain',
          allowed: false,
          interlocks: [{ code: 'kill_switch', message: 'Kill switch engaged' }],
        }),
    });
    render(<ActionFlow action="retrain" onDismiss={jest.fn()} />);
    expect(await screen.findByText('Interlocks prevent this action')).toBeInTheDocument();
    await userEvent.type(screen.getByTestId(TEST_IDS.actionFlow.reason), 'try');
    expect(screen.getByTestId(TEST_IDS.actionFlow.apply)).toBeDisabled();
  });

  it('lets an admin apply when the sidecar reports its interlocks overridden (break glass)', async () => {
    fakeBackend({
      'POST api/v1/actions/flush_guardrails/plan': () =>
        makePlan({
          action: 'flush_guardrails',
          allowed: true,
          break_glass: true,
          interlocks: [{ code: 'critical_incident', message: 'open', overridden: true }],
        }),
    });
    render(<ActionFlow action="flush_guardrails" onDismiss={jest.fn()} />);
    expect(await screen.findByText('Interlocks set aside (break glass)')).toBeInTheDocument();
    expect(screen.getByRole('table', { name: 'Current state' })).toHaveTextContent('kill_switch');
    await userEvent.type(screen.getByTestId(TEST_IDS.actionFlow.reason), 'clear latched guardrails');
    expect(screen.getByTestId(TEST_IDS.actionFlow.apply)).toBeEnabled();
  });

  it('shows a failed verification', async () => {
    fakeBackend({
      'POST api/v1/actions/kill/plan': () => makePlan(),
      'POST api/v1/actions/kill/apply': () => makeActionRecord({ status: 'failed', error: 'workload did not stop' }),
    });
    render(<ActionFlow action="kill" onDismiss={jest.fn()} pollMs={5} />);
    await userEvent.type(await screen.findByTestId(TEST_IDS.actionFlow.reason), 'x');
    await userEvent.click(screen.getByTestId(TEST_IDS.actionFlow.apply));
    expect(await screen.findByText('workload did not stop')).toBeInTheDocument();
  });

  it('reports a plan error from the sidecar', async () => {
    fakeBackend({
      'POST api/v1/actions/kill/plan': () => {
        throw new HttpFailure(409, { error: { code: 'conflict', message: 'already engaged' } });
      },
    });
    render(<ActionFlow action="kill" onDismiss={jest.fn()} />);
    expect(await screen.findByText(/already engaged/)).toBeInTheDocument();
  });
});
