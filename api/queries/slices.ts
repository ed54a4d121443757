/**
 * Totals per machine per slice of time, read from the rollups: what the KPI engine sums into
 * buckets, lines and factories. Equal to computing each slice from the raw events with
 * `stateTime()` (api/kpi/state-time.ts) and summing the raw counts and energy (a randomized test
 * against chDB holds it to that), at a cost that grows with the number of hours, not of events.
 *
 * Where each figure comes from (docs/clickhouse.md, "For the KPI engine"):
 * - Closed state intervals, counts, energy, DOWN starts: the coarsest rollup bucket that fits in
 *   the slice (1 h, 30, 15, 1 min), mapped to its slice (or the slice's group, {@link groupTotals})
 *   inside ClickHouse by `transform` on key arrays and summed there; pieces of a slice shorter
 *   than a minute (edges not on a minute, `now`) from raw rows.
 * - The interval still open at `now`: the machine's latest state event, measured to `now`.
 * - Micro-stops: DOWN runs shorter than the threshold by their whole length. Ingest stores on the
 *   row that ends a run when the run began (`prev_since`), and the rollups keep each closed run's
 *   ms and start per bucket keyed by its whole length (`down_runs`), so any threshold sums from
 *   the buckets; sub-minute pieces read the rows that end short runs near them, the stop open at
 *   `now` is measured to `now`. DOWN time not in a short stop is `down`; DOWN starts not of a
 *   short stop are failures.
 * - Time not covered by any state interval (before the machine's first state) is offline.
 * Raw rows are read without FINAL, as the rollups counted them (ingest stores each event once).
 */
import type { Clickhouse, MachineStateCode } from '../../stream/index.ts'
import { ApiError } from '../errors.ts'
import { queryRowBinary } from './row-binary.ts'
import { FIELD, totalsAt, TOTALS_FIELDS as FIELDS } from '../kpi/totals.ts'
import { MINUTE_MS, slicePieces, type BucketCodes, type EdgePiece, type SliceSpan } from './slice-pieces.ts'

export type { SliceSpan }

/** What one machine did in one slice: milliseconds per state, units, ideal times, energy. */
export interface SliceTotals {
  /** ms RUNNING. */
  running: number
  /** ms DOWN in stops shorter than the micro-stop threshold by their whole length (consecutive DOWN events are one stop; a stop open at `now` measured to `now`). */
  microStops: number
  /** ms DOWN in stops at or above the threshold. */
  down: number
  idle: number
  setup: number
  plannedStop: number
  /** ms OFFLINE, and time before the machine's first known state. */
  offline: number
  /** DOWN stops at or above the threshold that began in the slice. */
  failures: number
  /** Units by the time of their count event. */
  produced: number
  rejected: number
  /** Σ produced × ideal cycle time of the count event, seconds. */
  idealProducedS: number
  /** Σ rejected × ideal cycle time, seconds. */
  idealRejectedS: number
  /** kWh of the readings taken in (start, end]: each holds the energy since the one before. */
  kwh: number
}

/** Options of {@link sliceTotals}. */
export interface SliceTotalsOptions {
  /** DOWN stops shorter than this (whole length, ms) are micro-stops. */
  microStopMs: number
  /** The present, epoch ms: state time ends here; the interval in force is measured up to it. */
  now: number
}

/** Options of {@link groupTotals}. */
export interface GroupTotalsOptions extends SliceTotalsOptions {
  /** Per slice (index-aligned), the group its totals add into: 0 <= group < `groups`. */
  readonly groupOf: readonly number[]
  readonly groups: number
}

/**
 * Totals while adding up: per machine one Float64Array, FIELDS numbers per group of slices, in
 * the order of TOTALS_KEYS (api/kpi/totals.ts: typed arrays, 126,000 slices of 200 machines add
 * up several times faster than in objects). `down` holds all DOWN time and `failures` DOWN starts
 * less short-stop starts until {@link finish} takes the micro-stops out of `down`.
 */
const STATE_FIELD: Readonly<Record<MachineStateCode, number>> = { RUNNING: FIELD.running, IDLE: FIELD.idle, DOWN: FIELD.down, SETUP: FIELD.setup, PLANNED_STOP: FIELD.plannedStop, OFFLINE: FIELD.offline }
type Grid = Float64Array

