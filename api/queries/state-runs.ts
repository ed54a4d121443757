/**
 * State runs from the raw machine_state rows, for the timeline and the downtime ranking. A run is
 * a stretch of one state: consecutive events of the same state (a reason update while DOWN) are
 * one run, whose reason is the reason of the event that opened it. A run ends where the next
 * run begins; the last one is open and measured to now. These are the same runs `stateTime()`
 * (api/kpi/state-time.ts) classes: a DOWN run shorter than the micro-stop threshold, by its whole
 * length, is a micro-stop.
 *
 * Duplicate rows (an event inserted twice, not merged yet) need no FINAL here: a duplicate has the
 * state of its twin, so it never starts a run.
 */
import type { Clickhouse, MachineStateCode } from '../../stream/index.ts'
import type { ReasonTotals } from '../kpi/downtime.ts'
import type { RunStart, StateRun } from '../kpi/runs.ts'

export type { RunStart, StateRun }

/** Where a machine's rows are: the factory is the first column of the table's sort key. */
export interface MachineRef {
  readonly factory: string
  readonly machine: string
}

interface Row {
  t: string | number
  seq: string | number
  state: MachineStateCode
  reason: string | null
}
const toStart = (r: Row): RunStart => ({ state: r.state, reason: r.reason, ts: Number(r.t), seq: Number(r.seq) })

async function rows<T>(ch: Clickhouse, query: string, params: Record<string, unknown>): Promise<T[]> {
  const rs = await ch.client.query({ query, query_params: params, format: 'JSONEachRow' })
  return rs.json<T>()
}

const ONE_MACHINE = 'factory = {factory:String} AND machine = {machine:String}'
const AT_MS = 'fromUnixTimestamp64Milli({at:Int64})'

/** The event just before `(ts, seq)` (or before `ts` when seq is omitted), if any. */
async function eventBefore(ch: Clickhouse, m: MachineRef, ts: number, seq?: number): Promise<RunStart | undefined> {
  const before = seq === undefined ? `ts < ${AT_MS}` : `(ts, seq) < (${AT_MS}, {seq:UInt64})`
  const [r] = await rows<Row>(
    ch,
    `SELECT toUnixTimestamp64Milli(ts) AS t, seq, state, reason FROM ${ch.database}.machine_state
     WHERE ${ONE_MACHINE} AND ${before} ORDER BY ts DESC, seq DESC LIMIT 1`,
    { ...m, at: ts, seq: seq ?? 0 },
  )
  return r && toStart(r)
}

/**
 * The opening event of the run in force just before `(ts, seq)` (before `ts` when seq is
 * omitted): the run the machine was in then. Undefined when the machine had no state before.
 */
export async function runOpenedBefore(ch: Clickhouse, m: MachineRef, ts: number, seq?: number): Promise<RunStart | undefined> {
  const last = await eventBefore(ch, m, ts, seq)
  if (!last) return undefined
  const [r] = await rows<Row>(
    ch,
    `SELECT toUnixTimestamp64Milli(ts) AS t, seq, state, reason FROM ${ch.database}.machine_state
     WHERE ${ONE_MACHINE} AND (ts, seq) <= (${AT_MS}, {seq:UInt64})
       AND (ts, seq) > (SELECT tuple(ts, seq) FROM ${ch.database}.machine_state
                        WHERE ${ONE_MACHINE} AND (ts, seq) < (${AT_MS}, {seq:UInt64}) AND state != {state:String}
                        ORDER BY ts DESC, seq DESC LIMIT 1)
     ORDER BY ts, seq LIMIT 1`,
    { ...m, at: last.ts, seq: last.seq, state: last.state },
  )
  if (r) return toStart(r)
  // No event of another state before it: the run began with the machine's first event.
  const [first] = await rows<Row>(
    ch,
    `SELECT toUnixTimestamp64Milli(ts) AS t, seq, state, reason FROM ${ch.database}.machine_state
     WHERE ${ONE_MACHINE} ORDER BY ts, seq LIMIT 1`,
    { ...m },
  )
  return first && toStart(first)
}

