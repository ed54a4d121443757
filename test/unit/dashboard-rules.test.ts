// The dashboard's pure rules (api/dashboard/app/src/views/rules.ts): the bottleneck, the count
// target, local midnight on the factory's clock, the TV's rotation parameter.
import { describe, expect, it } from 'vitest'
import { activeSeconds, bottleneck, countTarget, localDate, localMidnight, rotationSeconds, type BottleneckInput } from '../../api/dashboard/app/src/views/rules.ts'

const m = (machine: string, idealCycleS: number, produced: number, activeS: number): BottleneckInput => ({ machine, idealCycleS, produced, activeS })

describe('dashboard bottleneck rule', () => {
  it.each<[string, BottleneckInput[], { machine: string; by: 'rate' | 'design' } | null]>([
    ['the fewest units per busy hour wins over the longest ideal cycle time', [m('a', 30, 100, 3600), m('b', 20, 100, 7200), m('c', 25, 100, 4000)], { machine: 'b', by: 'rate' }],
    ['same units, the one that never waited (most busy time) is the bottleneck', [m('printer', 18, 900, 25200), m('placer', 24, 900, 27000), m('oven', 20, 900, 24600)], { machine: 'placer', by: 'rate' }],
    ['machines without units give no evidence and are left out', [m('loader', 40, 0, 28800), m('aoi', 20, 500, 20000)], { machine: 'aoi', by: 'rate' }],
    ['a tie goes to the longer ideal cycle time', [m('a', 20, 100, 3600), m('b', 24, 100, 3600), m('c', 22, 100, 3600)], { machine: 'b', by: 'rate' }],
    ['a tie of ideal cycle times goes to the later machine in the flow', [m('a', 24, 100, 3600), m('b', 24, 100, 3600)], { machine: 'b', by: 'rate' }],
    ['no counts at all: the longest ideal cycle time (design constraint)', [m('a', 18, 0, 3600), m('b', 24, 0, 0), m('c', 20, 0, 3600)], { machine: 'b', by: 'design' }],
    ['no machines: none', [], null],
    ['no counts and no ideal cycle time: none', [m('a', 0, 0, 0)], null],
  ])('%s', (_name, machines, expected) => {
    const got = bottleneck(machines)
    expect(got === null ? null : { machine: got.machine, by: got.by }).toEqual(expected)
  })

  it('bottleneck reports the units per busy hour it judged by', () => {
    expect(bottleneck([m('a', 20, 150, 5400)])?.unitsPerHour).toBe(100)
  })

  it('activeSeconds is planned busy time less idle, never negative', () => {
    expect(activeSeconds({ seconds: { plannedBusy: 27000, idle: 1800 } })).toBe(25200)
    expect(activeSeconds({ seconds: { plannedBusy: 0, idle: 10 } })).toBe(0)
  })
})

describe('dashboard count target', () => {
  it.each<[string, { plannedOperation: number; plannedStop: number }, number | null | undefined, number | null]>([
    ['planned production time over the ideal cycle time, whole units', { plannedOperation: 27000, plannedStop: 0 }, 24, 1125],
    ['the machine’s planned stops are not expected to produce', { plannedOperation: 27000, plannedStop: 1800 }, 24, 1050],
    ['rounds down: a unit is due once its whole cycle has passed', { plannedOperation: 100, plannedStop: 0 }, 30, 3],
    ['no ideal cycle time: no target', { plannedOperation: 27000, plannedStop: 0 }, null, null],
    ['a zero ideal cycle time: no target', { plannedOperation: 27000, plannedStop: 0 }, 0, null],
    ['never negative', { plannedOperation: 10, plannedStop: 60 }, 20, 0],
  ])('%s', (_name, seconds, ideal, expected) => {
    expect(countTarget(seconds, ideal)).toBe(expected)
  })
})

describe('dashboard factory clock', () => {
  it.each([
    ['Asia/Ho_Chi_Minh, evening', '2026-11-21T15:30:00Z', 'Asia/Ho_Chi_Minh', '2026-11-21', '2026-11-20T17:00:00.000Z'],
    ['Asia/Ho_Chi_Minh, after local midnight (still the 21st in UTC)', '2026-11-21T18:30:00Z', 'Asia/Ho_Chi_Minh', '2026-11-22', '2026-11-21T17:00:00.000Z'],
    ['UTC', '2026-11-21T00:00:00Z', 'UTC', '2026-11-21', '2026-11-21T00:00:00.000Z'],
    ['a zone with summer time, on the day clocks go back', '2026-10-25T12:00:00Z', 'Europe/Berlin', '2026-10-25', '2026-10-24T22:00:00.000Z'],
    ['a zone behind UTC', '2026-11-21T03:00:00Z', 'America/New_York', '2026-11-20', '2026-11-20T05:00:00.000Z'],
  ])('localDate and localMidnight: %s', (_name, at, tz, date, midnight) => {
    const ms = Date.parse(at)
    expect(localDate(ms, tz)).toBe(date)
    expect(new Date(localMidnight(ms, tz)).toISOString()).toBe(midnight)
  })
})

describe('dashboard TV rotation', () => {
  it.each([
    ['', 20],
    ['every=30', 30],
    ['every=1', 5],
    ['every=99999', 3600],
    ['every=abc', 20],
    ['every=', 20],
    ['every=-4', 20],
  ])('rotationSeconds(%j) is %d', (query, expected) => {
    expect(rotationSeconds(new URLSearchParams(query), 20)).toBe(expected)
  })
})
