import type { Clickhouse } from './client.ts'
import type { ShopfloorEvent } from '../events.ts'
import { StreamError } from '../errors.ts'
import { rowsByTable, type Row } from './rows.ts'

/** Options of one insert. */
export interface InsertOptions {
  /**
   * Insert deduplication token. Inserting the same rows again with the same token changes no
   * table, the rollups fed by materialized views included, even when the first attempt stored
   * only some of them (`deduplicate_blocks_in_dependent_materialized_views`). Default: none; the
   * event tables then drop a block identical to a recent one, and views get no deduplication
   * (two different batches may well produce identical rollup blocks).
   */
  token?: string
}

/**
 * The statement and body of an insert in `JSONCompactEachRow` (one JSON array per row, columns
 * named once): half the bytes of JSONEachRow and parsed faster by ClickHouse (docs/benchmarks.md).
 * Built here rather than by the client's row stream: one string, no per-row stream chunk (chDB
 * concatenates the chunks anyway). Every row must have the first row's keys, in its order.
 */
export function insertStatement(target: string, rows: readonly Row[]): string {
  return `INSERT INTO ${target} (${Object.keys(rows[0] ?? {}).join(', ')}) FORMAT JSONCompactEachRow\n${insertBody(rows)}`
}

/** The `JSONCompactEachRow` body of an insert: one JSON array per row, in the first row's key order. */
export function insertBody(rows: readonly Row[]): string {
  let body = ''
  for (const r of rows) body += JSON.stringify(Object.values(r)) + '\n'
  return body
}

/** Inserts rows into one table of the shopfloor database. */
export async function insertRows(ch: Clickhouse, table: string, rows: readonly Row[], opts: InsertOptions = {}): Promise<void> {
  if (rows.length === 0) return
  await insertJsonLines(ch, table, Object.keys(rows[0] as Row), Buffer.from(insertBody(rows)), rows.length, opts)
}

/**
 * Inserts `rows` lines of `JSONCompactEachRow` (`body`, each line an array of `columns`) into one
 * table of the shopfloor database: ingest's fast path builds the lines straight from the Avro
 * bytes (avro-rows.ts). chDB gets them as bytes through its raw insert; a server in one command.
 */
export async function insertJsonLines(ch: Clickhouse, table: string, columns: readonly string[], body: Buffer, rows: number, opts: InsertOptions = {}): Promise<void> {
  if (rows === 0) return
  // Always set all three: chDB applies settings to its session, where they would otherwise stay.
  const settings = {
    insert_deduplicate: 1 as const,
    insert_deduplication_token: opts.token ?? '',
    deduplicate_blocks_in_dependent_materialized_views: opts.token ? (1 as const) : (0 as const),
  }
  try {
    if (ch.rawInsert) {
      await ch.rawInsert({ table: `${ch.database}.${table}`, columns, format: 'JSONCompactEachRow', values: body, settings })
    } else {
      await ch.client.command({
        query: `INSERT INTO ${ch.database}.${table} (${columns.join(', ')}) FORMAT JSONCompactEachRow\n${body.toString('utf8')}`,
        clickhouse_settings: settings,
      })
    }
  } catch (cause) {
    throw new StreamError('SHOPFLOOR_CLICKHOUSE_INSERT', `insert of ${rows} rows into ${ch.database}.${table} on ${ch.describe} failed: ${(cause as Error).message}`, {
      canRetry: true,
      cause,
    })
  }
}

/**
 * Inserts a batch of events, one INSERT per table; returns the rows inserted. Event tables are
 * ReplacingMergeTree on the event id, so rows inserted twice read once with FINAL; for the
 * rollups to stay exact too, ingest filters replays before calling this (see `ingest.ts`).
 */
export async function insertEvents(ch: Clickhouse, events: readonly ShopfloorEvent[], opts: InsertOptions = {}): Promise<number> {
  let n = 0
  for (const [table, rows] of rowsByTable(events)) {
    await insertRows(ch, table, rows, opts)
    n += rows.length
  }
  return n
}
