import type { FastifyInstance, FastifyRequest } from 'fastify'
import Type, { type Static } from 'typebox'
import type { Clickhouse } from '../../stream/index.ts'
import { allowedFactories, mayAccessFactory, requireFactory } from '../auth/index.ts'
import { CalendarSchema } from '../calendar/index.ts'
import { ApiError } from '../errors.ts'
import { FormatQuery, NextCursor, PageQuery, pageInMemory, pageRequest, sendTable } from '../http/index.ts'
import { listLines } from '../queries/registry.ts'
import { calendarOf, factoriesOf, factoryOf, parkOf, sectorOf, type Factory, type Reference } from '../reference/index.ts'

const ERRORS = { '4xx': { $ref: 'ErrorBody#' } } as const

const FactoryItem = Type.Object({
  path: Type.String({ description: 'region/park/factory' }),
  name: Type.String(),
  region: Type.String(),
  park: Type.String(),
  parkName: Type.Union([Type.String(), Type.Null()]),
  sector: Type.Union([
    Type.Object({ vsic2025: Type.String(), vsic2018: Type.String(), division: Type.String(), name: Type.Union([Type.String(), Type.Null()]) }),
    Type.Null(),
  ]),
  timezone: Type.String({ description: 'IANA time zone of its calendar and buckets' }),
  calendar: Type.String({ description: 'Calendar id: GET /api/v1/calendars/{id}' }),
  voltageLevel: Type.String(),
  microStopS: Type.Union([Type.Number(), Type.Null()], { description: 'Its micro-stop threshold, seconds; null: the API default' }),
  defaulted: Type.Boolean({ description: 'Not in the seed (factories.yaml): machines report it, every value is a default' }),
  defaultedFields: Type.Array(Type.String()),
  lines: Type.Integer({ description: 'Lines its agents announce' }),
  machines: Type.Integer({ description: 'Machines its agents announce' }),
})

const FactoriesQuery = Type.Object({ ...PageQuery, ...FormatQuery }, { additionalProperties: false })
const FactoriesResponse = Type.Object({ factories: Type.Array(FactoryItem), next: NextCursor })

const FactoryParams = Type.Object({ factory: Type.String({ minLength: 1, description: 'Factory path region/park/factory, URL-encoded (hcmc%2Fvsip-1%2Fsaigon-pcb)' }) })
const LineItem = Type.Object({
  path: Type.String({ description: 'region/park/factory/area/line' }),
  area: Type.String(),
  id: Type.String(),
  machines: Type.Integer(),
  endOfLine: Type.String({ description: 'The machine the line is judged by' }),
  idealCycleS: Type.Number({ description: "The line's ideal cycle time (its bottleneck's), seconds" }),
  lastSeen: Type.String({ description: 'When an agent last announced one of its machines, ISO 8601' }),
})
const LinesQuery = Type.Object({ ...PageQuery, ...FormatQuery }, { additionalProperties: false })
const LinesResponse = Type.Object({ factory: Type.String(), lines: Type.Array(LineItem), next: NextCursor })

const CalendarParams = Type.Object({ id: Type.String({ minLength: 1, description: 'Calendar id, as a factory names it' }) })
const CalendarResponse = Type.Object({
  calendar: CalendarSchema,
  usedBy: Type.Array(Type.String(), { description: 'Factories (that the key may see) using it; factories not in the seed use default-24x7' }),
})

type LineCounts = Map<string, { lines: number; machines: number }>

function describeFactory(ref: Reference, f: Factory, counts: LineCounts): Static<typeof FactoryItem> {
  const c = counts.get(f.path) ?? { lines: 0, machines: 0 }
  const sector = f.sector ? { ...f.sector, name: sectorOf(ref, f.sector.vsic2025)?.name ?? null } : null
  return {
    path: f.path,
    name: f.name,
    region: f.region,
    park: f.park,
    parkName: parkOf(ref, f.region, f.park)?.name ?? null,
    sector,
    timezone: f.timezone,
    calendar: f.calendarId,
    voltageLevel: f.voltageLevel,
    microStopS: f.microStopS ?? null,
    defaulted: f.defaulted,
    defaultedFields: [...f.defaultedFields],
    lines: c.lines,
    machines: c.machines,
  }
}

/** Factories of the seed and those the agents announce (defaulted), that the caller may see, by path. */
async function visibleFactories(req: FastifyRequest, ch: Clickhouse, ref: Reference): Promise<{ factories: Factory[]; counts: LineCounts }> {
  const allowed = allowedFactories(req)
  const lines = await listLines(ch, allowed)
  const counts: LineCounts = new Map()
  for (const l of lines) {
    const c = counts.get(l.factory) ?? { lines: 0, machines: 0 }
    counts.set(l.factory, { lines: c.lines + 1, machines: c.machines + l.machines })
  }
  const byPath = new Map(factoriesOf(ref).map((f) => [f.path, f]))
  for (const path of counts.keys()) if (!byPath.has(path)) byPath.set(path, factoryOf(ref, path))
  const factories = [...byPath.values()].filter((f) => mayAccessFactory(req, f.path)).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  return { factories, counts }
}

