import { describe, expect, it } from 'vitest'
import { rankDowntime, type ReasonTotals } from '../../api/kpi/downtime.ts'
import { timelineIntervals, type StateRun } from '../../api/kpi/runs.ts'

const T0 = Date.UTC(2026, 10, 21, 1, 0, 0)
const min = 60_000
const at = (m: number): number => T0 + m * min
const run = (startMin: number, endMin: number | null, state: StateRun['state'], reason: string | null = null): StateRun => ({
  state,
  reason,
  ts: at(startMin),
  seq: startMin,
  end: endMin === null ? null : at(endMin),
})
const short = (i: { state: string; reason: string | null; start: number; end: number; since: number; microStop: boolean | null; open: boolean }) => [
  i.state,
  i.reason,
  (i.start - T0) / min,
  (i.end - T0) / min,
  (i.since - T0) / min,
  i.microStop,
  i.open,
]

describe('timelineIntervals', () => {
  // Window 0-60 min, threshold 2 min, now at 120 min unless said.
  it.each([
    {
      name: 'clips a run begun before the window and keeps when it began',
      runs: [run(-30, 10, 'RUNNING'), run(10, 60, 'IDLE')],
      now: 120,
      want: [
        ['RUNNING', null, 0, 10, -30, null, false],
        ['IDLE', null, 10, 60, 10, null, false],
      ],
    },
    {
      name: 'classes stops by their whole length, also across the window end',
      // 1-minute stop: micro; 3-minute stop: failure; a stop from 59 to 65 is a failure though 1 minute is inside.
      runs: [run(0, 10, 'RUNNING'), run(10, 11, 'DOWN', 'JAM'), run(11, 20, 'RUNNING'), run(20, 23, 'DOWN', 'NOZZLE'), run(23, 59, 'RUNNING'), run(59, 65, 'DOWN', 'FEEDER')],
      now: 120,
      want: [
        ['RUNNING', null, 0, 10, 0, null, false],
        ['DOWN', 'JAM', 10, 11, 10, true, false],
        ['RUNNING', null, 11, 20, 11, null, false],
        ['DOWN', 'NOZZLE', 20, 23, 20, false, false],
        ['RUNNING', null, 23, 59, 23, null, false],
        ['DOWN', 'FEEDER', 59, 60, 59, false, false],
      ],
    },
    {
      name: 'shows time before the first state as OFFLINE with reason NO_DATA',
      runs: [run(15, null, 'RUNNING')],
      now: 120,
      want: [
        ['OFFLINE', 'NO_DATA', 0, 15, 0, null, false],
        ['RUNNING', null, 15, 60, 15, null, true],
      ],
    },
    {
      name: 'ends an open run at now, and an open stop is measured to now',
      runs: [run(0, 40, 'RUNNING'), run(40, null, 'DOWN', 'JAM')],
      now: 41,
      want: [
        ['RUNNING', null, 0, 40, 0, null, false],
        ['DOWN', 'JAM', 40, 41, 40, true, true],
      ],
    },
    { name: 'gives a machine without any state one NO_DATA interval', runs: [], now: 120, want: [['OFFLINE', 'NO_DATA', 0, 60, 0, null, false]] },
  ])('timelineIntervals $name', ({ runs, now, want }) => {
    expect(timelineIntervals(runs, T0, at(60), { microStopMs: 2 * min, now: at(now), leadingGap: true }).map(short)).toEqual(want)
  })

  it('timelineIntervals adds no NO_DATA gap on later pages', () => {
    expect(timelineIntervals([run(30, 40, 'IDLE')], T0, at(60), { microStopMs: 2 * min, now: at(120), leadingGap: false }).map(short)).toEqual([['IDLE', null, 30, 40, 30, null, false]])
  })
})

describe('rankDowntime', () => {
  const t = (failureMin: number, failures: number, microMin = 0, micro = 0): ReasonTotals => ({ failureMs: failureMin * min, failures, microStopMs: microMin * min, microStops: micro })
  it('rankDowntime ranks reasons by seconds with their stops and shares', () => {
    const got = rankDowntime(
      new Map<string | null, ReasonTotals>([
        ['JAM', t(10, 2, 5, 4)],
        ['NOZZLE', t(45, 1)],
        [null, t(0, 0, 3, 2)],
        ['FEEDER', t(15, 3)],
        ['GONE', t(0, 0)],
      ]),
    )
    // Total 10 + 5 + 45 + 3 + 15 = 78 min.
    expect(got.map((r) => [r.reason, r.seconds, r.stops, r.failureSeconds, r.failures, r.microStopSeconds, r.microStops])).toEqual([
      ['NOZZLE', 2700, 1, 2700, 1, 0, 0],
      ['JAM', 900, 6, 600, 2, 300, 4],
      ['FEEDER', 900, 3, 900, 3, 0, 0],
      [null, 180, 2, 0, 0, 180, 2],
    ])
    expect(got[0]?.share).toBeCloseTo(45 / 78, 12)
    expect(got.reduce((a, r) => a + r.share, 0)).toBeCloseTo(1, 12)
  })

  it('rankDowntime keeps a reason whose stops began in the window but took no time yet', () => {
    expect(rankDowntime(new Map([['JAM', t(0, 1)]])).map((r) => [r.reason, r.stops, r.share])).toEqual([['JAM', 1, 0]])
  })
})
