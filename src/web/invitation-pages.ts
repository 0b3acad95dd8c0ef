import type { InvitationRow } from '../domain/invitations/invitations-service.js';
import { html, page } from './html.js';

/** The pages where a person answers the invitations other accounts sent them. */

const when = (d: Date | string): string => new Date(d).toISOString().slice(0, 10);

export function invitationListPage(invitations: readonly InvitationRow[], notice?: string): string {
  const message = notice ? html`<p class="notice" role="status">${notice}</p>` : '';
  if (invitations.length === 0) return page('Invitations', html`${message}<p>You have no pending invitations.</p><p><a href="/">Back</a></p>`);
  return page(
    'Invitations',
    html`${message}<p>These accounts have added you. They see nothing of your profile until you accept; accepting needs a link we email to you.</p>
<ul>${invitations.map(
      (i) => html`<li><h2>${i.account_name}</h2><p>Invited on ${when(i.invited_at)} as ${i.user_name}.</p>
<form method="post" action="/invitations/${i.id}/send-link"><button type="submit">Accept: email me the link</button></form>
<form method="post" action="/invitations/${i.id}/decline"><button type="submit">Decline</button></form></li>`,
    )}</ul>
<p><a href="/">Back</a></p>`,
  );
}

export function invitationConfirmPage(invitation: InvitationRow & { address: string }, token: string): string {
  return page(
    `Join ${invitation.account_name}?`,
    html`<p><strong>${invitation.account_name}</strong> has added you (${invitation.address}) to their on-call account. Until you accept they see nothing of your profile.</p>
<form method="post" action="/invitations/confirm">
<input type="hidden" name="token" value="${token}">
<button type="submit" name="decision" value="accept">Accept</button>
<button type="submit" name="decision" value="decline">Decline</button>
</form>`,
  );
}

export function invitationAnsweredPage(invitation: InvitationRow, decision: 'accept' | 'decline'): string {
  return decision === 'accept'
    ? page('Invitation accepted', html`<p role="status">You are now a member of <strong>${invitation.account_name}</strong>. Sign in to it as you usually do.</p><p><a href="/login">Sign in</a></p>`)
    : page('Invitation declined', html`<p role="status">You declined <strong>${invitation.account_name}</strong>'s invitation. They no longer have you as a member.</p>`);
}
