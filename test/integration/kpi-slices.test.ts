// sliceTotals against the raw-event computation, on chDB: random machine timelines stored through
// ingest (so the rollups are the real views' work), random slices on any millisecond, and each
// machine's totals per slice compared with stateTime() over all its events and with raw sums of
// its counts and energy.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EventCodec, Ingest, migrate, openClickhouse, type Clickhouse, type IncomingMessage, type MachineStateCode, type ShopfloorEvent } from '../../stream/index.ts'
import { silentLogger } from '../../connectors/common/logger.ts'
import { stateTime, type StateEvent } from '../../api/kpi/state-time.ts'
import { groupTotals, sliceTotals, type SliceSpan, type SliceTotals } from '../../api/queries/slices.ts'
import { TOTALS_FIELDS, totalsAt } from '../../api/kpi/totals.ts'
import { loadLastStates } from '../../stream/clickhouse/ingest-state.ts'
import { slicePieces } from '../../api/queries/slice-pieces.ts'

const MIN = 60_000
const HOUR = 3_600_000
const T0 = Date.UTC(2026, 5, 3, 1, 0, 0) + 12_345
const SPAN = 6 * HOUR

/** xorshift: the same seed, the same timelines. */
function rng(seed: number): () => number {
  let x = seed || 1
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 2 ** 32
  }
}

interface Timeline {
  machine: string
  states: StateEvent[]
  counts: Array<{ ts: number; produced: number; rejected: number; cycle: number }>
  energy: Array<{ ts: number; kwh: number }>
}

/**
 * A machine's day: runs of every state, micro-stops (some with a reason update inside), long
 * stops with several reason updates, events at the same millisecond, repeated states; then a
 * chosen last state at `lastAt` (the interval open at the end).
 */
function timeline(machine: string, rand: () => number, start: number, end: number, last: { state: MachineStateCode; at: number; updates?: number[]; runningFrom?: number } | null): Timeline {
  const states: StateEvent[] = []
  let t = start
  const push = (state: MachineStateCode, at: number): void => {
    states.push({ ts: at, state, seq: 0 })
  }
  const pick = (xs: readonly MachineStateCode[]): MachineStateCode => xs[Math.floor(rand() * xs.length)] as MachineStateCode
  while (t < end) {
    const r = rand()
    if (r < 0.3) {
      push('RUNNING', t)
      t += 5_000 + Math.floor(rand() * 10 * MIN)
    } else if (r < 0.55) {
      // A micro-stop of 0.2 s to 2.5 min, now and then with a reason update inside it.
      push('DOWN', t)
      const len = 200 + Math.floor(rand() * 150_000)
      if (rand() < 0.3) push('DOWN', t + Math.floor(len / 2))
      t += len
    } else if (r < 0.63) {
      push('DOWN', t)
      const len = 3 * MIN + Math.floor(rand() * 25 * MIN)
      for (let u = 0, k = Math.floor(rand() * 4); u < k; u++) push('DOWN', t + Math.floor(((u + 1) * len) / (k + 1)))
      t += len
    } else if (r < 0.75) {
      // Two events at the same millisecond: an interval of 0 ms.
      push(pick(['DOWN', 'DOWN', 'IDLE', 'RUNNING']), t)
      push(pick(['RUNNING', 'SETUP']), t)
      t += 1 + Math.floor(rand() * 5 * MIN)
    } else {
      push(pick(['IDLE', 'SETUP', 'PLANNED_STOP', 'OFFLINE', 'RUNNING']), t)
      t += 1000 + Math.floor(rand() * 12 * MIN)
    }
  }
  let sorted = states.filter((e) => e.ts < (last?.runningFrom ?? last?.at ?? end))
  if (last) {
    if (last.runningFrom !== undefined) sorted.push({ ts: last.runningFrom, state: 'RUNNING', seq: 0 })
    sorted.push({ ts: last.at, state: last.state, seq: 0 })
    for (const u of last.updates ?? []) sorted.push({ ts: u, state: last.state, seq: 0 })
  }
  sorted = sorted.map((e, i) => ({ ...e, seq: i }))
  const counts: Timeline['counts'] = []
  for (let c = start + Math.floor(rand() * 30_000); c < end; c += 5_000 + Math.floor(rand() * 80_000)) {
    counts.push({ ts: c, produced: Math.floor(rand() * 6), rejected: rand() < 0.2 ? 1 : 0, cycle: Math.round((1.2 + rand() * 3) * 1000) / 1000 })
  }
  const energy: Timeline['energy'] = []
  // A third on whole minutes: on the edges of minutes and slices, where booking (start, end] matters.
  for (let c = start + Math.floor(rand() * 20_000); c < end; c += 3_000 + Math.floor(rand() * 50_000)) energy.push({ ts: rand() < 0.3 ? Math.floor(c / MIN) * MIN : c, kwh: rand() * 0.07 })
  return { machine, states: sorted, counts, energy }
}

