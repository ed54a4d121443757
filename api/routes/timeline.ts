import type { FastifyInstance } from 'fastify'
import Type, { type Static } from 'typebox'
import type { ApiOptions } from '../app.ts'
import { requireFactory } from '../auth/index.ts'
import { encodeCursor, pageRequest, sendTable } from '../http/index.ts'
import { timeline, type TimelineRow } from '../kpi-service.ts'
import { parseScope, parseWindow } from '../kpi/params.ts'
import type { Reference } from '../reference/index.ts'
import { TimelineQuerystring, TimelineResponseSchema } from '../schemas.ts'

/** Page position: the opening event (time, sequence) of the next page's first run. */
const Position = Type.Object({ ts: Type.Integer(), seq: Type.Integer({ minimum: 0 }) }, { additionalProperties: false })

/**
 * `GET /api/v1/timeline?machine=PATH&from=ISO&to=ISO[&microStop=s][&limit=n&cursor=c]`: the
 * machine's state intervals (runs of one state, with the reason that opened them), clipped to
 * the window, oldest first, a page at a time. CSV: the intervals.
 */
export function registerTimeline(app: FastifyInstance, opts: ApiOptions, reference: Reference): void {
  const deps = { clickhouse: opts.clickhouse, reference, now: opts.now ?? Date.now }
  app.get<{ Querystring: Static<typeof TimelineQuerystring> }>(
    '/api/v1/timeline',
    {
      config: { access: 'plant' },
      schema: {
        summary: "A machine's state timeline: intervals with state and reason, clipped to the window",
        tags: ['kpi'],
        querystring: TimelineQuerystring,
        response: { 200: TimelineResponseSchema, '4xx': { $ref: 'ErrorBody#' } },
      },
    },
    async (req, reply) => {
      const q = req.query
      const scope = parseScope(q, ['machine'])
      requireFactory(req, scope.factory)
      const window = parseWindow(q)
      const page = pageRequest(req, Position)
      const res = await timeline(deps, {
        machine: scope.path,
        ...window,
        limit: page.limit,
        ...(page.after ? { after: page.after } : {}),
        ...(q.microStop !== undefined ? { microStopS: q.microStop } : {}),
      })
      const next = res.nextPosition ? encodeCursor(req, res.nextPosition) : null
      return sendTable(
        req,
        reply,
        { scope: res.scope, intervals: res.intervals, next },
        {
          rows: res.intervals,
          columns: ['start', 'end', 'seconds', 'state', 'reason', 'since', 'microStop', 'open'] satisfies Array<keyof TimelineRow>,
          filename: `timeline-${scope.path}`,
          next,
        },
      )
    },
  )
}
