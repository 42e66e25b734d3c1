import React from 'react';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { fakeBackend } from '../../test/backend';
import { makeGeneration, makeImage } from '../../test/fixtures';
import { GenerationDetails } from './GenerationDetails';

describe('GenerationDetails', () => {
  it("shows KPIs and that generation's calibration images through the proxy", async () => {
    const { calls } = fakeBackend({
      'GET api/v1/artifacts/calibration': () => ({
        items: [makeImage('i1', 'g2'), makeImage('i2', 'g2', 'pnl')],
        next_cursor: null,
      }),
    });
    const onClose = jest.fn();
    render(
      <GenerationDetails
        generation={makeGeneration('g2', 'g1', { status: 'active', kpis: { sharpe: 1.8 } })}
        onClose={onClose}
      />
    );
    expect(screen.getByText('sharpe')).toBeInTheDocument();
    const imgs = await screen.findAllByRole('img', { name: /g2/ });
    expect(imgs).toHaveLength(2);
    expect(imgs[0]).toHaveAttribute('src', '/api/plugin-proxy/lookout-ops-app/api/v1/artifacts/calibration/i1/image');
    expect(imgs[0]).toHaveAttribute('loading', 'lazy');
    expect(calls[0]!.query).toMatchObject({ generation: 'g2' });
    await userEvent.click(screen.getByRole('button', { name: /close/i }));
    expect(onClose).toHaveBeenCalled();
  });

  it('says when a generation has no images', async () => {
    fakeBackend({ 'GET api/v1/artifacts/calibration': () => ({ items: [], next_cursor: null }) });
    render(<GenerationDetails generation={makeGeneration('g9', null)} onClose={jest.fn()} />);
    expect(await screen.findByText('No calibration images for this generation.')).toBeInTheDocument();
  });
});
