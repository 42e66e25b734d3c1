import type { LookoutEvent } from '../../../api';
import { makeEvent } from '../../../test/fixtures';
import { annotationOf } from './annotationText';

const event = (over: Partial<LookoutEvent>): LookoutEvent =>
  makeEvent({ source: 'actions', kind: 'action.applied', subject: 'a1', ...over });

describe('annotationOf', () => {
  it('says which action, who applied it and why', () => {
    const a = annotationOf(
      event({
        kind: 'action.applied',
        actor: 'grafana:erin',
        data: { action: 'retrain', status: 'applied', reason: 'drift high since 10:00' },
      })
    );
    expect(a).toEqual({
      title: 'retrain applied',
      text: 'retrain applied — by grafana:erin: drift high since 10:00',
      tags: ['actions', 'action.applied', 'info'],
    });
  });

  it('names the incident and the rule that opened it', () => {
    const a = annotationOf(
      event({ source: 'guardian', kind: 'incident.opened', severity: 'critical', data: { title: 'drift above 0.3' } })
    );
    expect(a.text).toBe('incident opened: drift above 0.3 — by guardian');
  });

  it('tells a kill by the guardian from one by a person', () => {
    const byGuardian = annotationOf(
      event({
        source: 'guardian',
        kind: 'kill_switch.engaged',
        actor: 'guardian',
        data: { reason: 'critical incident' },
      })
    );
    expect(byGuardian.text).toBe('kill switch engaged — by guardian: critical incident');
  });

  it('shows a scheduler decision with its verdict, action and reason', () => {
    const a = annotationOf(
      event({
        source: 'scheduler',
        kind: 'decision.made',
        data: {
          policy: 'drift-retrain',
          verdict: 'blocked',
          action: 'retrain',
          reason: 'paused: the scheduler is paused',
        },
      })
    );
    expect(a.text).toBe('drift-retrain: blocked → retrain — by scheduler: paused: the scheduler is paused');
  });

  it('shows a dead-lettered task with its last error', () => {
    const a = annotationOf(
      event({ source: 'agents', kind: 'task.dead_lettered', data: { task_id: 7, last_error: 'bad input' } })
    );
    expect(a.text).toBe('task 7 dead lettered — by agents: bad input');
  });
});