/** g[k] += v: a typed array slot is never undefined, whatever noUncheckedIndexedAccess says. */
const add = (g: Grid, k: number, v: number): void => {
  g[k] = (g[k] as number) + v
}

type Num = string | number
const n = (v: Num | null | undefined): number => Number(v ?? 0)

async function rows<T>(ch: Clickhouse, query: string, params: Record<string, unknown>): Promise<T[]> {
  // 64-bit integers as JSON numbers, not strings: ms sums stay far below 2^53.
  const rs = await ch.client.query({ query, query_params: params, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } })
  return rs.json<T>()
}

/** Path prefixes: the rollups and event tables are sorted by factory (and line) first. */
const prefix = (machine: string, segments: number): string => machine.split('/').slice(0, segments).join('/')

/**
 * `ts` in one of these minutes (epoch ms of their starts): a set the primary key can use, where
 * a chain of OR-ed ranges costs ClickHouse's analysis time quadratic in its length.
 */
const tsInMinutes = (p: string): string => `toUInt32(toStartOfMinute(ts)) IN {${p}:Array(UInt32)}`

// down_runs maps each closed DOWN run's whole length to its ms in the bucket + (its starts there
// << 40): the short ones are the micro-stops of whatever threshold the query asks for.
const ROLLUP_MEASURES = `running_ms, idle_ms, down_ms, setup_ms, planned_stop_ms, offline_ms, down_starts, produced, rejected, ideal_produced_s, ideal_rejected_s, kwh,
      arraySum((k, v) -> if(k < {short:UInt64}, v, 0), down_runs.1, down_runs.2) AS short_packed`
const RUN_MS_BITS = 40

/** One rollup table's buckets of the slices, each with its code (slice and whether state time counts). */
function rollupPart(db: string, suffix: string, codes: BucketCodes, p: string): string {
  return `SELECT machine, transform(toUInt32(bucket), {${p}k:Array(UInt32)}, {${p}c:Array(UInt32)}, toUInt32(0)) AS code, ${ROLLUP_MEASURES}
    FROM ${db}.machine_rollup_${suffix}
    WHERE factory IN {factories:Array(String)} AND line IN {lines:Array(String)} AND machine IN {machines:Array(String)}
      AND toUInt32(bucket) IN {${p}k:Array(UInt32)}`
}

const MEASURES = ['running_ms', 'idle_ms', 'down_ms', 'setup_ms', 'planned_stop_ms', 'offline_ms', 'down_starts', 'short_packed', 'produced', 'rejected', 'ideal_produced_s', 'ideal_rejected_s', 'kwh'] as const
/** The columns of a bulk row after its machine and code, each a Float64 (short_packed unpacked into ms and starts). */
const ROW_VALUES = MEASURES.flatMap((c) => (c === 'short_packed' ? [`bitAnd(s_${c}, ${2 ** RUN_MS_BITS - 1})`, `bitShiftRight(s_${c}, ${RUN_MS_BITS})`] : [`s_${c}`]))
/** Bytes of a bulk row in RowBinary: machine index and code (UInt32 each), then the values. */
const ROW_BYTES = 8 + 8 * ROW_VALUES.length

/**
 * The bulk of the work in one query: every rollup bucket inside the slices, mapped to its slice
 * (or group) and summed per machine and code inside ClickHouse (short stops by their length in
 * `down_runs`), then added into `grids` (index-aligned with `ids.machines`). The rows come back as
 * RowBinary through `exec` (a machine index, the code, 14 Float64: every figure is an integer
 * below 2^53 or a float), read in place with a DataView: for 200 machines over 90 days that is
 * 36,400 rows of 120 bytes, where text (JSON, or base64 in TSV) cost ClickHouse formatting and JS
 * a string and its garbage several times the size.
 */
