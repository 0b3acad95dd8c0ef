import { Router } from 'express';
import type { Services } from '../domain/services.js';
import { contextOf } from './authenticate.js';
import { listBody, readPage } from './pagination.js';
import { BadRequest, object, optObject, optString } from './params.js';
import { readMembership, readProfile, requireAnEmail } from './profile-params.js';
import { accountUserView, apiTokenView } from './views.js';

/** /api/v4/account_users: a person's membership in the account, with the person nested in it. */
export function accountUsersRouter(services: Services): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    const page = readPage(req.query);
    const { rows, total } = await services.accountUsers.list(contextOf(res), page);
    res.json(listBody(rows.map(accountUserView), total, page));
  });

  router.post('/', async (req, res) => {
    const body = object(req.body, 'body');
    const userAttributes = optObject(body, 'user_attributes');
    if (!userAttributes) throw new BadRequest('user_attributes', 'user_attributes is required (with name and emails_attributes)');
    const created = await services.accountUsers.create(contextOf(res), {
      user: requireAnEmail(readProfile(userAttributes, 'user_attributes', 'create'), 'user_attributes.emails_attributes'),
      membership: readMembership(body),
    });
    res.status(201).json(accountUserView(created));
  });

  router.get('/:id', async (req, res) => {
    res.json(accountUserView(await services.accountUsers.get(contextOf(res), req.params.id)));
  });

  const update = async (req: import('express').Request<{ id: string }>, res: import('express').Response) => {
    const body = object(req.body, 'body');
    const userAttributes = optObject(body, 'user_attributes');
    const updated = await services.accountUsers.update(contextOf(res), req.params.id, {
      user: userAttributes && readProfile(userAttributes, 'user_attributes', 'update'),
      membership: readMembership(body),
    });
    res.json(accountUserView(updated));
  };
  router.put('/:id', update);
  router.patch('/:id', update);

  router.delete('/:id', async (req, res) => {
    await services.accountUsers.delete(contextOf(res), req.params.id);
    res.status(204).end();
  });

  router.get('/:id/api_tokens', async (req, res) => {
    const tokens = await services.apiTokens.list(contextOf(res), req.params.id);
    res.json({ data: tokens.map(apiTokenView), has_more: false, total_count: tokens.length });
  });

  router.post('/:id/api_tokens', async (req, res) => {
    const body = req.body === undefined ? {} : object(req.body, 'body');
    const { id, token } = await services.apiTokens.create(contextOf(res), req.params.id, optString(body, 'name'));
    res.status(201).json({ id, object: 'api_token', account_user_id: req.params.id, token });
  });

  return router;
}