/**
 * Up to `limit` runs of one machine that begin at or after `from` (an opening event: pass the
 * run in force at the window's start, or a page cursor) and before `to`, with their ends.
 * `from` must be a run's opening event, so that the first row read is one.
 */
export async function runsFrom(ch: Clickhouse, m: MachineRef, from: { ts: number; seq: number }, to: number, limit: number): Promise<StateRun[]> {
  const starts = (
    await rows<Row>(
      ch,
      `SELECT t, seq, state, reason FROM (
         SELECT toUnixTimestamp64Milli(ts) AS t, seq, state, reason,
                lagInFrame(state, 1, '') OVER (ORDER BY ts, seq ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS prev
         FROM ${ch.database}.machine_state
         WHERE ${ONE_MACHINE} AND (ts, seq) >= (${AT_MS}, {seq:UInt64}) AND ts < fromUnixTimestamp64Milli({to:Int64})
       )
       WHERE state != prev ORDER BY t, seq LIMIT {limit:UInt32}`,
      { ...m, at: from.ts, seq: from.seq, to, limit: limit + 1 },
    )
  ).map(toStart)
  const out: StateRun[] = []
  for (let i = 0; i < Math.min(limit, starts.length); i++) {
    const next = starts[i + 1]
    out.push({ ...(starts[i] as RunStart), end: next ? next.ts : null })
  }
  const last = out.at(-1)
  if (last && last.end === null) {
    // The last run before `to` ends at the first event of another state after it, if any.
    const [end] = await rows<{ t: string | number }>(
      ch,
      `SELECT toUnixTimestamp64Milli(ts) AS t FROM ${ch.database}.machine_state
       WHERE ${ONE_MACHINE} AND (ts, seq) > (${AT_MS}, {seq:UInt64}) AND state != {state:String}
       ORDER BY ts, seq LIMIT 1`,
      { ...m, at: last.ts, seq: last.seq, state: last.state },
    )
    if (end) out[out.length - 1] = { ...last, end: Number(end.t) }
  }
  return out
}

/** Lookback steps for the last event before a time: most machines change state daily. */
const LOOKBACK_MS = [86_400_000, 31 * 86_400_000, Infinity]

/**
 * The time of each machine's last event before `at` (absent: none). Searched in growing steps
 * back from `at`, so that a machine with a recent event costs a day of rows, not its history.
 */
export async function lastEventsBefore(ch: Clickhouse, machines: readonly MachineRef[], at: number): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  let pending = [...machines]
  for (const back of LOOKBACK_MS) {
    if (pending.length === 0) break
    const found = await rows<{ machine: string; t: string | number }>(
      ch,
      `SELECT toString(machine) AS machine, max(toUnixTimestamp64Milli(ts)) AS t FROM ${ch.database}.machine_state
       WHERE factory IN {factories:Array(String)} AND machine IN {machines:Array(String)} AND ts < ${AT_MS}
         ${Number.isFinite(back) ? 'AND ts >= fromUnixTimestamp64Milli({since:Int64})' : ''}
       GROUP BY machine`,
      { factories: [...new Set(pending.map((m) => m.factory))], machines: pending.map((m) => m.machine), at, since: Number.isFinite(back) ? at - back : 0 },
    )
    for (const r of found) out.set(r.machine, Number(r.t))
    pending = pending.filter((m) => !out.has(m.machine))
  }
  return out
}

/**
 * DOWN time in [from, to) (up to now) by the reason of each stop's opening event, over a set of
 * machines, computed inside ClickHouse. A stop is a micro-stop when its whole length is under
 * `microStopMs`; it counts as a stop of the window when it began in it; its time is the part
 * inside the window.
 *
 * Per machine only the rows from the state in force at `from − threshold` up to `to + threshold`
 * are read: a stop that began before that and still runs at `from` is longer than the threshold
 * anyway, and one still running at `to + threshold` likewise. A machine's first row read may be a
 * reason update inside a longer stop rather than its opening event: such stops (at most one per
 * machine) get their opening event looked up separately.
 */
