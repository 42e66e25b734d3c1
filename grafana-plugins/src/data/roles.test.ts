import { setOrgRole } from '../test/backend';
import { actionAvailability, currentOrgRole, hasRole, roleAvailability } from './roles';

describe('roles', () => {
  it('reads the org role from Grafana boot data', () => {
    setOrgRole('Editor');
    expect(currentOrgRole()).toBe('Editor');
  });

  it('orders roles', () => {
    expect(hasRole('Admin', 'Editor')).toBe(true);
    expect(hasRole('Viewer', 'Editor')).toBe(false);
  });

  it('says which role a write needs and which one the user has', () => {
    expect(roleAvailability('Viewer', 'Editor')).toEqual({
      enabled: false,
      reason: 'Requires the Editor role (you are Viewer)',
    });
    expect(roleAvailability('Admin', 'Editor')).toEqual({ enabled: true });
  });

  describe('actionAvailability', () => {
    it('forbids everything to a Viewer', () => {
      expect(actionAvailability('kill', 'Viewer', false)).toEqual({
        enabled: false,
        reason: expect.stringContaining('Editor'),
      });
    });
    it('forbids admin actions to an Editor', () => {
      expect(actionAvailability('flush_guardrails', 'Editor', false).enabled).toBe(false);
      expect(actionAvailability('retrain', 'Editor', false).enabled).toBe(true);
    });
    it('allows only kill_release while engaged, and not kill_release while released', () => {
      expect(actionAvailability('kill', 'Admin', true).enabled).toBe(false);
      expect(actionAvailability('kill_release', 'Admin', true).enabled).toBe(true);
      expect(actionAvailability('kill_release', 'Admin', false).reason).toBe('Kill switch is not engaged');
    });
    it('is disabled while the state is unknown', () => {
      expect(actionAvailability('kill', 'Admin', undefined).enabled).toBe(false);
    });
  });
});
