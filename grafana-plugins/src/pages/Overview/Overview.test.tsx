import React from 'react';
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { fakeBackend, HttpFailure } from '../../test/backend';
import { FIXED_TS, makeDecision, makeEvent, makeIncident, makeStatus } from '../../test/fixtures';
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

  it('says when the sidecar cannot be reached', async () => {
    fakeBackend({
      'GET api/v1/status': () => {
        throw new HttpFailure(502, { message: 'Bad Gateway' });
      },
    });
    render(<Overview />);
    expect(await screen.findByText('Cannot reach the Lookout sidecar')).toBeInTheDocument();
  });
});
