import type { FastifyInstance } from 'fastify'
import type { Clickhouse } from '../../stream/index.ts'
import { listMachines } from '../queries/registry.ts'
import { MachinesResponse } from '../schemas.ts'

/** `GET /api/v1/machines`: every machine the agents announce, with its line, in flow order. */
export function registerMachines(app: FastifyInstance, ch: Clickhouse): void {
  app.get(
    '/api/v1/machines',
    { schema: { querystring: { type: 'object', additionalProperties: false, properties: {} }, response: { 200: MachinesResponse, '4xx': { $ref: 'ErrorBody#' } } } },
    async () => {
      const rows = await listMachines(ch)
      return {
        machines: rows.map((r) => ({
          id: r.machine,
          name: r.name,
          line: r.line,
          factory: r.factory,
          position: r.position,
          idealCycleS: r.ideal_cycle_s,
          endOfLine: r.end_of_line,
          agent: r.agent_id,
          lastSeen: new Date(r.updated).toISOString(),
        })),
      }
    },
  )
}
