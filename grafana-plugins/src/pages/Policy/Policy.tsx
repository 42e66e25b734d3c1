import React, { useState } from 'react';
import { PluginPage } from '@grafana/runtime';
import { Alert, Badge, Button, Collapse, LoadingPlaceholder, TextArea, TextLink, useStyles2 } from '@grafana/ui';
import {
  LookoutApiError,
  type PolicyProblem,
  type PolicyResponse,
  type PolicyRule,
  type PolicyValidation,
} from '../../api';
import { ProblemsTable } from '../../components/ProblemsTable';
import { useLookoutApi } from '../../hooks/useNodeScope';
import { currentOrgRole, hasRole } from '../../data/roles';
import { timeAgo } from '../../data/format';
import { useAsync } from '../../hooks/useAsync';
import { TEST_IDS } from '../../testIds';
import { getStyles } from './Policy.styles';

/** `kill_switch → pause_scheduler → playbook halt`: what a rule does when it fires. */
function stepsOf(rule: PolicyRule): string {
  return (
    rule.playbook
      .map((s) =>
        s['do'] === 'playbook' || s['do'] === 'action'
          ? `${s['do']} ${String(s['name'] ?? s['action'])}`
          : String(s['do'])
      )
      .join(' → ') || '—'
  );
}

function Runbook({ href }: { href: string | null }): React.JSX.Element {
  return href ? (
    <TextLink href={href} external>
      runbook
    </TextLink>
  ) : (
    <>—</>
  );
}

