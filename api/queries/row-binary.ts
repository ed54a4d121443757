/**
 * Query results as RowBinary, read in place as typed arrays: for result sets of thousands of rows
 * of numbers, text formats (JSON, TSV) cost ClickHouse formatting and JS a string and its garbage
 * several times the size.
 */
import type { Clickhouse } from '../../stream/index.ts'
import { ApiError } from '../errors.ts'

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/** Rows of a RowBinary result: `ints` reads its UInt32 words, `floats` its Float64s, each at its byte offset / 4 or / 8. */
export interface RowBinaryColumns {
  readonly ints: Uint32Array
  readonly floats: Float64Array
  readonly rows: number
}

/**
 * RowBinary rows of `rowBytes` (a multiple of 8) whose first `intBytes` are UInt32 words (a UInt64
 * is two: low, then high) and the rest Float64s, all little-endian, as typed arrays over one
 * 8-byte aligned copy. `what` names the query in the error when the bytes are not whole rows.
 */
export function rowBinaryColumns(chunks: readonly Uint8Array[], rowBytes: number, intBytes: number, what: string): RowBinaryColumns {
  const length = chunks.reduce((a, c) => a + c.length, 0)
  if (length % rowBytes !== 0) throw new ApiError('SHOPFLOOR_API_INTERNAL', `${what}: the query answered ${length} bytes, not whole rows of ${rowBytes}`)
  const bytes = new Uint8Array(length)
  let at = 0
  for (const c of chunks) {
    bytes.set(c, at)
    at += c.length
  }
  if (!LITTLE_ENDIAN) {
    // RowBinary is little-endian; typed arrays use the platform's order: swap each 4- and 8-byte word.
    const v = new DataView(bytes.buffer)
    for (let o = 0; o < length; o += rowBytes) {
      for (let k = o; k < o + intBytes; k += 4) v.setUint32(k, v.getUint32(k, true))
      for (let k = o + intBytes; k < o + rowBytes; k += 8) v.setFloat64(k, v.getFloat64(k, true))
    }
  }
  return { ints: new Uint32Array(bytes.buffer), floats: new Float64Array(bytes.buffer), rows: length / rowBytes }
}

/** Runs a query that ends in `FORMAT RowBinary` and reads its rows with {@link rowBinaryColumns}. */
export async function queryRowBinary(ch: Clickhouse, query: string, params: Record<string, unknown>, rowBytes: number, intBytes: number, what: string, settings: Record<string, number> = {}): Promise<RowBinaryColumns> {
  const res = await ch.client.exec({ query, query_params: params, clickhouse_settings: settings })
  const chunks: Uint8Array[] = []
  for await (const chunk of res.stream as AsyncIterable<Uint8Array>) chunks.push(chunk)
  return rowBinaryColumns(chunks, rowBytes, intBytes, what)
}