async function bucketTotals(ch: Clickhouse, ids: Ids, pieces: ReturnType<typeof slicePieces>, short: number, grids: readonly Grid[]): Promise<void> {
  const db = ch.database
  const parts: string[] = []
  const params: Record<string, unknown> = { ...ids, short, mi: ids.machines.map((_, i) => i + 1) }
  for (const [suffix, codes, p] of [['1h', pieces.hours, 'h'], ['30m', pieces.halfHours, 'hh'], ['15m', pieces.quarters, 'q'], ['1m', pieces.minutes, 'n']] as const) {
    if (codes.keys.length === 0) continue
    parts.push(rollupPart(db, suffix, codes, p))
    params[`${p}k`] = codes.keys
    params[`${p}c`] = codes.codes
  }
  if (parts.length === 0) return
  const { ints, floats } = await queryRowBinary(
    ch,
    `SELECT transform(m, {machines:Array(String)}, {mi:Array(UInt32)}, toUInt32(0)) AS i, toUInt32(code), ${ROW_VALUES.map((v) => `toFloat64(${v})`).join(', ')}
     FROM (
       SELECT toString(machine) AS m, code, ${MEASURES.map((c) => `sum(${c}) AS s_${c}`).join(', ')}
       FROM (${parts.join('\n       UNION ALL\n       ')})
       WHERE code != 0
       GROUP BY m, code
     )
     FORMAT RowBinary`,
    params,
    ROW_BYTES,
    8,
    'sliceTotals',
  )
  const I = ROW_BYTES / 4
  const F = ROW_BYTES / 8
  for (let r = 0; r * I < ints.length; r++) {
    const g = grids[(ints[r * I] as number) - 1]
    // decodeCode, inlined: this loop runs once per machine and group.
    const code = (ints[r * I + 1] as number) - 1
    const b = (code >> 1) * FIELDS
    if (!g || b >= g.length) continue
    const x = r * F + 1
    if (code & 1) {
      add(g, b + FIELD.running, floats[x] as number)
      add(g, b + FIELD.idle, floats[x + 1] as number)
      add(g, b + FIELD.down, floats[x + 2] as number)
      add(g, b + FIELD.setup, floats[x + 3] as number)
      add(g, b + FIELD.plannedStop, floats[x + 4] as number)
      add(g, b + FIELD.offline, floats[x + 5] as number)
      add(g, b + FIELD.microStops, floats[x + 7] as number)
      // DOWN starts less the starts of short stops.
      add(g, b + FIELD.failures, (floats[x + 6] as number) - (floats[x + 8] as number))
    }
    add(g, b + FIELD.produced, floats[x + 9] as number)
    add(g, b + FIELD.rejected, floats[x + 10] as number)
    add(g, b + FIELD.idealProducedS, floats[x + 11] as number)
    add(g, b + FIELD.idealRejectedS, floats[x + 12] as number)
    add(g, b + FIELD.kwh, floats[x + 13] as number)
  }
}

/** Machines with their factory and line paths (the tables' sort key starts with them). */
export interface MachineSet {
  readonly machines: readonly string[]
  readonly factories: readonly string[]
  readonly lines: readonly string[]
}
type Ids = MachineSet

/** A machine's latest state event: the interval in force, measured to now. */
export interface Latest {
  t: number
  seq: number
  state: MachineStateCode
  /** When the run of this state began (the run is one stop when DOWN). */
  runStart: number
}

interface LatestRow {
  machine: string
  t: Num
  seq: Num
  state: MachineStateCode
  run_start: Num
}

/**
 * Each machine's latest state event (the table `machine_state_last` keeps it, a row per machine);
 * absent for a machine that never sent a state. `now` is not needed: the latest event is the one
 * in force from its time on, whenever that is (kept in the signature for callers).
 */
export async function latestStates(ch: Clickhouse, ids: MachineSet, _now?: number): Promise<Map<string, Latest>> {
  const list = await rows<LatestRow>(
    ch,
    `SELECT machine, toUnixTimestamp64Milli(l.1) AS t, l.2 AS seq, l.3 AS state, toUnixTimestamp64Milli(l.4) AS run_start
     FROM (SELECT toString(machine) AS machine, argMaxMerge(last) AS l FROM ${ch.database}.machine_state_last
           WHERE factory IN {factories:Array(String)} AND machine IN {machines:Array(String)}
           GROUP BY machine)`,
    { machines: ids.machines, factories: ids.factories },
  )
  return new Map(list.map((r) => [r.machine, { t: n(r.t), seq: n(r.seq), state: r.state, runStart: n(r.run_start) }]))
}

