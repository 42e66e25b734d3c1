import { z } from 'zod';
import type { ApiRouter } from '../api/api-router';
import { ApiError } from '../api/errors';
import { stdErrors } from '../api/schemas';
import type { PolicyService } from './policy-service';

const problemSchema = z.object({
  path: z.string().describe('Where in the policy: guardian.rules.2.op, line 4, column 3, (file)'),
  message: z.string(),
  code: z.string(),
});

const ruleSummary = z.object({
  name: z.string(),
  type: z.string(),
  severity: z.string().optional(),
  title: z.string().nullable(),
  reason: z.string().nullable(),
  runbook: z.string().nullable(),
  shadow: z.boolean().optional(),
  playbook: z.array(z.record(z.string(), z.unknown())),
});

const policyViewSchema = z.object({
  version: z.string().describe('Content hash (sha256, 16 hex digits) of the running policy'),
  source: z.object({ kind: z.enum(['file', 'config']), path: z.string().nullable() }),
  loaded_at: z.string(),
  guardian: z.object({
    rules: z.array(ruleSummary),
    playbooks: z.record(z.string(), z.array(z.record(z.string(), z.unknown()))),
  }),
  scheduler: z.object({ policies: z.array(ruleSummary.omit({ severity: true, shadow: true, playbook: true })) }),
  signals: z.record(z.string(), z.record(z.string(), z.unknown())).nullable(),
  text: z.string().nullable().describe('The policy file as loaded (null for the inline config)'),
  warnings: z.array(problemSchema),
  last_error: z
    .object({ at: z.string(), version: z.string(), problems: z.array(problemSchema) })
    .nullable()
    .describe('The last refused change of the file, until a valid one is loaded'),
});

const validateBody = z.strictObject({
  content: z.string().min(1).describe('The policy text, YAML or JSON'),
});

const validResultSchema = z.object({
  valid: z.literal(true),
  version: z.string(),
  guardian_rules: z.number(),
  scheduler_policies: z.number(),
  warnings: z.array(problemSchema),
});

/** GET /api/v1/policy (the running policy) and POST /api/v1/policy/validate (a dry run). */
export function policyRoutes(policy: PolicyService): (api: ApiRouter) => void {
  return (api) => {
    api.add(
      {
        method: 'get',
        path: '/api/v1/policy',
        access: 'viewer',
        summary:
          'The running policy: version, source, when it was loaded, its rules and policies, the last refused change',
        tags: ['policy'],
        responses: { 200: { description: 'running policy', schema: policyViewSchema }, ...stdErrors },
      },
      () => {
        const { running, last_error } = policy.current();
        const doc = running.document;
        return {
          version: running.version,
          source: running.source,
          loaded_at: running.loaded_at,
          guardian: {
            rules: doc.guardian.rules.map((r) => ({
              name: r.name,
              type: r.type,
              severity: r.severity,
              title: r.title ?? null,
              reason: r.reason ?? null,
              runbook: r.runbook ?? null,
              shadow: r.shadow,
              playbook: r.playbook,
            })),
            playbooks: doc.guardian.playbooks,
          },
          scheduler: {
            policies: doc.scheduler.policies.map((p) => ({
              name: p.name,
              type: p.type,
              title: null,
              reason: p.reason ?? null,
              runbook: p.runbook ?? null,
            })),
          },
          signals: doc.signals ?? null,
          text: running.text,
          warnings: running.warnings,
          last_error,
        };
      }
    );
    api.add(
      {
        method: 'post',
        path: '/api/v1/policy/validate',
        access: 'operator',
        summary:
          'Validate a policy text without loading it: 200 with warnings, or 400 policy_invalid listing every problem',
        tags: ['policy'],
        body: validateBody,
        responses: {
          ...stdErrors,
          200: { description: 'the policy is valid', schema: validResultSchema },
          400: {
            description: 'invalid request, or policy_invalid with every problem (path, message, code) in details',
            schema: stdErrors[400].schema,
          },
        },
      },
      ({ body }) => {
        const v = policy.validate(body.content);
        if (!v.ok) {
          const first = v.problems[0]!;
          throw new ApiError(
            'policy_invalid',
            `${first.path}: ${first.message}${v.problems.length > 1 ? ` (and ${v.problems.length - 1} more)` : ''}`,
            v.problems
          );
        }
        return {
          valid: true as const,
          version: v.policy.version,
          guardian_rules: v.policy.document.guardian.rules.length,
          scheduler_policies: v.policy.document.scheduler.policies.length,
          warnings: v.policy.warnings,
        };
      }
    );
  };
}
