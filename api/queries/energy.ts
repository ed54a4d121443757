/**
 * Energy from the rollups (docs/energy.md), in two queries: kWh, kvarh and units per machine and per
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

/**
 * Machine intervals as one UInt64 each, (index of the machine in `{machines}`) << 32 | start in
 * epoch seconds, for `key IN {param:Array(UInt64)}`: a set lookup per row, where a tuple IN an
 * array built by a function is a scan of the array per row.
 */
export const intervalKeySql = (machineCol: string, startSecondsSql: string): string =>
  `bitOr(bitShiftLeft(toUInt64(transform(${machineCol}, {machines:Array(String)}, range(toUInt32(length({machines:Array(String)}))), toUInt32(0))), 32), toUInt64(${startSecondsSql}))`

/** The keys of {@link intervalKeySql} for intervals (start in epoch ms); bigint, as they pass 2^53. */
export function intervalKeys(machines: readonly string[], intervals: ReadonlyArray<{ machine: string; start: number }>): bigint[] {
  const index = new Map(machines.map((m, i) => [m, i]))
  return intervals.map((x) => (BigInt(index.get(x.machine) ?? 0) << 32n) | BigInt(Math.floor(x.start / 1000)))
}

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
const V_COLUMNS = ['v_e', 'v_r', 'v_p', 'v_j', ...MACHINE_STATES.map((_, k) => `v_${k}`)].join(', ')
const OFFLINE = MACHINE_STATES.indexOf('OFFLINE')

/**
 * kWh of each state in an interval: its kWh × the state's ms / all ms (`pe` = kWh per ms). The
 * interval still open at `now` (`open_ms`, of the machine's latest state) is `e_open`, added to
 * that state by the caller; an interval without state time (before the machine's first state) is
 * OFFLINE. One division and products by booleans, which ClickHouse vectorizes.
 */
function shareColumns(): string {
  const tot = `${MACHINE_STATES.map((_, k) => `v_${k}`).join(' + ')} + open_ms AS tot`
  const e = MACHINE_STATES.map((_, k) => `v_${k} * pe${k === OFFLINE ? ' + v_e * (tot = 0)' : ''} AS e_${k}`)
  return [tot, 'if(tot = 0, 0., v_e / tot) AS pe', ...e, 'open_ms * pe AS e_open'].join(',\n        ')
}

interface TotalsRow {
  m: string
  bi: Num
  sm: Num
  kc: Num
  ls: Num
  kvarh: number
  produced: Num
  rejected: Num
  unit_produced: Num
  unit_rejected: Num
  peak: number
  peak_at: Num
  [k: string]: unknown
}

/** Suspect keys: the interval's start × 2, + 1 for a minute (a quarter otherwise); 0 for the rest. */
const decodeSuspect = (sm: number): { start: number; length: number } => ({ start: Math.floor(sm / 2), length: sm % 2 === 1 ? MINUTE_MS : QUARTER_MS })

/**
 * kWh, kvarh, units, kWh by state, by time element and by class: per machine over the window, per
 * bucket over all machines, per bucket and quarter over all machines; each machine's peak quarter;
 * suspect intervals apart (see the file's comment).
 *
 * Two queries. The first reads the rollups with FINAL (a quarter's state time and kWh may still be
 * in different parts), shares each interval's kWh among its states (that needs the interval's own
 * row) and adds the intervals up per machine and per bucket (grouping sets), by calendar kind and
 * class. The second adds every bucket-quarter's kWh up over all machines for the coincident peaks:
 * plain sums, no FINAL, leaving out the suspect intervals the first found (docs/energy.md,
 * Performance).
 */
