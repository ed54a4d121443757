/**
 * The raw side of the meter check (docs/energy.md, "Meter readings"): for the intervals the energy
 * query found suspect, their readings one by one with the reading before each, and their state time.
 */
import { MACHINE_STATES, STATE_COLUMNS, type Clickhouse, type MachineStateCode } from '../../stream/index.ts'
import { ids, intervalKeys, intervalKeySql, ROLLUP_WHERE } from './energy.ts'

const MINUTE_MS = 60_000
const QUARTER_MS = 900_000
const HOUR_MS = 3_600_000

type Num = number | string
const num = (v: Num | null | undefined): number => Number(v ?? 0)
const prefix = (path: string, segments: number): string => path.split('/').slice(0, segments).join('/')

/**
 * Milliseconds per state of closed state intervals in each interval (a quarter from
 * machine_rollup_15m, a minute from machine_rollup_1m), keyed `machine@start`.
 */
export async function intervalStates(ch: Clickhouse, intervals: ReadonlyArray<{ machine: string; start: number; length: number }>): Promise<Map<string, Record<MachineStateCode, number>>> {
  const out = new Map<string, Record<MachineStateCode, number>>()
  const parts = (['15m', '1m'] as const).flatMap((suffix) => {
    const own = intervals.filter((i) => i.length === (suffix === '15m' ? QUARTER_MS : MINUTE_MS))
    return own.length === 0 ? [] : [{ suffix, own }]
  })
  await Promise.all(
    parts.map(async ({ suffix, own }) => {
      const scope = ids([...new Set(own.map((i) => i.machine))])
      // Bucket keys through the primary key; (machine, bucket) pairs as a set of UInt64 keys.
      const rs = await ch.client.query({
        query: `SELECT toString(machine) AS m, toInt64(toUnixTimestamp(bucket)) * 1000 AS t, ${MACHINE_STATES.map((s, k) => `sum(${STATE_COLUMNS[s]}) AS ms_${k}`).join(', ')}
          FROM ${ch.database}.machine_rollup_${suffix}
          WHERE ${ROLLUP_WHERE} AND toUInt32(bucket) IN {starts:Array(UInt32)} AND ${intervalKeySql('machine', 'toUInt32(bucket)')} IN {keys:Array(UInt64)}
          GROUP BY machine, bucket`,
        query_params: { ...scope, starts: [...new Set(own.map((i) => i.start / 1000))], keys: intervalKeys(scope.machines, own) },
        format: 'JSONEachRow',
      })
      for (const r of await rs.json<{ m: string; t: Num; [k: string]: unknown }>()) {
        out.set(`${r.m}@${num(r.t)}`, Object.fromEntries(MACHINE_STATES.map((s, k) => [s, num(r[`ms_${k}`] as Num)])) as Record<MachineStateCode, number>)
      }
    }),
  )
  return out
}

/** A raw reading of a suspect interval, with the time of the machine's reading before it. */
export interface SuspectReading {
  readonly machine: string
  readonly ts: number
  readonly kwh: number
  readonly kvarh: number | null
  /** The previous reading's time within the look-back; undefined when none. */
  readonly previousTs: number | undefined
}

/** How far back the reading before a suspect interval is looked for. */
export const METER_LOOKBACK_MS = 24 * HOUR_MS

/**
 * The raw energy readings of the intervals, each with the time of the machine's reading before it
 * (looked for up to {@link METER_LOOKBACK_MS} back), sorted per machine by time. A reading holds
 * the energy since the reading before, so an interval `[start, start + length)` of the rollups
 * holds the readings taken in `(start, start + length]` (docs/energy.md, "Booking").
 */
export async function suspectReadings(ch: Clickhouse, intervals: ReadonlyArray<{ machine: string; start: number; length: number }>): Promise<SuspectReading[]> {
  if (intervals.length === 0) return []
  const machines = [...new Set(intervals.map((m) => m.machine))]
  const ranges = mergeRanges(intervals.map((m) => [m.start - METER_LOOKBACK_MS, m.start + m.length] as const))
  const rs = await ch.client.query({
    query: `
    SELECT m, t, e, r, prev FROM (
      SELECT toString(machine) AS m, toUnixTimestamp64Milli(ts) AS t, kwh AS e, kvarh AS r,
        lagInFrame(toUnixTimestamp64Milli(ts), 1, toInt64(0)) OVER (PARTITION BY machine ORDER BY ts, seq ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS prev
      FROM ${ch.database}.energy_reading
      WHERE factory IN {factories:Array(String)} AND machine IN {machines:Array(String)}
        AND (${ranges.map(([a, b]) => `(ts > fromUnixTimestamp64Milli(${a}) AND ts <= fromUnixTimestamp64Milli(${b}))`).join(' OR ')})
    )
    -- the reading's interval: the quarter or minute of ts - 1 ms (a set lookup, not a scan of the intervals)
    WHERE ${intervalKeySql('m', `intDiv(t - 1, ${QUARTER_MS}) * ${QUARTER_MS / 1000}`)} IN {quarters:Array(UInt64)}
       OR ${intervalKeySql('m', `intDiv(t - 1, ${MINUTE_MS}) * ${MINUTE_MS / 1000}`)} IN {minutes:Array(UInt64)}
    ORDER BY m, t`,
    query_params: {
      machines,
      factories: [...new Set(machines.map((m) => prefix(m, 3)))],
      quarters: intervalKeys(machines, intervals.filter((i) => i.length === QUARTER_MS)),
      minutes: intervalKeys(machines, intervals.filter((i) => i.length === MINUTE_MS)),
    },
    format: 'JSONEachRow',
  })
  return (await rs.json<{ m: string; t: Num; e: number | string | null; r: number | string | null; prev: Num }>()).map((x) => ({
    machine: x.m,
    ts: num(x.t),
    kwh: x.e === null ? Number.NaN : Number(x.e),
    kvarh: x.r === null ? null : Number(x.r),
    previousTs: num(x.prev) > 0 ? num(x.prev) : undefined,
  }))
}

function mergeRanges(ranges: ReadonlyArray<readonly [number, number]>): Array<[number, number]> {
  const merged: Array<[number, number]> = []
  for (const [a, b] of [...ranges].sort((x, y) => x[0] - y[0])) {
    const last = merged.at(-1)
    if (last && a <= last[1]) last[1] = Math.max(last[1], b)
    else merged.push([a, b])
  }
  return merged
}
