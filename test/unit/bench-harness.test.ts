import { describe, expect, it } from 'vitest';
import { ArgsError, parseBenchArgs, SCENARIOS } from '../../bench/args.js';
import { type ReceivedPage, readPage, verifyWalk, walkStarts } from '../../bench/page-walk.js';

/** The benchmark harness's pure parts: its command line and the page-walk verifier. */

describe('npm run bench arguments', () => {
  it('defaults to 100,000 users on PostgreSQL, every scenario, concurrency 1 and 16', () => {
    const o = parseBenchArgs([]);
    expect(o).toMatchObject({ users: 100_000, database: 'postgres', scenarios: [...SCENARIOS], concurrency: [1, 16], duration: 10, out: undefined });
  });

  it('reads every option, keeps the scenarios in their running order', () => {
    const o = parseBenchArgs(['--users', '1_000_000', '--database', 'embedded', '--scenarios', 'post-user,lookup-existing', '--duration', '3', '--concurrency', '4,16,4', '--out', 'r.json']);
    expect(o).toMatchObject({ users: 1_000_000, database: 'embedded', scenarios: ['lookup-existing', 'post-user'], duration: 3, concurrency: [4, 16], out: 'r.json' });
  });

  it.each([
    [['--users', 'many'], '--users "many" is not valid'],
    [['--database', 'mysql'], '--database "mysql" is not valid: expected postgres or embedded'],
    [['--scenarios', 'lookup-existing,fly'], 'unknown fly'],
    [['--concurrency', '0'], '--concurrency "0" is not valid'],
    [['--bogus'], "Unknown option '--bogus'"],
  ])('refuses %j naming the option and value', (argv, message) => {
    expect(() => parseBenchArgs(argv)).toThrow(ArgsError);
    expect(() => parseBenchArgs(argv)).toThrow(message);
  });
});

describe('page walk verifier', () => {
  const ids = Array.from({ length: 250 }, (_, i) => `au_${i}`);
  const page = (start: number, list = ids, total = list.length): ReceivedPage => {
    const slice = list.slice(start - 1, start - 1 + 100);
    return { startIndex: start, totalResults: total, itemsPerPage: slice.length, ids: slice };
  };

  it('accepts a walk that returns every member exactly once, pages in any order', () => {
    expect(walkStarts(250, 100)).toEqual([1, 101, 201]);
    const verdict = verifyWalk([page(201), page(1), page(101)], 250, 100);
    expect(verdict).toMatchObject({ ok: true, pagesSeen: 3, distinctIds: 250, problems: [] });
  });

  it('names a member seen twice and one never seen (an unstable order between pages)', () => {
    const shifted = [...ids];
    shifted[150] = 'au_5'; // page 2 repeats a member of page 1; au_150 is lost
    const verdict = verifyWalk([page(1), page(101, shifted, 250), page(201)], 250, 100);
    expect(verdict.ok).toBe(false);
    expect(verdict.problems).toContain('au_5 appears at startIndex 1 and again at 101');
    expect(verdict.problems).toContain('249 distinct members seen, expected 250');
  });

  it('names a missing page, a short page and a wrong total', () => {
    const short: ReceivedPage = { ...page(101), ids: page(101).ids.slice(0, 99), itemsPerPage: 99 };
    const verdict = verifyWalk([{ ...page(1), totalResults: 249 }, short], 250, 100);
    expect(verdict.problems).toEqual(
      expect.arrayContaining([
        'totalResults differs between pages: 249, 250',
        'page at startIndex 101 has 99 members, expected 100',
        'page at startIndex 201 never answered',
      ]),
    );
  });

  it('reads a ListResponse body and refuses one without integer paging fields', () => {
    expect(readPage('{"totalResults":2,"startIndex":1,"itemsPerPage":2,"Resources":[{"id":"a"},{"id":"b"}]}')).toEqual({ startIndex: 1, totalResults: 2, itemsPerPage: 2, ids: ['a', 'b'] });
    expect(() => readPage('{"totalResults":"2","startIndex":1,"Resources":[]}')).toThrow('not a ListResponse');
  });
});
