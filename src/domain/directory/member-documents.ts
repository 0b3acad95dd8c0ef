import type { Queryable } from '../../db/database.js';
import { isForeignKeyViolation, isSerializationFailure } from '../../db/errors.js';
import { logger } from '../../log.js';
import type { DirectoryMember } from './directory-store.js';

/**
 * Members' rendered documents, stored (member_documents, migration 008): a read model that pages
 * and lookups read instead of building every member from six tables and rendering it again.
 *
 * The database marks a document stale whenever anything it shows changes (the migration's
 * triggers, whichever path wrote); the next read that finds it stale renders it from the member as
 * read now and stores it, unless another change moved its version on in between (then the newer
 * change's reader renders it). So a document served is either stored and current, or rendered for
 * this request from what the database holds.
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
  /** member_documents.version as the page read it ("0": no row yet); a document rendered now is stored only if it is still this. */
  version: string;
  body: string | null;
}

/**
 * The SQL of a page's documents, for a statement that names the page's ids `m.id` (in order `m.rn`):
 * the id, the version, and the body when it is current in `format` (a binding, `?`).
 */
export const PAGE_DOCUMENT_COLUMNS = [
  'm.id as id',
  'coalesce(d.version, 0)::text as doc_version',
  'case when d.format = ? then d.body end as doc_body',
] as const;

export function pageDocuments(rows: readonly Record<string, unknown>[]): PageDocument[] {
  return rows.map((r) => ({ id: r.id as string, version: r.doc_version as string, body: (r.doc_body as string | null) ?? null }));
}

/**
 * Stores documents rendered for these members, each only where its version is still the one the
 * page read (a change since then has made it stale again: what was rendered may be older than the
 * member). In id order, as the triggers take rows, so that concurrent writers and readers cannot
 * deadlock on them. One statement whatever the count (arrays, not a binding per value).
 */
const STORE_SQL = `
  insert into member_documents as d (account_user_id, version, format, body)
  select r.id, r.version, ?, r.body from unnest(?::text[], ?::bigint[], ?::text[]) as r(id, version, body)
  where exists (select 1 from account_users au where au.id = r.id)
  order by r.id
  on conflict (account_user_id) do update set format = excluded.format, body = excluded.body
  where d.version = excluded.version`;

export async function storeDocuments(q: Queryable, format: string, rendered: readonly { id: string; version: string; body: string }[]): Promise<void> {
  if (rendered.length === 0) return;
  const sorted = [...rendered].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  try {
    await q.raw(STORE_SQL, [format, sorted.map((r) => r.id), sorted.map((r) => r.version), sorted.map((r) => r.body)]);
  } catch (err) {
    // A member deleted while its page was read (foreign key), or a lock cycle with a writer that
    // PostgreSQL broke here: the page is answered all the same, and the next read stores it.
    if (!isForeignKeyViolation(err) && !isSerializationFailure(err)) throw err;
    logger.debug('member documents not stored', { members: rendered.length, reason: (err as Error).message });
  }
}
