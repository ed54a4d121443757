import type { FastifyInstance } from 'fastify'
import type { ApiOptions } from '../app.ts'

/** `GET /healthz`: 200 when ClickHouse answers (and the optional readiness check passes), 503 otherwise. */
export function registerHealth(app: FastifyInstance, opts: ApiOptions): void {
  app.get(
    '/healthz',
    {
      schema: {
        response: {
          200: { type: 'object', properties: { status: { type: 'string' }, clickhouse: { type: 'string' } } },
          503: { type: 'object', properties: { status: { type: 'string' }, clickhouse: { type: 'string' }, reason: { type: 'string' } } },
        },
      },
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
