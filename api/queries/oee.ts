import type { Clickhouse, MachineStateCode } from '../../stream/index.ts'
import type { StateEvent } from '../kpi/state-time.ts'

export interface MachineCounts {
  produced: number
  rejected: number
  idealProducedS: number
  idealRejectedS: number
}

/**
 * State events of the machines in [from, to), plus for each machine the last event before `from`
 * (the state in force at `from`) and the first at or after `to` (to class a stop crossing `to`
 * by its whole length). Sorted per machine by (ts, seq).
 */
export async function stateEvents(ch: Clickhouse, machines: readonly string[], from: number, to: number): Promise<Map<string, StateEvent[]>> {
  const t = `${ch.database}.machine_state`
  const rs = await ch.client.query({
    query: `
      SELECT machine, toUnixTimestamp64Milli(at) AS t, st AS state, sq AS seq FROM (
        SELECT machine, ts AS at, state AS st, seq AS sq FROM ${t} FINAL
        WHERE machine IN {machines:Array(String)} AND ts >= fromUnixTimestamp64Milli({from:Int64}) AND ts < fromUnixTimestamp64Milli({to:Int64})
        UNION ALL
        -- aliases differ from the column names: ClickHouse would read an alias "ts" in WHERE as the aggregate
        SELECT machine, max(ts) AS at, argMax(state, (ts, seq)) AS st, max(seq) AS sq FROM ${t} FINAL
        WHERE machine IN {machines:Array(String)} AND ts < fromUnixTimestamp64Milli({from:Int64})
        GROUP BY machine
        UNION ALL
        SELECT machine, min(ts) AS at, argMin(state, (ts, seq)) AS st, min(seq) AS sq FROM ${t} FINAL
        WHERE machine IN {machines:Array(String)} AND ts >= fromUnixTimestamp64Milli({to:Int64})
        GROUP BY machine
      )
      ORDER BY machine, t, seq`,
    query_params: { machines, from, to },
    format: 'JSONEachRow',
  })
  const out = new Map<string, StateEvent[]>(machines.map((m) => [m, []]))
  for (const r of await rs.json<{ machine: string; t: string | number; state: MachineStateCode; seq: string | number }>()) {
    out.get(r.machine)?.push({ ts: Number(r.t), state: r.state, seq: Number(r.seq) })
  }
  return out
}

/** Counts of a machine that made nothing in the window. */
export const NO_COUNTS: MachineCounts = Object.freeze({ produced: 0, rejected: 0, idealProducedS: 0, idealRejectedS: 0 })

/** Units made in [from, to) per machine, with their ideal time (Σ count × ideal cycle time of the event). */
export async function countTotals(ch: Clickhouse, machines: readonly string[], from: number, to: number): Promise<Map<string, MachineCounts>> {
  const rs = await ch.client.query({
    query: `
      SELECT machine, sum(produced) AS p, sum(rejected) AS r,
             sum(produced * ideal_cycle_s) AS ip, sum(rejected * ideal_cycle_s) AS ir
      FROM ${ch.database}.production_count FINAL
      WHERE machine IN {machines:Array(String)} AND ts >= fromUnixTimestamp64Milli({from:Int64}) AND ts < fromUnixTimestamp64Milli({to:Int64})
      GROUP BY machine`,
    query_params: { machines, from, to },
    format: 'JSONEachRow',
  })
  const out = new Map<string, MachineCounts>(machines.map((m) => [m, NO_COUNTS]))
  for (const r of await rs.json<{ machine: string; p: string | number; r: string | number; ip: number; ir: number }>()) {
    out.set(r.machine, { produced: Number(r.p), rejected: Number(r.r), idealProducedS: Number(r.ip), idealRejectedS: Number(r.ir) })
  }
  return out
}

/** kWh used in [from, to) per machine: the readings taken in (from, to], each the energy since the one before. */
export async function energyTotals(ch: Clickhouse, machines: readonly string[], from: number, to: number): Promise<Map<string, number>> {
  const rs = await ch.client.query({
    query: `
      SELECT machine, sum(kwh) AS total_kwh FROM ${ch.database}.energy_reading FINAL
      WHERE machine IN {machines:Array(String)} AND ts > fromUnixTimestamp64Milli({from:Int64}) AND ts <= fromUnixTimestamp64Milli({to:Int64})
      GROUP BY machine`,
    query_params: { machines, from, to },
    format: 'JSONEachRow',
  })
  const out = new Map<string, number>(machines.map((m) => [m, 0]))
  for (const r of await rs.json<{ machine: string; total_kwh: number }>()) out.set(r.machine, Number(r.total_kwh))
  return out
}