interface EdgeStateRow {
  machine: string
  t: Num
  seq: Num
  state: MachineStateCode
  prev_state: MachineStateCode | null
  prev_ts: Num | null
}
interface EdgeMinuteRow {
  machine: string
  minute: Num
  events: Num
  running: Num
  idle: Num
  down: Num
  setup: Num
  planned: Num
  offline: Num
}
interface EdgeCountRow {
  machine: string
  k: Num
  produced: Num
  rejected: Num
  ips: number
  irs: number
  kwh: number
}

interface EdgeRunRow {
  machine: string
  s: Num
  t: Num
}

/** What the raw rows say about the pieces shorter than a minute. */
async function edgeRows(ch: Clickhouse, ids: Ids, edges: readonly EdgePiece[], short: number): Promise<{ states: EdgeStateRow[]; minutes: EdgeMinuteRow[]; counts: EdgeCountRow[]; runs: EdgeRunRow[] }> {
  const db = ch.database
  const where = `factory IN {factories:Array(String)} AND machine IN {machines:Array(String)}`
  const stateMinutes = [...new Set(edges.filter((e) => e.states).map((e) => e.minute))]
  const edgeParams = { ...ids, ex: edges.map((e) => e.start), ey: edges.map((e) => e.end), em: [...new Set(edges.map((e) => e.minute / 1000))] }
  // Edges are sorted: a row's piece is the first that ends after it, if it began by then.
  const pieceOf = `arrayFirstIndex(y -> y > t, {ey:Array(Int64)})`
  // Columns renamed inside (v_*): an alias equal to a column name would be read as the aggregate.
  const countsSql = (table: string, columns: string, measures: string): string => `
    SELECT toString(m) AS machine, k, ${measures} FROM (
      SELECT machine AS m, toUnixTimestamp64Milli(ts) AS t, ${pieceOf} AS k, ${columns} FROM ${db}.${table}
      WHERE ${where} AND ${tsInMinutes('em')}
    ) WHERE k > 0 AND t >= {ex:Array(Int64)}[k]
    GROUP BY m, k`
  // A short stop overlapping a piece of minute M ends in [M, M + 1 min + threshold): its row is there.
  const runMinutes = [...new Set(stateMinutes.flatMap((m) => Array.from({ length: 1 + Math.ceil(short / MINUTE_MS) }, (_, k) => (m + k * MINUTE_MS) / 1000)))]
  const [states, minutes, counts, energy, runs] = await Promise.all([
    stateMinutes.length === 0
      ? []
      : rows<EdgeStateRow>(
          ch,
          `SELECT toString(machine) AS machine, toUnixTimestamp64Milli(ts) AS t, seq, state, prev_state,
                  if(prev_ts IS NULL, NULL, toUnixTimestamp64Milli(assumeNotNull(prev_ts))) AS prev_ts
           FROM ${db}.machine_state WHERE ${where} AND ${tsInMinutes('mk')}
           ORDER BY machine, ts, seq`,
          { ...ids, mk: stateMinutes.map((m) => m / 1000) },
        ),
    stateMinutes.length === 0
      ? []
      : rows<EdgeMinuteRow>(
          ch,
          `SELECT toString(machine) AS machine, toUnixTimestamp(bucket) * 1000 AS minute, sum(state_events) AS events, sum(running_ms) AS running,
                  sum(idle_ms) AS idle, sum(down_ms) AS down, sum(setup_ms) AS setup, sum(planned_stop_ms) AS planned, sum(offline_ms) AS offline
           FROM ${db}.machine_rollup_1m
           WHERE factory IN {factories:Array(String)} AND line IN {lines:Array(String)} AND machine IN {machines:Array(String)}
             AND toUInt32(bucket) IN {mk:Array(UInt32)}
           GROUP BY machine, bucket`,
          { ...ids, mk: stateMinutes.map((m) => m / 1000) },
        ),
    rows<EdgeCountRow>(
      ch,
      countsSql('production_count', 'produced AS v_p, rejected AS v_r, ideal_cycle_s AS v_c', 'sum(v_p) AS produced, sum(v_r) AS rejected, sum(v_p * v_c) AS ips, sum(v_r * v_c) AS irs, 0 AS kwh'),
      edgeParams,
    ),
    // A reading holds the energy since the reading before: it belongs to the piece (start, end]
    // that ends at or after it, and the minute rollup books it in the minute of ts - 1 ms.
    rows<EdgeCountRow>(
      ch,
      `SELECT toString(m) AS machine, k, 0 AS produced, 0 AS rejected, 0 AS ips, 0 AS irs, sum(v_e) AS kwh FROM (
         SELECT machine AS m, toUnixTimestamp64Milli(ts) AS t, arrayFirstIndex(y -> y >= t, {ey:Array(Int64)}) AS k, kwh AS v_e FROM ${db}.energy_reading
         WHERE ${where} AND ${tsInMinutes('emr')} AND intDiv(t - 1, ${MINUTE_MS}) * ${MINUTE_MS / 1000} IN {em:Array(UInt32)}
       ) WHERE k > 0 AND t > {ex:Array(Int64)}[k]
       GROUP BY m, k`,
      { ...edgeParams, emr: [...new Set(edgeParams.em.flatMap((m) => [m, m + MINUTE_MS / 1000]))] },
    ),
    stateMinutes.length === 0
      ? []
      : rows<EdgeRunRow>(
          ch,
          `SELECT toString(machine) AS machine, s, t FROM (
             SELECT machine, toUnixTimestamp64Milli(ifNull(prev_since, assumeNotNull(prev_ts))) AS s, toUnixTimestamp64Milli(ts) AS t
             FROM ${db}.machine_state
             WHERE ${where} AND ${tsInMinutes('rm')} AND prev_state = 'DOWN' AND state != 'DOWN' AND prev_ts IS NOT NULL
           ) WHERE t - s < {short:Int64}`,
          { ...ids, rm: runMinutes, short },
        ),
  ])
  return { states, minutes, counts: [...counts, ...energy], runs }
}

