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
import { queryRowBinary } from './row-binary.ts'

const MINUTE_MS = 60_000
const QUARTER_MS = 900_000
const HOUR_MS = 3_600_000

/** Calendar kinds as small integers in SQL. */
const KINDS: readonly TimeKind[] = ['production', 'break', 'holiday', 'planned_downtime', 'no_shift']

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
 * part of the interval still open at `now` (`open_ms`) is the machine's latest state's (`ls`); an
 * interval without state time (before the machine's first state) is OFFLINE. One division and
 * products by booleans, which ClickHouse vectorizes.
 */
function shareColumns(): string {
  const tot = `${MACHINE_STATES.map((_, k) => `v_${k}`).join(' + ')} + open_ms AS tot`
  const e = MACHINE_STATES.map((_, k) => `(v_${k} + open_ms * (ls = ${k})) * pe${k === OFFLINE ? ' + v_e * (tot = 0)' : ''} AS e_${k}`)
  return [tot, 'if(tot = 0, 0., v_e / tot) AS pe', ...e].join(',\n        ')
}

/**
 * Group keys of the query, one UInt64 each (a hash table on one fixed-size key is the cheapest
 * ClickHouse has), never 0 for a group that counts (`mi` is the machine's index in `{machines}` + 1):
 * - per machine: `mi << 32 | kind << 24 | class`;
 * - a suspect interval, in the machine set: `1 << 63 | mi << 34 | (minutes from q0 × 2 + 1 for a
 *   minute) + 1`;
 * - per quarter and slice: `(quarter index from q0 + 1) << 33 | code << 1 | unit` (the slice gives
 *   bucket, kind and class; `unit`: the machine is one of `unitMachines`); 0 for a suspect interval
 *   (its row is the machine set's). The slices' sums are these rows added up per slice, and the
 *   coincident peaks their kWh per bucket and quarter.
 */
/** Bit 63 of a key, as read in JS: bit 31 of its high 32-bit word. */
const SUSPECT_BIT = 2 ** 31
/** Bits below the machine index in a suspect key. */
const MINUTE_BITS = 34
/** Start of a machine's latest state when it has none: after any window. */
const NEVER = 9e15

/** The figures of a row after its two keys, each a Float64 (units and times are integers below 2^53). */
const VALUES = ['sum(v_r)', 'sum(v_p)', 'sum(v_j)', ...MACHINE_STATES.map((_, k) => `sum(e_${k})`), 'max(qk)', 'argMax(qs, qk)']
const V = { kvarh: 0, produced: 1, rejected: 2, state0: 3, peak: 3 + MACHINE_STATES.length, peakAt: 4 + MACHINE_STATES.length }
/** Bytes of a row in RowBinary: two UInt64 keys, then the values. */
const ROW_BYTES = 16 + 8 * VALUES.length

/**
 * kWh, kvarh, units, kWh by state, by time element and by class: per machine over the window, per
 * bucket over all machines, per bucket and quarter over all machines; each machine's peak quarter;
 * suspect intervals apart (see the file's comment).
 *
 * One query. It reads the rollups with FINAL (a quarter's state time and kWh may still be in
 * different parts), shares each interval's kWh among its states (that needs the interval's own
 * row) and adds the intervals up in two grouping sets, each on one packed key: per machine and
 * calendar kind and class, and per quarter and slice (the slices' sums and the coincident peaks).
 * Suspect intervals get a machine-set row of their own and count in no sum (docs/energy.md,
 * Performance).
 */
export async function energyTotals(ch: Clickhouse, q: EnergyQuery): Promise<EnergyTotals> {
  const out: EnergyTotals = { machines: new Map(q.machines.map((m) => [m, emptySums()])), buckets: new Map(), peaks: new Map(), quarters: new Map(), suspects: [] }
  if (q.machines.length === 0 || q.slices.length === 0) return out
  const from = (q.slices[0] as EnergySlice).start
  const to = (q.slices.at(-1) as EnergySlice).end
  const codes = quarterCodes(q.slices, (_s, i) => i + 1)
  const units = new Set(q.unitMachines)
  const params = {
    ...ids(q.machines),
    w0: Math.floor(from / 1000),
    w1: Math.ceil(to / 1000),
    mk: codes.minuteKeys,
    q0: codes.q0,
    qc: codes.quarters,
    mc: codes.minuteCodes,
    // per slice code - 1: calendar kind << 24 | class
    kcs: q.slices.map((s) => (KINDS.indexOf(s.kind) << 24) | s.cls),
    // per machine: (index + 1) << 32 | unit machine << 8 | latest state (255: none), below 2^53 up
    // to two million machines; and when the latest state began (none: never)
    mp: q.machines.map((m, i) => {
      const l = q.latest.get(m)
      return (i + 1) * 2 ** 32 + (units.has(m) ? 256 : 0) + (l ? MACHINE_STATES.indexOf(l.state) : 255)
    }),
    mlt: q.machines.map((m) => q.latest.get(m)?.t ?? NEVER),
    now: q.now,
    maxkwh_per_ms: q.maxKw / HOUR_MS,
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
  // One row per machine quarter (or minute of a cut quarter) with its slice and its state shares,
  // added up per machine and per quarter and slice directly: two small hash tables (a few
  // thousand groups each), cheaper than adding up per machine and slice first (175,000 groups for
  // a factory over 90 days) and then again. (A third set per slice cost more than adding the
  // quarter rows up in JS.) Transforms of the LowCardinality machine run once per
  // machine, not once per row.
  const { ints, floats, rows } = await queryRowBinary(
    ch,
    `SELECT k1, k2, ${VALUES.map((v) => `toFloat64(${v})`).join(', ')}
    FROM (
      SELECT *,
        transform(mm, {machines:Array(String)}, {mp:Array(UInt64)}, toUInt64(0)) AS mp,
        toUInt8(bitAnd(mp, 255)) AS ls,
        if(${plausible}, 0, intDiv(t - {q0:Int64}, ${MINUTE_MS}) * 2 + (len = ${MINUTE_MS}) + 1) AS sm,
        if(sm = 0, bitOr(bitAnd(mp, 0xffffffff00000000), toUInt64({kcs:Array(UInt32)}[code])),
          bitOr(bitShiftLeft(toUInt64(1), 63), bitOr(bitShiftLeft(bitShiftRight(mp, 32), ${MINUTE_BITS}), toUInt64(sm)))) AS k1,
        if(sm = 0, bitOr(bitShiftLeft(toUInt64(intDiv(qs - {q0:Int64}, ${QUARTER_MS}) + 1), 33), bitOr(bitShiftLeft(toUInt64(code), 1), bitAnd(bitShiftRight(mp, 8), 1))), toUInt64(0)) AS k2,
        greatest(toInt64(0), least(t + len, {now:Int64}) - greatest(t, transform(mm, {machines:Array(String)}, {mlt:Array(Int64)}, toInt64(${NEVER})))) AS open_ms,
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
    GROUP BY GROUPING SETS ((k1), (k2))
    FORMAT RowBinary`,
    params,
    ROW_BYTES,
    16,
    'energyTotals',
    { do_not_merge_across_partitions_select_final: 1 },
  )
  const minuteCode = new Map(codes.minuteKeys.map((k, i) => [k * 1000, codes.minuteCodes[i] as number]))
  const I = ROW_BYTES / 4
  const F = ROW_BYTES / 8
  const byState = Object.fromEntries(MACHINE_STATES.map((st) => [st, 0])) as Record<MachineStateCode, number>
  for (let r = 0; r < rows; r++) {
    const [k1lo, k1hi, k2lo, k2hi] = ints.subarray(r * I, r * I + 4) as unknown as [number, number, number, number]
    const x = r * F + 2
    const value = (v: number): number => floats[x + v] as number
    let kwh = 0
    MACHINE_STATES.forEach((st, k) => {
      byState[st] = value(V.state0 + k)
      kwh += byState[st]
    })
    if (k1lo !== 0 || k1hi !== 0) {
      if (k1hi >= SUSPECT_BIT) {
        // A suspect interval: its figures count in no sum; its units are checked with its readings.
        const machine = q.machines[Math.floor((k1hi - SUSPECT_BIT) / 2 ** (MINUTE_BITS - 32)) - 1] as string
        const sm = (k1hi % 2 ** (MINUTE_BITS - 32)) * 2 ** 32 + k1lo - 1
        const start = codes.q0 + Math.floor(sm / 2) * MINUTE_MS
        const length = sm % 2 === 1 ? MINUTE_MS : QUARTER_MS
        const code = length === QUARTER_MS ? (codes.quarters[(start - codes.q0) / QUARTER_MS] ?? 0) : (minuteCode.get(start) ?? 0)
        out.suspects.push({ machine, start, length, slice: code - 1, produced: value(V.produced), rejected: value(V.rejected) })
        continue
      }
      const machine = q.machines[k1hi - 1] as string
      const s = out.machines.get(machine) as EnergySums
      add(s, KINDS[k1lo >>> 24] as TimeKind, k1lo & 0xffffff, units.has(machine), kwh, byState, value)
      const pk = value(V.peak)
      const at = value(V.peakAt)
      const peak = out.peaks.get(machine)
      if (pk > 0 && (!peak || pk > peak.kwh || (pk === peak.kwh && at < peak.start))) out.peaks.set(machine, { kwh: pk, start: at })
    } else if (k2hi !== 0) {
      // A quarter (or the part of it) in a slice, all machines: into the bucket's sums, and its kWh
      // into the bucket's quarters for the coincident peak. (Key 0: the suspect intervals, counted
      // in the machine set.)
      const slice = q.slices[Math.floor((k2hi % 2) * 2 ** 31 + k2lo / 2) - 1] as EnergySlice
      const s = out.buckets.get(slice.bucket) ?? emptySums()
      out.buckets.set(slice.bucket, s)
      add(s, slice.kind, slice.cls, (k2lo & 1) === 1, kwh, byState, value)
      const qs = codes.q0 + (Math.floor(k2hi / 2) - 1) * QUARTER_MS
      const byQ = out.quarters.get(slice.bucket) ?? new Map<number, number>()
      out.quarters.set(slice.bucket, byQ)
      byQ.set(qs, (byQ.get(qs) ?? 0) + kwh)
    }
  }
  return out
}

/** Adds a row of a machine (per calendar kind and class) or of a slice into its sums. */
function add(s: EnergySums, kind: TimeKind, cls: number, unit: boolean, kwh: number, byState: Record<MachineStateCode, number>, value: (v: number) => number): void {
  s.kvarh += value(V.kvarh)
  s.produced += value(V.produced)
  s.rejected += value(V.rejected)
  if (unit) {
    s.unitProduced += value(V.produced)
    s.unitRejected += value(V.rejected)
  }
  for (const st of MACHINE_STATES) s.byState[st] += byState[st]
  s.kwh += kwh
  addOeeTime(s.byOeeTime, kind, byState)
  s.byClass.set(cls, (s.byClass.get(cls) ?? 0) + kwh)
}
