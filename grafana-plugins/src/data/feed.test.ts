import { makeEvent } from '../test/fixtures';
import { decisionIdOf, diagnosticIdOf, filterBySeverity, incidentIdOf, mergeEvents, parseEventData } from './feed';

describe('feed transforms', () => {
  it('merges newest first, drops duplicates and caps the length', () => {
    const a = makeEvent({ id: 'A', ts: '2026-01-01T00:00:01Z' });
    const b = makeEvent({ id: 'B', ts: '2026-01-01T00:00:02Z' });
    const c = makeEvent({ id: 'C', ts: '2026-01-01T00:00:03Z' });
    expect(mergeEvents([a], [c, b, a], 10).map((e) => e.id)).toEqual(['C', 'B', 'A']);
    expect(mergeEvents([a], [c, b], 2).map((e) => e.id)).toEqual(['C', 'B']);
  });

  it('keeps the same array when nothing is new', () => {
    const cur = [makeEvent({ id: 'A' })];
    expect(mergeEvents(cur, [cur[0]!], 10)).toBe(cur);
  });

  it('filters by minimum severity', () => {
    const evs = ['debug', 'info', 'warning', 'critical'].map((s) => makeEvent({ severity: s as 'info' }));
    expect(filterBySeverity(evs, 'warning').map((e) => e.severity)).toEqual(['warning', 'critical']);
    expect(filterBySeverity(evs, 'debug')).toHaveLength(4);
  });

  it('finds incident and decision ids', () => {
    expect(incidentIdOf(makeEvent({ kind: 'incident.opened', data: { incident_id: 'i1' } }))).toBe('i1');
    expect(incidentIdOf(makeEvent({ kind: 'file.changed' }))).toBeUndefined();
    expect(decisionIdOf(makeEvent({ source: 'scheduler', kind: 'decision.made', data: { decision_id: 'd1' } }))).toBe(
      'd1'
    );
  });

  it('finds the diagnostic an event concerns', () => {
    const linked = makeEvent({
      source: 'diagnostics',
      kind: 'diagnostic.incident_linked',
      data: { diagnostic_id: 'D-12', incident_id: 'inc-1' },
    });
    expect(diagnosticIdOf(linked)).toBe('D-12');
    expect(diagnosticIdOf(makeEvent({ data: { diagnostic_id: 12 } }))).toBeUndefined();
    expect(diagnosticIdOf(makeEvent({ data: {} }))).toBeUndefined();
  });

  it('parses SSE data and rejects frames that are not events', () => {
    expect(parseEventData(JSON.stringify(makeEvent({ id: 'X' })))?.id).toBe('X');
    expect(parseEventData('not json')).toBeUndefined();
    expect(parseEventData('{"hello":1}')).toBeUndefined();
  });
});
