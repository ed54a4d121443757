import type { FastifyInstance } from 'fastify'
import type { Static } from 'typebox'
import type { ApiOptions } from '../app.ts'
import { requireFactory } from '../auth/index.ts'
import type { EnergyFigures } from '../energy/figures.ts'
import { EnergyQuerystring, EnergyResponseSchema } from '../energy/schema.ts'
import { energy, type EnergyResponse } from '../energy/service.ts'
import { ApiError } from '../errors.ts'
import { sendTable, type CsvColumn } from '../http/index.ts'
import { MAX_WINDOW_DAYS, parseScope, parseTime, parseWindow } from '../kpi/params.ts'
import type { Reference } from '../reference/index.ts'

/** A row of the energy table (CSV): one set of figures of the response. */
interface EnergyRow {
  level: string
  path: string
  bucket: string
  start: string
  end: string
  f: EnergyFigures
}

const FIGURE_COLUMNS = [
  'kwh',
  'kvarh',
  'powerFactor',
  'peakDemand.kw',
  'peakDemand.start',
  'loadFactor',
  'units.produced',
  'units.good',
  'units.rejected',
  'sec.kwhPerGoodUnit',
  'sec.kwhPerUnit',
  ...['running', 'idle', 'down', 'setup', 'plannedStop', 'offline'].map((s) => `byState.${s}`),
  'idleEnergy.kwh',
  'idleEnergy.share',
  ...['apt', 'aust', 'adet', 'adot', 'pdt', 'notPlanned', 'offline'].map((s) => `byOeeTime.${s}`),
  'cost.vnd',
  ...['peak', 'normal', 'offpeak'].flatMap((p) => [`cost.byPeriod.${p}.kwh`, `cost.byPeriod.${p}.vnd`]),
  'cost.unpricedKwh',
  'reactiveCharge.cosPhi',
  'reactiveCharge.kPercent',
  'reactiveCharge.vnd',
  'enpi.baseline.kwhPerGoodUnit',
  'enpi.kwhPerGoodUnit',
  'enpi.change',
  'enpi.expectedKwh',
  'enpi.savingsKwh',
  'co2.kg',
  'co2.kgPerGoodUnit',
  'co2.uncoveredKwh',
  'meter.rejectedReadings',
  'meter.rejectedKwh',
]

const COLUMNS: ReadonlyArray<CsvColumn<EnergyRow>> = [
  'level',
  'path',
  'bucket',
  'start',
  'end',
  ...FIGURE_COLUMNS.map((c) => ({ header: c, value: (r: EnergyRow): unknown => c.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | null)?.[k], r.f) })),
  { header: 'co2.factorYears', value: (r) => [...new Set(r.f.co2.byYear.map((y) => y.factorYear))].join(' ') },
  { header: 'flags', value: (r) => r.f.flags.join(' ') },
]

/** Every set of figures of a response as table rows: the window, its buckets, then the machines. */
function tableOf(res: EnergyResponse): EnergyRow[] {
  const s = res.scope
  return [
    { level: s.level, path: s.path, bucket: '', start: s.from, end: s.to, f: res },
    ...res.buckets.map((b) => ({ level: s.level, path: s.path, bucket: b.key, start: b.start, end: b.end, f: b })),
    ...res.machines.map((m) => ({ level: 'machine', path: m.machine, bucket: '', start: s.from, end: s.to, f: m })),
  ]
}

const MINUTE_MS = 60_000

function onMinute(t: number, param: string, raw: string): void {
  if (t % MINUTE_MS !== 0) throw new ApiError('SHOPFLOOR_API_BAD_PARAM', `query parameter "${param}" must be on a whole minute (got "${raw}"): energy is kept per minute`, param)
}

/** The EnPI baseline period: baselineFrom and baselineTo together, on whole minutes, at most MAX_WINDOW_DAYS. */
function parseBaseline(q: { baselineFrom?: string | undefined; baselineTo?: string | undefined }): { from: number; to: number } | undefined {
  if (q.baselineFrom === undefined && q.baselineTo === undefined) return undefined
  if (q.baselineFrom === undefined || q.baselineTo === undefined) {
    const missing = q.baselineFrom === undefined ? 'baselineFrom' : 'baselineTo'
    throw new ApiError('SHOPFLOOR_API_BAD_PARAM', `query parameter "${missing}" is missing: a baseline period needs both baselineFrom and baselineTo`, missing)
  }
  const from = parseTime(q.baselineFrom, 'baselineFrom')
  const to = parseTime(q.baselineTo, 'baselineTo')
  onMinute(from, 'baselineFrom', q.baselineFrom)
  onMinute(to, 'baselineTo', q.baselineTo)
  if (to <= from) throw new ApiError('SHOPFLOOR_API_BAD_PARAM', `query parameter "baselineTo" (${q.baselineTo}) must be after "baselineFrom" (${q.baselineFrom})`, 'baselineTo')
  if (to - from > MAX_WINDOW_DAYS * 86_400_000) throw new ApiError('SHOPFLOOR_API_BAD_PARAM', `the baseline period may span at most ${MAX_WINDOW_DAYS} days`, 'baselineTo')
  return { from, to }
}

/**
 * `GET /api/v1/energy?machine|line|area|factory=PATH&from=ISO&to=ISO[&bucket=…][&maxKw=kW][&baselineFrom=ISO&baselineTo=ISO]`:
 * kWh, SEC, energy by state and by ISO 22400 time element, peak 15-minute demand, load factor, power
 * factor and its reactive power charge, cost by EVN time-of-use period, CO2, the EnPI against a
 * baseline period; per bucket and per machine. CSV: one row per set.
 */
export function registerEnergy(app: FastifyInstance, opts: ApiOptions, reference: Reference): void {
  const deps = { clickhouse: opts.clickhouse, reference, now: opts.now ?? Date.now }
  app.get<{ Querystring: Static<typeof EnergyQuerystring> }>(
    '/api/v1/energy',
    {
      config: { access: 'plant' },
      schema: {
        summary: 'Energy, cost by time-of-use period, CO2, peak demand and SEC of a machine, line, area or factory, per bucket',
        tags: ['energy'],
        querystring: EnergyQuerystring,
        response: { 200: EnergyResponseSchema, '4xx': { $ref: 'ErrorBody#' } },
      },
    },
    async (req, reply) => {
      const q = req.query
      const scope = parseScope(q, ['machine', 'line', 'area', 'factory'])
      requireFactory(req, scope.factory)
      const window = parseWindow(q)
      // The minute rollup is the finest energy data read: a window edge inside a minute has no answer.
      for (const p of ['from', 'to'] as const) onMinute(window[p], p, q[p])
      const baseline = parseBaseline(q)
      const res = await energy(deps, { scope, ...window, bucket: q.bucket ?? 'none', ...(q.maxKw !== undefined ? { maxKw: q.maxKw } : {}), ...(baseline ? { baseline } : {}) })
      return sendTable(req, reply, res, { rows: tableOf(res), columns: COLUMNS, filename: `energy-${scope.path}` })
    },
  )
}
