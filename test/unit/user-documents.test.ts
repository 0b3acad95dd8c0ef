import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { DirectoryMember } from '../../src/domain/directory/directory-service.js';
import { USER_DOCUMENT_FORMAT, userRendering } from '../../src/scim/user-documents.js';

/**
 * Stored user documents (member_documents) are used only by a rendering of the same format. If
 * toScimUser's output changes and USER_DOCUMENT_FORMAT does not, lists would go on serving documents
 * of the old shape: this fails first. When it does, bump USER_DOCUMENT_FORMAT in
 * src/scim/user-documents.ts and record the new output's hash here under the new number.
 */
const RENDERED_HASH_BY_FORMAT: Record<number, string> = {
  1: '5221b53c05d176604d58e0d28252026fd3896054836b5e941d80831bc4cf1b57',
  // 2: displayName its own attribute, name.formatted never the display name; this member (sent a
  // formatted name, display name = name) renders as before, others without a formatted name do not
  2: '5221b53c05d176604d58e0d28252026fd3896054836b5e941d80831bc4cf1b57',
};

const at = new Date('2026-01-02T03:04:05.000Z');
const member: DirectoryMember = {
  membership: {
    id: 'au_1', account_id: 'acc_1', user_id: 'usr_1', roles: ['communicator'], active: true, external_id: 'ext-1',
    enterprise: { department: 'Navy', manager: { value: 'au_2' } }, version: 7, created_at: at, updated_at: at,
    team_ids: ['tem_1'], granted_roles: [{ role: 'admin', team_id: 'tem_1', team_name: 'Admins' }],
    user: {
      id: 'usr_1', name: 'Grace Hopper', display_name: 'Grace Hopper', given_name: 'Grace', family_name: 'Hopper', user_name: 'grace@example.com', time_zone: 'America/New_York',
      preferred_language: 'en', notify_push: true, notify_email: true, notify_sms: false, notify_voice: true, last_sign_in_at: null, managed_by_account_id: 'acc_1', is_invitation: false,
      created_at: at, updated_at: at,
      emails: [{ id: 'em_1', email: 'grace@example.com', type: 'work', primary: true, blocked: false, verified_at: null }],
      phones: [{ id: 'ph_1', number: '+14155550123', value: '+1 415 555 0123', type: 'mobile', country: 'US', primary: true, blocked: false, verified_at: null }],
    },
  },
  idp: { title: 'Rear Admiral', name: { formatted: 'Rear Admiral Grace Hopper' }, undialablePhoneNumbers: [{ value: '312-320-0500', type: 'work' }] },
  teams: [{ id: 'tem_1', name: 'Admins' }],
};

describe('the stored user document format', () => {
  it('names the base URL, so documents rendered for another PUBLIC_URL are not used', () => {
    expect(userRendering('https://a.example/scim/v2').format).not.toBe(userRendering('https://b.example/scim/v2').format);
    expect(userRendering('https://a.example/scim/v2').format).toMatch(new RegExp(`^scim-user/${USER_DOCUMENT_FORMAT}/`));
  });

  it('changes its number whenever the rendered document changes', () => {
    const rendered = userRendering('https://rollcall.example/scim/v2').render(member);
    const hash = createHash('sha256').update(rendered).digest('hex');
    expect(hash, `toScimUser's output changed (${rendered}): bump USER_DOCUMENT_FORMAT and record this hash under the new number`).toBe(RENDERED_HASH_BY_FORMAT[USER_DOCUMENT_FORMAT]);
  });
});
