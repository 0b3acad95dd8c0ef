import { type Request, type Response, Router } from 'express';
import type { Services } from '../domain/services.js';
import type { TeamInput } from '../domain/teams/teams-service.js';
import { contextOf } from './authenticate.js';
import { listBody, readPage } from './pagination.js';
import { object, optNullableString, optString, optStringArray, type Params } from './params.js';
import { teamView } from './views.js';

function readTeam(body: Params): TeamInput {
  return {
    name: optString(body, 'name'),
    description: optNullableString(body, 'description'),
    external_id: optNullableString(body, 'external_id'),
    member_ids: optStringArray(body, 'member_ids'),
  };
}

/** /api/v4/teams */
export function teamsRouter(services: Services): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    const page = readPage(req.query);
    const { rows, total } = await services.teams.list(contextOf(res), page);
    res.json(listBody(rows.map(teamView), total, page));
  });

  router.post('/', async (req, res) => {
    res.status(201).json(teamView(await services.teams.create(contextOf(res), readTeam(object(req.body, 'body')))));
  });

  router.get('/:id', async (req, res) => {
    res.json(teamView(await services.teams.get(contextOf(res), req.params.id)));
  });

  const update = async (req: Request<{ id: string }>, res: Response) => {
    res.json(teamView(await services.teams.update(contextOf(res), req.params.id, readTeam(object(req.body, 'body')))));
  };
  router.put('/:id', update);
  router.patch('/:id', update);

  router.delete('/:id', async (req, res) => {
    await services.teams.delete(contextOf(res), req.params.id);
    res.status(204).end();
  });

  return router;
}
