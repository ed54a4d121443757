import type { FastifyInstance } from 'fastify'
import type { Static } from 'typebox'
import type { ApiOptions } from '../app.ts'
import { requireFactory } from '../auth/index.ts'
import { sendTable, type CsvColumn } from '../http/index.ts'
import { oee, type OeeResponse } from '../kpi-service.ts'
import type { KpiFigures } from '../kpi/figures.ts'
import { parseScope, parseWindow } from '../kpi/params.ts'
import type { Reference } from '../reference/index.ts'
import { OeeQuerystring, OeeResponseSchema } from '../schemas.ts'

export { DEFAULT_MICRO_STOP_S, MAX_WINDOW_DAYS } from '../kpi/params.ts'

/** A row of the OEE table (CSV): one set of figures of the response. */
interface OeeRow {
  level: string
  path: string
  bucket: string
  start: string
  end: string
  k: KpiFigures
}

const FIGURE_COLUMNS = [
  'availability',
  'performance',
  'quality',
  'oee',
  ...['plannedBusy', 'setup', 'failure', 'idle', 'actualProduction', 'microStops', 'speed', 'net', 'quality', 'fullyProductive'].map((k) => `waterfall.${k}`),
  'seconds.plannedStop',
  'seconds.offline',
  'counts.produced',
  'counts.good',
  'counts.rejected',
  'failures',
  'mtbfS',
  'mttrS',
  'throughput.producedPerHour',
  'scrapRatio',
  'energy.kwh',
  'outsidePlan.counts.produced',
]

const COLUMNS: ReadonlyArray<CsvColumn<OeeRow>> = [
  'level',
  'path',
  'bucket',
  'start',
  'end',
  ...FIGURE_COLUMNS.map((c) => ({
    header: c,
    value: (r: OeeRow): unknown => c.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | null)?.[k], r.k),
  })),
  { header: 'flags', value: (r) => r.k.flags.join(' ') },
]

/** Every set of figures of a response as table rows: the window, its buckets, then the parts. */
function tableOf(res: OeeResponse): OeeRow[] {
  const s = res.scope
  return [
    { level: s.level, path: s.path, bucket: '', start: s.from, end: s.to, k: res },
    ...res.buckets.map((b) => ({ level: s.level, path: s.path, bucket: b.key, start: b.start, end: b.end, k: b })),
    ...res.areas.map((a) => ({ level: 'area', path: a.area, bucket: '', start: s.from, end: s.to, k: a })),
    ...res.lines.map((l) => ({ level: 'line', path: l.line, bucket: '', start: s.from, end: s.to, k: l })),
    ...res.machines.map((m) => ({ level: 'machine', path: m.machine, bucket: '', start: s.from, end: s.to, k: m })),
  ]
}

/**
 * `GET /api/v1/oee?machine|line|area|factory=PATH&from=ISO&to=ISO[&bucket=…][&microStop=s]`:
 * A, P, Q, OEE, the loss waterfall, MTBF/MTTR and the rest, per bucket and per part. CSV: one
 * row per set of figures.
 */
export function registerOee(app: FastifyInstance, opts: ApiOptions, reference: Reference): void {
  const deps = { clickhouse: opts.clickhouse, reference, now: opts.now ?? Date.now }
  app.get<{ Querystring: Static<typeof OeeQuerystring> }>(
    '/api/v1/oee',
    {
      config: { access: 'plant' },
      schema: {
        summary: 'OEE, its loss waterfall, MTBF and MTTR of a machine, line, area or factory, per bucket',
        tags: ['kpi'],
        querystring: OeeQuerystring,
        response: { 200: OeeResponseSchema, '4xx': { $ref: 'ErrorBody#' } },
      },
    },
    async (req, reply) => {
      const q = req.query
      const scope = parseScope(q, ['machine', 'line', 'area', 'factory'])
      requireFactory(req, scope.factory)
      const res = await oee(deps, { scope, ...parseWindow(q), bucket: q.bucket ?? 'none', ...(q.microStop !== undefined ? { microStopS: q.microStop } : {}) })
      return sendTable(req, reply, res, { rows: tableOf(res), columns: COLUMNS, filename: `oee-${scope.path}` })
    },
  )
}