/** Adds `ms` of `state` into slice `i` of a machine's totals. */
function addState(g: Grid, i: number, state: MachineStateCode | null, ms: number): void {
  if (ms <= 0 || state === null) return
  const f = STATE_FIELD[state]
  if (f !== undefined) add(g, i * FIELDS + f, ms)
}

const overlap = (a0: number, a1: number, b0: number, b1: number): number => Math.max(0, Math.min(a1, b1) - Math.max(a0, b0))

/** Index of the first slice whose state part ends after `t`. */
function firstEndingAfter(stateEnds: readonly number[], t: number): number {
  let lo = 0
  let hi = stateEnds.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if ((stateEnds[mid] as number) > t) hi = mid
    else lo = mid + 1
  }
  return lo
}

/**
 * Totals of each machine in each slice (index-aligned with `slices`). Slices are [start, end) in
 * epoch ms, sorted and not overlapping, on any millisecond. State time ends at `opts.now`; units
 * by their own time; a reading's energy, used since the reading before, in the slice with
 * start < ts <= end (docs/energy.md). A state interval crossing a slice edge is split at it.
 */
export async function sliceTotals(ch: Clickhouse, machines: readonly string[], slices: ReadonlyArray<SliceSpan>, opts: SliceTotalsOptions): Promise<Map<string, SliceTotals[]>> {
  const grids = await groupTotals(ch, machines, slices, { ...opts, groupOf: slices.map((_, i) => i), groups: slices.length })
  const out = new Map<string, SliceTotals[]>()
  for (const [machine, g] of grids) out.set(machine, Array.from(slices, (_, i) => totalsAt(g, i * FIELDS)))
  return out
}

/**
 * {@link sliceTotals} summed into groups of slices (e.g. the buckets and kinds of calendar time
 * of a request), inside ClickHouse where the rollups answer: per machine FIELDS numbers per group
 * in the order of TOTALS_KEYS (api/kpi/totals.ts). Equal to summing sliceTotals' slices of each
 * group: every total is a sum, and the offline time no state interval explains (span − known) is
 * summed per group, which is the sum of its slices' because intervals do not overlap (events of
 * a machine follow each other in time, as the rollups and stateTime() both assume).
 */
