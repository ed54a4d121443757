import Fastify, { type FastifyInstance, type FastifyError } from 'fastify'
import type { Logger } from '../connectors/common/logger.ts'
import type { Clickhouse } from '../stream/index.ts'
import { ApiError, ErrorBody } from './errors.ts'
import { registerHealth } from './routes/health.ts'
import { registerMachines } from './routes/machines.ts'
import { registerOee } from './routes/oee.ts'

export interface ApiOptions {
  clickhouse: Clickhouse
  /** pino logger; default: fastify's own, off. */
  logger?: Logger
  /** Extra readiness check (e.g. the demo's pipeline); ready when it returns true. */
  ready?: () => boolean
}

/**
 * Builds the fastify app without listening, so tests use `app.inject()` and `serve` binds it.
 * Every route declares its query and response schemas; every error has the shape
 * `{ error: { code, message, param? } }`.
 */
export async function buildApp(opts: ApiOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(opts.logger ? { loggerInstance: opts.logger.child({ component: 'api' }) } : { logger: false }),
    // Unknown query parameters are an error that names them, not silently dropped.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, allErrors: false } },
  }) as unknown as FastifyInstance
  app.addSchema({ $id: 'ErrorBody', ...ErrorBody })
  app.setErrorHandler((err: FastifyError | ApiError, req, reply) => {
    if (err instanceof ApiError) {
      return reply.status(err.status).send({ error: { code: err.code, message: err.message, ...(err.param ? { param: err.param } : {}) } })
    }
    if ('validation' in err && err.validation) {
      const v = err.validation[0]
      const params = (v?.params ?? {}) as Record<string, unknown>
      const param =
        (params['additionalProperty'] as string | undefined) ??
        (params['missingProperty'] as string | undefined) ??
        v?.instancePath.replace(/^\//, '').split('/')[0] ??
        ''
      const what =
        v?.keyword === 'additionalProperties'
          ? `unknown ${err.validationContext ?? 'query'} parameter "${param}"`
          : v?.keyword === 'required'
            ? `${err.validationContext ?? 'query'} parameter "${param}" is required`
            : `${err.validationContext ?? 'query'} parameter "${param}" ${v?.message ?? 'is invalid'}`
      return reply.status(400).send({ error: { code: 'SHOPFLOOR_API_BAD_PARAM', message: what, ...(param ? { param } : {}) } })
    }
    req.log.error({ err }, 'request failed')
    return reply.status(500).send({ error: { code: 'SHOPFLOOR_API_INTERNAL', message: 'internal error; the server log has the details' } })
  })
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send({ error: { code: 'SHOPFLOOR_API_NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` } })
  })
  registerHealth(app, opts)
  registerMachines(app, opts.clickhouse)
  registerOee(app, opts.clickhouse)
  return app
}
