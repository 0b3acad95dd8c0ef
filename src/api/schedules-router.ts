import { type Request, type Response, Router } from 'express';
import type { LayerInput, OverrideInput, ScheduleInput } from '../domain/schedules/schedules-service.js';
import type { Services } from '../domain/services.js';
import { contextOf } from './authenticate.js';
import { listBody, readPage } from './pagination.js';
import { BadRequest, object, optNestedList, optNullableString, optString, optStringArray, type Params } from './params.js';
import { onCallView, scheduleView } from './views.js';

/** A whole number where the body must have one; its range is the domain's rule. */
function optNumber(params: Params, key: string, field: string): number | undefined {
  const value = params[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number') throw new BadRequest(field, `${field} must be a number, not ${JSON.stringify(value)}`);
  return value;
}

function readOverride(item: Params, prefix: string): OverrideInput {
  const f = (key: string) => (prefix ? `${prefix}.${key}` : key);
  return {
    id: optString(item, 'id', f('id')),
    account_user_id: optString(item, 'account_user_id', f('account_user_id')),
    starts_at: optString(item, 'starts_at', f('starts_at')),
    ends_at: optString(item, 'ends_at', f('ends_at')),
  };
}

function readLayer(item: Params, f: string): LayerInput {
  return {
    id: optString(item, 'id', `${f}.id`),
    name: optNullableString(item, 'name', `${f}.name`),
    starts_at: optString(item, 'starts_at', `${f}.starts_at`),
    ends_at: optNullableString(item, 'ends_at', `${f}.ends_at`),
    rotation_length: optNumber(item, 'rotation_length', `${f}.rotation_length`),
    rotation_unit: optString(item, 'rotation_unit', `${f}.rotation_unit`),
    account_user_ids: optStringArray(item, 'account_user_ids', `${f}.account_user_ids`),
  };
}

function readSchedule(body: Params): ScheduleInput {
  return {
    name: optString(body, 'name'),
    time_zone: optString(body, 'time_zone'),
    team_id: optNullableString(body, 'team_id'),
    layers: optNestedList(body, 'layers')?.map((item, i) => readLayer(item, `layers[${i}]`)),
    overrides: optNestedList(body, 'overrides')?.map((item, i) => readOverride(item, `overrides[${i}]`)),
  };
}

/** /api/v4/schedules: schedules with their rotation layers and overrides, and who is on call. */
export function schedulesRouter(services: Services): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    const page = readPage(req.query);
    const { rows, total } = await services.schedules.list(contextOf(res), page);
    res.json(listBody(rows.map(scheduleView), total, page));
  });

  router.post('/', async (req, res) => {
    res.status(201).json(scheduleView(await services.schedules.create(contextOf(res), readSchedule(object(req.body, 'body')))));
  });

  router.get('/:id', async (req, res) => {
    res.json(scheduleView(await services.schedules.get(contextOf(res), req.params.id)));
  });

  const update = async (req: Request<{ id: string }>, res: Response) => {
    res.json(scheduleView(await services.schedules.update(contextOf(res), req.params.id, readSchedule(object(req.body, 'body')))));
  };
  router.put('/:id', update);
  router.patch('/:id', update);

  router.delete('/:id', async (req, res) => {
    await services.schedules.delete(contextOf(res), req.params.id);
    res.status(204).end();
  });

  router.get('/:id/on_call', async (req, res) => {
    const at = req.query.at;
    if (at !== undefined && typeof at !== 'string') throw new BadRequest('at', 'at must be one ISO 8601 time');
    res.json(onCallView(await services.schedules.onCall(contextOf(res), req.params.id, at === '' ? undefined : at)));
  });

  router.post('/:id/overrides', async (req, res) => {
    const schedule = await services.schedules.addOverride(contextOf(res), req.params.id, readOverride(object(req.body, 'body'), ''));
    res.status(201).json(scheduleView(schedule));
  });

  router.delete('/:id/overrides/:overrideId', async (req, res) => {
    res.json(scheduleView(await services.schedules.removeOverride(contextOf(res), req.params.id, req.params.overrideId)));
  });

  return router;
}
