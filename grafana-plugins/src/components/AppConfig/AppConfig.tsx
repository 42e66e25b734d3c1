import React, { useState } from 'react';
import { lastValueFrom } from 'rxjs';
import type { AppPluginMeta, PluginConfigPageProps, PluginMeta } from '@grafana/data';
import { getBackendSrv } from '@grafana/runtime';
import { Alert, Button, Field, FieldSet, Input, SecretInput, useStyles2 } from '@grafana/ui';
import { lookoutApi, type StatusResponse } from '../../api';
import { TEST_IDS } from '../../testIds';
import { getStyles } from './AppConfig.styles';

export interface LookoutJsonData {
  sidecarUrl?: string;
}

export interface AppConfigProps extends PluginConfigPageProps<AppPluginMeta<LookoutJsonData>> {}

/** Where the sidecar lives and the token Grafana's proxy sends to it. The token is write-only. */
export function AppConfig({ plugin }: AppConfigProps): React.JSX.Element {
  const s = useStyles2(getStyles);
  const { enabled, pinned, jsonData, secureJsonFields } = plugin.meta;
  const [sidecarUrl, setSidecarUrl] = useState(jsonData?.sidecarUrl ?? '');
  const [token, setToken] = useState('');
  const [tokenSet, setTokenSet] = useState(Boolean(secureJsonFields?.sidecarToken));
  const [saveError, setSaveError] = useState<string>();
  const [saving, setSaving] = useState(false);
  const [test, setTest] = useState<{ ok?: StatusResponse; error?: string; running?: boolean }>({});

  const urlValid = /^https?:\/\/[^\s/]+/.test(sidecarUrl.trim());
  const canSave = urlValid && (tokenSet || token.length > 0) && !saving;

  const onSubmit = async (e: React.SyntheticEvent): Promise<void> => {
    e.preventDefault();
    if (!canSave) {
      return;
    }
    setSaving(true);
    setSaveError(undefined);
    try {
      await updatePlugin(plugin.meta.id, {
        enabled,
        pinned,
        jsonData: { sidecarUrl: sidecarUrl.trim().replace(/\/+$/, '') },
        // Only send the token when it was (re)entered; the stored one cannot be read back.
        secureJsonData: tokenSet ? undefined : { sidecarToken: token },
      });
      // The proxy and the app read settings at load; a reload is the supported way to apply them.
      window.location.reload();
    } catch (err) {
      setSaveError((err as { data?: { message?: string } }).data?.message ?? (err as Error).message ?? 'Save failed');
    } finally {
      setSaving(false);
    }
  };

  const onTest = async (): Promise<void> => {
    setTest({ running: true });
    try {
      setTest({ ok: await lookoutApi.status() });
    } catch (err) {
      setTest({ error: (err as Error).message });
    }
  };

  return (
    <form onSubmit={onSubmit}>
      <FieldSet label="Lookout sidecar">
        <Field
          label="Sidecar URL"
          description="Base URL of the Lookout sidecar as Grafana's server reaches it, e.g. http://lookout:9469"
          invalid={sidecarUrl !== '' && !urlValid}
          error="Use an http(s) URL"
        >
          <Input
            width={60}
            id="lookout-sidecar-url"
            data-testid={TEST_IDS.appConfig.sidecarUrl}
            value={sidecarUrl}
            placeholder="http://lookout:9469"
            onChange={(e) => setSidecarUrl(e.currentTarget.value)}
          />
        </Field>
        <Field
          label="Sidecar token"
          description="Bearer token Grafana's proxy adds to every call. Stored encrypted; never sent to browsers."
        >
          <SecretInput
            width={60}
            id="lookout-sidecar-token"
            data-testid={TEST_IDS.appConfig.token}
            value={token}
            isConfigured={tokenSet}
            placeholder="Token (name:role:secret is configured on the sidecar)"
            onChange={(e) => setToken(e.currentTarget.value.trim())}
            onReset={() => {
              setToken('');
              setTokenSet(false);
            }}
          />
        </Field>
        {saveError && (
          <Alert severity="error" title="Could not save settings">
            {saveError}
          </Alert>
        )}
        <div className={s.row}>
          <Button type="submit" data-testid={TEST_IDS.appConfig.save} disabled={!canSave}>
            Save settings
          </Button>
          <Button
            type="button"
            variant="secondary"
            data-testid={TEST_IDS.appConfig.test}
            onClick={onTest}
            disabled={test.running}
          >
            {test.running ? 'Testing…' : 'Test connection'}
          </Button>
        </div>
        <div className={s.result} data-testid={TEST_IDS.appConfig.testResult}>
          {test.ok && (
            <Alert severity="success" title="Connected to the sidecar">
              Version <strong>{test.ok.version}</strong> on node <strong>{test.ok.node}</strong>; the token acts as{' '}
              <strong>{test.ok.auth?.role}</strong> ({test.ok.auth?.token}).
            </Alert>
          )}
          {test.error && (
            <Alert severity="error" title="Connection failed">
              {test.error}. Save the settings first; the test uses the stored URL and token.
            </Alert>
          )}
        </div>
      </FieldSet>
    </form>
  );
}

export default AppConfig;

async function updatePlugin(pluginId: string, data: Partial<PluginMeta>): Promise<unknown> {
  return lastValueFrom(
    getBackendSrv().fetch({ url: `/api/plugins/${pluginId}/settings`, method: 'POST', data, showErrorAlert: false })
  );
}
