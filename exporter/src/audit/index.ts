export { AuditLog, auditActionOf } from './audit-log';
export type { AuditEntry, AuditQuery } from './audit-log';
export { auditRoutes } from './audit-router';
