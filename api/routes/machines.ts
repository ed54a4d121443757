import type { FastifyInstance } from 'fastify'
import Type, { type Static } from 'typebox'
import type { Clickhouse } from '../../stream/index.ts'
import { allowedFactories, factoryOfPath, requireFactory } from '../auth/index.ts'
import { FormatQuery, NextCursor, PageQuery, pageOf, pageRequest, sendTable } from '../http/index.ts'
import { listMachines } from '../queries/registry.ts'

const Machine = Type.Object({
  id: Type.String({ description: 'Machine path, region/park/factory/area/line/machine' }),
  name: Type.String(),
  line: Type.String({ description: 'Line path' }),
  factory: Type.String({ description: 'Factory path' }),
  position: Type.Integer({ description: 'Position in the line, 0 first' }),
  idealCycleS: Type.Number(),
  endOfLine: Type.Boolean(),
  agent: Type.String({ description: 'Edge agent that announces it' }),
  lastSeen: Type.String({ description: 'When its agent last announced it, ISO 8601' }),
})

const MachinesQuery = Type.Object(
  {
    factory: Type.Optional(Type.String({ minLength: 1, description: 'Only this factory (region/park/factory)' })),
    line: Type.Optional(Type.String({ minLength: 1, description: 'Only this line (region/park/factory/area/line)' })),
    ...PageQuery,
    ...FormatQuery,
  },
  { additionalProperties: false },
)

const MachinesResponse = Type.Object({ machines: Type.Array(Machine), next: NextCursor })

const Position = Type.Object({ line: Type.String(), position: Type.Integer({ minimum: 0 }), machine: Type.String() }, { additionalProperties: false })

/** `GET /api/v1/machines`: the machines the agents announce (heartbeat registry in ClickHouse), by line in flow order; a plant engineer sees only their factories. */
export function registerMachines(app: FastifyInstance, ch: Clickhouse): void {
  app.get<{ Querystring: Static<typeof MachinesQuery> }>(
    '/api/v1/machines',
    {
      config: { access: 'plant' },
      schema: {
        summary: 'Machines of the registry, by line in flow order',
        tags: ['registry'],
        querystring: MachinesQuery,
        response: { 200: MachinesResponse, '4xx': { $ref: 'ErrorBody#' } },
      },
    },
    async (req, reply) => {
      const q = req.query
      if (q.factory !== undefined) requireFactory(req, q.factory)
      if (q.line !== undefined) requireFactory(req, factoryOfPath(q.line))
      const page = pageRequest(req, Position)
      const allowed = allowedFactories(req)
      const rows = await listMachines(ch, {
        ...(q.line !== undefined ? { line: q.line } : {}),
        ...(q.factory !== undefined ? { factories: [q.factory] } : allowed === 'all' ? {} : { factories: allowed }),
        ...(page.after ? { after: page.after } : {}),
        limit: page.limit + 1,
      })
      const { items, next } = pageOf(req, rows, page.limit, (r) => ({ line: r.line, position: r.position, machine: r.machine }))
      const machines = items.map((r) => ({
        id: r.machine,
        name: r.name,
        line: r.line,
        factory: r.factory,
        position: r.position,
        idealCycleS: r.ideal_cycle_s,
        endOfLine: r.end_of_line,
        agent: r.agent_id,
        lastSeen: new Date(r.updated).toISOString(),
      }))
      return sendTable(req, reply, { machines, next }, {
        rows: machines,
        columns: ['id', 'name', 'line', 'factory', 'position', 'idealCycleS', 'endOfLine', 'agent', 'lastSeen'],
        filename: q.factory ? `machines-${q.factory}` : 'machines',
        next,
      })
    },
  )
}