export async function groupTotals(ch: Clickhouse, machines: readonly string[], slices: ReadonlyArray<SliceSpan>, opts: GroupTotalsOptions): Promise<Map<string, Float64Array>> {
  if (!Number.isFinite(opts.microStopMs) || opts.microStopMs < 0) throw new ApiError('SHOPFLOOR_API_INTERNAL', `sliceTotals: microStopMs must be a number of ms >= 0, got ${opts.microStopMs}`)
  if (!Number.isSafeInteger(opts.now)) throw new ApiError('SHOPFLOOR_API_INTERNAL', `sliceTotals: now must be epoch ms, got ${opts.now}`)
  const { groupOf, groups } = opts
  if (groupOf.length !== slices.length || !groupOf.every((g) => Number.isInteger(g) && g >= 0 && g < groups)) {
    throw new ApiError('SHOPFLOOR_API_INTERNAL', `groupTotals: groupOf must give each of the ${slices.length} slices a group in [0, ${groups})`)
  }
  const pieces = slicePieces(slices, opts.now)
  // Bucket codes name the group instead of the slice: ClickHouse sums the buckets of a group.
  for (const c of [pieces.hours, pieces.halfHours, pieces.quarters, pieces.minutes]) {
    for (let j = 0; j < c.codes.length; j++) {
      const code = (c.codes[j] as number) - 1
      c.codes[j] = (groupOf[code >> 1] as number) * 2 + (code & 1) + 1
    }
  }
  const accs = new Map<string, Grid>(machines.map((m) => [m, new Float64Array(groups * FIELDS)]))
  if (machines.length === 0 || slices.length === 0) return finish(accs, slices, pieces.stateEnds, groupOf, groups)
  const unique = [...accs.keys()]
  const ids: Ids = { machines: unique, factories: [...new Set(unique.map((m) => prefix(m, 3)))], lines: [...new Set(unique.map((m) => prefix(m, 5)))] }
  // A stop of length 0 (two events at the same ms) is no failure either: treat it as short.
  const short = Math.max(1, Math.ceil(opts.microStopMs))
  const { stateEnds } = pieces
  const [, latest, edges] = await Promise.all([
    bucketTotals(ch, ids, pieces, short, [...accs.values()]),
    latestStates(ch, ids, opts.now),
    pieces.edges.length > 0 ? edgeRows(ch, ids, pieces.edges, short) : undefined,
  ])

  if (edges) addEdges(accs, pieces.edges, edges, latest, groupOf)

  // The interval in force at `now`, and the stop it is part of when DOWN.
  for (const [machine, l] of latest) {
    const g = accs.get(machine)
    if (!g) continue
    for (let i = firstEndingAfter(stateEnds, l.t); i < slices.length; i++) {
      const s = slices[i] as SliceSpan
      if (s.start >= opts.now) break
      addState(g, groupOf[i] as number, l.state, overlap(s.start, stateEnds[i] as number, l.t, opts.now))
    }
    if (l.state !== 'DOWN') continue
    const stop = Math.max(opts.now, l.t)
    if (stop - l.runStart >= short) continue
    for (let i = firstEndingAfter(stateEnds, l.runStart); i < slices.length; i++) {
      const s = slices[i] as SliceSpan
      if (s.start >= stop) break
      const b = (groupOf[i] as number) * FIELDS
      add(g, b + FIELD.microStops, overlap(s.start, stateEnds[i] as number, l.runStart, stop))
      if (l.runStart >= s.start && l.runStart < (stateEnds[i] as number)) add(g, b + FIELD.failures, -1)
    }
  }
  return finish(accs, slices, pieces.stateEnds, groupOf, groups)
}

