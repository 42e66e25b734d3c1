import React from 'react';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { PanelProps } from '@grafana/data';
import { fakeBackend, HttpFailure } from '../../../../test/backend';
import { makeImage, makeLineage } from '../../../../test/fixtures';
import { TEST_IDS } from '../../../../testIds';
import { DEFAULT_LINEAGE_OPTIONS, type LineageOptions } from '../../types';
import { LineagePanel } from './LineagePanel';

const props = {
  options: DEFAULT_LINEAGE_OPTIONS,
  width: 800,
  height: 400,
  replaceVariables: (v: string) => v,
} as unknown as PanelProps<LineageOptions>;

describe('LineagePanel', () => {
  it('draws the generations with a summary and opens details with images on click', async () => {
    fakeBackend({
      'GET api/v1/lineage': () => makeLineage(),
      'GET api/v1/artifacts/calibration': () => ({ items: [makeImage('i1', 'g2')], next_cursor: null }),
    });
    render(<LineagePanel {...props} />);
    expect(await screen.findByTestId(TEST_IDS.lineage.node('g1'))).toBeInTheDocument();
    expect(screen.getByLabelText('Lineage summary')).toHaveTextContent('3 generations');
    expect(screen.getByLabelText('Lineage summary')).toHaveTextContent('active g2');
    await userEvent.click(screen.getByRole('button', { name: 'Generation g2, active' }));
    expect(await screen.findByRole('img', { name: 'reliability g2' })).toBeInTheDocument();
  });

  it('shows an empty state when there are no generations', async () => {
    fakeBackend({ 'GET api/v1/lineage': () => makeLineage({ generations: [] }) });
    render(<LineagePanel {...props} />);
    expect(await screen.findByText('No generations yet')).toBeInTheDocument();
  });

  it('shows the sidecar error', async () => {
    fakeBackend({
      'GET api/v1/lineage': () => {
        throw new HttpFailure(503, { error: { code: 'unavailable', message: 'store not ready' } });
      },
    });
    render(<LineagePanel {...props} />);
    expect(await screen.findByText('store not ready')).toBeInTheDocument();
  });

  it('reads the node its node option names, through the hub, and says nothing of the others', async () => {
    const { calls } = fakeBackend({
      'GET api/v1/fleet/nodes/trader-2/api/v1/lineage': () => makeLineage(),
    });
    render(
      <LineagePanel
        {...props}
        options={{ ...DEFAULT_LINEAGE_OPTIONS, node: '${node:csv}' }}
        replaceVariables={(v: string) => v.replace('${node:csv}', 'trader-2')}
      />
    );
    expect(await screen.findByTestId(TEST_IDS.lineage.node('g1'))).toBeInTheDocument();
    expect(calls.map((c) => c.path)).toEqual(['api/v1/fleet/nodes/trader-2/api/v1/lineage']);
  });
});
