import type { FastifyReply, FastifyRequest } from 'fastify'
import Type from 'typebox'
import { ApiError } from '../errors.ts'

/**
 * CSV for table routes (RFC 4180): a header row, CRLF line ends, a field quoted only when it holds
 * a comma, a quote or a line break (quotes doubled), numbers as plain decimals (never 1e-7), empty
 * for null. A route spreads {@link FormatQuery} into its querystring and answers through
 * {@link sendTable}: JSON unless `format=csv`, or no `format` and an Accept header preferring text/csv.
 */

/** Spread into a table route's querystring schema: `{ ...FormatQuery, ...yours }`. */
export const FormatQuery = {
  format: Type.Optional(
    Type.Union([Type.Literal('json'), Type.Literal('csv')], { description: 'Response format; default json, or csv when the Accept header prefers text/csv' }),
  ),
}

/** A column: a property path of the row (`machine`, `seconds.running`; also the header), or a header with a getter. */
export type CsvColumn<T> = string | { header: string; value: (row: T) => unknown }

/** A number as a plain decimal (0.0000001, not 1e-7; 1000000000000000000000, not 1e+21), shortest exact form; empty when not finite. */
export function plainNumber(n: number): string {
  if (!Number.isFinite(n)) return ''
  if (Object.is(n, -0)) return '0'
  const s = String(n)
  const e = s.indexOf('e')
  if (e < 0) return s
  const exp = Number(s.slice(e + 1))
  const neg = s.startsWith('-')
  const [int = '', frac = ''] = s.slice(neg ? 1 : 0, e).split('.')
  const digits = int + frac
  const point = int.length + exp
  const out =
    point <= 0 ? `0.${'0'.repeat(-point)}${digits}` : point >= digits.length ? digits + '0'.repeat(point - digits.length) : `${digits.slice(0, point)}.${digits.slice(point)}`
  return neg ? `-${out}` : out
}

/**
 * Text a spreadsheet would run as a formula (CSV injection, OWASP): `=`, `+`, `-`, `@`, tab or CR
 * first. A reason or machine name typed on a PLC panel or into the seed must not become
 * `=HYPERLINK(...)` in the engineer's Excel. Numbers are written as numbers and never escaped.
 */
const FORMULA_START = /^[=+\-@\t\r]/

/**
 * One field: quoted when it must be (RFC 4180 §2.6-2.7); text that a spreadsheet would take for a
 * formula gets a leading `'` and quotes (OWASP's advice), so it shows as the text it is.
 */
export function csvCell(v: unknown): string {
  let s: string
  if (v === null || v === undefined) return ''
  else if (typeof v === 'number') return plainNumber(v)
  else if (typeof v === 'bigint' || typeof v === 'boolean') return String(v)
  else if (v instanceof Date) return v.toISOString()
  else if (typeof v === 'string') s = v
  else s = JSON.stringify(v)
  if (FORMULA_START.test(s)) return `"'${s.replaceAll('"', '""')}"`
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s
}

function pick(row: unknown, path: string): unknown {
  let v: unknown = row
  for (const k of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<string, unknown>)[k]
  }
  return v
}

/** The CSV text of `rows`: header row first (also when there are no rows), CRLF after every record. */
export function toCsv<T>(rows: Iterable<T>, columns: ReadonlyArray<CsvColumn<T>>): string {
  const header = columns.map((c) => csvCell(typeof c === 'string' ? c : c.header)).join(',')
  const lines = [header]
  for (const row of rows) lines.push(columns.map((c) => csvCell(typeof c === 'string' ? pick(row, c) : c.value(row))).join(','))
  return lines.join('\r\n') + '\r\n'
}

const OFFERS = ['application/json', 'text/csv'] as const
type Offer = (typeof OFFERS)[number]

/**
 * The best of JSON and CSV for an Accept header: each offer takes the q of the most specific range
 * matching it (RFC 9110 §12.5.1), the higher q wins, JSON on a tie or without a header; undefined
 * when it accepts neither.
 */
export function negotiate(accept: string | undefined): Offer | undefined {
  if (accept === undefined || accept.trim() === '') return 'application/json'
  const ranges = accept.split(',').map((part) => {
    const [range = '', ...params] = part.trim().toLowerCase().split(';')
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
    const q = qParam ? Number(qParam.slice(2)) : 1
    return { range: range.trim(), q: Number.isFinite(q) ? q : 0 }
  })
  let best: { offer: Offer; q: number } | undefined
  for (const offer of OFFERS) {
    const type = offer.split('/')[0]
    let match: { q: number; specific: number } | undefined
    for (const { range, q } of ranges) {
      const specific = range === offer ? 2 : range === `${type}/*` ? 1 : range === '*/*' ? 0 : -1
      if (specific >= 0 && (!match || specific > match.specific)) match = { q, specific }
    }
    if (match && match.q > 0 && (!best || match.q > best.q)) best = { offer, q: match.q }
  }
  return best?.offer
}

/** Whether this request wants CSV: `format=csv`, or no `format` and an Accept header preferring text/csv. Throws 406 when it accepts neither. */
export function wantsCsv(req: FastifyRequest): boolean {
  const format = (req.query as Record<string, unknown> | undefined)?.['format']
  if (format === 'csv') return true
  if (format === 'json') return false
  const offer = negotiate(req.headers.accept)
  if (offer === undefined) {
    throw new ApiError('SHOPFLOOR_API_NOT_ACCEPTABLE', `this route answers application/json or text/csv; the Accept header "${req.headers.accept}" takes neither`)
  }
  return offer === 'text/csv'
}

export interface Table<T> {
  rows: Iterable<T>
  columns: ReadonlyArray<CsvColumn<T>>
  /** Download name without extension: `oee-hcmc_vsip-1_saigon-pcb`. */
  filename: string
  /** Cursor of the next page, for paginated tables: sent as `X-Next-Cursor` and a `Link: <...>; rel="next"` header. */
  next?: string | null
}

/**
 * Answers a table route: `json` as is, or the table as CSV when the request wants it (see
 * {@link wantsCsv}). Return its result from the handler: `return sendTable(req, reply, body, table)`.
 */
export function sendTable<T, B>(req: FastifyRequest, reply: FastifyReply, json: B, table: Table<T>): B | FastifyReply {
  if (!wantsCsv(req)) return json
  if (table.next) {
    const url = new URL(req.url, 'http://x')
    url.searchParams.set('cursor', table.next)
    reply.header('x-next-cursor', table.next).header('link', `<${url.pathname}${url.search}>; rel="next"`)
  }
  const name = table.filename.replace(/[^\w.-]+/g, '_')
  return reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${name}.csv"`)
    .send(toCsv(table.rows, table.columns))
}
