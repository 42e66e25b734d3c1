import React from 'react';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { fakeBackend, HttpFailure, setOrgRole } from '../../test/backend';
import {
  FIXED_TS,
  makeActionRecord,
  makeDecision,
  makeEvent,
  makeIncident,
  makePlan,
  makeStatus,
} from '../../test/fixtures';
import { TEST_IDS } from '../../testIds';
import { Overview } from './Overview';

describe('Overview page', () => {
  it('shows status, who engaged the kill switch, open incidents and decisions with their why', async () => {
    fakeBackend({
      'GET api/v1/status': () =>
        makeStatus({
          node: 'edge-1',
          kill_switch: { engaged: true, actor: 'carol', reason: 'bad fills', since: FIXED_TS },
          incidents: { open: 1 },
        }),
      'GET api/v1/incidents': () => ({
        items: [makeIncident('inc-1', { title: 'Confidence low' })],
        next_cursor: null,
      }),
      'GET api/v1/feeds/scheduler': () => ({
        items: [
          makeEvent({ source: 'scheduler', kind: 'decision.made', subject: 'retrain', data: { decision_id: 'd1' } }),
        ],
        next_cursor: null,
      }),
      'GET api/v1/decisions/d1': () => makeDecision('d1', { reason: 'drift high for 10m' }),
    });
    render(<Overview />);
    expect(await screen.findByText('Kill switch engaged')).toBeInTheDocument();
    expect(screen.getByText('carol')).toBeInTheDocument();
    expect(screen.getByText(/bad fills/)).toBeInTheDocument();
    expect(within(screen.getByRole('region', { name: 'Status' })).getByText('edge-1')).toBeInTheDocument();
    expect(await screen.findByText('Confidence low')).toBeInTheDocument();
    await userEvent.click(await screen.findByRole('button', { name: /Why/ }));
    expect(await screen.findByText('drift high for 10m')).toBeInTheDocument();
  });

  it('says when the workload telemetry is stale, and when the policy file has a refused change', async () => {
    fakeBackend({
      'GET api/v1/status': () =>
        makeStatus({
          workload_telemetry: {
            newest_ts: FIXED_TS,
            age_s: 420,
            ttl_s: 300,
            stale: true,
            series: { fresh: 0, stale: 47 },
            series_limit: 10000,
          },
          policy: {
            version: '3f2a9c0d1e4b5a67',
            source: { kind: 'file', path: '/etc/lookout/policies/starter.yml' },
            loaded_at: FIXED_TS,
            last_error: { at: FIXED_TS, problems: 2 },
          },
        }),
      'GET api/v1/incidents': () => ({ items: [], next_cursor: null }),
      'GET api/v1/feeds/scheduler': () => ({ items: [], next_cursor: null }),
    });
    render(<Overview />);
    const stale = await screen.findByTestId(TEST_IDS.telemetry.stale);
    expect(within(stale).getByText('Workload telemetry is stale')).toBeInTheDocument();
    expect(within(stale).getByText(/Nothing received for 7m 0s \(the TTL is 5m 0s\)/)).toBeInTheDocument();
    const status = screen.getByRole('region', { name: 'Status' });
    expect(within(status).getByText('stale')).toBeInTheDocument();
    expect(within(status).getByText(/2 problem\(s\); version 3f2a9c0d1e4b5a67 keeps running/)).toBeInTheDocument();
    expect(within(status).getByRole('link', { name: '3f2a9c0d' })).toHaveAttribute('href', '/a/lookout-ops-app/policy');
  });

  it('says when the sidecar cannot be reached', async () => {
    fakeBackend({
      'GET api/v1/status': () => {
        throw new HttpFailure(502, { message: 'Bad Gateway' });
      },
    });
    render(<Overview />);
    expect(await screen.findByText('Cannot reach the Lookout sidecar')).toBeInTheDocument();
  });

  describe('the scheduler', () => {
    const pausedByGuardian = makeStatus({
      scheduler: { paused: true, actor: 'guardian', reason: 'critical incident: drift runaway', since: FIXED_TS },
    });
    const quiet = { items: [], next_cursor: null };

    it('says who paused it and why, and lets an Editor resume it through plan → apply', async () => {
      setOrgRole('Editor');
      let resumed = false;
      const { calls } = fakeBackend({
        'GET api/v1/status': () =>
          resumed
            ? makeStatus({
                scheduler: { paused: false, actor: 'grafana:erin', reason: 'understood', since: FIXED_TS },
              })
            : pausedByGuardian,
        'GET api/v1/incidents': () => quiet,
        'GET api/v1/feeds/scheduler': () => quiet,
        'POST api/v1/actions/scheduler_resume/plan': () =>
          makePlan({
            action: 'scheduler_resume',
            state: { target: { scheduler: pausedByGuardian.scheduler } },
            changes: [{ field: 'scheduler.paused', from: true, to: false }],
          }),
        'POST api/v1/actions/scheduler_resume/apply': () => {
          resumed = true;
          return makeActionRecord({ action: 'scheduler_resume', executor: 'local', status: 'applying' });
        },
        'GET api/v1/actions/act-1': () =>
          makeActionRecord({
            action: 'scheduler_resume',
            executor: 'local',
            status: 'applied',
            finished_at: FIXED_TS,
          }),
      });
      render(<Overview />);
      const state = await screen.findByTestId(TEST_IDS.scheduler.state);
      expect(state).toHaveTextContent(/Paused by guardian .*: critical incident: drift runaway/);
      await userEvent.click(screen.getByTestId(TEST_IDS.scheduler.resume));
      const modal = await screen.findByTestId(TEST_IDS.actionFlow.modal);
      expect(await within(modal).findByRole('table', { name: 'Current state' })).toHaveTextContent(
        'scheduler.actorguardian'
      );
      await userEvent.type(within(modal).getByTestId(TEST_IDS.actionFlow.reason), 'understood');
      await userEvent.click(within(modal).getByTestId(TEST_IDS.actionFlow.apply));
      await waitFor(() =>
        expect(within(modal).getByTestId(TEST_IDS.actionFlow.status)).toHaveTextContent('status: applied')
      );
      await waitFor(() =>
        expect(screen.getByTestId(TEST_IDS.scheduler.state)).toHaveTextContent('Resumed by grafana:erin')
      );
      expect(calls.find((c) => c.path === 'api/v1/actions/scheduler_resume/apply')!.body).toMatchObject({
        reason: 'understood',
      });
    });

    it('shows a Viewer the control disabled, and why', async () => {
      setOrgRole('Viewer');
      fakeBackend({
        'GET api/v1/status': () => pausedByGuardian,
        'GET api/v1/incidents': () => quiet,
        'GET api/v1/feeds/scheduler': () => quiet,
      });
      render(<Overview />);
      expect(await screen.findByTestId(TEST_IDS.scheduler.resume)).toHaveAttribute('aria-disabled', 'true');
      expect(screen.getByTestId(TEST_IDS.scheduler.reason)).toHaveTextContent(
        'Requires the Editor role (you are Viewer)'
      );
    });
  });
});
