import React, { useMemo, useState } from 'react';
import { Alert, Badge, RadioButtonGroup, useStyles2 } from '@grafana/ui';
import type { BacktestResult as Result } from '../../api';
import { DIFF_COLORS, DIFF_LABELS, defaultRule, fireValue, formatDelta, stepsText } from '../../data/backtest';
import { formatValue } from '../../data/format';
import { TEST_IDS } from '../../testIds';
import { BacktestChart } from '../BacktestChart';
import { getStyles } from './BacktestResult.styles';

const time = (iso: string | null): string => (iso ? iso.replace('T', ' ').slice(0, 19) : '—');

export interface BacktestResultProps {
  result: Result;
}

/**
 * What a backtest found: the counts, why it is partial or saw no data, one rule's signal with its would-fire and real
 * fire points, every would-fire tick with the inputs that decided it, and the differences against what happened.
 */
export function BacktestResult({ result }: BacktestResultProps): React.JSX.Element {
  const s = useStyles2(getStyles);
  const [picked, setPicked] = useState<string | undefined>();
  const rule = picked ?? defaultRule(result);
  const options = useMemo(
    () =>
      result.rules.map((r) => ({
        label: r.shadow ? `${r.name} (shadow)` : r.name,
        value: r.name,
        description: `${r.stats.fires} would-fire`,
      })),
    [result.rules]
  );
  const sum = result.summary;
  return (
    <>
      <section className={s.section} aria-label="Backtest summary" data-testid={TEST_IDS.backtest.summary}>
        <div className={s.stats}>
          <div className={s.stat}>
            <span>Would fire</span>
            <strong>{sum.fires}</strong>
          </div>
          <div className={s.stat}>
            <span>Shadow would fire</span>
            <strong>{sum.shadow_fires}</strong>
          </div>
          <div className={s.stat}>
            <span>Would-be incidents</span>
            <strong>{sum.would.incidents}</strong>
          </div>
          <div className={s.stat}>
            <span>Would kill</span>
            <strong>{sum.would.kills}</strong>
          </div>
          <div className={s.stat}>
            <span>Really fired</span>
            <strong>{sum.real.fires}</strong>
          </div>
          <div className={s.stat}>
            <span>Same / moved / added / gone</span>
            <strong>
              {sum.comparison.same} / {sum.comparison.earlier + sum.comparison.later} / {sum.comparison.added} /{' '}
              {sum.comparison.removed}
            </strong>
          </div>
        </div>
        <p className={s.muted}>
          {result.range.from.slice(0, 19).replace('T', ' ')} → {result.range.to.slice(0, 19).replace('T', ' ')}, every{' '}
          {result.tick_ms / 1000} s ({sum.ticks} ticks)
          {result.data.rows > 0 &&
            `; ${result.data.rows} values of ${result.data.series} series from the ${
              result.source === 'store' ? "sidecar's history" : 'Prometheus'
            }`}
          {result.flushes_replayed.length > 0 && `; ${result.flushes_replayed.length} guardrail flushes replayed`}.
        </p>
      </section>
      {result.partial && (
        <Alert severity="warning" title="Partial result: the source stopped answering">
          {result.partial.reason}
          {result.partial.evaluated_until
            ? ` Ticks up to ${time(result.partial.evaluated_until)} were judged; none after.`
            : ' No tick was judged.'}
        </Alert>
      )}
      {result.data.message && (
        <Alert severity="info" title="No data in the range">
          {result.data.message}
        </Alert>
      )}
      {result.rules.some((r) => r.no_data.message) && (
        <Alert severity="info" title="Rules that saw no data">
          <ul className={s.list}>
            {result.rules
              .filter((r) => r.no_data.message)
              .map((r) => (
                <li key={r.name}>
                  <span className={s.mono}>{r.name}</span>: {r.no_data.message}
                </li>
              ))}
          </ul>
        </Alert>
      )}
      {result.skipped.length > 0 && (
        <Alert severity="info" title="Rules not backtested">
          <ul className={s.list}>
            {result.skipped.map((r) => (
              <li key={r.rule}>
                <span className={s.mono}>{r.rule}</span>: {r.reason}
              </li>
            ))}
          </ul>
        </Alert>
      )}
      {rule && (
        <section className={s.section} aria-label="Signal over time">
          <div className={s.toolbar} data-testid={TEST_IDS.backtest.rule}>
            <RadioButtonGroup options={options} value={rule} onChange={setPicked} size="sm" />
          </div>
          <BacktestChart result={result} rule={rule} />
        </section>
      )}
      <section className={s.section} aria-label="Would-fire ticks" data-testid={TEST_IDS.backtest.fires}>
        <h3 className={s.heading}>Would fire</h3>
        {result.fires.length === 0 ? (
          <p className={s.muted}>No rule would have fired in the range.</p>
        ) : (
          <table className={s.table}>
            <thead>
              <tr>
                <th>Tick</th>
                <th>Rule</th>
                <th>Value</th>
                <th>Threshold</th>
                <th>Incident</th>
                <th>Would run</th>
              </tr>
            </thead>
            <tbody>
              {result.fires.map((f, i) => (
                <tr key={`${f.rule}-${f.at}`} data-testid={TEST_IDS.backtest.fireRow(i)}>
                  <td className={s.mono}>{time(f.at)}</td>
                  <td className={s.mono}>
                    {f.rule} {f.shadow && <Badge text="shadow" color="blue" />}
                  </td>
                  <td>{fireValue(f) === null ? '—' : formatValue(fireValue(f))}</td>
                  <td className={s.mono}>
                    {f.thresholds['op'] !== undefined
                      ? `${String(f.thresholds['op'])} ${String(f.thresholds['value'])}`
                      : `${String(f.thresholds['max_age_ms'] ?? '')}`}
                    {typeof f.thresholds['for_ms'] === 'number' && f.thresholds['for_ms'] > 0
                      ? ` for ${Number(f.thresholds['for_ms']) / 1000} s`
                      : ''}
                  </td>
                  <td>{f.incident ? `${f.incident.key}${f.incident.opened ? ' (opens)' : ''}` : '—'}</td>
                  <td className={s.mono}>{stepsText(f)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section className={s.section} aria-label="Differences" data-testid={TEST_IDS.backtest.diffs}>
        <h3 className={s.heading}>Against what really happened</h3>
        {result.comparison.items.length === 0 ? (
          <p className={s.muted}>Nothing fired, in the backtest or for real.</p>
        ) : (
          <table className={s.table}>
            <thead>
              <tr>
                <th>Rule</th>
                <th>Change</th>
                <th>Backtest</th>
                <th>Really</th>
                <th>Moved</th>
              </tr>
            </thead>
            <tbody>
              {result.comparison.items.map((d, i) => (
                <tr key={`${d.rule}-${d.backtest_at ?? ''}-${d.real_at ?? ''}-${i}`}>
                  <td className={s.mono}>
                    {d.rule} {d.shadow && <Badge text="shadow" color="blue" />}
                  </td>
                  <td>
                    <Badge text={DIFF_LABELS[d.kind]} color={DIFF_COLORS[d.kind]} />
                  </td>
                  <td className={s.mono}>{time(d.backtest_at)}</td>
                  <td className={s.mono}>{time(d.real_at)}</td>
                  <td>{formatDelta(d.delta_ms)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <p className={s.muted}>
          Same within {result.comparison.tolerance_ms / 1000} s; fires more than{' '}
          {result.comparison.match_window_ms / 1000} s apart are different decisions.
        </p>
      </section>
    </>
  );
}