/** Adds what the raw rows say about the sub-minute pieces. */
function addEdges(accs: Map<string, Grid>, edges: readonly EdgePiece[], raw: Awaited<ReturnType<typeof edgeRows>>, latest: ReadonlyMap<string, Latest>, groupOf: readonly number[]): void {
  for (const r of raw.counts) {
    const e = edges[n(r.k) - 1]
    const g = accs.get(r.machine)
    if (!e || !g) continue
    const b = (groupOf[e.slice] as number) * FIELDS
    add(g, b + FIELD.produced, n(r.produced))
    add(g, b + FIELD.rejected, n(r.rejected))
    add(g, b + FIELD.idealProducedS, n(r.ips))
    add(g, b + FIELD.idealRejectedS, n(r.irs))
    add(g, b + FIELD.kwh, n(r.kwh))
  }
  // Per machine and minute: its state events, and its rollup row (whole-minute state time).
  const byMinute = new Map<string, EdgeStateRow[]>()
  for (const r of raw.states) {
    const k = `${r.machine}|${Math.floor(n(r.t) / MINUTE_MS) * MINUTE_MS}`
    const list = byMinute.get(k)
    if (list) list.push(r)
    else byMinute.set(k, [r])
  }
  const minuteRows = new Map(raw.minutes.map((r) => [`${r.machine}|${n(r.minute)}`, r]))
  const runs = new Map<string, Array<{ s: number; t: number }>>()
  for (const r of raw.runs) {
    const list = runs.get(r.machine)
    const run = { s: n(r.s), t: n(r.t) }
    if (list) list.push(run)
    else runs.set(r.machine, [run])
  }
  for (const [machine, g] of accs) {
    const l = latest.get(machine)
    const shortRuns = runs.get(machine) ?? []
    for (const e of edges) {
      if (!e.states) continue
      const group = groupOf[e.slice] as number
      const b = group * FIELDS
      for (const r of shortRuns) {
        add(g, b + FIELD.microStops, overlap(e.start, e.end, r.s, r.t))
        if (r.s >= e.start && r.s < e.end) add(g, b + FIELD.failures, -1)
      }
      const events = byMinute.get(`${machine}|${e.minute}`)
      if (events) {
        for (const r of events) {
          const t = n(r.t)
          if (r.prev_ts !== null) addState(g, group, r.prev_state, overlap(e.start, e.end, n(r.prev_ts), t))
          if (r.state === 'DOWN' && r.prev_state !== 'DOWN' && t >= e.start && t < e.end) add(g, b + FIELD.failures, 1)
        }
        // After the minute's last event its state holds past the minute's end, unless that
        // event is the machine's latest (the open interval, added with it).
        const last = events.at(-1) as EdgeStateRow
        const isLatest = l !== undefined && l.t === n(last.t) && l.seq === n(last.seq)
        if (!isLatest) addState(g, group, last.state, overlap(e.start, e.end, n(last.t), e.minute + MINUTE_MS))
        continue
      }
      // No event in the minute: one closed interval covers all of it (or none: the open
      // interval, or no state yet), so the piece has its share of the minute's state time.
      const m = minuteRows.get(`${machine}|${e.minute}`)
      if (!m || n(m.events) > 0) continue
      const share = (ms: Num): number => Math.round((n(ms) * (e.end - e.start)) / MINUTE_MS)
      add(g, b + FIELD.running, share(m.running))
      add(g, b + FIELD.idle, share(m.idle))
      add(g, b + FIELD.down, share(m.down))
      add(g, b + FIELD.setup, share(m.setup))
      add(g, b + FIELD.plannedStop, share(m.planned))
      add(g, b + FIELD.offline, share(m.offline))
    }
  }
}

/** The totals finished: micro-stops taken out of the DOWN time, time no interval explains offline. */
function finish(accs: Map<string, Grid>, slices: ReadonlyArray<SliceSpan>, stateEnds: readonly number[], groupOf: readonly number[], groups: number): Map<string, Float64Array> {
  const spans = new Float64Array(groups)
  for (let i = 0; i < slices.length; i++) {
    const k = groupOf[i] as number
    spans[k] = (spans[k] as number) + (stateEnds[i] as number) - (slices[i] as SliceSpan).start
  }
  for (const g of accs.values()) {
    for (let k = 0, b = 0; k < groups; k++, b += FIELDS) {
      const span = spans[k] as number
      const microStops = g[b + FIELD.microStops] as number
      const down = g[b + FIELD.down] as number
      const known = (g[b + FIELD.running] as number) + down + (g[b + FIELD.idle] as number) + (g[b + FIELD.setup] as number) + (g[b + FIELD.plannedStop] as number) + (g[b + FIELD.offline] as number)
      g[b + FIELD.down] = down - microStops
      if (span > known) g[b + FIELD.offline] = (g[b + FIELD.offline] as number) + span - known
    }
  }
  return accs
}
