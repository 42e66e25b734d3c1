import React from 'react';
import { render, screen } from '@testing-library/react';
import { KillSwitchBanner } from './KillSwitchBanner';

describe('KillSwitchBanner', () => {
  it('says who engaged the kill switch, why and since when', () => {
    render(
      <KillSwitchBanner
        killSwitch={{ engaged: true, actor: 'alice', reason: 'drift', since: '2026-11-21T12:00:00Z' }}
      />
    );
    expect(screen.getByText('Kill switch engaged')).toBeInTheDocument();
    expect(screen.getByText('alice')).toBeInTheDocument();
    expect(screen.getByText(/drift/)).toBeInTheDocument();
    expect(screen.getByText('2026-11-21T12:00:00Z')).toBeInTheDocument();
  });

  it('shows a quiet released state', () => {
    render(<KillSwitchBanner killSwitch={{ engaged: false, actor: null, reason: null, since: null }} />);
    expect(screen.getByRole('status')).toHaveTextContent('Kill switch released');
  });
});
