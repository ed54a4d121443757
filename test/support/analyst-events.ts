// The analysts' test data: the twelve seeded factories (api/seed/factories.yaml: parks vsip-1,
// my-phuoc-3, song-than-2; sectors 26, 14, 31) each send one morning a month, January and February
// 2026, set by hand so that the factories' monthly sums are known without the KPI engine. Two
// weaknesses are crafted in:
//
// - a two-factory cell: vsip-1 × 26 holds saigon-pcb and binh-hoa-smt only;
// - a dominated cell: rach-bap-garment uses 80 of my-phuoc-3's 140 kWh (57 % > 50 %), and 80 of
//   sector 14's 140 kWh.
//
// Each factory, on Tuesday 13 January and Tuesday 10 February (local time, UTC+7), on its only
// line's only machine (ideal cycle 10 s): RUNNING 07:00, a count at 08:30 (produced P, rejected R),
// an energy reading at 08:30 (K kWh), IDLE 09:00, OFFLINE 09:30. 07:00-09:30 is production time in
// both calendars (three-shift: shift A 06:00-14:00, meal 10:00; two-shift: 07:00-15:00, lunch
// 11:00): PBT 9,000 s, APT 7,200 s, reported 9,000 s. CO2 = kWh × 0.6592 (the 2023 factor, the
// latest for 2026).
import type { FactoryContribution } from '../../api/analyst/index.ts'
import { planSegments } from '../../api/calendar/index.ts'
import { factoriesOf } from '../../api/reference/index.ts'
import type { ShopfloorEvent } from '../../stream/index.ts'
import { testReference } from './api.ts'

export const EF_2023 = 0.6592
export const IDEAL_S = 10
/** Local time (UTC+7), epoch ms. */
const L = (month: number, day: number, h: number, m = 0): number => Date.UTC(2026, month - 1, day, h - 7, m)
const DAYS: ReadonlyArray<[string, number, number]> = [
  ['2026-01', 1, 13],
  ['2026-02', 2, 10],
]

/** Produced, rejected and kWh of each factory per month (index 0: January, 1: February). */
export const FIGURES: Record<string, ReadonlyArray<{ p: number; r: number; k: number }>> = {
  'hcmc/vsip-1/saigon-pcb': [{ p: 600, r: 10, k: 20 }, { p: 620, r: 12, k: 21 }],
  'hcmc/vsip-1/binh-hoa-smt': [{ p: 560, r: 8, k: 20 }, { p: 540, r: 9, k: 19 }],
  'hcmc/vsip-1/thuan-an-garment': [{ p: 500, r: 5, k: 20 }, { p: 510, r: 4, k: 20 }],
  'hcmc/vsip-1/lai-thieu-furniture': [{ p: 480, r: 6, k: 20 }, { p: 470, r: 7, k: 22 }],
  'hcmc/my-phuoc-3/ben-cat-electronics': [{ p: 590, r: 11, k: 20 }, { p: 600, r: 10, k: 20 }],
  'hcmc/my-phuoc-3/my-phuoc-apparel': [{ p: 520, r: 3, k: 20 }, { p: 515, r: 5, k: 21 }],
  'hcmc/my-phuoc-3/rach-bap-garment': [{ p: 530, r: 6, k: 80 }, { p: 525, r: 6, k: 80 }],
  'hcmc/my-phuoc-3/song-be-wood': [{ p: 490, r: 9, k: 20 }, { p: 495, r: 8, k: 20 }],
  'hcmc/song-than-2/di-an-boards': [{ p: 610, r: 7, k: 20 }, { p: 605, r: 9, k: 20 }],
  'hcmc/song-than-2/dong-hoa-fashion': [{ p: 505, r: 4, k: 20 }, { p: 500, r: 6, k: 19 }],
  'hcmc/song-than-2/tan-dong-furniture': [{ p: 485, r: 5, k: 20 }, { p: 480, r: 5, k: 20 }],
  'hcmc/song-than-2/sai-gon-oak': [{ p: 475, r: 7, k: 20 }, { p: 470, r: 6, k: 20 }],
}

const reference = testReference()
export const factories = factoriesOf(reference)
export const machineOf = (factory: string): string => `${factory}/plant/line-1/m1`

export function events(): ShopfloorEvent[] {
  const out: ShopfloorEvent[] = []
  for (const [i, f] of factories.entries()) {
    const agent = `gw-${i}`
    let seq = 0
    const head = (ts: number) => ({ event_id: `${agent}:${++seq}`, agent_id: agent, seq, machine: machineOf(f.path), source_ts: ts, receive_ts: ts + 5 })
    out.push({
      type: 'agent_heartbeat',
      event: {
        event_id: `${agent}:${++seq}`,
        agent_id: agent,
        seq,
        source_ts: L(1, 1, 0),
        version: '0.1.0',
        started_ts: L(1, 1, 0),
        machines: [{ machine: machineOf(f.path), name: 'm1', position: 0, ideal_cycle_s: IDEAL_S, line_ideal_cycle_s: IDEAL_S, end_of_line: true }],
      },
    } as ShopfloorEvent)
    for (const [m, [, month, day]] of DAYS.entries()) {
      const x = (FIGURES[f.path] as ReadonlyArray<{ p: number; r: number; k: number }>)[m] as { p: number; r: number; k: number }
      out.push({ type: 'machine_state', event: { ...head(L(month, day, 7)), state: 'RUNNING', reason: null } })
      out.push({ type: 'production_count', event: { ...head(L(month, day, 8, 30)), produced: x.p, rejected: x.r, ideal_cycle_s: IDEAL_S, product: null } })
      out.push({ type: 'energy_reading', event: { ...head(L(month, day, 8, 30)), kwh: x.k, kwh_total: 1000 * (m + 1) + x.k, kw: null, kvarh: null, kvarh_total: null } })
      out.push({ type: 'machine_state', event: { ...head(L(month, day, 9)), state: 'IDLE', reason: null } })
      out.push({ type: 'machine_state', event: { ...head(L(month, day, 9, 30)), state: 'OFFLINE', reason: null } })
    }
  }
  return out
}

/** The calendar's production seconds of a factory in a month (its only line): the expected time. */
function expectedSeconds(factory: string, month: number): number {
  const f = factories.find((x) => x.path === factory)
  if (!f) throw new Error(factory)
  const segs = planSegments(f.calendar, f.timezone, Date.UTC(2026, month - 1, 1, -7), Date.UTC(2026, month, 1, -7))
  return segs.filter((s) => s.kind === 'production').reduce((a, s) => a + (s.end - s.start) / 1000, 0)
}

/** The factories' monthly sums, by hand from FIGURES. */
export const HAND: FactoryContribution[] = factories.flatMap((f) =>
  DAYS.map(([month, m], i) => {
    const x = (FIGURES[f.path] as ReadonlyArray<{ p: number; r: number; k: number }>)[i] as { p: number; r: number; k: number }
    return {
      factory: f.path,
      month,
      region: f.region,
      park: f.park,
      sector: f.sector?.division ?? '',
      plannedBusyS: 9000,
      actualProductionS: 7200,
      idealProducedS: x.p * IDEAL_S,
      idealGoodS: (x.p - x.r) * IDEAL_S,
      produced: x.p,
      good: x.p - x.r,
      kwh: x.k,
      co2Kg: x.k * EF_2023,
      expectedS: expectedSeconds(f.path, m),
      reportedS: 9000,
    }
  }),
)

