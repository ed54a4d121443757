import type { FastifyInstance } from 'fastify'
import type { Static } from 'typebox'
import type { ApiOptions } from '../app.ts'
import { requireFactory } from '../auth/index.ts'
import { sendTable } from '../http/index.ts'
import { downtime } from '../kpi-service.ts'
import { parseScope, parseWindow } from '../kpi/params.ts'
import type { Reference } from '../reference/index.ts'
import { DowntimeQuerystring, DowntimeResponseSchema } from '../schemas.ts'

/**
 * `GET /api/v1/downtime?machine|line|area|factory=PATH&from=ISO&to=ISO[&microStop=s]`: DOWN time
 * by reason, ranked by seconds, with stop counts split into failures and micro-stops. CSV: the
 * ranking.
 */
export function registerDowntime(app: FastifyInstance, opts: ApiOptions, reference: Reference): void {
  const deps = { clickhouse: opts.clickhouse, reference, now: opts.now ?? Date.now }
  app.get<{ Querystring: Static<typeof DowntimeQuerystring> }>(
    '/api/v1/downtime',
    {
      config: { access: 'plant' },
      schema: {
        summary: 'Downtime by reason, ranked by seconds, with stop counts',
        tags: ['kpi'],
        querystring: DowntimeQuerystring,
        response: { 200: DowntimeResponseSchema, '4xx': { $ref: 'ErrorBody#' } },
      },
    },
    async (req, reply) => {
      const q = req.query
      const scope = parseScope(q, ['machine', 'line', 'area', 'factory'])
      requireFactory(req, scope.factory)
      const res = await downtime(deps, { scope, ...parseWindow(q), ...(q.microStop !== undefined ? { microStopS: q.microStop } : {}) })
      return sendTable(req, reply, res, {
        rows: res.reasons,
        columns: ['reason', 'seconds', 'stops', 'failureSeconds', 'failures', 'microStopSeconds', 'microStops', 'share'],
        filename: `downtime-${scope.path}`,
      })
    },
  )
}
