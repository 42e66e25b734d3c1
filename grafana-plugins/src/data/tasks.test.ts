import { makeAgent, makeTask } from '../test/fixtures';
import { timeUntil } from './format';
import { assignableAgents, failuresText, taskControls } from './tasks';

describe('task controls', () => {
  it('offers assignment for queued and assigned tasks only', () => {
    expect(taskControls(makeTask(1, { status: 'queued' })).assign).toBe(true);
    expect(taskControls(makeTask(1, { status: 'assigned', agent: 'a' })).assign).toBe(true);
    expect(taskControls(makeTask(1, { status: 'in_progress', agent: 'a' })).assign).toBe(false);
    expect(taskControls(makeTask(1, { status: 'dead_letter' })).assign).toBe(false);
  });

  it('offers a requeue for dead letters, held tasks and tasks waiting out a retry', () => {
    expect(taskControls(makeTask(1, { status: 'dead_letter', failures: 3 })).requeue).toBe(true);
    expect(taskControls(makeTask(1, { status: 'in_progress', agent: 'a' })).requeue).toBe(true);
    expect(taskControls(makeTask(1, { status: 'queued', retry_at: '2026-11-21T12:01:00.000Z' })).requeue).toBe(true);
    expect(taskControls(makeTask(1, { status: 'queued' })).requeue).toBe(false);
    expect(taskControls(makeTask(1, { status: 'done' })).requeue).toBe(false);
  });

  it('offers a cancel until the task ended', () => {
    expect(taskControls(makeTask(1, { status: 'dead_letter' })).cancel).toBe(true);
    expect(taskControls(makeTask(1, { status: 'done' })).cancel).toBe(false);
    expect(taskControls(makeTask(1, { status: 'cancelled' })).cancel).toBe(false);
  });

  it('says how many attempts failed of how many allowed', () => {
    expect(failuresText(makeTask(1, { failures: 2, max_attempts: 3 }))).toBe('2 of 3 failed');
    expect(failuresText(makeTask(1))).toBe('');
  });

  it('hands tasks only to agents that can take them', () => {
    const agents = [
      makeAgent('ok'),
      makeAgent('drained', { draining: true }),
      makeAgent('gone', { status: 'down' }),
      makeAgent('away', { status: 'offline' }),
    ];
    expect(assignableAgents(agents).map((a) => a.name)).toEqual(['ok']);
  });
});

describe('timeUntil', () => {
  it('says how long until a retry, and "now" once it is due', () => {
    const now = Date.parse('2026-11-21T12:00:00.000Z');
    expect(timeUntil('2026-11-21T12:00:42.000Z', now)).toBe('in 42s');
    expect(timeUntil('2026-11-21T12:05:00.000Z', now)).toBe('in 5m');
    expect(timeUntil('2026-11-21T11:59:00.000Z', now)).toBe('now');
  });
});
