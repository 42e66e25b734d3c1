import React from 'react';
import type { QueryEditorProps } from '@grafana/data';
import { Combobox, InlineField, Input, Stack } from '@grafana/ui';
import { FEEDS, type FeedName, SEVERITIES, type Severity } from '../../../../api';
import type { EventsDataSource } from '../../datasource';
import { DEFAULT_EVENTS_QUERY, type EventsQuery } from '../../types';
import { TEST_IDS } from '../../../../testIds';

type Props = QueryEditorProps<EventsDataSource, EventsQuery>;

/** Feed, kinds and minimum severity of one events query (also the annotation editor). */
export function QueryEditor({ query, onChange, onRunQuery }: Props): React.JSX.Element {
  const q = { ...DEFAULT_EVENTS_QUERY, ...query };
  return (
    <Stack direction="row" gap={1} wrap="wrap">
      <InlineField label="Feed" labelWidth={10}>
        <Combobox<FeedName>
          width={20}
          options={FEEDS.map((f) => ({ label: f, value: f }))}
          value={q.feed}
          onChange={(o) => {
            onChange({ ...query, feed: o.value });
            onRunQuery();
          }}
        />
      </InlineField>
      <InlineField
        label="Kinds"
        labelWidth={10}
        tooltip="Comma-separated kinds or families, e.g. action.applied, incident.*"
      >
        <Input
          width={40}
          data-testid={TEST_IDS.eventsQuery.kinds}
          value={q.kinds}
          placeholder="every kind"
          onChange={(e) => onChange({ ...query, kinds: e.currentTarget.value })}
          onBlur={onRunQuery}
        />
      </InlineField>
      <InlineField label="Severity ≥" labelWidth={12}>
        <Combobox<Severity>
          width={16}
          options={SEVERITIES.map((s) => ({ label: s, value: s }))}
          value={q.minSeverity}
          onChange={(o) => {
            onChange({ ...query, minSeverity: o.value });
            onRunQuery();
          }}
        />
      </InlineField>
    </Stack>
  );
}
