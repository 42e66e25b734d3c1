import { TEST_IDS } from '../../src/testIds';
import type { AuditEntry, Page as ApiPage, StatusResponse } from '../../src/api';
import { expect, renderPanel, test } from './fixtures';

/**
 * Grafana holds one `grafana` delegation token. Whatever path a person types in the browser, the harness proxy
 * forwards it by Grafana's own rules (case-sensitive first match, `reqRole` as a first line only), and the sidecar
 * decides from the person's own role in X-Grafana-Context. X-Grafana-User stays off, as in a default Grafana.
 */
const PROXY = '/api/plugin-proxy/lookout-ops-app/';

/** A request made by the page itself, so it carries the browser's session (who is signed in) like any plugin call. */
async function browserFetch(
  page: import('@playwright/test').Page,
  method: string,
  path: string,
  body?: unknown
): Promise<{ status: number; text: string }> {
  return page.evaluate(
    async ([m, p, b]) => {
      const res = await fetch(p, {
        method: m,
        headers: b === undefined ? {} : { 'Content-Type': 'application/json' },
        body: b === undefined ? undefined : JSON.stringify(b),
      });
      return { status: res.status, text: await res.text() };
    },
    [method, path, body] as const
  );
}

test.describe('the Grafana boundary: every person acts as themselves', () => {
  test('a Viewer who types the audit path in upper case is refused by the sidecar', async ({ page, harness }) => {
    await harness.open(page, 'Viewer');
    const canonical = await browserFetch(page, 'GET', `${PROXY}api/v1/audit`);
    expect(canonical.status).toBe(403); // Grafana's own route gate: api/v1/audit is Admin-only.

    const before = harness.server.proxied.length;
    const variant = await browserFetch(page, 'GET', `${PROXY}api/v1/AUDIT`);
    // Grafana's proxy matches case-sensitively, misses the Admin route and forwards this on the Viewer catch-all:
    // the refusal comes from the sidecar, which serves no case variant of any route.
    const forwarded = harness.server.proxied.slice(before).filter((r) => /audit/i.test(r.path));
    expect(forwarded.map((r) => [r.method, r.path, r.status])).toEqual([['GET', 'api/v1/AUDIT', 404]]);
    expect(variant.status).toBe(404);
    expect(JSON.parse(variant.text)).toMatchObject({ error: { code: 'not_found' } });
    expect(variant.text).not.toContain('"items"');
  });

  test("an Editor's kill is audited with the Editor's login, and the Editor cannot release it by any spelling", async ({
    page,
    harness,
  }) => {
    await harness.open(page, 'Editor');
    await renderPanel(page, 'actions', { buttons: ['kill'] });
    await page.getByTestId(TEST_IDS.actionsPanel.button('kill')).click();
    const modal = page.getByTestId(TEST_IDS.actionFlow.modal);
    await modal.getByTestId(TEST_IDS.actionFlow.reason).fill('delegation: the editor stops the workload');
    await modal.getByTestId(TEST_IDS.actionFlow.apply).click();
    await expect(modal.getByTestId(TEST_IDS.actionFlow.status)).toContainText(/status: (applied|verified)/);
    await modal.getByRole('button', { name: 'Close' }).click();

    // The person behind the kill comes from X-Grafana-Context alone (the proxy sends no X-Grafana-User).
    const audit = await harness.sidecarGet<ApiPage<AuditEntry>>('api/v1/audit?action=apply:kill&limit=50');
    const applied = audit.items.find((e) => e.path === '/api/v1/actions/kill/apply' && e.status === 202);
    expect(applied).toMatchObject({
      actor: 'grafana:editor@example.org',
      token: 'grafana',
      token_role: 'grafana',
      grafana_user: 'editor@example.org',
      grafana_org_id: 1,
      grafana_org_role: 'Editor',
      role: 'operator',
      reason: 'delegation: the editor stops the workload',
    });

    // Releasing needs an admin. The canonical apply stops at Grafana's Admin route; the upper-case one slips past
    // it on the Editor catch-all and is refused by the sidecar; planning it is refused by the sidecar's own role check.
    const canonical = await browserFetch(page, 'POST', `${PROXY}api/v1/actions/kill_release/apply`, {
      plan_id: 'any',
      reason: 'editor tries',
    });
    expect(canonical.status).toBe(403);
    const before = harness.server.proxied.length;
    const variant = await browserFetch(page, 'POST', `${PROXY}api/v1/actions/kill_release/APPLY`, {
      plan_id: 'any',
      reason: 'editor tries',
    });
    expect(variant.status).toBe(404);
    const plan = await browserFetch(page, 'POST', `${PROXY}api/v1/actions/kill_release/plan`, {});
    expect(plan.status).toBe(403);
    expect(JSON.parse(plan.text)).toMatchObject({ error: { code: 'forbidden' } });
    const attempts = harness.server.proxied.slice(before).filter((r) => r.path.includes('kill_release'));
    expect(attempts.map((r) => [r.path, r.status])).toEqual([
      ['api/v1/actions/kill_release/APPLY', 404],
      ['api/v1/actions/kill_release/plan', 403],
    ]);
    expect((await harness.sidecarGet<StatusResponse>('api/v1/status')).kill_switch.engaged).toBe(true);

    // An Admin releases it, so later tests see a running workload.
    await harness.open(page, 'Admin');
    await renderPanel(page, 'actions', { buttons: ['kill_release'] });
    await page.getByTestId(TEST_IDS.actionsPanel.button('kill_release')).click();
    await modal.getByTestId(TEST_IDS.actionFlow.reason).fill('delegation: the admin releases');
    await modal.getByTestId(TEST_IDS.actionFlow.apply).click();
    await expect(modal.getByTestId(TEST_IDS.actionFlow.status)).toContainText(/status: (applied|verified)/);
    expect((await harness.sidecarGet<StatusResponse>('api/v1/status')).kill_switch.engaged).toBe(false);
  });
});
