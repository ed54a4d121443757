// What ingest reads back from ClickHouse to stay idempotent: the highest sequence stored per
// (stream, agent, machine), each machine's last state, and its own ledger of Kafka batches.
import type { Clickhouse } from './client.ts'
import { StreamError } from '../errors.ts'

/** A machine's latest state event: what the next state event's interval starts with. */
export interface LastState {
  readonly ts: number
  readonly state: string
  /** When the machine entered this state: the start of its run of equal states (absent in ledger entries written before schema version 3: `ts`). */
  readonly since?: number
}

/** Filter context of a batch: the watermarks and last states it started from, for the keys it touched. */
export interface BatchContext {
  /** `<stream>\u0000<agent>\u0000<machine>` -> highest sequence stored before the batch (-1: none). */
  readonly watermarks: Record<string, number>
  /** machine path -> its last state before the batch (null: none). */
  readonly lastStates: Record<string, LastState | null>
}

export interface LedgerEntry {
  /** Consumer group: two groups reading the same topics into one database keep separate ledgers. */
  readonly group: string
  readonly topic: string
  readonly partition: number
  readonly firstOffset: string
  readonly nextOffset: string
  readonly context: BatchContext
  /**
   * The entry's version, epoch ms: of two entries for the same first offset the later one counts.
   * Ingest passes the time it last made sure it owned the partition, so that an entry a zombie
   * writes late still ranks below its successor's. Default: now.
   */
  readonly written?: number
}

async function select<T>(ch: Clickhouse, what: string, query: string, params: Record<string, unknown>): Promise<T[]> {
  try {
    const rs = await ch.client.query({ query, query_params: params, format: 'JSONEachRow' })
    return await rs.json<T>()
  } catch (cause) {
    throw new StreamError('SHOPFLOOR_CLICKHOUSE_QUERY', `reading ${what} from ${ch.describe} failed: ${(cause as Error).message}`, { canRetry: true, cause })
  }
}

/** Highest stored sequence per `<agent>\u0000<machine>` of one stream, for these machines ('' for heartbeats). */
export async function loadWatermarks(ch: Clickhouse, stream: string, machines: readonly string[]): Promise<Map<string, number>> {
  const rows = await select<{ agent_id: string; machine: string; seq: string | number }>(
    ch,
    'ingest watermarks',
    `SELECT agent_id, machine, max(seq) AS seq FROM ${ch.database}.ingest_watermarks
     WHERE stream = {stream:String} AND machine IN {machines:Array(String)}
     GROUP BY agent_id, machine`,
    { stream, machines },
  )
  return new Map(rows.map((r) => [`${r.agent_id}\u0000${r.machine}`, Number(r.seq)]))
}

/**
 * Latest state event of each machine, by (ts, seq), and when its run of equal states began: read
 * from `machine_state_last` (a row per machine, kept by a view from every state insert), not from
 * the machine's whole history in `machine_state`.
 */
export async function loadLastStates(ch: Clickhouse, machines: readonly string[]): Promise<Map<string, LastState>> {
  const factories = [...new Set(machines.map((m) => m.split('/').slice(0, 3).join('/')))]
  const rows = await select<{ machine: string; t: string | number; s: string; since: string | number }>(
    ch,
    'last machine states',
    `SELECT machine, toUnixTimestamp64Milli(l.1) AS t, l.3 AS s, toUnixTimestamp64Milli(l.4) AS since
     FROM (SELECT toString(machine) AS machine, argMaxMerge(last) AS l
           FROM ${ch.database}.machine_state_last
           WHERE factory IN {factories:Array(String)} AND machine IN {machines:Array(String)}
           GROUP BY machine)`,
    { factories, machines },
  )
  return new Map(rows.map((r) => [r.machine, { ts: Number(r.t), state: r.s, since: Number(r.since) }]))
}

/** Records a batch before its rows are inserted. */
export async function recordBatch(ch: Clickhouse, e: LedgerEntry): Promise<void> {
  try {
    await ch.client.insert({
      table: `${ch.database}.ingest_batches`,
      values: [{ consumer_group: e.group, topic: e.topic, partition: e.partition, first_offset: e.firstOffset, next_offset: e.nextOffset, context: JSON.stringify(e.context), written: e.written ?? Date.now() }],
      format: 'JSONEachRow',
      clickhouse_settings: { insert_deduplication_token: '', deduplicate_blocks_in_dependent_materialized_views: 0 },
    })
  } catch (cause) {
    throw new StreamError('SHOPFLOOR_CLICKHOUSE_INSERT', `recording batch ${e.topic}/${e.partition} offsets ${e.firstOffset}..${e.nextOffset} on ${ch.describe} failed: ${(cause as Error).message}`, {
      canRetry: true,
      cause,
    })
  }
}

/** The batch recorded for a partition that covers `offset`, if any: one begun and maybe not finished. */
export async function findBatch(ch: Clickhouse, group: string, topic: string, partition: number, offset: string): Promise<LedgerEntry | undefined> {
  const rows = await select<{ first_offset: string; next_offset: string; context: string }>(
    ch,
    'the ingest batch ledger',
    `SELECT first_offset, next_offset, context FROM ${ch.database}.ingest_batches FINAL
     WHERE consumer_group = {group:String} AND topic = {topic:String} AND partition = {partition:UInt32}
       AND first_offset <= {offset:UInt64} AND next_offset > {offset:UInt64}
     ORDER BY first_offset DESC LIMIT 1`,
    { group, topic, partition, offset },
  )
  const r = rows[0]
  if (!r) return undefined
  return { group, topic, partition, firstOffset: String(r.first_offset), nextOffset: String(r.next_offset), context: JSON.parse(r.context) as BatchContext }
}
