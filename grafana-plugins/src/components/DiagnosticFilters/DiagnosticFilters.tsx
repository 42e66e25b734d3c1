import React, { useEffect, useRef, useState } from 'react';
import { Button, Checkbox, FilterInput, Input, RadioButtonGroup, useStyles2 } from '@grafana/ui';
import type { SortOrder } from '../../api';
import {
  DEFAULT_FILTERS,
  type DiagnosticFilterState,
  SEVERITY_FILTERS,
  SORT_OPTIONS,
  STATUS_FILTERS,
} from '../../data/diagnostics';
import { TEST_IDS } from '../../testIds';
import { getStyles } from './DiagnosticFilters.styles';

export interface DiagnosticFiltersProps {
  value: DiagnosticFilterState;
  onChange: (value: DiagnosticFilterState) => void;
  /** How long typing must pause before search, assignee and tag apply. */
  debounceMs?: number;
}

const ORDER_OPTIONS: Array<{ label: string; value: SortOrder }> = [
  { label: 'Descending', value: 'desc' },
  { label: 'Ascending', value: 'asc' },
];

type TextFields = Pick<DiagnosticFilterState, 'q' | 'assignee' | 'tag'>;

/** Status, severity, assignee, tag, overdue and text filters plus sort for the diagnostics list. */
export function DiagnosticFilters({ value, onChange, debounceMs = 300 }: DiagnosticFiltersProps): React.JSX.Element {
  const s = useStyles2(getStyles);
  const [text, setText] = useState<TextFields>({ q: value.q, assignee: value.assignee, tag: value.tag });
  // The debounced commit must see the latest filters, not the ones of the render that started the timer.
  const latest = useRef({ value, onChange });
  useEffect(() => {
    latest.current = { value, onChange };
  });

  useEffect(() => {
    const { value: v } = latest.current;
    if (text.q === v.q && text.assignee === v.assignee && text.tag === v.tag) {
      return undefined;
    }
    const h = setTimeout(() => latest.current.onChange({ ...latest.current.value, ...text }), debounceMs);
    return () => clearTimeout(h);
  }, [text, debounceMs]);

  const set = (patch: Partial<DiagnosticFilterState>): void => onChange({ ...value, ...text, ...patch });

  return (
    <div className={s.root} data-testid={TEST_IDS.diagnostics.filters}>
      <div className={s.row}>
        <div className={s.search}>
          <FilterInput
            aria-label="Search diagnostics"
            placeholder="Search title and description"
            value={text.q}
            onChange={(q) => setText((t) => ({ ...t, q }))}
          />
        </div>
        <Input
          className={s.text}
          aria-label="Assignee"
          placeholder="Assignee (a, b)"
          value={text.assignee}
          onChange={(e) => {
            const assignee = e.currentTarget.value;
            setText((t) => ({ ...t, assignee }));
          }}
        />
        <Input
          className={s.text}
          aria-label="Tags"
          placeholder="Tags (all of a, b)"
          value={text.tag}
          onChange={(e) => {
            const tag = e.currentTarget.value;
            setText((t) => ({ ...t, tag }));
          }}
        />
        <Checkbox label="Unassigned" value={value.unassigned} onChange={() => set({ unassigned: !value.unassigned })} />
        <Checkbox label="Overdue" value={value.overdue} onChange={() => set({ overdue: !value.overdue })} />
        <Button
          variant="secondary"
          fill="text"
          icon="times"
          onClick={() => {
            setText({ q: '', assignee: '', tag: '' });
            onChange(DEFAULT_FILTERS);
          }}
        >
          Reset
        </Button>
      </div>
      <div className={s.row}>
        <span className={s.label}>Status</span>
        <RadioButtonGroup
          size="sm"
          options={STATUS_FILTERS}
          value={value.status}
          onChange={(status) => set({ status })}
        />
        <span className={s.label}>Severity</span>
        <RadioButtonGroup
          size="sm"
          options={SEVERITY_FILTERS}
          value={value.severity}
          onChange={(severity) => set({ severity })}
        />
        <span className={s.label}>Sort</span>
        <RadioButtonGroup size="sm" options={SORT_OPTIONS} value={value.sort} onChange={(sort) => set({ sort })} />
        <RadioButtonGroup size="sm" options={ORDER_OPTIONS} value={value.order} onChange={(order) => set({ order })} />
      </div>
    </div>
  );
}
