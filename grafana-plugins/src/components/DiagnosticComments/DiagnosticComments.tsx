import React, { useState } from 'react';
import { Alert, Badge, Button, TextArea, useStyles2 } from '@grafana/ui';
import { type DiagnosticComment, diagnosticsApi } from '../../api';
import type { Availability } from '../../data/roles';
import { TEST_IDS } from '../../testIds';
import { getStyles } from './DiagnosticComments.styles';

export interface DiagnosticCommentsProps {
  diagnosticId: string;
  comments: DiagnosticComment[];
  /** Whether the user may comment (Editor), and why not. */
  write: Availability;
  onAdded: (comment: DiagnosticComment) => void;
}

/** The conversation on a diagnostic (people's and the guardian's notes), oldest first, and a box to add to it. */
export function DiagnosticComments({
  diagnosticId,
  comments,
  write,
  onAdded,
}: DiagnosticCommentsProps): React.JSX.Element {
  const s = useStyles2(getStyles);
  const [body, setBody] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const submit = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      onAdded(await diagnosticsApi.comment(diagnosticId, body.trim()));
      setBody('');
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div data-testid={TEST_IDS.diagnostics.comments}>
      {comments.length === 0 ? (
        <p className={s.system}>No comments yet.</p>
      ) : (
        <ul className={s.list} aria-label="Comments">
          {comments.map((c) => (
            <li key={c.id} className={s.item}>
              <div className={s.meta}>
                <strong>{c.author}</strong>
                <span title={c.ts}>{c.ts.replace('T', ' ').slice(0, 16)}</span>
                {c.kind === 'system' && <Badge text="system" color="darkgrey" />}
              </div>
              <p className={c.kind === 'system' ? `${s.body} ${s.system}` : s.body}>{c.body}</p>
            </li>
          ))}
        </ul>
      )}
      <div className={s.form}>
        {error && (
          <Alert severity="error" title="Cannot add the comment">
            {error}
          </Alert>
        )}
        <TextArea
          aria-label="Comment"
          rows={3}
          placeholder={write.enabled ? 'Add a comment' : write.reason}
          disabled={!write.enabled}
          value={body}
          onChange={(e) => setBody(e.currentTarget.value)}
        />
        <div className={s.actions}>
          <Button
            size="sm"
            disabled={!write.enabled || busy || !body.trim()}
            tooltip={write.enabled ? undefined : write.reason}
            onClick={submit}
          >
            Add comment
          </Button>
        </div>
      </div>
    </div>
  );
}
