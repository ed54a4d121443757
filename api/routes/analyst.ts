import type { FastifyInstance } from 'fastify'
import type { Static } from 'typebox'
import type { ApiOptions } from '../app.ts'
import { addMonths, factoryContributions, publicationStructure, sectorDivisions } from '../analyst/contributions.ts'
import { CSV_COLUMNS, exportRow, toParquet } from '../analyst/export.ts'
import { publicationCells } from '../analyst/publish.ts'
import { lastReleasedMonth, ReleaseCache } from '../analyst/release.ts'
import { StructureResponse, TablesQuery, TablesResponse } from '../analyst/schema.ts'
import type { FactoryContribution, PublishedCell } from '../analyst/types.ts'
import { ApiError } from '../errors.ts'
import { sendTable } from '../http/index.ts'
import { REFERENCE_DEFAULTS, factoriesOf, type Reference } from '../reference/index.ts'

const ERRORS = { '4xx': { $ref: 'ErrorBody#' } } as const

/** Most calendar years one request may span: each is solved as a whole. */
export const MAX_YEARS = 5

/**
 * How long the factories' monthly sums of a range are reused, ms (10 minutes): computing them runs
 * the KPI and energy services for every factory, and released months change only by late data.
 */
export const CONTRIBUTIONS_TTL_MS = 600_000
const CONTRIBUTIONS_KEPT = 8

const quarterMonths = (period: string): [string, string] => {
  const first = `${period.slice(0, 4)}-${String((Number(period.slice(6)) - 1) * 3 + 1).padStart(2, '0')}`
  return [first, addMonths(first, 2)]
}

/** Whether a cell's period lies in [from, to] (a quarter or year: overlaps it). */
function inRange(c: PublishedCell, from: string, to: string): boolean {
  if (c.periodKind === 'month') return c.period >= from && c.period <= to
  if (c.periodKind === 'quarter') {
    const [first, last] = quarterMonths(c.period)
    return last >= from && first <= to
  }
  return c.period >= from.slice(0, 4) && c.period <= to.slice(0, 4)
}

/**
 * The analysts' routes (access 'analyst': admin or analyst keys; plant engineers get 403):
 * `GET /api/v1/analyst/structure` (regions, parks, sectors, the release state and the rules) and
 * `GET /api/v1/analyst/tables` (one fixed table shape for a period kind and a range of months, as
 * JSON, CSV or Parquet). Only released months, only fixed shapes, no filter on factories.
 */
export function registerAnalyst(app: FastifyInstance, opts: ApiOptions, reference: Reference): void {
  const now = opts.now ?? Date.now
  const structure = publicationStructure(reference)
  const settings = reference.disclosure
  const timezones = [...new Set([REFERENCE_DEFAULTS.timezone, ...factoriesOf(reference).map((f) => f.timezone)])]
  const released = (): string => lastReleasedMonth(now(), timezones, settings.releaseDelayDays)
  const cache = new ReleaseCache()
  const sums = new Map<string, { at: number; value: Promise<FactoryContribution[]> }>()
  /** The factories' monthly sums from `from` to `to`, shared by requests within the TTL (failures are not kept). */
  const contributionsOf = (from: string, to: string): Promise<FactoryContribution[]> => {
    const key = `${from}|${to}`
    const t = now()
    const hit = sums.get(key)
    if (hit && t - hit.at < CONTRIBUTIONS_TTL_MS) return hit.value
    const value = factoryContributions(opts.clickhouse, reference, { from, to, now: t })
    sums.set(key, { at: t, value })
    value.catch(() => sums.delete(key))
    while (sums.size > CONTRIBUTIONS_KEPT) sums.delete(sums.keys().next().value as string)
    return value
  }

  app.get(
    '/api/v1/analyst/structure',
    {
      config: { access: 'analyst' },
      schema: {
        summary: 'The layout of the analysts\' tables: regions and their parks, sectors (VSIC 2025 divisions), the last released month, the disclosure rules',
        tags: ['analyst'],
        response: { 200: StructureResponse, ...ERRORS },
      },
    },
    async () => {
      const c = settings.config
      return {
        regions: reference.regions.map((r) => ({
          id: r.id,
          name: r.name,
          nameVi: r.nameVi ?? null,
          parks: reference.parks.filter((p) => p.region === r.id).map((p) => ({ id: p.id, name: p.name, nameVi: p.nameVi ?? null })),
        })),
        sectors: sectorDivisions(reference),
        releasedThrough: released(),
        disclosure: { minFirms: c.minFirms, dominance: c.dominance, magnitudes: c.magnitudes, tables: c.tables, periods: c.periods, releaseDelayDays: settings.releaseDelayDays },
      }
    },
  )

  app.get<{ Querystring: Static<typeof TablesQuery> }>(
    '/api/v1/analyst/tables',
    {
      config: { access: 'analyst' },
      schema: {
        summary: 'Published productivity and energy tables by region, park and sector: suppressed cells marked, no factory identifiable. JSON, CSV or Parquet',
        tags: ['analyst'],
        querystring: TablesQuery,
        response: { 200: TablesResponse, ...ERRORS },
      },
    },
    async (req, reply) => {
      const q = req.query
      const through = released()
      const to = q.to ?? through
      if (to > through) {
        throw new ApiError('SHOPFLOOR_API_BAD_PARAM', `query parameter "to" (${to}) is after the last released month ${through}: a month is published ${settings.releaseDelayDays} days after it ends`, 'to')
      }
      const from = q.from ?? `${to.slice(0, 4)}-01`
      if (from > to) throw new ApiError('SHOPFLOOR_API_BAD_PARAM', `query parameter "from" (${from}) is after "to" (${to})`, 'from')
      const y0 = Number(from.slice(0, 4))
      const y1 = Number(to.slice(0, 4))
      if (y1 - y0 + 1 > MAX_YEARS) throw new ApiError('SHOPFLOOR_API_BAD_PARAM', `query parameter "from" (${from}) spans ${y1 - y0 + 1} years up to ${to}; at most ${MAX_YEARS}`, 'from')
      // Whole years: the disclosure control solves every period of a year together.
      const lastMonth = `${y1}-12` < through ? `${y1}-12` : through
      const contributions = await contributionsOf(`${y0}-01`, lastMonth)
      const cells: PublishedCell[] = []
      for (let y = y0; y <= y1; y++) {
        const year = cache.year(structure, contributions.filter((c) => c.month.startsWith(`${y}-`)), settings.config, y, through)
        cells.push(...publicationCells(year, q.shape).filter((c) => c.periodKind === q.period && inRange(c, from, to)))
      }
      const filename = `analyst-${q.shape}-${q.period}-${from}-${to}`
      if (q.format === 'parquet') {
        return reply
          .type('application/vnd.apache.parquet')
          .header('content-disposition', `attachment; filename="${filename}.parquet"`)
          .send(await toParquet(opts.clickhouse, cells))
      }
      const body = { period: q.period, shape: q.shape, from, to, releasedThrough: through, cells }
      return sendTable(req, reply, body, { rows: cells.map(exportRow), columns: CSV_COLUMNS, filename })
    },
  )
}