/** The timelines as events of one agent per machine, in time order (sequence by time). */
function eventsOf(timelines: readonly Timeline[]): ShopfloorEvent[] {
  const out: ShopfloorEvent[] = []
  for (const [mi, tl] of timelines.entries()) {
    const agent_id = `agent-${mi}`
    type Header = { event_id: string; agent_id: string; seq: number; machine: string; source_ts: number; receive_ts: number }
    const all: Array<{ ts: number; order: number; make: (h: Header) => ShopfloorEvent }> = [
      ...tl.states.map((s) => ({ ts: s.ts, order: s.seq, make: (h: Header): ShopfloorEvent => ({ type: 'machine_state', event: { ...h, state: s.state, reason: s.state === 'DOWN' ? `r${s.seq % 3}` : null } }) })),
      ...tl.counts.map((c, i) => ({ ts: c.ts, order: 1e6 + i, make: (h: Header): ShopfloorEvent => ({ type: 'production_count', event: { ...h, produced: c.produced, rejected: c.rejected, ideal_cycle_s: c.cycle, product: null } }) })),
      ...tl.energy.map((e, i) => ({ ts: e.ts, order: 2e6 + i, make: (h: Header): ShopfloorEvent => ({ type: 'energy_reading', event: { ...h, kwh: e.kwh, kwh_total: 1000 + i, kw: null } }) })),
    ]
    all.sort((a, b) => a.ts - b.ts || a.order - b.order)
    all.forEach((x, seq) => out.push(x.make({ event_id: `${agent_id}:${seq}`, agent_id, seq, machine: tl.machine, source_ts: x.ts, receive_ts: x.ts + 5 })))
  }
  return out
}

/** Random sorted, non-overlapping slices over [from, to): any ms, some under a minute, some whole hours, gaps. */
function randomSlices(rand: () => number, from: number, to: number): SliceSpan[] {
  // The first reaches across a whole hour, quarter hours and minutes, from and to odd ms.
  const out: SliceSpan[] = [{ start: from, end: from + 2 * HOUR + 20 }]
  let t = from + 2 * HOUR + 20 + Math.floor(rand() * 5000)
  while (t < to) {
    const r = rand()
    let len: number
    if (r < 0.25) len = 1 + Math.floor(rand() * 59_999)
    else if (r < 0.5) len = MIN + Math.floor(rand() * 20 * MIN)
    else if (r < 0.7) {
      // Out to a whole hour and then some whole hours: the hour and 15-minute rollups answer.
      const h = Math.ceil(t / HOUR) * HOUR
      len = h - t + HOUR * (1 + Math.floor(rand() * 2)) + (rand() < 0.5 ? 15 * MIN * Math.floor(rand() * 4) : Math.floor(rand() * 30 * MIN))
    } else len = Math.floor(rand() * 90 * MIN) + 1
    out.push({ start: t, end: Math.min(to, t + len) })
    t += len + (rand() < 0.6 ? 0 : Math.floor(rand() * 10 * MIN))
  }
  return out
}

