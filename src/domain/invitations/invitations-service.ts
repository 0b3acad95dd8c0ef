import type { Knex } from 'knex';
import { recordAudit } from '../audit/audit-service.js';
import { type Channel, type Context, transact, type Trx } from '../context.js';
import { Conflict, Forbidden, NotFound, show } from '../errors.js';
import { releaseEndedPlaces, schedulesNamingMember } from '../schedules/schedules-store.js';
import { deliverQueuedSoon } from '../notifications/outbox.js';
import { deleteMembership } from '../users/account-users-store.js';
import { consumeInvitationProof, invitationMessageWrites, peekInvitationProof, revokeInvitationLinks } from './invitation-messages.js';
import {
  acceptInvitationRow, findInvitation, type InvitationRow, isEmailOf, isMemberOf, listInvitations, listInvitationsOfPerson, lockInvitation, primaryEmailOf,
} from './invitations-store.js';

/**
 * Invitations (DESIGN rule 1): a membership an account made for a person it may not link. The
 * person accepts it with proof that they control the address (a one-time link sent to it), and
 * then the account sees their profile; declining removes the membership (the IdP then sees 404).
 * The person may decline while signed in; the operator may accept or decline at the command line.
 */

export type { InvitationRow } from './invitations-store.js';

/** Who answers an invitation: the person (signed in, or by the emailed link) or the operator. */
type Answerer = { by: 'person'; channel: Channel; requestId?: string } | { by: 'operator' };

export class InvitationsService {
  constructor(
    private readonly db: Knex,
    /** PUBLIC_URL: where the links of invitation emails point. */
    private readonly publicUrl: string,
  ) {}

  /** The signed-in person's pending invitations. */
  async listMine(ctx: Context): Promise<InvitationRow[]> {
    if (ctx.actor.type !== 'account_user') return [];
    const userId = ctx.actor.userId;
    return transact(this.db, (trx) => listInvitationsOfPerson(trx, userId));
  }

  /** For the operator: pending invitations of an account and/or of the person with an email. */
  async list(filter: { accountId?: string; email?: string }): Promise<InvitationRow[]> {
    return transact(this.db, (trx) => listInvitations(trx, filter));
  }

  /**
   * The signed-in person asks to accept one of their invitations: accepting needs proof of the
   * address, so a new one-time link goes to their primary email (nothing changes until it is used).
   */
  async sendConfirmation(ctx: Context, id: string): Promise<{ address: string }> {
    const userId = this.personOf(ctx);
    const sent = await transact(this.db, async (trx) => {
      const invitation = await findInvitation(trx, id);
      if (!invitation || invitation.invited_user_id !== userId) throw new NotFound('invitation', id);
      const address = await primaryEmailOf(trx, userId);
      if (!address) throw new Conflict('You have no email address to send the confirmation to');
      for (const write of invitationMessageWrites(trx, this.publicUrl, { id: invitation.account_id, name: invitation.account_name }, id, { id: userId, address })) await write;
      return { address };
    });
    deliverQueuedSoon();
    return sent;
  }

  /** The signed-in person declines one of their invitations (no proof needed to say no). */
  async declineMine(ctx: Context, id: string): Promise<InvitationRow> {
    const userId = this.personOf(ctx);
    return transact(this.db, async (trx) => {
      const invitation = await findInvitation(trx, id);
      if (!invitation || invitation.invited_user_id !== userId) throw new NotFound('invitation', id);
      return this.declineIn(trx, id, { by: 'person', channel: ctx.channel, requestId: ctx.requestId });
    });
  }

  /** What an emailed link is about, before the person chooses (the link is not used up). */
  async peek(token: string): Promise<InvitationRow & { address: string }> {
    return transact(this.db, async (trx) => {
      const proof = await peekInvitationProof(trx, token);
      const invitation = proof && (await findInvitation(trx, proof.subjectId));
      if (!proof || !invitation) throw new NotFound('invitation', 'link');
      return { ...invitation, address: proof.email };
    });
  }

