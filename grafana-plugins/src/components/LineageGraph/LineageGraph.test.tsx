import React from 'react';
import { fireEvent, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { makeGenerations, makeLineage } from '../../test/fixtures';
import { TEST_IDS } from '../../testIds';
import { LineageGraph } from './LineageGraph';

describe('LineageGraph', () => {
  it('draws every generation with its status and calls onSelect on click', async () => {
    const onSelect = jest.fn();
    render(<LineageGraph generations={makeLineage().generations} width={800} height={400} onSelect={onSelect} />);
    expect(screen.getByTestId(TEST_IDS.lineage.node('g2'))).toHaveAttribute('data-status', 'active');
    await userEvent.click(screen.getByRole('button', { name: 'Generation g3, canary' }));
    expect(onSelect).toHaveBeenCalledWith(expect.objectContaining({ id: 'g3' }));
  });

  it('shows a tooltip with KPIs on hover', async () => {
    render(<LineageGraph generations={makeLineage().generations} width={800} height={400} />);
    await userEvent.hover(screen.getByTestId(TEST_IDS.lineage.node('g2')));
    expect(screen.getByRole('tooltip')).toHaveTextContent('drawdown');
  });

  it('zooms with the keyboard and fits back', async () => {
    render(<LineageGraph generations={makeLineage().generations} width={800} height={400} />);
    const svg = screen.getByTestId(TEST_IDS.lineage.svg);
    const fitted = svg.getAttribute('data-zoom');
    screen.getByRole('group').focus();
    await userEvent.keyboard('-');
    expect(Number(svg.getAttribute('data-zoom'))).toBeLessThan(Number(fitted));
    await userEvent.keyboard('0');
    expect(svg.getAttribute('data-zoom')).toBe(fitted);
    fireEvent.click(screen.getByTestId(TEST_IDS.lineage.fit));
    expect(svg.getAttribute('data-zoom')).toBe(fitted);
  });

  it('puts only on-screen nodes in the DOM when zoomed in on 2,000 generations', async () => {
    render(<LineageGraph generations={makeGenerations(2000, 7)} width={800} height={400} />);
    screen.getByRole('group').focus();
    for (let i = 0; i < 12; i++) {
      await userEvent.keyboard('+');
    }
    const drawn = document.querySelectorAll('[data-status]').length;
    expect(drawn).toBeGreaterThan(0);
    expect(drawn).toBeLessThan(200);
  });
});
