import type { Clickhouse } from '../../stream/index.ts'

/** A machine's state as the feed knows it: from its latest state event. */
export interface MachineLive {
  factory: string
  /** The machine's line: its path without the last segment. */
  line: string
  machine: string
  state: string
  /** When the machine entered this state (the run of equal states it continues), epoch ms. */
  since: number
  /** The latest state event's time, epoch ms. */
  at: number
  /** That event's sequence number (with `at`, orders events of one machine). */
  seq: number
}

/** One poll's answer: every machine's latest state, and a number per machine that grows whenever any of its rows is stored. */
export interface LiveRows {
  states: MachineLive[]
  /** machine -> sum over its agents of the highest sequence stored (states, counts, energy). */
  marks: Map<string, number>
}

type Num = number | string
interface Row {
  k: 's' | 'w'
  factory: string
  machine: string
  t: Num
  seq: Num
  state: string
  since: Num
}

/** The streams whose new rows change KPIs (heartbeats and raw tag samples do not). */
const KPI_STREAMS = ['machine_state', 'production_count', 'energy_reading']

/**
 * The feed's one query per poll, shared by every subscriber: `machine_state_last` (a row per
 * machine, kept by a view) and ingest's watermarks (a row per stream, agent and machine). Both
 * are tiny whatever the history, so a poll costs the same after a day or a year; no FINAL needed
 * (argMaxMerge and max merge the unmerged parts). Works on chDB and on a ClickHouse server.
 */
export async function pollLiveRows(ch: Clickhouse): Promise<LiveRows> {
  const db = ch.database
  const res = await ch.client.query({
    query: `SELECT 's' AS k, toString(factory) AS factory, toString(machine) AS machine, toUnixTimestamp64Milli(l.1) AS t, l.2 AS seq, l.3 AS state, toUnixTimestamp64Milli(l.4) AS since
FROM (SELECT factory, machine, argMaxMerge(last) AS l FROM ${db}.machine_state_last GROUP BY factory, machine)
UNION ALL
SELECT 'w' AS k, '' AS factory, machine, toInt64(0) AS t, toUInt64(sum(m)) AS seq, '' AS state, toInt64(0) AS since
FROM (SELECT agent_id, machine, max(seq) AS m FROM ${db}.ingest_watermarks WHERE stream IN {streams:Array(String)} AND machine != '' GROUP BY stream, agent_id, machine)
GROUP BY machine`,
    query_params: { streams: KPI_STREAMS },
    format: 'JSONEachRow',
  })
  const rows = await res.json<Row>()
  const states: MachineLive[] = []
  const marks = new Map<string, number>()
  for (const r of rows) {
    if (r.k === 'w') marks.set(r.machine, Number(r.seq))
    else states.push({ factory: r.factory, line: r.machine.slice(0, r.machine.lastIndexOf('/')), machine: r.machine, state: r.state, since: Number(r.since), at: Number(r.t), seq: Number(r.seq) })
  }
  return { states, marks }
}
