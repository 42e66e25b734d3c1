import React from 'react';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { PluginType, type AppPluginMeta } from '@grafana/data';
import { fakeBackend, HttpFailure } from '../../test/backend';
import { makeStatus, makeWhoami } from '../../test/fixtures';
import { TEST_IDS } from '../../testIds';
import { AppConfig, type AppConfigProps, type LookoutJsonData } from './AppConfig';

const props = (meta: Partial<AppPluginMeta<LookoutJsonData>> = {}): AppConfigProps =>
  ({
    plugin: {
      meta: {
        id: 'lookout-ops-app',
        name: 'Lookout',
        type: PluginType.app,
        enabled: true,
        pinned: true,
        jsonData: {},
        ...meta,
      },
    },
    query: {},
  }) as unknown as AppConfigProps;

describe('AppConfig', () => {
  const reload = jest.fn();
  beforeAll(() => {
    Object.defineProperty(window, 'location', { value: { ...window.location, reload }, writable: true });
  });

  it('never shows a stored token, only that it is configured, and can reset it', async () => {
    fakeBackend({});
    render(
      <AppConfig
        {...props({ jsonData: { sidecarUrl: 'http://lookout:9469' }, secureJsonFields: { sidecarToken: true } })}
      />
    );
    const token = screen.getByTestId(TEST_IDS.appConfig.token);
    expect(token).toHaveValue('configured');
    expect(token).toBeDisabled();
    await userEvent.click(screen.getByRole('button', { name: /reset/i }));
    expect(screen.getByTestId(TEST_IDS.appConfig.token)).toHaveValue('');
    expect(screen.getByRole('button', { name: 'Save settings' })).toBeDisabled();
  });

  it('saves the URL in jsonData and a new token in secureJsonData', async () => {
    const { calls } = fakeBackend({ 'POST /api/plugins/lookout-ops-app/settings': () => ({}) });
    render(<AppConfig {...props()} />);
    await userEvent.type(screen.getByTestId(TEST_IDS.appConfig.sidecarUrl), 'http://lookout:9469/');
    await userEvent.type(screen.getByTestId(TEST_IDS.appConfig.token), 's3cret');
    await userEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    await waitFor(() => expect(reload).toHaveBeenCalled());
    expect(calls[0]!.body).toMatchObject({
      jsonData: { sidecarUrl: 'http://lookout:9469' },
      secureJsonData: { sidecarToken: 's3cret' },
    });
  });

  it('does not resend the stored token when only the URL changes', async () => {
    const { calls } = fakeBackend({
      'POST /api/plugins/lookout-ops-app/settings': () => ({}),
      'GET api/v1/whoami': () => makeWhoami(),
    });
    render(
      <AppConfig {...props({ jsonData: { sidecarUrl: 'http://a:1' }, secureJsonFields: { sidecarToken: true } })} />
    );
    await userEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    const saves = (): typeof calls => calls.filter((c) => c.method === 'POST');
    await waitFor(() => expect(saves()).toHaveLength(1));
    expect((saves()[0]!.body as { secureJsonData?: unknown }).secureJsonData).toBeUndefined();
  });

  it('tests the connection through the proxy and says who the sidecar thinks you are', async () => {
    const { calls } = fakeBackend({
      'GET api/v1/status': () => makeStatus({ version: '1.2.3', node: 'edge-7' }),
      'GET api/v1/whoami': () => makeWhoami(),
    });
    render(<AppConfig {...props({ jsonData: { sidecarUrl: 'http://a:1' } })} />);
    await userEvent.click(screen.getByRole('button', { name: 'Test connection' }));
    const result = await screen.findByText('Connected to the sidecar');
    expect(result.parentElement?.parentElement).toHaveTextContent(/1\.2\.3.*edge-7/);
    const identity = await screen.findByTestId(TEST_IDS.appConfig.identity);
    expect(identity).toHaveTextContent(/grafana:editor@example\.org, acting as operator: Grafana Editor in org 1/);
    expect(identity).toHaveTextContent(/delegation token grafana, capped at admin/);
    expect(calls.map((c) => c.path).sort()).toEqual(['api/v1/status', 'api/v1/whoami']);
  });

  it('asks the sidecar who you are as soon as saved settings are shown', async () => {
    fakeBackend({ 'GET api/v1/whoami': () => makeWhoami() });
    render(
      <AppConfig {...props({ jsonData: { sidecarUrl: 'http://a:1' }, secureJsonFields: { sidecarToken: true } })} />
    );
    expect(await screen.findByTestId(TEST_IDS.appConfig.identity)).toHaveTextContent('grafana:editor@example.org');
  });

  it("warns when the stored credential is not a grafana delegation token, with the sidecar's own warnings", async () => {
    fakeBackend({
      'GET api/v1/whoami': () =>
        makeWhoami({
          actor: 'ops',
          role: 'admin',
          token: { name: 'ops', role: 'admin' },
          grafana: null,
          ceiling: null,
          warnings: ['this credential is not a grafana delegation token; every Grafana user acts as token ops'],
        }),
    });
    render(
      <AppConfig {...props({ jsonData: { sidecarUrl: 'http://a:1' }, secureJsonFields: { sidecarToken: true } })} />
    );
    expect(await screen.findByText('This credential is not a grafana delegation token')).toBeInTheDocument();
    const identity = screen.getByTestId(TEST_IDS.appConfig.identity);
    expect(identity).toHaveTextContent(/every Grafana user acts as ops with that role/);
    expect(identity).toHaveTextContent(/every Grafana user acts as token ops/);
  });

  it('reports a failed connection', async () => {
    fakeBackend({
      'GET api/v1/status': () => {
        throw new HttpFailure(502, { message: 'bad gateway' });
      },
    });
    render(<AppConfig {...props()} />);
    await userEvent.click(screen.getByRole('button', { name: 'Test connection' }));
    expect(await screen.findByText('Connection failed')).toBeInTheDocument();
    expect(screen.getByText(/bad gateway/)).toBeInTheDocument();
  });
});
