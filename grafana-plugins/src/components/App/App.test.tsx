import React from 'react';
import { render, screen } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import type { AppRootProps } from '@grafana/data';
import { fakeBackend } from '../../test/backend';
import { makeAnalytics, makeDiagnostic, makeDiagnosticDetail, makeStatus } from '../../test/fixtures';
import { TEST_IDS } from '../../testIds';
import { App } from './App';

describe('App routes', () => {
  beforeEach(() => {
    fakeBackend({
      'GET api/v1/status': () => makeStatus(),
      'GET api/v1/incidents': () => ({ items: [], next_cursor: null }),
      'GET api/v1/feeds/scheduler': () => ({ items: [], next_cursor: null }),
      'GET api/v1/agents': () => ({ items: [], next_cursor: null }),
      'GET api/v1/tasks': () => ({ items: [], next_cursor: null }),
      'GET api/v1/diagnostics': () => ({ items: [makeDiagnostic('D-2')], next_cursor: null }),
      'GET api/v1/diagnostics/analytics': () => makeAnalytics(),
      'GET api/v1/diagnostics/D-2': () => makeDiagnosticDetail('D-2'),
    });
  });

  it('sends unknown paths to the overview', async () => {
    render(
      <MemoryRouter initialEntries={['/nowhere']}>
        <App {...({} as AppRootProps)} />
      </MemoryRouter>
    );
    expect(await screen.findByTestId(TEST_IDS.pages.overview)).toBeInTheDocument();
  });

  it('routes to agents and tasks', async () => {
    render(
      <MemoryRouter initialEntries={['/agents']}>
        <App {...({} as AppRootProps)} />
      </MemoryRouter>
    );
    expect(await screen.findByTestId(TEST_IDS.pages.agents)).toBeInTheDocument();
  });

  it('routes a diagnostic link to the list with its detail open', async () => {
    render(
      <MemoryRouter initialEntries={['/diagnostics/D-2']}>
        <App {...({} as AppRootProps)} />
      </MemoryRouter>
    );
    expect(await screen.findByTestId(TEST_IDS.pages.diagnostics)).toBeInTheDocument();
    expect(await screen.findByTestId(TEST_IDS.diagnostics.row('D-2'))).toBeInTheDocument();
    expect(await screen.findByTestId(TEST_IDS.diagnostics.drawer)).toBeInTheDocument();
  });
});
