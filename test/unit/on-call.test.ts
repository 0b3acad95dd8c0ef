import { describe, expect, it } from 'vitest';
import { onCallAt, type RotationLayer, turnAt } from '../../src/domain/schedules/on-call.js';

const at = (iso: string) => new Date(iso);

function layer(overrides: Partial<RotationLayer>): RotationLayer {
  return { id: 'lyr_1', position: 0, startsAt: at('2024-01-01T00:00:00Z'), endsAt: null, rotationLength: 1, rotationUnit: 'day', members: ['ann', 'bob', 'cat'], ...overrides };
}

describe('a daily rotation across the spring-forward change (America/New_York, 10 March 2024)', () => {
  // Hand-offs at 09:00 local: 9 March 09:00 EST = 14:00Z, 10 March 09:00 EDT = 13:00Z, 11 March 09:00 EDT = 13:00Z.
  const daily = layer({ startsAt: at('2024-03-09T14:00:00Z') });
  const zone = 'America/New_York';

  it('hands off at 09:00 local time on the day the clocks go forward, after a 23-hour turn', () => {
    expect(onCallAt(zone, [daily], [], at('2024-03-10T12:59:59Z'))?.accountUserId).toBe('ann'); // 08:59:59 EDT
    // 24 hours after the first hand-off would be 14:00Z (10:00 EDT): counting hours would still answer ann here.
    const shift = onCallAt(zone, [daily], [], at('2024-03-10T13:30:00Z'));
    expect(shift?.accountUserId).toBe('bob');
    expect(shift?.startsAt.toISOString()).toBe('2024-03-10T13:00:00.000Z');
    expect(shift?.endsAt?.toISOString()).toBe('2024-03-11T13:00:00.000Z');
  });

  it('says the first turn lasted 23 hours', () => {
    const turn = turnAt(zone, daily, at('2024-03-09T20:00:00Z'))!;
    expect(turn.member).toBe('ann');
    expect((turn.endsAt!.getTime() - turn.startsAt.getTime()) / 3_600_000).toBe(23);
  });

  it('keeps the order turn after turn, wrapping around the members', () => {
    expect(onCallAt(zone, [daily], [], at('2024-03-11T13:00:00Z'))?.accountUserId).toBe('cat');
    expect(onCallAt(zone, [daily], [], at('2024-03-12T13:00:00Z'))?.accountUserId).toBe('ann');
    // 1 June 08:00 EDT is still in the turn that began 31 May 09:00, 83 days after 9 March: 83 % 3 = 2
    expect(onCallAt(zone, [daily], [], at('2024-06-01T12:00:00Z'))?.accountUserId).toBe('cat');
  });
});

describe('a weekly rotation across the fall-back change (Europe/London, 27 October 2024)', () => {
  // Sunday 20 October 09:00 BST = 08:00Z; the next hand-off is Sunday 27 October 09:00 GMT = 09:00Z.
  const weekly = layer({ startsAt: at('2024-10-20T08:00:00Z'), rotationUnit: 'week', members: ['ann', 'bob'] });
  const zone = 'Europe/London';

  it('hands off at 09:00 local time after a turn of 7 days and 1 hour', () => {
    expect(onCallAt(zone, [weekly], [], at('2024-10-27T08:30:00Z'))?.accountUserId).toBe('ann'); // 08:30 GMT
    const shift = onCallAt(zone, [weekly], [], at('2024-10-27T09:00:00Z'));
    expect(shift?.accountUserId).toBe('bob');
    expect(shift?.startsAt.toISOString()).toBe('2024-10-27T09:00:00.000Z');
    const first = turnAt(zone, weekly, at('2024-10-21T00:00:00Z'))!;
    expect((first.endsAt!.getTime() - first.startsAt.getTime()) / 3_600_000).toBe(7 * 24 + 1);
  });

  it('a two-week rotation length gives each member two weeks', () => {
    const fortnightly = { ...weekly, rotationLength: 2 };
    expect(onCallAt(zone, [fortnightly], [], at('2024-10-30T12:00:00Z'))?.accountUserId).toBe('ann');
    expect(onCallAt(zone, [fortnightly], [], at('2024-11-03T09:00:00Z'))?.accountUserId).toBe('bob');
  });
});

