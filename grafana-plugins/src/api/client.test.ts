import { createLookoutApi, proxyUrl, scopedPath } from './client';

describe('the sidecar API of one fleet node', () => {
  it('reaches a node’s own routes through the hub’s forward', () => {
    expect(scopedPath('api/v1/status', 'trader-1')).toBe('api/v1/fleet/nodes/trader-1/api/v1/status');
    expect(scopedPath('/api/v1/status', null)).toBe('api/v1/status');
    expect(proxyUrl('api/v1/stream', { feeds: 'all' }, 'trader-1')).toBe(
      '/api/plugin-proxy/lookout-ops-app/api/v1/fleet/nodes/trader-1/api/v1/stream?feeds=all'
    );
  });

  it('builds the image and stream URLs of that node too', () => {
    const api = createLookoutApi('trader-1');
    expect(api.imageUrl({ id: 'i1', url: 'api/v1/artifacts/calibration/i1/image' })).toBe(
      '/api/plugin-proxy/lookout-ops-app/api/v1/fleet/nodes/trader-1/api/v1/artifacts/calibration/i1/image'
    );
    expect(api.streamUrl(['guardian'])).toBe(
      '/api/plugin-proxy/lookout-ops-app/api/v1/fleet/nodes/trader-1/api/v1/stream?feeds=guardian'
    );
  });

  it('refuses a path a node cannot be reached at', () => {
    expect(() => scopedPath('metrics', 'trader-1')).toThrow('only api/v1/ routes reach a node through the hub');
  });
});
