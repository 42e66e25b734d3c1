import React, { useMemo } from 'react';
import { dateTime, getDisplayProcessor, type TimeRange } from '@grafana/data';
import { LegendDisplayMode, type VizLegendOptions } from '@grafana/schema';
import { TimeSeries, useStyles2, useTheme2 } from '@grafana/ui';
import type { BacktestResult } from '../../api';
import { chartFrames } from '../../data/backtest';
import { useMeasure } from '../../hooks/useMeasure';
import { TEST_IDS } from '../../testIds';
import { getStyles } from './BacktestChart.styles';

const LEGEND: VizLegendOptions = {
  displayMode: LegendDisplayMode.List,
  placement: 'bottom',
  showLegend: true,
  calcs: [],
};

export interface BacktestChartProps {
  result: BacktestResult;
  rule: string;
  height?: number;
}

/**
 * One rule over the backtest's range, drawn by Grafana's own time series: the signal that decided each tick (max and
 * min per bucket) and its threshold, the ticks it would have fired at, and the ticks it really fired at.
 */
export function BacktestChart({ result, rule, height = 280 }: BacktestChartProps): React.JSX.Element {
  const s = useStyles2(getStyles);
  const [ref, size] = useMeasure<HTMLDivElement>({ width: 900, height });
  const theme = useTheme2();
  const { frames, fires, real } = useMemo(() => {
    const c = chartFrames(result, rule);
    // What a panel's field overrides would give each field: how its values read on the axis and in the tooltip.
    for (const f of c.frames) {
      for (const field of f.fields) {
        field.display = getDisplayProcessor({ field, theme });
      }
    }
    return c;
  }, [result, rule, theme]);
  const timeRange = useMemo((): TimeRange => {
    const from = dateTime(result.range.from);
    const to = dateTime(result.range.to);
    return { from, to, raw: { from, to } };
  }, [result.range.from, result.range.to]);
  return (
    <div
      ref={ref}
      className={s.chart}
      style={{ height }}
      data-testid={TEST_IDS.backtest.chart}
      data-rule={rule}
      data-would-fire={fires}
      data-really-fired={real}
      aria-label={`${rule}: ${fires} would-fire points, ${real} real`}
    >
      {frames[0]!.length === 0 ? (
        <p className={s.empty}>No signal for {rule} in the range: the rule saw no data.</p>
      ) : (
        <TimeSeries
          frames={frames}
          timeRange={timeRange}
          timeZone="browser"
          width={size.width}
          height={height}
          legend={LEGEND}
        />
      )}
    </div>
  );
}
