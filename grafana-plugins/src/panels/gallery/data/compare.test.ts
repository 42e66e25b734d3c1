import { makeImage } from '../../../test/fixtures';
import { distinct, pairByName } from './compare';

describe('pairByName', () => {
  it('pairs images with the same kind and name and keeps unmatched ones on their side', () => {
    const a = [makeImage('a1', 'g1', 'reliability'), makeImage('a2', 'g1', 'pnl')];
    const b = [makeImage('b1', 'g2', 'pnl'), makeImage('b2', 'g2', 'drift')];
    const pairs = pairByName(a, b);
    expect(pairs.map((p) => [p.key, p.a?.id, p.b?.id])).toEqual([
      ['reliability/reliability.png', 'a1', undefined],
      ['pnl/pnl.png', 'a2', 'b1'],
      ['drift/drift.png', undefined, 'b2'],
    ]);
  });

  it('distinct sorts and drops blanks', () => {
    expect(distinct(['b', '', 'a', 'b'])).toEqual(['a', 'b']);
  });
});
