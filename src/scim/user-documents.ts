import { createHash } from 'node:crypto';
import type { MemberRendering } from '../domain/directory/directory-service.js';
import { toScimUser } from './user-mapping.js';

/**
 * The SCIM User resource as the directory stores it per member (domain/directory/member-documents-store.ts):
 * lists of users (an import's pages, an IdP's lookups) are answered from these stored documents.
 *
 * USER_DOCUMENT_FORMAT must change whenever toScimUser's output changes (test/unit/user-documents
 * fails until it does): documents stored by the previous format are then not used, and are
 * rendered again as they are read.
 */
export const USER_DOCUMENT_FORMAT = 2;

const renderings = new Map<string, MemberRendering>();

/** The rendering for this base URL (its locations are in the document, so it is part of the format). */
export function userRendering(baseUrl: string): MemberRendering {
  let rendering = renderings.get(baseUrl);
  if (!rendering) {
    const base = createHash('sha256').update(baseUrl).digest('base64url').slice(0, 12);
    rendering = { format: `scim-user/${USER_DOCUMENT_FORMAT}/${base}`, render: (member) => JSON.stringify(toScimUser(member, baseUrl)) };
    renderings.set(baseUrl, rendering);
  }
  return rendering;
}
