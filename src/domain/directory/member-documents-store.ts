import type { Queryable } from '../../db/database.js';
import { isForeignKeyViolation, isSerializationFailure } from '../../db/errors.js';
import { logger } from '../../log.js';
import type { DirectoryMember } from './directory-store.js';

/**
 * Members' rendered documents, stored (member_documents, migration 008): a read model that pages
 * and lookups read instead of building every member from six tables and rendering it again.
 *
 * A stored document is served only when its stamp equals the stamp of the member's rows as they
 * are now: the row version (xmin) of its account_users row, and the count of changes to the
 * person, their emails and phones, their teams, role mappings and kept attributes that the
 * migration's triggers keep. Any change to what a document shows changes that stamp, whichever
 * path made it; the next read that finds the stamps differ renders the document from the member
 * as read now and stores it under the stamp it read before reading the member (older, if a change
 * came in between: then it will not match, and the next read renders it again). So a document
 * served is either stored and current, or rendered for this request from what the database holds.
 */

/** How the adapter renders a member (the SCIM User resource as JSON text). */
export interface MemberRendering {
  /**
   * Names the renderer and everything its output depends on (its own version, the base URL of
   * its locations): a stored document is used only by a rendering of the same format.
   */
  readonly format: string;
  render(member: DirectoryMember): string;
}

/** One member of a page, with its stored document when there is a current one of the format asked. */
export interface PageDocument {
  id: string;
  /** The stamp of the member's rows as the page read them: a document rendered now is stored under it. */
  stamp: string;
  body: string | null;
}

/** The stamp of a member's rows as they are now, for a statement that names them sa (account_users) and d (member_documents, left-joined). */
const CURRENT_STAMP = `sa.xmin::text || '/' || coalesce(d.version, 0)`;

/**
 * The SQL of a page's documents, for a statement that names the page's ids `m.id` and joins
 * `account_users sa` and (left) `member_documents d` to them: the id, the stamp, and the
 * body when it is current in `format` (a binding, `?`).
 */
export const PAGE_DOCUMENT_COLUMNS = ['m.id as id', `${CURRENT_STAMP} as doc_stamp`, `case when d.format = ? and d.stamp = ${CURRENT_STAMP} then d.body end as doc_body`] as const;

export function pageDocuments(rows: readonly Record<string, unknown>[]): PageDocument[] {
  return rows.map((r) => ({ id: r.id as string, stamp: r.doc_stamp as string, body: (r.doc_body as string | null) ?? null }));
}

/**
 * Stores documents rendered for these members under the stamps their page read. In id order, as
 * the triggers take rows, so that concurrent writers and readers cannot deadlock on them; `version`
 * is the triggers' and is never written here. One statement whatever the count (arrays, not a
 * binding per value).
 */
const STORE_SQL = `
  insert into member_documents as d (account_user_id, format, stamp, body)
  select r.id, ?, r.stamp, r.body from unnest(?::text[], ?::text[], ?::text[]) as r(id, stamp, body)
  where exists (select 1 from account_users au where au.id = r.id)
  order by r.id
  on conflict (account_user_id) do update set format = excluded.format, stamp = excluded.stamp, body = excluded.body`;

export async function storeDocuments(q: Queryable, format: string, rendered: readonly { id: string; stamp: string; body: string }[]): Promise<void> {
  if (rendered.length === 0) return;
  const sorted = [...rendered].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  try {
    await q.raw(STORE_SQL, [format, sorted.map((r) => r.id), sorted.map((r) => r.stamp), sorted.map((r) => r.body)]);
  } catch (err) {
    // A member deleted while its page was read (foreign key), or a lock cycle with a writer that
    // PostgreSQL broke here: the page is answered all the same, and the next read stores it.
    if (!isForeignKeyViolation(err) && !isSerializationFailure(err)) throw err;
    logger.debug('member documents not stored', { members: rendered.length, reason: (err as Error).message });
  }
}
