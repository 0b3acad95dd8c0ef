/**
 * Checks an Okta-style import (count=100, startIndex 1, 101, 201, ...): every member exactly once,
 * the same totalResults on every page, startIndex echoed, full pages but the last. Pure: it reads
 * the pages as the load generator received them, in any order.
 */

export interface ReceivedPage {
  startIndex: number;
  totalResults: number;
  itemsPerPage: number;
  ids: string[];
}

export interface WalkVerdict {
  ok: boolean;
  pagesExpected: number;
  pagesSeen: number;
  distinctIds: number;
  totalResults: number | undefined;
  problems: string[];
}

/** startIndex values of a walk over `total` members, `count` per page. */
export function walkStarts(total: number, count: number): number[] {
  const starts: number[] = [];
  for (let start = 1; start <= total; start += count) starts.push(start);
  return starts;
}

/** Reads a ListResponse body into a ReceivedPage; throws naming what is missing. */
export function readPage(body: string): ReceivedPage {
  const doc = JSON.parse(body) as { startIndex?: unknown; totalResults?: unknown; itemsPerPage?: unknown; Resources?: { id?: unknown }[] };
  if (typeof doc.startIndex !== 'number' || typeof doc.totalResults !== 'number' || !Array.isArray(doc.Resources)) {
    throw new Error(`not a ListResponse with integer startIndex and totalResults: ${body.slice(0, 200)}`);
  }
  return {
    startIndex: doc.startIndex,
    totalResults: doc.totalResults,
    itemsPerPage: typeof doc.itemsPerPage === 'number' ? doc.itemsPerPage : doc.Resources.length,
    ids: doc.Resources.map((r) => String(r.id)),
  };
}

export function verifyWalk(pages: readonly ReceivedPage[], expectedTotal: number, count: number): WalkVerdict {
  const problems: string[] = [];
  const starts = walkStarts(expectedTotal, count);
  const byStart = new Map<number, ReceivedPage>();
  for (const page of pages) {
    const seen = byStart.get(page.startIndex);
    if (seen && seen.ids.join() !== page.ids.join()) problems.push(`startIndex ${page.startIndex} answered two different pages`);
    byStart.set(page.startIndex, page);
  }
  const totals = new Set(pages.map((p) => p.totalResults));
  if (totals.size > 1) problems.push(`totalResults differs between pages: ${[...totals].join(', ')}`);
  const totalResults = pages[0]?.totalResults;
  if (totalResults !== undefined && totalResults !== expectedTotal) problems.push(`totalResults is ${totalResults}, expected ${expectedTotal}`);

  const owner = new Map<string, number>();
  let duplicates = 0;
  for (const start of starts) {
    const page = byStart.get(start);
    if (!page) {
      problems.push(`page at startIndex ${start} never answered`);
      continue;
    }
    const full = Math.min(count, expectedTotal - start + 1);
    if (page.ids.length !== full) problems.push(`page at startIndex ${start} has ${page.ids.length} members, expected ${full}`);
    if (page.itemsPerPage !== page.ids.length) problems.push(`page at startIndex ${start} says itemsPerPage ${page.itemsPerPage} but holds ${page.ids.length}`);
    for (const id of page.ids) {
      const first = owner.get(id);
      if (first !== undefined) {
        if (duplicates++ < 5) problems.push(`${id} appears at startIndex ${first} and again at ${start}`);
      } else owner.set(id, start);
    }
  }
  const expectedStarts = new Set(starts);
  for (const page of pages) if (!expectedStarts.has(page.startIndex)) problems.push(`unexpected page at startIndex ${page.startIndex}`);
  if (duplicates > 5) problems.push(`... ${duplicates} duplicates in all`);
  if (owner.size !== expectedTotal) problems.push(`${owner.size} distinct members seen, expected ${expectedTotal}`);
  return { ok: problems.length === 0, pagesExpected: starts.length, pagesSeen: byStart.size, distinctIds: owner.size, totalResults, problems };
}