/**
 * The plant registry: `GET /api/v1/factories`, `/api/v1/factories/{factory}/lines` and
 * `/api/v1/calendars/{id}`, from the seed files (reference data) and the machine registry the
 * agents' heartbeats keep in ClickHouse. Plant routes: a plant engineer sees their factories only.
 */
export function registerRegistry(app: FastifyInstance, ch: Clickhouse, ref: Reference): void {
  app.get<{ Querystring: Static<typeof FactoriesQuery> }>(
    '/api/v1/factories',
    {
      config: { access: 'plant' },
      schema: { summary: 'Factories: the seed and those whose agents report', tags: ['registry'], querystring: FactoriesQuery, response: { 200: FactoriesResponse, ...ERRORS } },
    },
    async (req, reply) => {
      const page = pageRequest(req, Type.String())
      const { factories, counts } = await visibleFactories(req, ch, ref)
      const { items, next } = pageInMemory(req, factories, page, (f) => f.path)
      const rows = items.map((f) => describeFactory(ref, f, counts))
      return sendTable(req, reply, { factories: rows, next }, {
        rows,
        columns: ['path', 'name', 'region', 'park', 'parkName', 'sector.vsic2025', 'sector.vsic2018', 'sector.name', 'timezone', 'calendar', 'voltageLevel', 'microStopS', 'defaulted', 'lines', 'machines'],
        filename: 'factories',
        next,
      })
    },
  )

  app.get<{ Params: Static<typeof FactoryParams>; Querystring: Static<typeof LinesQuery> }>(
    '/api/v1/factories/:factory/lines',
    {
      config: { access: 'plant' },
      schema: { summary: 'Lines of a factory, with their end-of-line machine', tags: ['registry'], params: FactoryParams, querystring: LinesQuery, response: { 200: LinesResponse, ...ERRORS } },
    },
    async (req, reply) => {
      const factory = req.params.factory
      if (factory.split('/').length !== 3 || factory.split('/').some((s) => s === '')) {
        throw new ApiError('SHOPFLOOR_API_BAD_PARAM', `path parameter "factory" must be a factory path region/park/factory, URL-encoded (got "${factory}")`, 'factory')
      }
      requireFactory(req, factory)
      const page = pageRequest(req, Type.String())
      const lines = await listLines(ch, [factory])
      if (lines.length === 0 && !factoriesOf(ref).some((f) => f.path === factory)) {
        throw new ApiError('SHOPFLOOR_API_NOT_FOUND', `no factory "${factory}" in the seed or the machine registry: GET /api/v1/factories lists them`, 'factory')
      }
      const { items, next } = pageInMemory(req, lines, page, (l) => l.line)
      const rows = items.map((l) => {
        const parts = l.line.split('/')
        return {
          path: l.line,
          area: parts[3] ?? '',
          id: parts[4] ?? '',
          machines: l.machines,
          endOfLine: l.end_of_line,
          idealCycleS: l.line_ideal_cycle_s,
          lastSeen: new Date(l.updated).toISOString(),
        }
      })
      return sendTable(req, reply, { factory, lines: rows, next }, {
        rows,
        columns: ['path', 'area', 'id', 'machines', 'endOfLine', 'idealCycleS', 'lastSeen'],
        filename: `lines-${factory}`,
        next,
      })
    },
  )

  app.get<{ Params: Static<typeof CalendarParams> }>(
    '/api/v1/calendars/:id',
    {
      config: { access: 'plant' },
      schema: {
        summary: 'A shift calendar: shifts per weekday, breaks, holidays, planned downtime',
        tags: ['registry'],
        params: CalendarParams,
        response: { 200: CalendarResponse, ...ERRORS },
      },
    },
    async (req) => {
      const id = req.params.id
      const { factories } = await visibleFactories(req, ch, ref)
      const usedBy = factories.filter((f) => f.calendarId === id).map((f) => f.path)
      const allowed = allowedFactories(req)
      // A plant engineer sees the calendars of their factories, not every plant's shift pattern.
      if (allowed !== 'all' && usedBy.length === 0 && !allowed.some((f) => factoryOf(ref, f).calendarId === id)) {
        throw new ApiError('SHOPFLOOR_API_FORBIDDEN', `calendar "${id}" is used by none of the factories of API key "${req.principal?.name}": ask for the calendar a factory names (GET /api/v1/factories)`, 'id')
      }
      const calendar = calendarOf(ref, id)
      if (!calendar) throw new ApiError('SHOPFLOOR_API_NOT_FOUND', `no calendar "${id}" in calendars.yaml: GET /api/v1/factories names each factory's calendar`, 'id')
      return { calendar, usedBy }
    },
  )
}