function expected(tl: Timeline, s: SliceSpan, microStopMs: number, now: number): SliceTotals {
  const st = stateTime(tl.states, s.start, s.end, microStopMs, now)
  const c = tl.counts.filter((x) => x.ts >= s.start && x.ts < s.end)
  return {
    ...st,
    produced: c.reduce((a, x) => a + x.produced, 0),
    rejected: c.reduce((a, x) => a + x.rejected, 0),
    idealProducedS: c.reduce((a, x) => a + x.produced * x.cycle, 0),
    idealRejectedS: c.reduce((a, x) => a + x.rejected * x.cycle, 0),
    kwh: tl.energy.filter((x) => x.ts > s.start && x.ts <= s.end).reduce((a, x) => a + x.kwh, 0),
  }
}

const INTS = ['running', 'microStops', 'down', 'idle', 'setup', 'plannedStop', 'offline', 'failures', 'produced', 'rejected'] as const
const FLOATS = ['idealProducedS', 'idealRejectedS', 'kwh'] as const

function compare(got: Map<string, SliceTotals[]>, timelines: readonly Timeline[], slices: readonly SliceSpan[], microStopMs: number, now: number): number {
  let checked = 0
  for (const tl of timelines) {
    const list = got.get(tl.machine)
    expect(list, tl.machine).toBeDefined()
    expect(list?.length).toBe(slices.length)
    for (const [i, s] of slices.entries()) {
      const want = expected(tl, s, microStopMs, now)
      const have = (list as SliceTotals[])[i] as SliceTotals
      const where = `${tl.machine} slice ${i} [${new Date(s.start).toISOString()}, ${new Date(s.end).toISOString()}) micro ${microStopMs} now ${new Date(now).toISOString()}`
      for (const k of INTS) expect(have[k], `${where}: ${k}`).toBe(want[k])
      for (const k of FLOATS) expect(Math.abs(have[k] - want[k]), `${where}: ${k} ${have[k]} vs ${want[k]}`).toBeLessThanOrEqual(1e-6 * Math.max(1e-9, Math.abs(want[k])) + 1e-12)
      checked++
    }
  }
  return checked
}

let dir: string
let ch: Clickhouse
let timelines: Timeline[]
const END = T0 + SPAN
// Last events near the end, chosen so that the open interval at `now` is of each interesting kind.
const NOW = END - 2 * MIN + 777

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shopfloor-kpi-slices-'))
  ch = await openClickhouse({ path: join(dir, 'chdb'), database: 'kpi_slices' })
  await migrate(ch)
  const rand = rng(20260603)
  timelines = [
    // open short DOWN stop (50 s at now) with a reason update
    timeline('vn/p1/f1/smt/l1/printer', rand, T0, END, { state: 'DOWN', at: NOW - 50_000, updates: [NOW - 20_000], runningFrom: NOW - 4 * MIN }),
    // open long DOWN stop
    timeline('vn/p1/f1/smt/l1/reflow', rand, T0 + 7_001, END, { state: 'DOWN', at: NOW - 25 * MIN, updates: [NOW - 10 * MIN, NOW - 9 * MIN] }),
    // first state 2 h after the others: offline before it; SETUP since a few seconds, in the minute of now
    timeline('vn/p1/f1/smt/l2/aoi', rand, T0 + 2 * HOUR + 333, END, { state: 'SETUP', at: NOW - 5_001, runningFrom: NOW - 3 * MIN - 1 }),
    // another factory, ends IDLE; a long quiet stretch inside whole hours
    timeline('vn/p2/f9/sew/l7/m1', rand, T0 + 59_999, END, { state: 'IDLE', at: T0 + 2 * HOUR + 1234 }),
    // states only the day before, the last one still open at now (more than a day old: found through the hour rollup)
    timeline('vn/p2/f9/sew/l7/m2', rand, T0 - 30 * HOUR, T0 - 25 * HOUR, { state: 'SETUP', at: T0 - 25 * HOUR - 5 }),
  ]
  // A machine with counts and energy only (no state ever: all offline).
  timelines.push({ ...timeline('vn/p2/f9/sew/l7/m3', rand, T0, END, null), states: [] })
  const events = eventsOf(timelines)
  const codec = new EventCodec()
  const messages = (evs: readonly ShopfloorEvent[]): IncomingMessage[] => evs.map((e, i) => ({ topic: `t.${e.type}`, key: null, value: codec.encode(e), partition: 0, offset: String(i) }))
  // Two workers, the second with empty caches: it loads each machine's last state (and run start).
  const half = Math.floor(events.length / 2)
  await new Ingest({ clickhouse: ch, codec, logger: silentLogger }).handle(messages(events.slice(0, half)))
  await new Ingest({ clickhouse: ch, codec, logger: silentLogger }).handle(messages(events.slice(half)))
}, 120_000)

