import React from 'react';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { TimeSeries } from '@grafana/ui';
import { fakeBackend, HttpFailure, setOrgRole } from '../../test/backend';
import { makeBacktestResult, makeBacktestRun, makePlan, makePolicy } from '../../test/fixtures';
import { TEST_IDS } from '../../testIds';
import { Backtest } from './Backtest';

// jsdom draws no canvas: the chart's frames are checked here, Grafana's own time series draws them in the browser test.
jest.mock('@grafana/ui', () => ({
  ...jest.requireActual('@grafana/ui'),
  TimeSeries: jest.fn(() => null),
}));
const chart = jest.mocked(TimeSeries);

const RUN = 'ID01BACKTEST0000000000000A';

describe('Backtest page', () => {
  afterEach(() => {
    setOrgRole('Admin');
    chart.mockClear();
  });

  it('lets a Viewer open a past backtest: counts, the signal with its would-fire points, and the differences', async () => {
    setOrgRole('Viewer');
    fakeBackend({
      'GET api/v1/policy': () => makePolicy(),
      'GET api/v1/backtests': () => ({ items: [makeBacktestRun(RUN)], next_cursor: null }),
      [`GET api/v1/backtests/${RUN}/result`]: () => makeBacktestResult(RUN),
    });
    render(<Backtest />);
    // A disabled button with a tooltip stays focusable, so the tooltip can say why.
    expect(screen.getByTestId(TEST_IDS.backtest.run)).toHaveAttribute('aria-disabled', 'true');
    const runs = await screen.findByTestId(TEST_IDS.backtest.runs);
    await userEvent.click(await within(runs).findByRole('button', { name: `Open backtest ${RUN}` }));
    const summary = await screen.findByTestId(TEST_IDS.backtest.summary);
    expect(within(summary).getByText('Would fire').nextSibling).toHaveTextContent('2');
    const plot = screen.getByTestId(TEST_IDS.backtest.chart);
    expect(plot).toHaveAttribute('data-rule', 'drift_high');
    expect(plot).toHaveAttribute('data-would-fire', '2');
    const frames = chart.mock.calls.at(-1)![0].frames;
    expect(frames.map((f) => f.name)).toEqual(['signal', 'really_fired', 'would_fire']);
    const fires = screen.getByTestId(TEST_IDS.backtest.fires);
    expect(within(fires).getAllByRole('row')).toHaveLength(4);
    expect(within(screen.getByTestId(TEST_IDS.backtest.fireRow(1))).getByText('shadow')).toBeInTheDocument();
    expect(
      within(screen.getByTestId(TEST_IDS.backtest.fireRow(0))).getByText('pause_scheduler → notify')
    ).toBeInTheDocument();
    const diffs = screen.getByTestId(TEST_IDS.backtest.diffs);
    expect(within(diffs).getByText('would not fire')).toBeInTheDocument();
    expect(within(diffs).getAllByText('would add')).toHaveLength(2);
    // The shadow rule's chart is one click away.
    await userEvent.click(
      within(screen.getByTestId(TEST_IDS.backtest.rule)).getByRole('radio', { name: /corr_shadow/ })
    );
    expect(screen.getByTestId(TEST_IDS.backtest.chart)).toHaveAttribute('data-rule', 'corr_shadow');
    expect(screen.getByText(/no data on 12 of 721 ticks/)).toBeInTheDocument();
  });

  it('runs the running rules over the chosen range, follows the progress, and cancels', async () => {
    setOrgRole('Editor');
    let status: 'running' | 'cancelled' = 'running';
    const { calls } = fakeBackend({
      'GET api/v1/policy': () => makePolicy(),
      'GET api/v1/backtests': () => ({ items: [], next_cursor: null }),
      'POST api/v1/backtests': () =>
        makeBacktestRun(RUN, { status: 'running', ticks_done: 100, progress: 0.25, summary: null, finished_at: null }),
      [`GET api/v1/backtests/${RUN}`]: () =>
        makeBacktestRun(RUN, { status, ticks_done: 200, progress: 0.5, summary: null, finished_at: null }),
      [`POST api/v1/backtests/${RUN}/cancel`]: () => {
        status = 'cancelled';
        return makeBacktestRun(RUN, { status, ticks_done: 200, progress: 200 / 721, summary: null });
      },
    });
    render(<Backtest />);
    await userEvent.click(within(screen.getByTestId(TEST_IDS.backtest.range)).getByRole('radio', { name: '6 hours' }));
    await userEvent.click(screen.getByTestId(TEST_IDS.backtest.run));
    const progress = await screen.findByTestId(TEST_IDS.backtest.progress);
    await waitFor(() => expect(progress).toHaveTextContent('50 % (200 of 721 ticks)'));
    const body = calls.find((c) => c.method === 'POST' && c.path === 'api/v1/backtests')!.body as Record<
      string,
      string
    >;
    expect(Date.parse(body.to!) - Date.parse(body.from!)).toBe(6 * 3_600_000);
    expect(body).toMatchObject({ source: 'store' });
    expect(body.policy).toBeUndefined();
    await userEvent.click(screen.getByTestId(TEST_IDS.backtest.cancel));
    expect(await screen.findByText('Backtest cancelled')).toBeInTheDocument();
    expect(screen.queryByTestId(TEST_IDS.backtest.progress)).not.toBeInTheDocument();
  });

  it('backtests a candidate policy and lists every problem of a refused one with its path', async () => {
    setOrgRole('Editor');
    fakeBackend({
      'GET api/v1/policy': () => makePolicy(),
      'GET api/v1/backtests': () => ({ items: [], next_cursor: null }),
      'POST api/v1/backtests': () => {
        throw new HttpFailure(400, {
          error: {
            code: 'backtest_unknown_signal',
            message: 'guardian.rules.0.metric: unknown signal drift_scor',
            details: [
              {
                path: 'guardian.rules.0.metric',
                message:
                  'unknown signal drift_scor: not declared under signals and never received by this sidecar (did you mean drift_score?)',
                code: 'unknown_signal',
              },
            ],
          },
        });
      },
    });
    render(<Backtest />);
    await screen.findByTestId(TEST_IDS.backtest.runs);
    await userEvent.click(
      within(screen.getByTestId(TEST_IDS.backtest.mode)).getByRole('radio', { name: 'Candidate policy' })
    );
    // The editor starts from the running policy's own text.
    const editor = screen.getByTestId(TEST_IDS.backtest.editor);
    expect((editor as HTMLTextAreaElement).value).toBe(makePolicy().text);
    await userEvent.click(screen.getByTestId(TEST_IDS.backtest.run));
    const problems = await screen.findByTestId(TEST_IDS.backtest.problems);
    expect(within(problems).getByText('guardian.rules.0.metric')).toBeInTheDocument();
    expect(within(problems).getByText(/did you mean drift_score\?/)).toBeInTheDocument();
  });

  it('refuses a rule that is not JSON before asking the sidecar', async () => {
    setOrgRole('Editor');
    const { calls } = fakeBackend({
      'GET api/v1/policy': () => makePolicy(),
      'GET api/v1/backtests': () => ({ items: [], next_cursor: null }),
    });
    render(<Backtest />);
    await screen.findByTestId(TEST_IDS.backtest.runs);
    await userEvent.click(within(screen.getByTestId(TEST_IDS.backtest.mode)).getByRole('radio', { name: 'One rule' }));
    const editor = screen.getByTestId(TEST_IDS.backtest.editor);
    await userEvent.clear(editor);
    await userEvent.type(editor, '{{"name": ');
    await userEvent.click(screen.getByTestId(TEST_IDS.backtest.run));
    expect(await screen.findByTestId(TEST_IDS.backtest.problems)).toHaveTextContent('The rule is not valid JSON');
    expect(calls.filter((c) => c.method === 'POST')).toEqual([]);
  });

  it('lets an Admin promote a backtested candidate through policy_apply, whose plan shows the evidence', async () => {
    setOrgRole('Admin');
    const { calls } = fakeBackend({
      'GET api/v1/policy': () => makePolicy(),
      'GET api/v1/backtests': () => ({ items: [], next_cursor: null }),
      'POST api/v1/backtests': () => makeBacktestRun(RUN, { rules_from: 'policy' }),
      [`GET api/v1/backtests/${RUN}/result`]: () => makeBacktestResult(RUN, { rules_from: 'policy' }),
      'POST api/v1/actions/policy_apply/plan': () =>
        makePlan({
          action: 'policy_apply',
          changes: [{ field: 'guardian.rules.drift_high.value', from: 0.6, to: 0.7 }],
          evidence: {
            backtest: {
              id: RUN,
              status: 'succeeded',
              range: { from: '2026-11-21T09:00:00.000Z', to: '2026-11-21T10:00:00.000Z' },
              error: null,
              summary: {
                fires: 2,
                shadow_fires: 1,
                comparison: { same: 1, earlier: 0, later: 0, added: 2, removed: 1 },
              },
            },
          },
        }),
    });
    render(<Backtest />);
    await screen.findByTestId(TEST_IDS.backtest.runs);
    await userEvent.click(
      within(screen.getByTestId(TEST_IDS.backtest.mode)).getByRole('radio', { name: 'Candidate policy' })
    );
    await userEvent.click(screen.getByTestId(TEST_IDS.backtest.run));
    await userEvent.click(await screen.findByTestId(TEST_IDS.backtest.promote));
    const evidence = await screen.findByTestId(TEST_IDS.actionFlow.evidence);
    expect(evidence).toHaveTextContent('would fire 2 times (shadow 1)');
    expect(evidence).toHaveTextContent('1 same, 0 moved, 2 added, 1 gone');
    expect(
      within(screen.getByTestId(TEST_IDS.actionFlow.changes)).getByText('guardian.rules.drift_high.value')
    ).toBeInTheDocument();
    const plan = calls.find((c) => c.path === 'api/v1/actions/policy_apply/plan')!;
    expect(plan.body).toEqual({ params: { content: makePolicy().text, window: 3_600_000, source: 'store' } });
  });
});
