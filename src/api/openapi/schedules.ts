import { listOf, operation, pageParameters } from './components.js';
import { arrayOf, boolean, constant, id, integer, json, jsonBody, nullable, object, oneOfStrings, pathId, ref, string, time } from './schema.js';
import type { Paths, Schema } from './types.js';

/** /schedules: rotation layers and overrides, and who is on call. */

const ROTATION_UNITS = ['hour', 'day', 'week'] as const;

/** A member as a schedule names them; a deactivated member stays, `active: false`. */
const scheduledPerson: Record<string, Schema> = {
  account_user_id: id('au'),
  name: nullable(string('The member\'s name shown.')),
  active: boolean(),
};

const layer: Schema = object({
  id: id('lyr'),
  object: constant('schedule_layer'),
  position: integer('From 0, bottom first: where several layers have someone on call, the highest wins.'),
  name: nullable(string()),
  starts_at: time(),
  ends_at: nullable(time()),
  rotation_length: { type: 'integer', minimum: 1, maximum: 1000 },
  rotation_unit: oneOfStrings(ROTATION_UNITS),
  members: arrayOf(object(scheduledPerson), 'Taking turns in this order.'),
});

const override: Schema = object({
  id: id('ovr'),
  object: constant('schedule_override'),
  ...scheduledPerson,
  starts_at: time(),
  ends_at: time('Exclusive.'),
});

const schedule: Schema = object({
  id: id('skd'),
  object: constant('schedule'),
  name: string('Unique in the account, whatever its case.'),
  time_zone: string('IANA time zone: rotations are counted on its clock.'),
  team_id: nullable(id('tem')),
  layers: arrayOf(ref('ScheduleLayer')),
  overrides: arrayOf(ref('ScheduleOverride')),
  inactive_account_user_ids: arrayOf(id('au'), 'Deactivated members still on the schedule.'),
  version: integer(),
  created_at: time(),
  updated_at: time(),
});

const onCall: Schema = object({
  object: constant('on_call'),
  schedule_id: id('skd'),
  time_zone: string(),
  at: time('The instant asked about.'),
  local_time: string('`at` on the schedule\'s clock, with its offset.'),
  on_call: nullable(
    object({
      ...scheduledPerson,
      source: object({ type: oneOfStrings(['layer', 'override']), id: string('The layer (`lyr_…`) or override (`ovr_…`).') }),
      starts_at: time(),
      ends_at: nullable(time('Null: the layer has no end and one member.')),
    }),
  ),
});

const timeInput = (description: string): Schema => string(`ISO 8601. ${description} With an offset or Z, that instant; without, on the schedule's clock.`);

const overrideInput: Schema = {
  type: 'object',
  properties: {
    id: string('An existing override to keep (in a schedule update).'),
    account_user_id: string(),
    starts_at: timeInput('From.'),
    ends_at: timeInput('Until (exclusive).'),
  },
};

const layerInput: Schema = {
  type: 'object',
  properties: {
    id: string('An existing layer to keep (in an update).'),
    name: nullable(string()),
    starts_at: timeInput('The first turn starts then.'),
    ends_at: nullable(timeInput('No turn after it.')),
    rotation_length: { type: 'integer', minimum: 1, maximum: 1000 },
    rotation_unit: oneOfStrings(ROTATION_UNITS),
    account_user_ids: arrayOf(string(), 'Members of the account, taking turns in this order.'),
  },
};

const scheduleInput: Schema = {
  type: 'object',
  properties: {
    name: string(),
    time_zone: string('IANA.'),
    team_id: nullable(string()),
    layers: arrayOf(ref('ScheduleLayerInput'), 'The whole list; an entry sent with its id keeps it.'),
    overrides: arrayOf(ref('ScheduleOverrideInput'), 'The whole list; an entry sent with its id keeps it.'),
  },
};

export const scheduleSchemas: Record<string, Schema> = {
  Schedule: schedule,
  ScheduleLayer: layer,
  ScheduleOverride: override,
  OnCall: onCall,
  ScheduleInput: scheduleInput,
  ScheduleLayerInput: layerInput,
  ScheduleOverrideInput: overrideInput,
};

const scheduleId = pathId('skd', 'A schedule id (`skd_…`).');

export const schedulePaths: Paths = {
  '/schedules': {
    get: operation({
      operationId: 'listSchedules',
      summary: 'List schedules (any member)',
      tags: ['Schedules'],
      parameters: pageParameters,
      responses: { '200': json('A page of schedules, oldest first.', listOf('Schedule')) },
      errors: [],
    }),
    post: operation({
      operationId: 'createSchedule',
      summary: 'Create a schedule (admins)',
      tags: ['Schedules'],
      requestBody: jsonBody({ ...scheduleInput, required: ['name', 'time_zone'] }),
      responses: { '201': json('The new schedule.', ref('Schedule')) },
      errors: ['Forbidden', 'Conflict'],
    }),
  },
  '/schedules/{id}': {
    parameters: [scheduleId],
    get: operation({ operationId: 'getSchedule', summary: 'One schedule (any member)', tags: ['Schedules'], responses: { '200': json('The schedule.', ref('Schedule')) }, errors: ['NotFound'] }),
    put: operation({
      operationId: 'replaceSchedule',
      summary: 'Change a schedule (admins)',
      tags: ['Schedules'],
      requestBody: jsonBody(ref('ScheduleInput')),
      responses: { '200': json('The schedule as changed.', ref('Schedule')) },
      errors: ['Forbidden', 'NotFound', 'Conflict'],
    }),
    patch: operation({
      operationId: 'updateSchedule',
      summary: 'Change a schedule (admins; same as PUT)',
      tags: ['Schedules'],
      requestBody: jsonBody(ref('ScheduleInput')),
      responses: { '200': json('The schedule as changed.', ref('Schedule')) },
      errors: ['Forbidden', 'NotFound', 'Conflict'],
    }),
    delete: operation({
      operationId: 'deleteSchedule',
      summary: 'Delete a schedule (admins)',
      tags: ['Schedules'],
      responses: { '204': { description: 'Deleted.' } },
      errors: ['Forbidden', 'NotFound'],
    }),
  },
  '/schedules/{id}/on_call': {
    parameters: [scheduleId],
    get: operation({
      operationId: 'getOnCall',
      summary: 'Who is on call at a time (any member)',
      tags: ['Schedules'],
      parameters: [{ name: 'at', in: 'query', description: 'ISO 8601 (default: now); without an offset, on the schedule\'s clock.', schema: { type: 'string' } }],
      responses: { '200': json('Who is on call then; `on_call` is null when nobody is.', ref('OnCall')) },
      errors: ['NotFound'],
    }),
  },
  '/schedules/{id}/overrides': {
    parameters: [scheduleId],
    post: operation({
      operationId: 'addOverride',
      summary: 'Add one override (admins)',
      tags: ['Schedules'],
      requestBody: jsonBody({ ...overrideInput, required: ['account_user_id', 'starts_at', 'ends_at'] }),
      responses: { '201': json('The schedule with the override.', ref('Schedule')) },
      errors: ['Forbidden', 'NotFound'],
    }),
  },
  '/schedules/{id}/overrides/{overrideId}': {
    parameters: [scheduleId, pathId('ovr', 'An override id (`ovr_…`).', 'overrideId')],
    delete: operation({
      operationId: 'removeOverride',
      summary: 'Remove one override (admins)',
      tags: ['Schedules'],
      responses: { '200': json('The schedule without the override.', ref('Schedule')) },
      errors: ['Forbidden', 'NotFound'],
    }),
  },
};