afterAll(async () => {
  await ch?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('loadLastStates', () => {
  it('loadLastStates gives each machine\'s latest state and when its run of that state began, as ingest continues it', async () => {
    const got = await loadLastStates(ch, [...timelines.map((t) => t.machine), 'vn/p9/f9/a/l/none'])
    for (const tl of timelines) {
      const last = tl.states.at(-1)
      if (!last) {
        expect(got.has(tl.machine), tl.machine).toBe(false)
        continue
      }
      let since = last.ts
      for (let i = tl.states.length - 1; i >= 0 && (tl.states[i] as StateEvent).state === last.state; i--) since = (tl.states[i] as StateEvent).ts
      expect(got.get(tl.machine), tl.machine).toEqual({ ts: last.ts, state: last.state, since })
    }
    expect(got.has('vn/p9/f9/a/l/none')).toBe(false)
  })
})

describe('sliceTotals', () => {
  it.each([
    ['default threshold', 120_000, 1],
    ['30 s threshold', 30_000, 2],
    ['threshold 0 (no micro-stops)', 0, 3],
    ['1 ms threshold', 1, 4],
    ['10 min threshold', 600_000, 5],
  ])('sliceTotals equals the raw-event computation, %s, random slices', async (_, microStopMs, seed) => {
    const rand = rng(seed * 7919)
    const slices = randomSlices(rand, T0 - 20 * MIN - 17, END + 10 * MIN)
    const got = await sliceTotals(ch, timelines.map((t) => t.machine), slices, { microStopMs, now: NOW })
    const pieces = slicePieces(slices, NOW)
    // The slices exercise every path: hours, quarters, minutes and raw edges.
    expect(pieces.hours.keys.length).toBeGreaterThan(0)
    expect(pieces.halfHours.keys.length).toBeGreaterThan(0)
    expect(pieces.quarters.keys.length).toBeGreaterThan(0)
    expect(pieces.edges.length).toBeGreaterThan(0)
    expect(compare(got, timelines, slices, microStopMs, NOW)).toBe(timelines.length * slices.length)
  })

  it('sliceTotals equals the raw-event computation when `now` lies before later events', async () => {
    const now = T0 + 3 * HOUR + 29_123
    const slices = randomSlices(rng(99), T0 - 5 * MIN, T0 + 4 * HOUR)
    expect(compare(await sliceTotals(ch, timelines.map((t) => t.machine), slices, { microStopMs: 120_000, now }), timelines, slices, 120_000, now)).toBeGreaterThan(0)
  })

  it('sliceTotals splits one day into calendar-like slices on whole minutes exactly (no raw edges)', async () => {
    // Shifts and breaks on whole minutes, a gap between them, clipped at now.
    const day = Math.floor(T0 / HOUR) * HOUR
    const cuts = [0, 90, 120, 150, 210, 330, 345, 400]
    const slices = cuts.slice(0, -1).map((c, i) => ({ start: day + c * MIN, end: day + (cuts[i + 1] as number) * MIN - (i === 3 ? 20 * MIN : 0) }))
    expect(slicePieces(slices, NOW).edges.length).toBe(2) // only where `now` cuts a slice: before it and after
    expect(compare(await sliceTotals(ch, timelines.map((t) => t.machine), slices, { microStopMs: 120_000, now: NOW }), timelines, slices, 120_000, NOW)).toBe(timelines.length * slices.length)
  })

  it('sliceTotals gives all zeros and offline time to a machine without data, and nothing for no slices', async () => {
    const slices = [{ start: T0, end: T0 + HOUR + 5 }]
    const got = await sliceTotals(ch, ['vn/p9/f9/a/l/none'], slices, { microStopMs: 120_000, now: NOW })
    expect(got.get('vn/p9/f9/a/l/none')).toEqual([{ running: 0, microStops: 0, down: 0, idle: 0, setup: 0, plannedStop: 0, offline: HOUR + 5, failures: 0, produced: 0, rejected: 0, idealProducedS: 0, idealRejectedS: 0, kwh: 0 }])
    expect((await sliceTotals(ch, ['vn/p9/f9/a/l/none'], [], { microStopMs: 120_000, now: NOW })).get('vn/p9/f9/a/l/none')).toEqual([])
  })

  it.each([
    ['default threshold, now inside the slices', 120_000, NOW, 11],
    ['30 s threshold, now inside the slices', 30_000, NOW, 12],
    ['default threshold, now before later events', 120_000, T0 + 3 * HOUR + 29_123, 13],
  ])('groupTotals equals the raw-event computation summed over each group of slices, %s', async (_, microStopMs, now, seed) => {
    // Groups as the KPI engine makes them (a bucket and kind of calendar time: slices far apart
    // in one group), in random order, and one group no slice goes to.
    const rand = rng(seed * 104_729)
    const slices = randomSlices(rand, T0 - 20 * MIN - 17, END + 10 * MIN)
    const groups = 7
    const groupOf = slices.map(() => 1 + Math.floor(rand() * (groups - 1)))
    const got = await groupTotals(ch, timelines.map((t) => t.machine), slices, { microStopMs, now, groupOf, groups })
    for (const tl of timelines) {
      const g = got.get(tl.machine) as Float64Array
      expect(g.length).toBe(groups * TOTALS_FIELDS)
      for (let k = 0; k < groups; k++) {
        const mine = slices.filter((_, i) => groupOf[i] === k).map((sl) => expected(tl, sl, microStopMs, now))
        const have = totalsAt(g, k * TOTALS_FIELDS)
        const where = `${tl.machine} group ${k} (${mine.length} slices)`
        for (const f of INTS) expect(have[f], `${where}: ${f}`).toBe(mine.reduce((a, t) => a + t[f], 0))
        for (const f of FLOATS) {
          const want = mine.reduce((a, t) => a + t[f], 0)
          expect(Math.abs(have[f] - want), `${where}: ${f} ${have[f]} vs ${want}`).toBeLessThanOrEqual(1e-6 * Math.max(1e-9, Math.abs(want)) + 1e-12)
        }
      }
    }
  })

  it('groupTotals refuses a group outside [0, groups) naming the bounds', async () => {
    const slices = [{ start: T0, end: T0 + HOUR }]
    await expect(groupTotals(ch, ['vn/p1/f1/smt/l1/printer'], slices, { microStopMs: 120_000, now: NOW, groupOf: [2], groups: 2 })).rejects.toMatchObject({ code: 'SHOPFLOOR_API_INTERNAL', message: expect.stringMatching(/1 slices a group in \[0, 2\)/) })
  })

  it.each([
    ['unsorted', [{ start: T0 + 10, end: T0 + 20 }, { start: T0, end: T0 + 5 }], /slice 1 starts at .* before slice 0 ends/],
    ['overlapping', [{ start: T0, end: T0 + 20 }, { start: T0 + 10, end: T0 + 30 }], /slice 1 starts at .* before slice 0 ends/],
    ['end before start', [{ start: T0 + 10, end: T0 }], /slice 0 .* start <= end/],
    ['fractional ms', [{ start: T0 + 0.5, end: T0 + 10 }], /slice 0 .* whole epoch milliseconds/],
  ])('sliceTotals rejects %s slices with a message naming the slice', async (_, slices, message) => {
    await expect(sliceTotals(ch, ['vn/p1/f1/smt/l1/printer'], slices, { microStopMs: 120_000, now: NOW })).rejects.toMatchObject({ code: 'SHOPFLOOR_API_INTERNAL', message: expect.stringMatching(message) })
  })
})
