import React from 'react';
import { render, screen } from '@testing-library/react';
import { fakeBackend, HttpFailure } from '../../test/backend';
import { makeDecision } from '../../test/fixtures';
import { DecisionDrawer } from './DecisionDrawer';

describe('DecisionDrawer', () => {
  it('shows why the scheduler decided', async () => {
    fakeBackend({
      'GET api/v1/decisions/d1': () => makeDecision('d1', { action_id: 'act-9' }),
    });
    render(<DecisionDrawer decisionId="d1" onClose={jest.fn()} />);
    expect(await screen.findByText('drift_score 0.91 > 0.8 for 10m')).toBeInTheDocument();
    expect(screen.getByText(/act-9/)).toBeInTheDocument();
    expect(screen.getByText(/"drift_score": 0.91/)).toBeInTheDocument();
  });

  it('shows a missing decision as an error', async () => {
    fakeBackend({
      'GET api/v1/decisions/zz': () => {
        throw new HttpFailure(404, { error: { code: 'not_found', message: 'decision zz not found' } });
      },
    });
    render(<DecisionDrawer decisionId="zz" onClose={jest.fn()} />);
    expect(await screen.findByText('decision zz not found')).toBeInTheDocument();
  });
});