  /** The person's answer through the emailed link, which it uses up: the proof that they control the address. */
  async answerWithLink(token: string, decision: 'accept' | 'decline', meta: { requestId?: string } = {}): Promise<InvitationRow> {
    return transact(this.db, async (trx) => {
      const proof = await consumeInvitationProof(trx, token);
      if (!proof) throw new NotFound('invitation', 'link');
      const invitation = await lockInvitation(trx, proof.subjectId);
      if (!invitation) throw new NotFound('invitation', proof.subjectId);
      // the address must still be the invited person's (an address moved meanwhile proves nothing)
      if (!(await isEmailOf(trx, proof.email, invitation.invited_user_id))) throw new NotFound('invitation', proof.subjectId);
      const answerer: Answerer = { by: 'person', channel: 'web', requestId: meta.requestId };
      return decision === 'accept' ? this.acceptIn(trx, proof.subjectId, answerer) : this.declineIn(trx, proof.subjectId, answerer);
    });
  }

  async acceptAsOperator(id: string): Promise<InvitationRow> {
    return transact(this.db, (trx) => this.acceptIn(trx, id, { by: 'operator' }));
  }

  async declineAsOperator(id: string): Promise<InvitationRow> {
    return transact(this.db, (trx) => this.declineIn(trx, id, { by: 'operator' }));
  }

  private personOf(ctx: Context): string {
    if (ctx.actor.type !== 'account_user') throw new Forbidden('Only the invited person may answer an invitation');
    return ctx.actor.userId;
  }

  /** The context of an answer, in the inviting account: the person (as the membership they answer for) or the operator. */
  private answerContext(invitation: InvitationRow, answerer: Answerer): Context {
    if (answerer.by === 'operator') return { accountId: invitation.account_id, actor: { type: 'system' }, channel: 'cli' };
    return {
      accountId: invitation.account_id,
      actor: { type: 'account_user', accountUserId: invitation.id, userId: invitation.invited_user_id, roles: [] },
      channel: answerer.channel,
      requestId: answerer.requestId,
    };
  }

  private async acceptIn(trx: Trx, id: string, answerer: Answerer): Promise<InvitationRow> {
    const invitation = await findInvitation(trx, id);
    const locked = invitation && (await lockInvitation(trx, id));
    if (!invitation || !locked) throw new NotFound('invitation', id);
    if (await isMemberOf(trx, locked.account_id, locked.invited_user_id)) {
      throw new Conflict(`You are already a member of ${show(invitation.account_name)}: this invitation can only be declined`);
    }
    await acceptInvitationRow(trx, locked);
    await revokeInvitationLinks(trx, id);
    await recordAudit(trx, this.answerContext(invitation, answerer), {
      action: 'account_user.invitation_accept',
      targetType: 'account_user',
      targetId: id,
      changes: { invited: false, accepted_by: answerer.by },
    });
    return invitation;
  }

  private async declineIn(trx: Trx, id: string, answerer: Answerer): Promise<InvitationRow> {
    const invitation = await findInvitation(trx, id);
    const locked = invitation && (await lockInvitation(trx, id));
    if (!invitation || !locked) throw new NotFound('invitation', id);
    // rule 4 holds for an invitation too: nothing is lost silently
    const scheduled = await schedulesNamingMember(trx, locked.account_id, id);
    if (scheduled.length) {
      throw new Conflict(`${show(invitation.account_name)} has put you on ${scheduled.map((s) => show(s.name)).join(', ')}: ask them to take you off before you decline`);
    }
    await releaseEndedPlaces(trx, id);
    await deleteMembership(trx, locked.account_id, id);
    await revokeInvitationLinks(trx, id);
    await recordAudit(trx, this.answerContext(invitation, answerer), {
      action: 'account_user.invitation_decline',
      targetType: 'account_user',
      targetId: id,
      changes: { declined_by: answerer.by },
    });
    return invitation;
  }
}
