import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { statementTemplate } from '../../src/db/statement-template.js';
import { openTestDatabase } from '../support/test-database.js';

let database: Database;
beforeAll(async () => {
  database = await openTestDatabase();
  await database.knex.schema.createTable('template_things', (t) => {
    t.text('id').primary();
    t.text('owner').notNullable();
    t.integer('size').notNullable();
  });
  await database.knex('template_things').insert([
    { id: 'a', owner: 'ann', size: 1 },
    { id: 'b', owner: 'ann', size: 5 },
    { id: 'c', owner: 'bob', size: 3 },
  ]);
});
afterAll(() => database?.close());

describe('statementTemplate', () => {
  const bigOnesOf = statementTemplate<{ owner: string; min: number }>((p) =>
    p.knex('template_things').where('owner', p('owner')).where('size', '>=', p('min')).whereNot('id', 'zzz').orderBy('id').select('id'),
  );

  it('answers what the builder would, with the values of each run and the literals it was built with', async () => {
    expect((await bigOnesOf.run(database.knex, { owner: 'ann', min: 2 })).map((r) => r.id)).toEqual(['b']);
    expect((await bigOnesOf.run(database.knex, { owner: 'ann', min: 0 })).map((r) => r.id)).toEqual(['a', 'b']);
    expect((await bigOnesOf.run(database.knex, { owner: 'bob', min: 0 })).map((r) => r.id)).toEqual(['c']);
    const built = await database.knex('template_things').where('owner', 'ann').where('size', '>=', 0).whereNot('id', 'zzz').orderBy('id').select('id');
    expect(await bigOnesOf.run(database.knex, { owner: 'ann', min: 0 })).toEqual(built);
  });

  it('runs inside a transaction it is given', async () => {
    await database.knex.transaction(async (trx) => {
      await trx('template_things').insert({ id: 'd', owner: 'bob', size: 9 });
      expect((await bigOnesOf.run(trx, { owner: 'bob', min: 5 })).map((r) => r.id)).toEqual(['d']);
      await trx.rollback();
    }).catch(() => undefined);
    expect(await bigOnesOf.run(database.knex, { owner: 'bob', min: 5 })).toEqual([]);
  });

  it('refuses a run without one of its values, and SQL whose `?` would not line up with its bindings', async () => {
    await expect(bigOnesOf.run(database.knex, { owner: 'ann' } as unknown as { owner: string; min: number })).rejects.toThrow('no value for min');
    expect(() => statementTemplate((p) => p.knex('template_things').whereRaw(`owner = 'who?'`).where('id', p('id')))).toThrow(/binding marks/);
  });
});
