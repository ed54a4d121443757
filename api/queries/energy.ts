/**
 * Energy from the rollups (docs/energy.md), in one query: kWh, kvarh and units per machine and per
 * bucket, kWh split by machine state, by calendar kind and by time-of-use class, the peak quarter
 * hour of each machine and the machines' summed kWh per quarter hour (for coincident peaks). Never
 * sums raw readings over a window.
 *
 * - Quarter hours come from machine_rollup_15m: each 15-minute interval of a machine is one row,
 *   its kWh shared among the states by the milliseconds each had in it (the interval still open
 *   at `now` counts for the machine's latest state). A quarter lies in one time-of-use period
 *   (periods change on quarter hours), so it is mapped whole to its slice (bucket, calendar kind,
 *   class) by a lookup array.
 * - A quarter that a slice edge cuts (a break at 10:10, a shift bucket, a window edge) is read
 *   from machine_rollup_1m instead, minute by minute, each minute mapped to its own slice.
 * - An interval whose kWh is negative, not finite, or above `maxKw` over its length is *suspect*:
 *   it is left out of every sum and returned on its own, so that its raw readings can be checked
 *   one by one (a reading after a gap legitimately carries the gap's energy).
 */
import { MACHINE_STATES, STATE_COLUMNS, type Clickhouse, type MachineStateCode } from '../../stream/index.ts'
import type { EnergySlice } from '../energy/layout.ts'
import { addOeeTime, type KwhByOeeTime, type TimeKind } from '../energy/states.ts'

const MINUTE_MS = 60_000
const QUARTER_MS = 900_000
const HOUR_MS = 3_600_000

/** Calendar kinds as small integers in SQL. */
const KINDS: readonly TimeKind[] = ['production', 'break', 'holiday', 'planned_downtime', 'no_shift']

type Num = number | string
const num = (v: Num | null | undefined): number => Number(v ?? 0)

/** Path prefixes: rollups and event tables are sorted by factory and line first. */
const prefix = (path: string, segments: number): string => path.split('/').slice(0, segments).join('/')

/** The machines with their factories and lines: rollups and event tables are sorted by those first. */
export function ids(machines: readonly string[]): { machines: readonly string[]; factories: string[]; lines: string[] } {
  return { machines, factories: [...new Set(machines.map((m) => prefix(m, 3)))], lines: [...new Set(machines.map((m) => prefix(m, 5)))] }
}

export const ROLLUP_WHERE = 'factory IN {factories:Array(String)} AND line IN {lines:Array(String)} AND machine IN {machines:Array(String)}'

/** A machine's latest state event: its state is in force from `t` until now. */
export interface LatestState {
  readonly t: number
  readonly state: MachineStateCode
}

export interface EnergyQuery {
  readonly machines: readonly string[]
  /** The window's slices: sorted, covering [from, to) on whole minutes. */
  readonly slices: readonly EnergySlice[]
  /** Machines whose units count for the scope's good units (end-of-line machines of its lines). */
  readonly unitMachines: readonly string[]
  /** Latest state event per machine (absent: none known, the machine is OFFLINE throughout). */
  readonly latest: ReadonlyMap<string, LatestState>
  readonly now: number
  /** Highest plausible mean power of one machine, kW: an interval above it is suspect. */
  readonly maxKw: number
}

/** Sums of a machine over the window, or of all machines in a bucket. */
export interface EnergySums {
  kwh: number
  kvarh: number
  produced: number
  rejected: number
  /** Units of the `unitMachines` only. */
  unitProduced: number
  unitRejected: number
  byState: Record<MachineStateCode, number>
  byOeeTime: KwhByOeeTime
  /** kWh per time-of-use class index (EnergyLayout.classes). */
  byClass: Map<number, number>
}

/** A peak quarter hour: its kWh (mean kW = kWh × 4) and start. */
export interface QuarterPeak {
  readonly kwh: number
  readonly start: number
}

/** An interval (a quarter, or a minute of a cut quarter) left out of the sums: its readings are to be checked one by one. */
export interface SuspectInterval {
  readonly machine: string
  readonly start: number
  readonly length: number
  readonly slice: number
  /** Units counted in it: units are not suspect, they go into the sums as they are. */
  readonly produced: number
  readonly rejected: number
}

export interface EnergyTotals {
  /** Per machine, over the window. */
  readonly machines: Map<string, EnergySums>
  /** Per slice bucket index (EnergySlice.bucket), over all machines. */
  readonly buckets: Map<number, EnergySums>
  /** Per machine: its quarter hour with the most kWh (a quarter cut by a slice edge taken whole). */
  readonly peaks: Map<string, QuarterPeak>
  /** Per bucket index, per quarter start: kWh of all machines in the part of the quarter inside the bucket. */
  readonly quarters: Map<number, Map<number, number>>
  readonly suspects: SuspectInterval[]
}