export async function energyTotals(ch: Clickhouse, q: EnergyQuery): Promise<EnergyTotals> {
  const out: EnergyTotals = { machines: new Map(q.machines.map((m) => [m, emptySums()])), buckets: new Map(), peaks: new Map(), quarters: new Map(), suspects: [] }
  if (q.machines.length === 0 || q.slices.length === 0) return out
  const from = (q.slices[0] as EnergySlice).start
  const to = (q.slices.at(-1) as EnergySlice).end
  const codes = quarterCodes(q.slices, (_s, i) => i + 1)
  const latest = [...q.latest.entries()]
  const window = { ...ids(q.machines), w0: Math.floor(from / 1000), w1: Math.ceil(to / 1000), mk: codes.minuteKeys }
  const params = {
    ...window,
    q0: codes.q0,
    qc: codes.quarters,
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
  const plausible = 'isFinite(v_e) AND isFinite(v_r) AND v_e >= 0 AND v_r >= 0 AND v_e <= len * {maxkwh_per_ms:Float64}'
  // Minutes of cut quarters: `toUInt32(bucket) IN keys` is read through the primary key (a
  // `bucket IN arrayMap(...)` was not: 100 times slower).
  const minutes =
    codes.minuteKeys.length === 0
      ? ''
      : `UNION ALL
        SELECT mm, t, qs, len, code, ${V_COLUMNS},
          -- the quarter's kWh, of its minutes that are not suspect: what its peak candidate is
          sumIf(v_e, ${plausible}) OVER (PARTITION BY mm, qs) AS qk
        FROM (
          SELECT machine AS mm, toInt64(toUnixTimestamp(bucket)) * 1000 AS t, intDiv(t, ${QUARTER_MS}) * ${QUARTER_MS} AS qs, toInt64(${MINUTE_MS}) AS len,
            transform(toUInt32(bucket), {mk:Array(UInt32)}, {mc:Array(UInt32)}, toUInt32(0)) AS code, ${MEASURES}
          FROM ${db}.machine_rollup_1m FINAL
          WHERE ${ROLLUP_WHERE} AND toUInt32(bucket) IN {mk:Array(UInt32)}
        )`
  const states = MACHINE_STATES.map((_, k) => `s_${k}`)
  // Pass 1: one row per machine quarter (or minute of a cut quarter) with its slice's bucket,
  // calendar kind and class and its state shares, added up per machine and per bucket directly:
  // two small hash tables (a few thousand groups), cheaper than adding up per machine and slice
  // first (175,000 groups for a factory over 90 days) and then again.
  const [rs] = await Promise.all([ch.client.query({
    query: `
    SELECT toString(mm) AS m, bi, sm, kc, ls, sum(v_r) AS kvarh, sum(v_p) AS produced, sum(v_j) AS rejected,
      ${MACHINE_STATES.map((_, k) => `sum(e_${k}) AS s_${k}`).join(', ')}, sum(e_open) AS so,
      sumIf(v_p, unit) AS unit_produced, sumIf(v_j, unit) AS unit_rejected,
      max(qk) AS peak, argMax(qs, qk) AS peak_at
    FROM (
      SELECT *, {sb:Array(UInt32)}[code] AS bi,
        -- calendar kind << 24 | class: one key column
        bitOr(bitShiftLeft(toUInt32({sk:Array(UInt8)}[code]), 24), toUInt32({scl:Array(UInt32)}[code])) AS kc,
        -- transform, not has() or indexOf(): on a LowCardinality machine it runs once per machine, not per row
        transform(mm, {units:Array(String)}, arrayMap(x -> toUInt8(1), {units:Array(String)}), toUInt8(0)) = 1 AS unit,
        transform(mm, {lm:Array(String)}, {ls:Array(UInt8)}, toUInt8(255)) AS ls,
        if(${plausible}, 0, t * 2 + (len = ${MINUTE_MS})) AS sm,
        greatest(toInt64(0), least(t + len, {now:Int64}) - greatest(t, transform(mm, {lm:Array(String)}, {lt:Array(Int64)}, toInt64(9e15)))) AS open_ms,
        ${shareColumns()}
      FROM (
        SELECT mm, t, t AS qs, len, code, ${V_COLUMNS}, v_e AS qk
        FROM (
          SELECT machine AS mm, toInt64(toUnixTimestamp(bucket)) * 1000 AS t, toInt64(${QUARTER_MS}) AS len,
            {qc:Array(UInt32)}[intDiv(t - {q0:Int64}, ${QUARTER_MS}) + 1] AS code, ${MEASURES}
          FROM ${db}.machine_rollup_15m FINAL
          WHERE ${ROLLUP_WHERE} AND bucket >= toDateTime({w0:UInt32}, 'UTC') AND bucket < toDateTime({w1:UInt32}, 'UTC')
        )
        WHERE code != 0
        ${minutes}
      )
    )
    GROUP BY GROUPING SETS ((mm, kc, sm), (bi, kc, sm, ls))`,
    query_params: params,
    format: 'JSONEachRow',
    clickhouse_settings: { do_not_merge_across_partitions_select_final: 1 },
  }), coincidentQuarters(ch, out, codes, q.slices, { ...window, maxkwh_per_ms: params.maxkwh_per_ms })])
  const minuteCode = new Map(codes.minuteKeys.map((k, i) => [k * 1000, codes.minuteCodes[i] as number]))
  for (const row of await rs.json<TotalsRow>()) {
    const sm = num(row.sm)
    const bi = num(row.bi) - 1
    if (sm !== 0) {
      // A suspect interval comes once per grouping set: keep the machine's.
      if (row.m === '') continue
      const { start, length } = decodeSuspect(sm)
      const code = length === QUARTER_MS ? (codes.quarters[(start - codes.q0) / QUARTER_MS] ?? 0) : (minuteCode.get(start) ?? 0)
      out.suspects.push({ machine: row.m, start, length, slice: code - 1, produced: num(row.produced), rejected: num(row.rejected) })
      continue
    }
    // Rows per (machine | bucket) × calendar kind × class: summed here.
    const kc = num(row.kc)
    const kind = KINDS[kc >>> 24] as TimeKind
    const cl = kc & 0xffffff
    const into = row.m !== '' ? out.machines : out.buckets
    const key = row.m !== '' ? row.m : bi
    const s = (into as Map<string | number, EnergySums>).get(key) ?? emptySums()
    ;(into as Map<string | number, EnergySums>).set(key, s)
    s.kvarh += Number(row.kvarh)
    s.produced += num(row.produced)
    s.rejected += num(row.rejected)
    s.unitProduced += num(row.unit_produced)
    s.unitRejected += num(row.unit_rejected)
    const byState = Object.fromEntries(MACHINE_STATES.map((st, k) => [st, Number(row[states[k] as string])])) as Record<MachineStateCode, number>
    // The interval open at `now` is the machine's latest state's (a bucket row has it in its key).
    const open = row.m !== '' ? q.latest.get(row.m)?.state : MACHINE_STATES[num(row.ls)]
    if (open) byState[open] += Number(row['so'])
    let kwh = 0
    for (const st of MACHINE_STATES) {
      s.byState[st] += byState[st]
      kwh += byState[st]
    }
    s.kwh += kwh
    addOeeTime(s.byOeeTime, kind, byState)
    s.byClass.set(cl, (s.byClass.get(cl) ?? 0) + kwh)
    const peak = out.peaks.get(row.m)
    const pk = Number(row.peak)
    const at = num(row.peak_at)
    if (row.m !== '' && pk > 0 && (!peak || pk > peak.kwh || (pk === peak.kwh && at < peak.start))) out.peaks.set(row.m, { kwh: pk, start: at })
  }
  return out
}

/**
 * Pass 2, beside pass 1: kWh of all machines per bucket-quarter (a quarter that a slice edge cuts:
 * per minute, each in its own bucket), of the intervals that are not suspect. No shares: sums of
 * the merged rows (FINAL: an interval is judged on its merged kWh, as pass 1 judges it).
 */
async function coincidentQuarters(ch: Clickhouse, out: EnergyTotals, codes: QuarterCodes, slices: readonly EnergySlice[], params: Record<string, unknown>): Promise<void> {
  const db = ch.database
  const plausible = (len: number) => `isFinite(kwh) AND isFinite(kvarh) AND kwh >= 0 AND kvarh >= 0 AND kwh <= ${len} * {maxkwh_per_ms:Float64}`
  const add = (bucket: number, qs: number, kwh: number): void => {
    const byQ = out.quarters.get(bucket) ?? new Map<number, number>()
    out.quarters.set(bucket, byQ)
    byQ.set(qs, (byQ.get(qs) ?? 0) + kwh)
  }
  const sums = async (table: string, where: string, len: number) => {
    const rs = await ch.client.query({
      // Quarters where every machine's interval is suspect have no row, as in pass 1.
      query: `SELECT toUInt32(bucket) AS b, sumIf(kwh, ${plausible(len)}) AS k FROM ${db}.${table} FINAL WHERE ${ROLLUP_WHERE} AND ${where} GROUP BY b HAVING countIf(${plausible(len)}) > 0`,
      query_params: params,
      format: 'JSONEachRow',
      clickhouse_settings: { do_not_merge_across_partitions_select_final: 1 },
    })
    return rs.json<{ b: Num; k: number }>()
  }
  const quarterRows = async () => {
    for (const r of await sums('machine_rollup_15m', `bucket >= toDateTime({w0:UInt32}, 'UTC') AND bucket < toDateTime({w1:UInt32}, 'UTC')`, QUARTER_MS)) {
      const t = num(r.b) * 1000
      const code = codes.quarters[(t - codes.q0) / QUARTER_MS] ?? 0
      if (code !== 0) add((slices[code - 1] as EnergySlice).bucket, t, Number(r.k))
    }
  }
  const minuteRows = async () => {
    if (codes.minuteKeys.length === 0) return
    const codeOf = new Map(codes.minuteKeys.map((k, i) => [k, codes.minuteCodes[i] as number]))
    for (const r of await sums('machine_rollup_1m', 'toUInt32(bucket) IN {mk:Array(UInt32)}', MINUTE_MS)) {
      const code = codeOf.get(num(r.b)) ?? 0
      const t = num(r.b) * 1000
      if (code !== 0) add((slices[code - 1] as EnergySlice).bucket, Math.floor(t / QUARTER_MS) * QUARTER_MS, Number(r.k))
    }
  }
  await Promise.all([quarterRows(), minuteRows()])
}
