import { DataSourcePlugin } from '@grafana/data';
import { QueryEditor } from './components/QueryEditor';
import { EventsDataSource } from './datasource';
import type { EventsQuery } from './types';

export const plugin = new DataSourcePlugin<EventsDataSource, EventsQuery>(EventsDataSource).setQueryEditor(QueryEditor);
