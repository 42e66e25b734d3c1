import React, { useEffect, useState } from 'react';
import { lastValueFrom } from 'rxjs';
import type { AppPluginMeta, PluginConfigPageProps, PluginMeta } from '@grafana/data';
import { getBackendSrv } from '@grafana/runtime';
import { Alert, Button, Field, FieldSet, Input, SecretInput, useStyles2 } from '@grafana/ui';
import { lookoutApi, type StatusResponse, type WhoamiResponse } from '../../api';
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
  const [me, setMe] = useState<{ who?: WhoamiResponse; error?: string }>({});
  // Settings already saved: ask the sidecar at once who it thinks you are (through the stored credential).
  const configured = Boolean(enabled && jsonData?.sidecarUrl && secureJsonFields?.sidecarToken);
  useEffect(() => {
    if (!configured) {
      return;
    }
    let live = true;
    lookoutApi.whoami().then(
      (who) => live && setMe({ who }),
      (err: Error) => live && setMe({ error: err.message })
    );
    return () => {
      live = false;
    };
  }, [configured]);

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
      const [ok, who] = await Promise.all([lookoutApi.status(), lookoutApi.whoami()]);
      setTest({ ok });
      setMe({ who });
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
              Version <strong>{test.ok.version}</strong> on node <strong>{test.ok.node}</strong>.
            </Alert>
          )}
          {test.error && (
            <Alert severity="error" title="Connection failed">
              {test.error}. Save the settings first; the test uses the stored URL and token.
            </Alert>
          )}
        </div>
        {me.who && <Identity who={me.who} />}
        {me.error && !test.error && (
          <Alert severity="warning" title="The sidecar did not say who you are">
            {me.error}
          </Alert>
        )}
      </FieldSet>
    </form>
  );
}

export default AppConfig;

/** Who the sidecar thinks the signed-in user is, and whether the stored credential lets it tell users apart. */
function Identity({ who }: { who: WhoamiResponse }): React.JSX.Element {
  const s = useStyles2(getStyles);
  const g = who.grafana;
  return (
    <div className={s.result} data-testid={TEST_IDS.appConfig.identity}>
      {g ? (
        <Alert severity="info" title="Who the sidecar thinks you are">
          <strong>{who.actor}</strong>, acting as <strong>{who.role}</strong>: Grafana {g.org_role} in org {g.org_id}
          {g.is_grafana_admin ? ' (server admin)' : ''} through the delegation token <strong>{who.token.name}</strong>
          {who.ceiling ? `, capped at ${who.ceiling}` : ''}. ID token: {ID_TOKEN_STATES[g.id_token]}.
        </Alert>
      ) : (
        <Alert severity="warning" title="This credential is not a grafana delegation token">
          The stored token is <strong>{who.token.name}</strong> with role <strong>{who.token.role}</strong>: every
          Grafana user acts as <strong>{who.actor}</strong> with that role, and the audit log cannot name the person.
          Give Grafana a token with role <code>grafana</code> on the sidecar (<code>LOOKOUT_TOKENS</code>, e.g.{' '}
          <code>grafana:grafana:&lt;secret&gt;</code>) so each user acts as themselves, with their own Grafana role.
        </Alert>
      )}
      {who.warnings.length > 0 && (
        <Alert severity="warning" title="The sidecar warns about this credential">
          <ul>
            {who.warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        </Alert>
      )}
    </div>
  );
}

const ID_TOKEN_STATES: Record<NonNullable<WhoamiResponse['grafana']>['id_token'], string> = {
  verified: "verified against Grafana's signing keys",
  absent: 'not sent by Grafana',
  not_configured: 'not checked (no Grafana URL configured on the sidecar)',
};

async function updatePlugin(pluginId: string, data: Partial<PluginMeta>): Promise<unknown> {
  return lastValueFrom(
    getBackendSrv().fetch({ url: `/api/plugins/${pluginId}/settings`, method: 'POST', data, showErrorAlert: false })
  );
}