export async function downtimeByReason(
  ch: Clickhouse,
  machines: readonly MachineRef[],
  from: number,
  to: number,
  opts: { microStopMs: number; now: number },
): Promise<Map<string | null, ReasonTotals>> {
  const out = new Map<string | null, ReasonTotals>()
  const add = (reason: string | null, t: Partial<ReasonTotals>): void => {
    const r = out.get(reason) ?? { failureMs: 0, failures: 0, microStopMs: 0, microStops: 0 }
    r.failureMs += t.failureMs ?? 0
    r.failures += t.failures ?? 0
    r.microStopMs += t.microStopMs ?? 0
    r.microStops += t.microStops ?? 0
    out.set(reason, r)
  }
  if (machines.length === 0 || to <= from) return out
  const factories = [...new Set(machines.map((m) => m.factory))]
  const lo = from - opts.microStopMs
  const inForce = await lastEventsBefore(ch, machines, lo)
  const ids = machines.map((m) => m.machine)
  const los = ids.map((id) => inForce.get(id) ?? lo)
  const result = await rows<{
    m: string
    reason: string | null
    failure_ms: string | number
    failures: string | number
    micro_ms: string | number
    micro: string | number
    first_t: string | number
    first_seq: string | number
  }>(
    ch,
    `WITH {from:Int64} AS f, {to:Int64} AS t_to, {now:Int64} AS n, {micro:Int64} AS mi, t_to + mi AS hi
     SELECT if(first_row, machine, '') AS m, reason,
            sumIf(clipped, len >= mi) AS failure_ms, countIf(len >= mi AND t >= f) AS failures,
            sumIf(clipped, len < mi) AS micro_ms, countIf(len < mi AND t >= f) AS micro,
            min(t) AS first_t, min(seq) AS first_seq
     FROM (
       SELECT machine, t, seq, state, reason, first_row,
              if(next_t >= 0, next_t, if(hi <= n, hi, greatest(n, max_t))) AS stop,
              stop - t AS len,
              least(stop, t_to, n) - greatest(t, f) AS clipped
       FROM (
         SELECT machine, t, seq, state, reason, first_row, max_t,
                leadInFrame(t, 1, toInt64(-1)) OVER (PARTITION BY machine ORDER BY t, seq ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS next_t
         FROM (
           SELECT machine, toUnixTimestamp64Milli(ts) AS t, seq, state, reason,
                  lagInFrame(state, 1, '') OVER w AS prev,
                  row_number() OVER w = 1 AS first_row,
                  max(toUnixTimestamp64Milli(ts)) OVER (PARTITION BY machine) AS max_t
           FROM ${ch.database}.machine_state
           WHERE factory IN {factories:Array(String)} AND machine IN {machines:Array(String)}
             AND ts >= fromUnixTimestamp64Milli({minLo:Int64}) AND ts < fromUnixTimestamp64Milli(hi)
             AND toUnixTimestamp64Milli(ts) >= transform(toString(machine), {machines:Array(String)}, {los:Array(Int64)}, {lo:Int64})
           WINDOW w AS (PARTITION BY machine ORDER BY ts, seq ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
         )
         WHERE state != prev
       )
     )
     WHERE state = 'DOWN' AND clipped > 0
     GROUP BY m, reason`,
    { factories, machines: ids, los, minLo: Math.min(lo, ...los), lo, from, to, now: opts.now, micro: opts.microStopMs },
  )
  const byMachine = new Map(machines.map((m) => [m.machine, m]))
  for (const r of result) {
    const totals = { failureMs: Number(r.failure_ms), failures: Number(r.failures), microStopMs: Number(r.micro_ms), microStops: Number(r.micro) }
    const ref = r.m === '' ? undefined : byMachine.get(r.m)
    if (!ref) {
      add(r.reason, totals)
      continue
    }
    // The machine's first row in the range: the opening event of its stop, unless the row before
    // it (outside the range) is DOWN too. Then the stop began before the range: longer than the
    // threshold, not begun in the window, and its reason is its real opening event's.
    const before = await eventBefore(ch, ref, Number(r.first_t), Number(r.first_seq))
    if (before?.state !== 'DOWN') {
      add(r.reason, totals)
      continue
    }
    const opener = await runOpenedBefore(ch, ref, Number(r.first_t), Number(r.first_seq))
    add(opener?.reason ?? r.reason, { failureMs: totals.failureMs + totals.microStopMs })
  }
  return out
}
