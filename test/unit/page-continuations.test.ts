import { describe, expect, it } from 'vitest';
import { type Continuation, PageContinuations } from '../../src/domain/directory/page-continuations.js';

const at = (id: string): Continuation => ({ createdAt: '2026-01-01 00:00:00.000001+00', id, generation: '1', servedAt: 0 });

describe('PageContinuations', () => {
  it('keeps where pages ended per account and position', () => {
    const c = new PageContinuations();
    c.set('a', 100, at('x'));
    expect(c.get('a', 100)?.id).toBe('x');
    expect(c.get('a', 200)).toBeUndefined();
    expect(c.get('b', 100)).toBeUndefined();
  });

  it('finds the nearest earlier page end, a whole number of pages back and not too far', () => {
    const c = new PageContinuations();
    c.set('a', 300, at('p3'));
    expect(c.nearest('a', 700, 100, 4)).toEqual({ offset: 300, continuation: at('p3') });
    expect(c.nearest('a', 700, 100, 3)).toBeUndefined();
    expect(c.nearest('a', 750, 100, 10)).toBeUndefined();
  });

  it('forgets the least recently used first, beyond its capacity', () => {
    const c = new PageContinuations(2);
    c.set('a', 1, at('1'));
    c.set('a', 2, at('2'));
    c.get('a', 1);
    c.set('a', 3, at('3'));
    expect(c.get('a', 2)).toBeUndefined();
    expect(c.get('a', 1)?.id).toBe('1');
    expect(c.get('a', 3)?.id).toBe('3');
  });
});
