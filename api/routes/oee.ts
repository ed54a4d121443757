import type { FastifyInstance } from 'fastify'
import type Type from 'typebox'
import type { Clickhouse } from '../../stream/index.ts'
import { ApiError } from '../errors.ts'
import { oee } from '../oee-service.ts'
import { OeeQuerystring, OeeResponseSchema } from '../schemas.ts'

/** Default micro-stop threshold, seconds (KPI.md). */
export const DEFAULT_MICRO_STOP_S = 120
/** Longest window one request may ask for, days. */
export const MAX_WINDOW_DAYS = 366

// ISO 8601 date-time with an explicit zone: a bare local time would be read in the server's zone.
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/

function parseTime(value: string, param: string): number {
  const t = ISO.test(value) ? Date.parse(value) : NaN
  if (Number.isNaN(t)) throw new ApiError('SHOPFLOOR_API_BAD_PARAM', `query parameter "${param}" must be an ISO 8601 date-time with a zone, e.g. 2026-11-21T08:00:00+07:00 (got "${value}")`, param)
  return t
}

/** `GET /api/v1/oee?machine=ID|line=ID&from=ISO&to=ISO[&microStop=s]` */
export function registerOee(app: FastifyInstance, ch: Clickhouse): void {
  app.get<{ Querystring: Type.Static<typeof OeeQuerystring> }>(
    '/api/v1/oee',
    { schema: { querystring: OeeQuerystring, response: { 200: OeeResponseSchema, '4xx': { $ref: 'ErrorBody#' } } } },
    async (req) => {
      const q = req.query
      if ((q.machine === undefined) === (q.line === undefined)) {
        throw new ApiError('SHOPFLOOR_API_BAD_PARAM', 'give exactly one of the query parameters "machine" or "line"', q.machine === undefined ? 'machine' : 'line')
      }
      const from = parseTime(q.from, 'from')
      const to = parseTime(q.to, 'to')
      if (to <= from) throw new ApiError('SHOPFLOOR_API_BAD_PARAM', `query parameter "to" (${q.to}) must be after "from" (${q.from})`, 'to')
      if (to - from > MAX_WINDOW_DAYS * 86_400_000) throw new ApiError('SHOPFLOOR_API_BAD_PARAM', `the window from "from" to "to" may span at most ${MAX_WINDOW_DAYS} days`, 'to')
      return oee(ch, {
        ...(q.machine !== undefined ? { machine: q.machine } : { line: q.line as string }),
        from,
        to,
        microStopS: q.microStop ?? DEFAULT_MICRO_STOP_S,
      })
    },
  )
}
