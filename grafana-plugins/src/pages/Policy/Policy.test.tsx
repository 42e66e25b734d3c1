import React from 'react';
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { fakeBackend, HttpFailure, setOrgRole } from '../../test/backend';
import { FIXED_TS, makePolicy } from '../../test/fixtures';
import { TEST_IDS } from '../../testIds';
import { Policy } from './Policy';

describe('Policy page', () => {
  afterEach(() => setOrgRole('Admin'));

  it('shows the running policy: version, source, rules with reason, playbook and runbook, scheduler policies', async () => {
    setOrgRole('Viewer');
    fakeBackend({ 'GET api/v1/policy': () => makePolicy() });
    render(<Policy />);
    const summary = await screen.findByTestId(TEST_IDS.policy.summary);
    expect(within(summary).getByText('3f2a9c0d1e4b5a67')).toBeInTheDocument();
    expect(within(summary).getByText('policy file')).toBeInTheDocument();
    expect(within(summary).getByText('/etc/lookout/policies/starter.yml')).toBeInTheDocument();
    const rules = screen.getByTestId(TEST_IDS.policy.rules);
    const drawdown = within(rules).getByText('pnl_drawdown_kill').closest('tr')!;
    expect(within(drawdown).getByText('critical')).toBeInTheDocument();
    expect(within(drawdown).getByText('playbook halt')).toBeInTheDocument();
    expect(within(drawdown).getByText(/stop first, ask later/)).toBeInTheDocument();
    expect(within(drawdown).getByRole('link', { name: /runbook/ })).toHaveAttribute(
      'href',
      'https://github.com/lookout-dev/lookout/blob/main/docs/runbooks/policy-pnl-drawdown.md'
    );
    expect(within(within(rules).getByText('correlation_spike').closest('tr')!).getByText('shadow')).toBeInTheDocument();
    expect(within(screen.getByTestId(TEST_IDS.policy.policies)).getByText('retrain_on_drift')).toBeInTheDocument();
    // Viewers read; the dry run is for Editors.
    expect(screen.queryByRole('region', { name: 'Check a change' })).not.toBeInTheDocument();
  });

  it('says when the last change of the file was refused, with every problem, and that the old version runs', async () => {
    fakeBackend({
      'GET api/v1/policy': () =>
        makePolicy({
          last_error: {
            at: FIXED_TS,
            version: 'aaaaaaaaaaaaaaaa',
            problems: [
              { path: 'guardian.rules.0.metric', message: 'unknown signal drift_scroe', code: 'unknown_signal' },
              { path: 'guardian.playbooks.c.0.name', message: 'playbook cycle: a → b → c → a', code: 'custom' },
            ],
          },
        }),
    });
    render(<Policy />);
    const error = await screen.findByTestId(TEST_IDS.policy.lastError);
    expect(within(error).getByText(/version 3f2a9c0d1e4b5a67 keeps running/)).toBeInTheDocument();
    expect(within(error).getByText('guardian.rules.0.metric')).toBeInTheDocument();
    expect(within(error).getByText('playbook cycle: a → b → c → a')).toBeInTheDocument();
  });

  it('lets an Editor validate a change: every problem with its path, or valid with its version', async () => {
    setOrgRole('Editor');
    const { calls } = fakeBackend({
      'GET api/v1/policy': () => makePolicy(),
      'POST api/v1/policy/validate': (c) => {
        if ((c.body as { content: string }).content.includes('oops')) {
          throw new HttpFailure(400, {
            error: {
              code: 'policy_invalid',
              message: 'guardian.rules.0.op: Invalid option',
              details: [{ path: 'guardian.rules.0.op', message: 'Invalid option', code: 'invalid_value' }],
            },
          });
        }
        return { valid: true, version: 'bbbbbbbbbbbbbbbb', guardian_rules: 1, scheduler_policies: 0, warnings: [] };
      },
    });
    render(<Policy />);
    const input = await screen.findByTestId(TEST_IDS.policy.validateInput);
    await userEvent.type(input, 'oops');
    await userEvent.click(screen.getByRole('button', { name: /Validate/ }));
    const result = screen.getByTestId(TEST_IDS.policy.validateResult);
    expect(await within(result).findByText('guardian.rules.0.op')).toBeInTheDocument();
    await userEvent.clear(input);
    await userEvent.type(input, 'guardian: {{}');
    await userEvent.click(screen.getByRole('button', { name: /Validate/ }));
    expect(await within(result).findByText('Valid: version bbbbbbbbbbbbbbbb')).toBeInTheDocument();
    expect(calls.filter((c) => c.method === 'POST').map((c) => (c.body as { content: string }).content)).toEqual([
      'oops',
      'guardian: {}',
    ]);
  });

  it('says when the policy cannot be loaded', async () => {
    fakeBackend({
      'GET api/v1/policy': () => {
        throw new HttpFailure(502, { message: 'Bad Gateway' });
      },
    });
    render(<Policy />);
    expect(await screen.findByText('Cannot load the policy')).toBeInTheDocument();
  });
});
