import { Router } from 'express';
import type { Services } from '../domain/services.js';
import { contextOf } from './authenticate.js';
import { object, optString } from './params.js';
import { accountView } from './views.js';

/** POST /api/v4/account/transfer_ownership {"account_user_id"}: the owner hands the account to another admin. */
export function ownershipRouter(services: Services): Router {
  const router = Router();
  router.post('/', async (req, res) => {
    const body = object(req.body, 'body');
    res.json(accountView(await services.ownership.transfer(contextOf(res), optString(body, 'account_user_id') ?? '')));
  });
  return router;
}
