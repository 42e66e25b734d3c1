import { getBackendSrv } from '@grafana/runtime';
import { lastValueFrom } from 'rxjs';
import { lookoutApi, proxyUrl } from '../api';
import { fakeBackend } from './backend';
import { contractProblems, routeOf, takeViolations } from './contract';
import { makeEvent, makeIncident, makeStatus } from './fixtures';

describe('test data is checked against docs/openapi.json', () => {
  it('refuses a fixture with a field the sidecar never sends', () => {
    // The Incidents page once rendered `note` and `actor`, which the sidecar does not send.
    expect(() => makeIncident('inc-1', { note: 'looking' } as never)).toThrow(
      /must NOT have additional properties \(note\)/
    );
  });

  it('refuses a fixture that lacks a field the sidecar always sends', () => {
    expect(() => makeIncident('inc-1', { ack_note: undefined })).toThrow(/must have required property 'ack_note'/);
  });

  it('refuses a value outside an enum of the contract', () => {
    expect(() => makeEvent({ severity: 'fatal' as never })).toThrow(
      /severity must be equal to one of the allowed values/
    );
  });

  it('accepts the sections the status leaves open, and checks the ones the plugins read', () => {
    expect(() => makeStatus({ bus: { connected: true } } as never)).not.toThrow();
    expect(() => makeStatus({ kill_switch: { engaged: 'yes' } as never })).toThrow(/kill_switch/);
  });

  it('maps a concrete path to its route, literal segments first', () => {
    expect(routeOf('GET', 'api/v1/diagnostics/analytics')).toBe('GET /api/v1/diagnostics/analytics');
    expect(routeOf('GET', 'api/v1/diagnostics/D-1')).toBe('GET /api/v1/diagnostics/{id}');
    expect(routeOf('POST', 'api/v1/status')).toBeUndefined();
    expect(contractProblems({ items: [], next_cursor: null }, 'GET /api/v1/incidents')).toEqual([]);
  });

  it('reports a fake-backend answer the sidecar could not send', async () => {
    fakeBackend({ 'GET api/v1/incidents': () => ({ items: [] }) });
    await lookoutApi.incidents();
    expect(takeViolations()).toEqual([
      "fake answer to GET api/v1/incidents is not what the sidecar sends: (root) must have required property 'next_cursor'",
    ]);
  });

  it('reports a call to a route the sidecar does not have', async () => {
    fakeBackend({ 'GET api/v1/nope': () => ({}) });
    await lastValueFrom(getBackendSrv().fetch({ url: proxyUrl('api/v1/nope') }));
    expect(takeViolations()).toEqual(['GET api/v1/nope: no such route in docs/openapi.json']);
  });
});
