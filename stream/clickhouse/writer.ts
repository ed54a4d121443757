import type { Clickhouse } from './client.ts'
import type { ShopfloorEvent } from '../events.ts'
import { StreamError } from '../errors.ts'
import { rowsByTable } from './rows.ts'

/**
 * Inserts a batch of events, one INSERT per table. Inserting the same events again leaves the
 * tables as they were once merged (ReplacingMergeTree on the event id), so a replay after a
 * crash between insert and offset commit is harmless.
 */
export async function insertEvents(ch: Clickhouse, events: readonly ShopfloorEvent[]): Promise<number> {
  let rows = 0
  for (const [table, values] of rowsByTable(events)) {
    try {
      await ch.client.insert({ table: `${ch.database}.${table}`, values, format: 'JSONEachRow' })
    } catch (cause) {
      throw new StreamError('SHOPFLOOR_CLICKHOUSE_INSERT', `insert of ${values.length} rows into ${ch.database}.${table} on ${ch.describe} failed: ${(cause as Error).message}`, {
        canRetry: true,
        cause,
      })
    }
    rows += values.length
  }
  return rows
}
