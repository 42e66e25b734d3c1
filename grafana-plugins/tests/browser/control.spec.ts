import type { Page as ApiPage, LookoutEvent, StatusResponse, Task } from '../../src/api';
import { TEST_IDS } from '../../src/testIds';
import { expect, type Harness, renderApp, test } from './fixtures';
import type { Page } from '@playwright/test';

/** Runs the plan → apply dialog that is open: checks the plan shows a change, gives the reason, applies. */
async function applyWithReason(page: Page, reason: string, change: string): Promise<void> {
  const modal = page.getByTestId(TEST_IDS.actionFlow.modal);
  await expect(modal.getByTestId(TEST_IDS.actionFlow.changes)).toContainText(change);
  await expect(modal.getByTestId(TEST_IDS.actionFlow.apply)).toBeDisabled();
  await modal.getByTestId(TEST_IDS.actionFlow.reason).fill(reason);
  await modal.getByTestId(TEST_IDS.actionFlow.apply).click();
  await expect(modal.getByTestId(TEST_IDS.actionFlow.status)).toContainText('status: applied');
  await modal.getByRole('button', { name: 'Close' }).click();
  await expect(modal).toHaveCount(0);
}

async function taskOf(harness: Harness, id: number): Promise<Task> {
  return harness.sidecarGet<Task>(`api/v1/tasks/${id}`);
}

test.describe('controls of the app against the demo sidecar', () => {
  test('an Editor pauses and resumes the scheduler from the overview; the sidecar records who and why', async ({
    page,
    harness,
  }) => {
    await harness.open(page, 'Editor');
    await renderApp(page, 'overview');
    const state = page.getByTestId(TEST_IDS.scheduler.state);
    await expect(state).toHaveAttribute('data-paused', 'false');

    await page.getByTestId(TEST_IDS.scheduler.pause).click();
    await applyWithReason(page, 'harness: maintenance window', 'scheduler.paused');
    await expect(state).toHaveAttribute('data-paused', 'true');
    await expect(state).toContainText('Paused by grafana:editor@example.org');
    await expect(state).toContainText('harness: maintenance window');
    const paused = await harness.sidecarGet<StatusResponse>('api/v1/status');
    expect(paused.scheduler).toMatchObject({
      paused: true,
      actor: 'grafana:editor@example.org',
      reason: 'harness: maintenance window',
    });
    await harness.screenshot(page, 'overview-scheduler-paused', 'dark');

    await page.getByTestId(TEST_IDS.scheduler.resume).click();
    await applyWithReason(page, 'harness: window over', 'scheduler.paused');
    await expect(state).toHaveAttribute('data-paused', 'false');
    expect((await harness.sidecarGet<StatusResponse>('api/v1/status')).scheduler).toMatchObject({
      paused: false,
      actor: 'grafana:editor@example.org',
      reason: 'harness: window over',
    });
  });

  test('a Viewer sees the scheduler and queue controls disabled with the reason, and the proxy refuses them', async ({
    page,
    harness,
  }) => {
    await harness.open(page, 'Viewer');
    await renderApp(page, 'overview');
    await expect(page.getByTestId(TEST_IDS.scheduler.pause)).toBeDisabled();
    await expect(page.getByTestId(TEST_IDS.scheduler.reason)).toHaveText('Requires the Editor role (you are Viewer)');
    await renderApp(page, 'agents');
    await expect(page.getByTestId(TEST_IDS.agentsPage.controlsReason)).toContainText(
      'Requires the Editor role (you are Viewer)'
    );
    await expect(page.getByTestId(TEST_IDS.agentsPage.createTask)).toBeDisabled();
    await harness.screenshot(page, 'agents-viewer', 'dark');
    for (const action of ['scheduler_pause', 'task_requeue', 'agent_drain']) {
      const res = await page.request.post(
        `${harness.server.url}/api/plugin-proxy/lookout-ops-app/api/v1/actions/${action}/plan`,
        { data: {} }
      );
      expect([action, res.status()]).toEqual([action, 403]);
    }
  });

  test('an Editor assigns a task to another agent and requeues it, each through plan → apply', async ({
    page,
    harness,
  }) => {
    // Two agents with the capability; the higher-scored one takes the task first.
    for (const [name, score] of [
      ['harness-first', 10],
      ['harness-second', 1],
    ] as const) {
      await harness.sidecarSend('POST', 'api/v1/agents', {
        name,
        capabilities: ['harness-queue'],
        priority_score: score,
        heartbeat_window_s: 600,
      });
    }
    const created = await harness.sidecarSend<Task>('POST', 'api/v1/tasks', {
      title: 'harness: reindex',
      required_capabilities: ['harness-queue'],
    });
    await expect.poll(async () => (await taskOf(harness, created.id)).agent).toBe('harness-first');

    await harness.open(page, 'Editor');
    await renderApp(page, 'agents');
    const row = page.getByTestId(TEST_IDS.agentsPage.taskRow(created.id));
    await expect(row).toContainText('harness-first');

    // Assign: choose the other agent, then plan → apply.
    await row.getByTestId(TEST_IDS.agentsPage.assign(created.id)).click();
    const chooser = page.getByTestId(TEST_IDS.agentsPage.assignModal);
    await chooser.getByRole('combobox').click();
    await chooser.getByRole('combobox').fill('harness-second');
    await page.getByRole('option', { name: /harness-second/ }).click();
    await chooser.getByTestId(TEST_IDS.agentsPage.assignPlan).click();
    await applyWithReason(page, 'harness: first is overloaded', 'task.agent');
    expect((await taskOf(harness, created.id)).agent).toBe('harness-second');
    await expect(row).toContainText('harness-second');

    // Requeue: taken from its agent and put back in the queue.
    await row.getByTestId(TEST_IDS.agentsPage.requeue(created.id)).click();
    await applyWithReason(page, 'harness: start over', 'task.agent');
    const requeued = (
      await harness.sidecarGet<ApiPage<LookoutEvent>>(
        `api/v1/feeds/agents?kind=task.requeued&subject=task/${created.id}`
      )
    ).items[0];
    expect(requeued).toMatchObject({
      actor: 'grafana:editor@example.org',
      data: { from: 'assigned', reason: 'harness: start over', agent: 'harness-second' },
    });
    expect((await taskOf(harness, created.id)).requeues).toBeGreaterThanOrEqual(2);
    await harness.screenshot(page, 'agents-tasks', 'dark');

    for (const name of ['harness-first', 'harness-second'])
      await harness.sidecarSend('DELETE', `api/v1/agents/${name}`);
  });
});
