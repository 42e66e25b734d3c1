import type { Migration } from './index';

/**
 * The audit log names the person behind every control call: the token's role, and for a grafana
 * delegation token the Grafana org and org role (the login goes in `grafana_user`, which until now
 * held the unverified `X-Grafana-User` header). `role` is the effective role the call acted with.
 */
export const migration005AuditIdentity: Migration = {
  version: 5,
  name: 'audit log: token role, Grafana org id and org role',
  sql: `
ALTER TABLE audit_log ADD COLUMN token_role TEXT;
ALTER TABLE audit_log ADD COLUMN grafana_org_id INTEGER;
ALTER TABLE audit_log ADD COLUMN grafana_org_role TEXT;
CREATE INDEX audit_log_actor ON audit_log (actor, seq);
`,
};