describe('an hourly rotation counts real hours, whatever the clocks do', () => {
  it('gives each member 12 hours across the spring-forward night', () => {
    const halfDays = layer({ startsAt: at('2024-03-09T17:00:00Z'), rotationLength: 12, rotationUnit: 'hour', members: ['ann', 'bob'] }); // 12:00 EST
    const shift = onCallAt('America/New_York', [halfDays], [], at('2024-03-10T06:00:00Z'))!; // 01:00 EST
    expect(shift.accountUserId).toBe('bob');
    expect(shift.startsAt.toISOString()).toBe('2024-03-10T05:00:00.000Z'); // midnight EST
    expect(shift.endsAt?.toISOString()).toBe('2024-03-10T17:00:00.000Z'); // 13:00 EDT: 12 real hours later
  });
});

describe('layers and overrides', () => {
  const zone = 'UTC';
  const bottom = layer({ id: 'lyr_bottom', position: 0, members: ['ann', 'bob'] });
  const top = layer({ id: 'lyr_top', position: 1, startsAt: at('2024-05-01T00:00:00Z'), endsAt: at('2024-05-03T00:00:00Z'), members: ['dan', null] });

  it('answers nobody before the first layer starts', () => {
    expect(onCallAt(zone, [bottom], [], at('2023-12-31T23:59:59Z'))).toBeNull();
  });

  it('lets the higher layer win while it runs, and falls through a vacant slot to the layer below', () => {
    expect(onCallAt(zone, [bottom, top], [], at('2024-05-01T12:00:00Z'))).toMatchObject({ accountUserId: 'dan', source: { type: 'layer', id: 'lyr_top' } });
    // 2 May is the top layer's vacant turn; the bottom layer's turn 122 (even) is ann's.
    expect(onCallAt(zone, [bottom, top], [], at('2024-05-02T12:00:00Z'))).toMatchObject({ accountUserId: 'ann', source: { type: 'layer', id: 'lyr_bottom' } });
    // after the top layer's end
    expect(onCallAt(zone, [bottom, top], [], at('2024-05-03T12:00:00Z'))).toMatchObject({ accountUserId: 'bob', source: { type: 'layer', id: 'lyr_bottom' } });
  });

  it('clips the last turn of an ending layer at its end', () => {
    const turn = turnAt(zone, layer({ endsAt: at('2024-01-01T06:00:00Z') }), at('2024-01-01T01:00:00Z'))!;
    expect(turn.endsAt?.toISOString()).toBe('2024-01-01T06:00:00.000Z');
    expect(turnAt(zone, layer({ endsAt: at('2024-01-01T06:00:00Z') }), at('2024-01-01T06:00:00Z'))).toBeNull();
  });

  it('puts an override above every layer; of two overrides the one that started last wins; the end is exclusive', () => {
    const overrides = [
      { id: 'ovr_long', accountUserId: 'eve', startsAt: at('2024-05-01T00:00:00Z'), endsAt: at('2024-05-08T00:00:00Z') },
      { id: 'ovr_short', accountUserId: 'fay', startsAt: at('2024-05-02T00:00:00Z'), endsAt: at('2024-05-02T06:00:00Z') },
    ];
    expect(onCallAt(zone, [bottom, top], overrides, at('2024-05-01T12:00:00Z'))).toMatchObject({ accountUserId: 'eve', source: { type: 'override', id: 'ovr_long' } });
    expect(onCallAt(zone, [bottom, top], overrides, at('2024-05-02T05:59:59Z'))?.accountUserId).toBe('fay');
    expect(onCallAt(zone, [bottom, top], overrides, at('2024-05-02T06:00:00Z'))?.accountUserId).toBe('eve');
    expect(onCallAt(zone, [bottom, top], overrides, at('2024-05-08T00:00:00Z'))?.accountUserId).toBe('ann'); // turn 128 of the bottom layer
  });
});
