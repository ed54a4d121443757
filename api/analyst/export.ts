/**
 * The published cells as a flat table, for the CSV and Parquet downloads: one row per cell, the
 * cell's key and mark, then its values (empty / null when suppressed or empty). The columns are
 * a fixed list: nothing else of a cell (and no factory, which a cell does not have) can reach a file.
 */
import type { Clickhouse } from '../../stream/index.ts'
import type { CsvColumn } from '../http/index.ts'
import { PUBLISHED_SUMS, type PublishedCell, type PublishedValues } from './types.ts'

type ValueKey = keyof PublishedValues

/** The value columns, in order (the sums, then the ratios), all Float64 in Parquet. */
export const VALUE_COLUMNS: ReadonlyArray<{ readonly key: ValueKey; readonly type: 'Float64' }> = (
  [...PUBLISHED_SUMS, 'availability', 'performance', 'quality', 'oee', 'kwhPerGoodUnit', 'co2KgPerGoodUnit', 'completeness'] as const satisfies readonly ValueKey[]
).map((key) => ({ key, type: 'Float64' as const }))

/** The key columns: `null` region, park or sector is the "all" margin. */
const KEY_COLUMNS = [
  { key: 'period', type: 'String' },
  { key: 'periodKind', type: 'String' },
  { key: 'region', type: 'Nullable(String)' },
  { key: 'park', type: 'Nullable(String)' },
  { key: 'sector', type: 'Nullable(String)' },
  { key: 'sectorVsic2018', type: 'Nullable(String)' },
  { key: 'factories', type: 'UInt32' },
  { key: 'suppressed', type: 'Nullable(String)' },
] as const satisfies ReadonlyArray<{ key: keyof PublishedCell; type: string }>

/** A cell as one flat row: exactly the export columns. */
export type ExportRow = Record<string, string | number | null>

/** The flat row of a cell: its key, mark and values (null when it shows none). */
export function exportRow(c: PublishedCell): ExportRow {
  const row: ExportRow = {}
  for (const k of KEY_COLUMNS) row[k.key] = c[k.key]
  for (const v of VALUE_COLUMNS) row[v.key] = c.values ? c.values[v.key] : null
  return row
}

/** CSV columns of {@link exportRow}. */
export const CSV_COLUMNS: ReadonlyArray<CsvColumn<ExportRow>> = [...KEY_COLUMNS.map((k) => k.key), ...VALUE_COLUMNS.map((v) => v.key)]

/** The ClickHouse structure of {@link exportRow}, for `format(JSONEachRow, ...)`. */
export const EXPORT_STRUCTURE = [...KEY_COLUMNS.map((k) => `${k.key} ${k.type}`), ...VALUE_COLUMNS.map((v) => `${v.key} Nullable(${v.type})`)].join(', ')

/** A SQL string literal: backslashes and quotes escaped (ClickHouse's rules). */
const sqlString = (text: string): string => `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`

/**
 * The cells as a Parquet file, written by ClickHouse itself (chDB or a server; no Parquet library
 * here): the rows go in as JSONEachRow text inside the query (the POST body on a server, so no URL
 * length limit; `max_query_size` raised to fit) and come out as Parquet bytes.
 */
export async function toParquet(ch: Clickhouse, cells: readonly PublishedCell[]): Promise<Buffer> {
  // No cell: one row of defaults, cut by LIMIT 0, as format() needs some data to read.
  const data = sqlString(cells.length > 0 ? cells.map((c) => JSON.stringify(exportRow(c))).join('\n') : '{}')
  const res = await ch.client.exec({
    query: `SELECT * FROM format(JSONEachRow, '${EXPORT_STRUCTURE}', ${data})${cells.length > 0 ? '' : ' LIMIT 0'} FORMAT Parquet`,
    clickhouse_settings: { max_query_size: String(data.length + 65_536) },
  })
  const chunks: Buffer[] = []
  for await (const chunk of res.stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array))
  return Buffer.concat(chunks)
}
