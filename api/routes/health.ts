import type { FastifyInstance } from 'fastify'
import type { ApiOptions } from '../app.ts'

const Health = {
  type: 'object',
  required: ['status', 'clickhouse'],
  properties: { status: { type: 'string', enum: ['ok', 'starting', 'unavailable'] }, clickhouse: { type: 'string' }, reason: { type: 'string' } },
} as const

/** `GET /healthz`: 200 when ClickHouse answers (and the optional readiness check passes), 503 otherwise. Public: load balancers call it. */
export function registerHealth(app: FastifyInstance, opts: Pick<ApiOptions, 'clickhouse' | 'ready'>): void {
  app.get(
    '/healthz',
    {
      config: { access: 'public' },
      schema: { summary: 'Health of the API and its ClickHouse', tags: ['health'], response: { 200: Health, 503: Health } },
    },
    async (_req, reply) => {
      const ch = opts.clickhouse
      try {
        await ch.client.query({ query: 'SELECT 1', format: 'JSONEachRow' }).then((r) => r.json())
      } catch (e) {
        return reply.status(503).send({ status: 'unavailable', clickhouse: ch.describe, reason: (e as Error).message })
      }
      if (opts.ready && !opts.ready()) return reply.status(503).send({ status: 'starting', clickhouse: ch.describe, reason: 'pipeline not ready' })
      return { status: 'ok', clickhouse: ch.describe }
    },
  )
}
