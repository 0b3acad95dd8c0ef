import { type Request, type Response, Router } from 'express';
import type { Services } from '../domain/services.js';
import { contextOf } from './authenticate.js';
import { sendError } from './errors.js';
import { listBody, readPage } from './pagination.js';
import { object, optString } from './params.js';
import { readProfile, requireAnEmail } from './profile-params.js';
import { userView } from './views.js';

/** /api/v4/users: the people who are members of the account. */
export function usersRouter(services: Services): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    const page = readPage(req.query);
    const { rows, total } = await services.users.list(contextOf(res), page);
    res.json(listBody(rows.map((m) => userView(m.user, m.id)), total, page));
  });

  router.post('/', async (req, res) => {
    const body = object(req.body, 'body');
    const profile = readProfile(body, '', 'create');
    const email = optString(body, 'email');
    if (email !== undefined) profile.emails = { mode: 'replace', items: [{ email, primary: true }, ...(profile.emails?.items ?? [])] };
    const created = await services.users.create(contextOf(res), requireAnEmail(profile, 'email'));
    res.status(201).json(userView(created.user, created.id));
  });

  router.get('/:id', async (req, res) => {
    const membership = await services.users.membershipOf(contextOf(res), req.params.id);
    res.json(userView(membership.user, membership.id));
  });

  const update = async (req: Request<{ id: string }>, res: Response) => {
    const updated = await services.users.update(contextOf(res), req.params.id, readProfile(object(req.body, 'body'), '', 'update'));
    res.json(userView(updated.user, updated.id));
  };
  router.put('/:id', update);
  router.patch('/:id', update);

  // A person is never deleted through one account: they may belong to others. Point at the membership.
  router.delete('/:id', async (req, res) => {
    const membership = await services.users.membershipOf(contextOf(res), req.params.id);
    res.set('Allow', 'GET, PUT, PATCH');
    sendError(res, 405, `A user cannot be deleted: remove them from this account with DELETE /api/v4/account_users/${membership.id}`);
  });

  return router;
}
