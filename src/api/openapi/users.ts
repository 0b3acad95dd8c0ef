import { LANGUAGES } from '../../domain/users/profile-rules.js';
import { listOf, operation, pageParameters } from './components.js';
import { arrayOf, boolean, id, json, jsonBody, nullable, object, pathId, ref, string, time } from './schema.js';
import type { Paths, Schema } from './types.js';

/** /users: the people who are members of the account, by user id; and the person's shapes that account users nest. */

const email = object({
  id: id('eml'),
  email: string('As stored (lower-cased domain); a value Rollcall cannot write to is kept as sent and never used.'),
  type: nullable(string('`work`, `home`, `other` as an IdP sent it, or null.')),
  primary: boolean(),
  blocked: boolean('Delivery to it failed for good: nothing is sent there.'),
  verified: boolean('The person proved they control it (an invitation link, a sign-in).'),
});

const phone = object({
  id: id('phn'),
  phone: string('E.164 when the number is valid (`+14155550123`), else as sent.'),
  value: string('As sent.'),
  country: nullable(string('ISO 3166 alpha-2, when the number is valid.')),
  type: nullable(string()),
  primary: boolean(),
  blocked: boolean(),
  verified: boolean(),
});

/** The person as REST shows them; `withMembership` adds account_user_id (the /users view). */
function personProperties(withMembership: boolean): Record<string, Schema> {
  return {
    id: id('usr'),
    object: { type: 'string', const: 'user' },
    ...(withMembership ? { account_user_id: id('au', 'The membership through which this account sees the person.') } : {}),
    name: string('The name shown: the display name, else the full name, else the user name.'),
    given_name: nullable(string()),
    family_name: nullable(string()),
    user_name: string('Unique without regard to case; by default the primary email.'),
    time_zone: string('IANA time zone.'),
    preferred_language: { type: 'string', enum: LANGUAGES },
    notify_push: boolean(),
    notify_email: boolean(),
    notify_sms: boolean(),
    notify_voice: boolean(),
    invited: boolean('An invitation not yet accepted: the account sees only what it sent.'),
    no_email_to_notify: boolean('No email at all (a person provisioned without a mailbox).'),
    emails: arrayOf(ref('Email'), 'The primary email first.'),
    phones: arrayOf(ref('Phone'), 'The primary phone first.'),
    last_sign_in_at: nullable(time()),
    created_at: time(),
    updated_at: time(),
  };
}

/** Rails-style nested attributes: an array, or an object keyed by index ({"0": {...}}). */
function nestedList(item: Schema, description: string): Schema {
  return { description, anyOf: [arrayOf(item), { type: 'object', additionalProperties: item }] };
}

const destroy: Schema = { description: 'Remove this entry (with its `id`): true, 1, "1" or "true".', enum: [true, false, 1, 0, '1', '0', 'true', 'false'] };

const emailInput: Schema = {
  type: 'object',
  properties: { id: string('An existing entry to change or remove (updates).'), email: string(), primary: boolean(), _destroy: destroy },
};
const phoneInput: Schema = {
  type: 'object',
  properties: { id: string('An existing entry to change or remove (updates).'), phone: string('International format: `+` and the country code.'), primary: boolean(), _destroy: destroy },
};

/**
 * The profile a request may set. On create the email and phone lists are the whole lists; on
 * update an entry with `id` changes or removes that entry and one without is added. Keys not
 * named here are ignored.
 */
const profileInput: Schema = {
  type: 'object',
  properties: {
    name: string('The name shown (sets the display name).'),
    given_name: nullable(string()),
    family_name: nullable(string()),
    user_name: string('Default: the primary email.'),
    time_zone: string('IANA, e.g. `America/Chicago`.'),
    preferred_language: string('`en`, `es`, `fr`, `de` or `nl`; a locale such as `fr-CA` is taken as `fr`.'),
    notify_push: boolean(),
    notify_email: boolean(),
    notify_sms: boolean(),
    notify_voice: boolean(),
    emails_attributes: nestedList(ref('EmailInput'), 'A person keeps at least one email and exactly one primary.'),
    phones_attributes: nestedList(ref('PhoneInput'), 'Exactly one primary phone when there are phones.'),
  },
};

export const userSchemas: Record<string, Schema> = {
  Email: email,
  Phone: phone,
  Person: object(personProperties(false), { description: 'A person, as nested in an account user.' }),
  User: object(personProperties(true), { description: 'A person who is a member of the account, with their membership id.' }),
  EmailInput: emailInput,
  PhoneInput: phoneInput,
  ProfileInput: profileInput,
  UserCreate: {
    ...profileInput,
    properties: { ...profileInput.properties, email: string('The primary email (added first to `emails_attributes`).') },
    description: 'A new member without roles. An email is required (`email` or `emails_attributes`); without `name` the name shown is the user name.',
  },
};

const userId = pathId('usr', 'A user id (`usr_…`).');

export const userPaths: Paths = {
  '/users': {
    get: operation({
      operationId: 'listUsers',
      summary: 'List the members as users',
      tags: ['Users'],
      parameters: pageParameters,
      responses: { '200': json('A page of users, oldest first.', listOf('User')) },
      errors: [],
    }),
    post: operation({
      operationId: 'createUser',
      summary: 'Add a person as a member without roles',
      description: 'An email or user name that already belongs to a person never makes a second user: a person this account manages (or at a domain it verified) is added as they are; anyone else is invited (`invited: true`).',
      tags: ['Users'],
      requestBody: jsonBody(ref('UserCreate')),
      responses: { '201': json('The new member.', ref('User')) },
      errors: ['Forbidden', 'Conflict'],
    }),
  },
  '/users/{id}': {
    parameters: [userId],
    get: operation({
      operationId: 'getUser',
      summary: 'One user',
      tags: ['Users'],
      responses: { '200': json('The user.', ref('User')) },
      errors: ['NotFound'],
    }),
    put: operation({
      operationId: 'replaceUser',
      summary: 'Change a user\'s profile',
      tags: ['Users'],
      requestBody: jsonBody(ref('ProfileInput')),
      responses: { '200': json('The user as changed.', ref('User')) },
      errors: ['Forbidden', 'NotFound', 'Conflict'],
    }),
    patch: operation({
      operationId: 'updateUser',
      summary: 'Change a user\'s profile (same as PUT)',
      tags: ['Users'],
      requestBody: jsonBody(ref('ProfileInput')),
      responses: { '200': json('The user as changed.', ref('User')) },
      errors: ['Forbidden', 'NotFound', 'Conflict'],
    }),
    delete: operation({
      operationId: 'deleteUser',
      summary: 'Refused: a person may belong to other accounts',
      tags: ['Users'],
      responses: {
        '405': json('Always, for a user of this account; the message names the `DELETE /account_users/{id}` to use instead.', ref('Error'), {
          Allow: { description: '`GET, PUT, PATCH`', schema: { type: 'string' } },
        }),
      },
      errors: ['NotFound'],
    }),
  },
};
