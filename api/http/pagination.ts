import { createHash } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import Type, { type Static, type TSchema } from 'typebox'
import { Value } from 'typebox/value'
import { ApiError } from '../errors.ts'

/**
 * Cursor pagination for lists that grow: `limit` (default 100, at most 1000) and an opaque
 * `cursor`; the response carries `next` (null on the last page). The cursor holds the position
 * after the last row (keyset, so pages stay consistent while rows are added) and a fingerprint of
 * the route and its other parameters: a cursor used with another query is a 400, not a wrong page.
 *
 *   const page = pageRequest(req, Type.Object({ machine: Type.String() }))
 *   const rows = await query({ after: page.after, limit: page.limit + 1 })   // one more than asked
 *   const { items, next } = pageOf(req, rows, page.limit, (r) => ({ machine: r.machine }))
 */

export const DEFAULT_LIMIT = 100
export const MAX_LIMIT = 1000

/** Spread into a list route's querystring schema: `{ ...PageQuery, ...yours }`. */
export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT, description: `Rows per page; default ${DEFAULT_LIMIT}, at most ${MAX_LIMIT}` })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: 'The `next` of the previous page; absent for the first page' })),
}

/** The `next` field of a paginated response. */
export const NextCursor = Type.Union([Type.String(), Type.Null()], { description: 'Pass as `cursor` for the next page; null on the last page' })

export interface PageRequest<P> {
  limit: number
  /** Position after which this page starts; undefined for the first page. */
  after: P | undefined
}

const PAGING_PARAMS = new Set(['cursor', 'limit', 'format'])

function fingerprint(req: FastifyRequest): string {
  const q = (req.query ?? {}) as Record<string, unknown>
  const rest = Object.keys(q)
    .filter((k) => !PAGING_PARAMS.has(k))
    .sort()
    .map((k) => [k, q[k]])
  return createHash('sha256')
    .update(JSON.stringify([req.routeOptions.url, req.params, rest]))
    .digest('base64url')
    .slice(0, 12)
}

/** Encodes a position as this request's cursor. */
export function encodeCursor(req: FastifyRequest, position: unknown): string {
  return Buffer.from(JSON.stringify({ q: fingerprint(req), p: position })).toString('base64url')
}

/** The position in a cursor of this request; 400 SHOPFLOOR_API_BAD_PARAM (param `cursor`) when it is not one. */
export function decodeCursor<S extends TSchema>(req: FastifyRequest, cursor: string, position: S): Static<S> {
  const bad = (why: string): ApiError => new ApiError('SHOPFLOOR_API_BAD_PARAM', `query parameter "cursor" ${why}: pass the "next" of the previous page unchanged, or leave it out for the first page`, 'cursor')
  let doc: unknown
  try {
    doc = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    throw bad('is not a cursor of this API')
  }
  if (typeof doc !== 'object' || doc === null || !('q' in doc) || !('p' in doc)) throw bad('is not a cursor of this API')
  if ((doc as { q: unknown }).q !== fingerprint(req)) throw bad('belongs to another query (the other parameters must stay the same while paging)')
  const p = (doc as { p: unknown }).p
  if (!Value.Check(position, p)) throw bad('is not a cursor of this route')
  return p as Static<S>
}

/** `limit` (defaulted) and the decoded `cursor` of a list request. */
export function pageRequest<S extends TSchema>(req: FastifyRequest, position: S): PageRequest<Static<S>> {
  const q = (req.query ?? {}) as { limit?: number; cursor?: string }
  const limit = q.limit ?? DEFAULT_LIMIT
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new ApiError('SHOPFLOOR_API_BAD_PARAM', `query parameter "limit" must be an integer from 1 to ${MAX_LIMIT} (got ${String(q.limit)})`, 'limit')
  }
  return { limit, after: q.cursor === undefined ? undefined : decodeCursor(req, q.cursor, position) }
}

/**
 * One page from `rows` fetched with `limit + 1`: the first `limit` rows, and the cursor after the
 * last of them when there was one more row.
 */
export function pageOf<T>(req: FastifyRequest, rows: readonly T[], limit: number, positionOf: (row: T) => unknown): { items: T[]; next: string | null } {
  if (rows.length <= limit) return { items: [...rows], next: null }
  const items = rows.slice(0, limit)
  return { items, next: encodeCursor(req, positionOf(items[items.length - 1] as T)) }
}

/** {@link pageOf} for rows already in memory (a sorted list): the page after `after` by `positionOf`'s key. */
export function pageInMemory<T>(req: FastifyRequest, sorted: readonly T[], page: PageRequest<string>, keyOf: (row: T) => string): { items: T[]; next: string | null } {
  const start = page.after === undefined ? 0 : sorted.findIndex((r) => keyOf(r) > (page.after as string))
  const rest = start < 0 ? [] : sorted.slice(start, start + page.limit + 1)
  return pageOf(req, rest, page.limit, keyOf)
}