function Validator(): React.JSX.Element {
  const lookoutApi = useLookoutApi();
  const s = useStyles2(getStyles);
  const [content, setContent] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: PolicyValidation } | { problems: PolicyProblem[]; message: string }>();

  const validate = async (): Promise<void> => {
    setBusy(true);
    setResult(undefined);
    try {
      setResult({ ok: await lookoutApi.validatePolicy(content) });
    } catch (e) {
      const err = e as LookoutApiError;
      const problems =
        err.code === 'policy_invalid' && Array.isArray(err.details) ? (err.details as PolicyProblem[]) : [];
      setResult({ problems, message: err.message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className={s.section} aria-label="Check a change">
      <h3 className={s.heading}>Check a change</h3>
      <p className={s.muted}>
        Paste a policy (YAML or JSON) to validate it against this sidecar. Nothing is loaded: save the file on the
        sidecar&apos;s host and it reloads by itself.
      </p>
      <TextArea
        className={s.editor}
        data-testid={TEST_IDS.policy.validateInput}
        aria-label="Policy text"
        value={content}
        onChange={(e) => setContent(e.currentTarget.value)}
        rows={10}
      />
      <div className={s.toolbar}>
        <Button onClick={validate} disabled={busy || content.trim() === ''} icon="check">
          Validate
        </Button>
      </div>
      <div data-testid={TEST_IDS.policy.validateResult}>
        {result && 'ok' in result && (
          <Alert
            severity={result.ok.warnings.length ? 'warning' : 'success'}
            title={`Valid: version ${result.ok.version}`}
          >
            {result.ok.guardian_rules} guardian rules, {result.ok.scheduler_policies} scheduler policies
            {result.ok.warnings.length > 0 && <ProblemsTable problems={result.ok.warnings} label="Warnings" />}
          </Alert>
        )}
        {result && 'problems' in result && (
          <Alert severity="error" title="Not valid">
            {result.problems.length ? <ProblemsTable problems={result.problems} label="Problems" /> : result.message}
          </Alert>
        )}
      </div>
    </section>
  );
}

function Running({ policy }: { policy: PolicyResponse }): React.JSX.Element {
  const s = useStyles2(getStyles);
  const [showText, setShowText] = useState(false);
  const { source, last_error: lastError } = policy;
  return (
    <>
      <section className={s.section} aria-label="Running policy" data-testid={TEST_IDS.policy.summary}>
        <div className={s.stats}>
          <div className={s.stat}>
            <span>Version</span>
            <strong className={s.version}>{policy.version}</strong>
          </div>
          <div className={s.stat}>
            <span>Source</span>
            <strong>{source.kind === 'file' ? 'policy file' : 'sidecar config'}</strong>
          </div>
          <div className={s.stat}>
            <span>Loaded</span>
            <strong title={policy.loaded_at}>{timeAgo(policy.loaded_at)}</strong>
          </div>
          <div className={s.stat}>
            <span>Rules / policies</span>
            <strong>
              {policy.guardian.rules.length} / {policy.scheduler.policies.length}
            </strong>
          </div>
        </div>
        {source.path && (
          <p className={s.muted}>
            File: <span className={s.mono}>{source.path}</span>
          </p>
        )}
      </section>
      {lastError && (
        <div data-testid={TEST_IDS.policy.lastError}>
          <Alert
            severity="error"
            title={`The last change of the policy file was refused (${timeAgo(lastError.at)}); version ${policy.version} keeps running`}
          >
            <ProblemsTable problems={lastError.problems} label="Refused change" />
          </Alert>
        </div>
      )}
      {policy.warnings.length > 0 && (
        <Alert severity="warning" title="Warnings">
          <ProblemsTable problems={policy.warnings} label="Warnings" />
        </Alert>
      )}
      <section className={s.section} aria-label="Guardian rules" data-testid={TEST_IDS.policy.rules}>
        <h3 className={s.heading}>Guardian rules</h3>
        {policy.guardian.rules.length === 0 ? (
          <p className={s.muted}>No guardian rules: nothing is watched.</p>
        ) : (
          <table className={s.table}>
            <thead>
              <tr>
                <th>Rule</th>
                <th>Type</th>
                <th>Severity</th>
                <th>Playbook</th>
                <th>Why</th>
                <th>Runbook</th>
              </tr>
            </thead>
            <tbody>
              {policy.guardian.rules.map((r) => (
                <tr key={r.name}>
                  <td className={s.mono}>
                    {r.name} {r.shadow && <Badge text="shadow" color="blue" />}
                  </td>
                  <td>{r.type}</td>
                  <td>
                    <Badge text={r.severity ?? 'warning'} color={r.severity === 'critical' ? 'red' : 'orange'} />
                  </td>
                  <td className={s.steps}>{stepsOf(r)}</td>
                  <td className={s.reason}>{r.reason ?? r.title ?? '—'}</td>
                  <td>
                    <Runbook href={r.runbook} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section className={s.section} aria-label="Scheduler policies" data-testid={TEST_IDS.policy.policies}>
        <h3 className={s.heading}>Scheduler policies</h3>
        {policy.scheduler.policies.length === 0 ? (
          <p className={s.muted}>No scheduler policies: nothing is decided automatically.</p>
        ) : (
          <table className={s.table}>
            <thead>
              <tr>
                <th>Policy</th>
                <th>Type</th>
                <th>Why</th>
                <th>Runbook</th>
              </tr>
            </thead>
            <tbody>
              {policy.scheduler.policies.map((p) => (
                <tr key={p.name}>
                  <td className={s.mono}>{p.name}</td>
                  <td>{p.type}</td>
                  <td className={s.reason}>{p.reason ?? '—'}</td>
                  <td>
                    <Runbook href={p.runbook} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {policy.text !== null && (
        <Collapse label="Policy file" isOpen={showText} onToggle={() => setShowText(!showText)}>
          <pre className={s.text} data-testid={TEST_IDS.policy.text}>
            {policy.text}
          </pre>
        </Collapse>
      )}
    </>
  );
}

/** The running safety policy: its version and source, rules and policies with reason and runbook, and a dry run. */
export function Policy(): React.JSX.Element {
  const lookoutApi = useLookoutApi();
  const policy = useAsync(() => lookoutApi.policy(), [], { intervalMs: 15_000 });
  const canValidate = hasRole(currentOrgRole(), 'Editor');
  return (
    <PluginPage>
      <div data-testid={TEST_IDS.pages.policy}>
        {policy.error && (
          <Alert severity="error" title="Cannot load the policy">
            {policy.error.message}
          </Alert>
        )}
        {!policy.value && !policy.error && <LoadingPlaceholder text="Loading the policy…" />}
        {policy.value && <Running policy={policy.value} />}
        {canValidate && <Validator />}
      </div>
    </PluginPage>
  );
}

export default Policy;