export const emptySums = (): EnergySums => ({
  kwh: 0,
  kvarh: 0,
  produced: 0,
  rejected: 0,
  unitProduced: 0,
  unitRejected: 0,
  byState: Object.fromEntries(MACHINE_STATES.map((s) => [s, 0])) as Record<MachineStateCode, number>,
  byOeeTime: { apt: 0, aust: 0, adet: 0, adot: 0, pdt: 0, notPlanned: 0, offline: 0 },
  byClass: new Map(),
})

/** Slice codes (slice index + 1; 0 = none) per quarter hour, and per minute of the quarters that a slice edge cuts. */
export interface QuarterCodes {
  /** Start of the first quarter, epoch ms. */
  readonly q0: number
  readonly quarters: number[]
  /** Minute starts (epoch s) of cut quarters inside the window, and their codes. */
  readonly minuteKeys: number[]
  readonly minuteCodes: number[]
}

/** The code of each quarter (and minute of a cut quarter) of the spans' range; `codeOf(span, index)` gives a span's code. */
export function quarterCodes<S extends { start: number; end: number }>(spans: readonly S[], codeOf: (s: S, index: number) => number): QuarterCodes {
  const from = (spans[0] as S).start
  const to = (spans.at(-1) as S).end
  const q0 = Math.floor(from / QUARTER_MS) * QUARTER_MS
  const quarters: number[] = []
  const minuteKeys: number[] = []
  const minuteCodes: number[] = []
  let i = 0
  for (let q = q0; q < to; q += QUARTER_MS) {
    while (i < spans.length && (spans[i] as S).end <= q) i++
    const s = spans[i]
    if (s && s.start <= q && q + QUARTER_MS <= s.end) {
      quarters.push(codeOf(s, i))
      continue
    }
    quarters.push(0)
    let j = i
    for (let m = Math.max(q, from); m < Math.min(q + QUARTER_MS, to); m += MINUTE_MS) {
      while (j < spans.length && (spans[j] as S).end <= m) j++
      const sm = spans[j]
      if (sm && sm.start <= m) {
        minuteKeys.push(m / 1000)
        minuteCodes.push(codeOf(sm, j))
      }
    }
  }
  return { q0, quarters, minuteKeys, minuteCodes }
}

const MEASURES = `kwh AS v_e, kvarh AS v_r, produced AS v_p, rejected AS v_j, ${MACHINE_STATES.map((s, k) => `${STATE_COLUMNS[s]} AS v_${k}`).join(', ')}`

/**
 * kWh of each state in an interval (`e_k`): its kWh × the state's ms (plus the open interval for
 * the latest state) / all ms. Written with one division and products by booleans, which
 * ClickHouse vectorizes, rather than a branch per state.
 */
function shareColumns(): string {
  const offline = MACHINE_STATES.indexOf('OFFLINE')
  const x = MACHINE_STATES.map((_, k) => `v_${k} + open_ms * (ls = ${k}) AS x_${k}`)
  const tot = `${MACHINE_STATES.map((_, k) => `x_${k}`).join(' + ')} AS tot`
  const inv = 'if(tot = 0, 0., v_e / tot) AS per_ms'
  // An interval without state time (before the machine's first state) is OFFLINE.
  const e = MACHINE_STATES.map((_, k) => `x_${k} * per_ms${k === offline ? ' + v_e * (tot = 0)' : ''} AS e_${k}`)
  return [...x, tot, inv, ...e].join(',\n        ')
}

interface TotalsRow {
  m: string
  bi: Num
  sm: Num
  qs: Num
  code: Num
  len: Num
  kwh: number
  kvarh: number
  produced: Num
  rejected: Num
  unit_produced: Num
  unit_rejected: Num
  kind: Num
  cl: Num
  peak: number
  peak_at: Num
  [k: string]: unknown
}

/**
 * kWh, kvarh, units, kWh by state, by time element and by class: per machine over the window, per
 * bucket over all machines, per bucket and quarter over all machines; each machine's peak quarter;
 * suspect intervals apart (see the file's comment). One query; the rollups are read with FINAL.
 */
