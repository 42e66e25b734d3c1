import { nodeChoiceLabel, resolveNodeChoice, singleNode } from './nodeChoice';

describe('a panel’s node option', () => {
  it('is the sidecar itself when empty or when a variable was not replaced', () => {
    expect(resolveNodeChoice('')).toEqual({ kind: 'self' });
    expect(resolveNodeChoice(undefined)).toEqual({ kind: 'self' });
    expect(resolveNodeChoice('$node')).toEqual({ kind: 'self' });
    expect(resolveNodeChoice('${node:csv}')).toEqual({ kind: 'self' });
  });

  it('is one node when the variable holds one name', () => {
    expect(resolveNodeChoice(' trader-1 ')).toEqual({ kind: 'node', node: 'trader-1' });
    expect(singleNode(resolveNodeChoice('trader-1'))).toBe('trader-1');
  });

  it('is several nodes for a multi-value variable, in csv or glob form', () => {
    expect(resolveNodeChoice('trader-1,trader-2')).toEqual({ kind: 'nodes', nodes: ['trader-1', 'trader-2'] });
    expect(resolveNodeChoice('{trader-1,trader-2}')).toEqual({ kind: 'nodes', nodes: ['trader-1', 'trader-2'] });
    expect(singleNode(resolveNodeChoice('a,b'))).toBeNull();
  });

  it('is every node for the dashboards’ All value', () => {
    for (const all of ['*', 'All', '$__all', '.*']) {
      expect(resolveNodeChoice(all)).toEqual({ kind: 'all' });
    }
    expect(singleNode({ kind: 'all' })).toBeNull();
    expect(nodeChoiceLabel({ kind: 'all' })).toBe('every node');
  });
});