export async function energyTotals(ch: Clickhouse, q: EnergyQuery): Promise<EnergyTotals> {
  const out: EnergyTotals = { machines: new Map(q.machines.map((m) => [m, emptySums()])), buckets: new Map(), peaks: new Map(), quarters: new Map(), suspects: [] }
  if (q.machines.length === 0 || q.slices.length === 0) return out
  const from = (q.slices[0] as EnergySlice).start
  const to = (q.slices.at(-1) as EnergySlice).end
  const codes = quarterCodes(q.slices, (_s, i) => i + 1)
  const latest = [...q.latest.entries()]
  const params = {
    ...ids(q.machines),
    w0: Math.floor(from / 1000),
    w1: Math.ceil(to / 1000),
    q0: codes.q0,
    qc: codes.quarters,
    mk: codes.minuteKeys,
    mc: codes.minuteCodes,
    sb: q.slices.map((s) => s.bucket + 1),
    sk: q.slices.map((s) => KINDS.indexOf(s.kind)),
    scl: q.slices.map((s) => s.cls),
    lm: latest.map(([m]) => m),
    lt: latest.map(([, l]) => l.t),
    ls: latest.map(([, l]) => MACHINE_STATES.indexOf(l.state)),
    now: q.now,
    maxkwh_per_ms: q.maxKw / HOUR_MS,
    units: q.unitMachines,
  }
  const db = ch.database
  const minutes =
    codes.minuteKeys.length === 0
      ? ''
      : `UNION ALL
        SELECT mm, t, qs, len, code, ${['v_e', 'v_r', 'v_p', 'v_j', ...MACHINE_STATES.map((_, k) => `v_${k}`)].join(', ')},
          -- the quarter's kWh, of its minutes that are not suspect: what its peak candidate is
          sumIf(v_e, isFinite(v_e) AND isFinite(v_r) AND v_e >= 0 AND v_r >= 0 AND v_e <= len * {maxkwh_per_ms:Float64}) OVER (PARTITION BY mm, qs) AS qk
        FROM (
          SELECT machine AS mm, toInt64(toUnixTimestamp(bucket)) * 1000 AS t, intDiv(t, ${QUARTER_MS}) * ${QUARTER_MS} AS qs, toInt64(${MINUTE_MS}) AS len,
            transform(toUInt32(bucket), {mk:Array(UInt32)}, {mc:Array(UInt32)}, toUInt32(0)) AS code, ${MEASURES}
          FROM ${db}.machine_rollup_1m FINAL
          WHERE ${ROLLUP_WHERE} AND bucket IN arrayMap(x -> toDateTime(x, 'UTC'), {mk:Array(UInt32)})
        )`
  // Sums per machine, bucket, kind and class. kWh is Σ of its shares by state (they add up to 1);
  // the units of the unit machines are picked in the outer grouping (the machine is in the key).
  const sums = ['v_r AS kvarh', 'v_p AS produced', 'v_j AS rejected', ...MACHINE_STATES.map((_, k) => `e_${k} AS s_${k}`)]
  const names = sums.map((x) => x.split(' AS ')[1] as string)
  const kwhOf = MACHINE_STATES.map((_, k) => `s_${k}_1`).join(' + ')
  // Rows: one per machine quarter (or minute of a cut quarter), with its slice and state shares.
  const rows = `
      SELECT mm, t, qs, len, code, v_e, v_r, v_p, v_j, ${MACHINE_STATES.map((_, k) => `v_${k}`).join(', ')}, qk,
        {sb:Array(UInt32)}[code] AS bi, {sk:Array(UInt8)}[code] AS kind, toUInt32({scl:Array(UInt32)}[code]) AS cl,
        -- transform, not has() or indexOf(): on a LowCardinality machine it runs once per machine, not per row
        transform(mm, {units:Array(String)}, arrayMap(x -> toUInt8(1), {units:Array(String)}), toUInt8(0)) = 1 AS unit,
        NOT (isFinite(v_e) AND isFinite(v_r) AND v_e >= 0 AND v_r >= 0 AND v_e <= len * {maxkwh_per_ms:Float64}) AS suspect,
        if(suspect, t, 0) AS sm,
        transform(mm, {lm:Array(String)}, {lt:Array(Int64)}, toInt64(9e15)) AS lt_ms,
        transform(mm, {lm:Array(String)}, {ls:Array(UInt8)}, toUInt8(255)) AS ls,
        greatest(toInt64(0), least(t + len, {now:Int64}) - greatest(t, lt_ms)) AS open_ms,
        ${shareColumns()}
      FROM (
        SELECT mm, t, t AS qs, len, code, ${['v_e', 'v_r', 'v_p', 'v_j', ...MACHINE_STATES.map((_, k) => `v_${k}`)].join(', ')}, v_e AS qk
        FROM (
          SELECT machine AS mm, toInt64(toUnixTimestamp(bucket)) * 1000 AS t, toInt64(${QUARTER_MS}) AS len,
            {qc:Array(UInt32)}[intDiv(t - {q0:Int64}, ${QUARTER_MS}) + 1] AS code, ${MEASURES}
          FROM ${db}.machine_rollup_15m FINAL
          WHERE ${ROLLUP_WHERE} AND bucket >= toDateTime({w0:UInt32}, 'UTC') AND bucket < toDateTime({w1:UInt32}, 'UTC')
        )
        WHERE code != 0
        ${minutes}
      )`
  // One pass adds the rows up per machine, bucket, calendar kind, class (and suspect interval);
  // grouping sets on that small result give the machines and the buckets. A second, light pass
  // adds up each bucket's quarters over all machines, for the coincident peaks.
  const rs = await ch.client.query({
    query: `
    SELECT toString(mm) AS m, bi, sm, toInt64(0) AS qs, kind, cl, any(code1) AS code, any(len1) AS len,
      sum(${kwhOf}) AS kwh, ${names.map((n) => `sum(${n}_1) AS ${n}`).join(', ')},
      sumIf(produced_1, unit1) AS unit_produced, sumIf(rejected_1, unit1) AS unit_rejected,
      max(peak1) AS peak, argMax(peak_at1, peak1) AS peak_at
    FROM (
      SELECT mm, bi, kind, cl, sm, any(code) AS code1, any(len) AS len1, any(unit) AS unit1,
        ${sums.map((x) => `sum(${x.replace(' AS ', ') AS ')}_1`).join(', ')},
        max(qk) AS peak1, argMax(qs, qk) AS peak_at1
      FROM (${rows})
      GROUP BY mm, bi, kind, cl, sm
    )
    GROUP BY GROUPING SETS ((mm, kind, cl, sm), (bi, kind, cl, sm))
    UNION ALL
    SELECT '' AS m, bi, toInt64(0) AS sm, qs, toUInt8(255) AS kind, toUInt32(0) AS cl, toUInt32(0) AS code, toInt64(0) AS len,
      sum(v_e) AS kwh, ${names.map((n) => `0 AS ${n}`).join(', ')}, 0 AS unit_produced, 0 AS unit_rejected,
      0 AS peak, toInt64(0) AS peak_at
    FROM (${rows})
    WHERE NOT suspect
    GROUP BY bi, qs`,
    query_params: params,
    format: 'JSONEachRow',
    clickhouse_settings: { do_not_merge_across_partitions_select_final: 1 },
  })
  for (const row of await rs.json<TotalsRow>()) {
    const sm = num(row.sm)
    const bi = num(row.bi) - 1
    if (sm !== 0) {
      // A suspect interval comes once per grouping set: keep the machine's.
      if (row.m === '') continue
      out.suspects.push({
        machine: row.m,
        start: sm,
        length: num(row.len),
        slice: num(row.code) - 1,
        produced: num(row.produced),
        rejected: num(row.rejected),
      })
      continue
    }
    if (num(row.qs) !== 0) {
      // A bucket's quarter over all machines, for the coincident peaks.
      const byQ = out.quarters.get(bi) ?? new Map<number, number>()
      out.quarters.set(bi, byQ)
      byQ.set(num(row.qs), (byQ.get(num(row.qs)) ?? 0) + Number(row.kwh))
      continue
    }
    // Rows per (machine | bucket) × calendar kind × class: summed here.
    const into = row.m !== '' ? out.machines : out.buckets
    const key = row.m !== '' ? row.m : bi
    const s = (into as Map<string | number, EnergySums>).get(key) ?? emptySums()
    ;(into as Map<string | number, EnergySums>).set(key, s)
    s.kwh += Number(row.kwh)
    s.kvarh += Number(row.kvarh)
    s.produced += num(row.produced)
    s.rejected += num(row.rejected)
    s.unitProduced += num(row.unit_produced)
    s.unitRejected += num(row.unit_rejected)
    const byState = Object.fromEntries(MACHINE_STATES.map((st, k) => [st, Number(row[`s_${k}`])])) as Record<MachineStateCode, number>
    for (const st of MACHINE_STATES) s.byState[st] += byState[st]
    addOeeTime(s.byOeeTime, KINDS[num(row.kind)] as TimeKind, byState)
    s.byClass.set(num(row.cl), (s.byClass.get(num(row.cl)) ?? 0) + Number(row.kwh))
    const peak = out.peaks.get(row.m)
    const kwh = Number(row.peak)
    const at = num(row.peak_at)
    if (row.m !== '' && kwh > 0 && (!peak || kwh > peak.kwh || (kwh === peak.kwh && at < peak.start))) out.peaks.set(row.m, { kwh, start: at })
  }
  return out
}
