import Fastify, { type FastifyInstance, type FastifyError } from 'fastify'
import type { Logger } from '../connectors/common/logger.ts'
import type { Clickhouse } from '../stream/index.ts'
import { SESSION_COOKIE, SessionStore, cookieValue, registerAuth, registerSessionRoutes, type ApiKeyStore, type RateLimitOptions, type SessionOptions } from './auth/index.ts'
import { LiveFeed } from './live/index.ts'
import { registerLive, type LiveOptions } from './routes/live.ts'
import { ApiError, ErrorBody } from './errors.ts'
import { registerOpenApi } from './http/openapi.ts'
import { loadReference, type Reference } from './reference/index.ts'
import { registerDashboard } from './dashboard/serve.ts'
import { registerHealth } from './routes/health.ts'
import { registerMachines } from './routes/machines.ts'
import { registerDowntime } from './routes/downtime.ts'
import { registerEnergy } from './routes/energy.ts'
import { registerOee } from './routes/oee.ts'
import { registerRegistry } from './routes/registry.ts'
import { registerTimeline } from './routes/timeline.ts'
import { registerAnalyst } from './routes/analyst.ts'

export interface ApiOptions {
  clickhouse: Clickhouse
  /** Reference data (factories, calendars, ...). Default: loadReference() from SHOPFLOOR_SEED_DIR, else api/seed/. */
  reference?: Reference
  /** The API keys (`ApiKeyStore.open(file)`, or `ApiKeyStore.memory()` in tests). Required: there is no open mode. */
  keys: ApiKeyStore
  /** pino logger; default: fastify's own, off. The Authorization and X-API-Key headers are redacted. */
  logger?: Logger
  /** Extra readiness check (e.g. the demo's pipeline); ready when it returns true. */
  ready?: () => boolean
  /** Request limits per key and per address; false turns them off. Default 600 per key and 120 per address a minute. */
  rateLimit?: RateLimitOptions | false
  /**
   * The dashboard's sessions (cookie beside the key headers): a store, or options for one the app
   * makes. Default: in memory (a restart signs browsers out); the CLI keeps them in a file next to the keys.
   */
  sessions?: SessionStore | SessionOptions
  /** The live feed and `GET /api/v1/live` (poll interval, bounds, heartbeats; a feed ingest notifies). Default: LIVE_DEFAULTS. */
  live?: LiveOptions
  /**
   * Behind a reverse proxy: which proxies to trust for the client address (X-Forwarded-For), as
   * fastify's trustProxy (true, an address or CIDR list). Default false: the socket's address,
   * which the per-address rate limit counts.
   */
  trustProxy?: boolean | string | string[]
  /** The clock, epoch ms (tests). Default Date.now. */
  now?: () => number
}

// Secrets never reach the log, whatever a serializer or a handler logs.
const REDACT = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers["x-api-key"]',
  '*.password',
  '*.secret',
  '*.token',
  'password',
  'secret',
]

// Errors that mean ClickHouse cannot be reached now: a 503 the client may retry, not a 500.
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'SHOPFLOOR_CLICKHOUSE_CONNECT'])

function storeUnreachable(err: unknown): boolean {
  let e = err as { code?: unknown; cause?: unknown } | undefined
  for (let depth = 0; e && depth < 5; depth++, e = e.cause as typeof e) if (typeof e.code === 'string' && UNREACHABLE.has(e.code)) return true
  return false
}

function badParamMessage(err: FastifyError): { message: string; param: string } {
  const v = err.validation?.[0]
  const params = (v?.params ?? {}) as Record<string, unknown>
  const where = err.validationContext ?? 'query'
  const param =
    (params['additionalProperty'] as string | undefined) ??
    (params['missingProperty'] as string | undefined) ??
    v?.instancePath.replace(/^\//, '').split('/')[0] ??
    ''
  const message =
    v?.keyword === 'additionalProperties'
      ? `unknown ${where} parameter "${param}"`
      : v?.keyword === 'required'
        ? `${where} parameter "${param}" is required`
        : `${where} parameter "${param}" ${v?.message ?? 'is invalid'}`
  return { message, param }
}

/**
 * Builds the fastify app without listening, so tests use `app.inject()` and `serve` binds it.
 * Every route declares its schemas and `config.access` (the app refuses to start otherwise);
 * every error has the shape `{ error: { code, message, param? } }`.
 */
export async function buildApp(opts: ApiOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(opts.logger ? { loggerInstance: opts.logger.child({ component: 'api' }, { redact: { paths: REDACT, censor: '[redacted]' } }) } : { logger: false }),
    // Unknown query parameters are an error that names them, not silently dropped.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, allErrors: false } },
    ...(opts.trustProxy !== undefined ? { trustProxy: opts.trustProxy } : {}),
  }) as unknown as FastifyInstance
  app.addSchema({ $id: 'ErrorBody', ...ErrorBody })
  app.setErrorHandler((err: FastifyError | ApiError, req, reply) => {
    if (err instanceof ApiError) return reply.status(err.status).send(err.body())
    if ('validation' in err && err.validation) {
      const { message, param } = badParamMessage(err)
      return reply.status(400).send(new ApiError('SHOPFLOOR_API_BAD_PARAM', message, param || undefined).body())
    }
    // fastify's own client errors (a body that is not JSON, a bad content type): the 4xx it chose.
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.status(err.statusCode).send({ error: { code: 'SHOPFLOOR_API_BAD_PARAM', message: err.message } })
    }
    if (storeUnreachable(err)) {
      req.log.warn({ err, clickhouse: opts.clickhouse.describe }, 'ClickHouse unreachable')
      return reply
        .status(503)
        .header('retry-after', 5)
        .send(new ApiError('SHOPFLOOR_API_UNAVAILABLE', `ClickHouse (${opts.clickhouse.describe}) cannot be reached now; retry in a few seconds`).body())
    }
    req.log.error({ err }, 'request failed')
    return reply.status(500).send(new ApiError('SHOPFLOOR_API_INTERNAL', 'internal error; the server log has the details').body())
  })
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send(new ApiError('SHOPFLOOR_API_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}: /docs lists the routes`).body())
  })
  const sessions = opts.sessions instanceof SessionStore ? opts.sessions : new SessionStore(opts.keys, opts.sessions)
  registerAuth(app, { keys: opts.keys, sessions, ...(opts.rateLimit !== undefined ? { rateLimit: opts.rateLimit } : {}), ...(opts.now ? { now: opts.now } : {}) })
  await registerOpenApi(app)
  registerHealth(app, opts)
  registerSessionRoutes(app, sessions)
  await registerDashboard(app)
  const reference = opts.reference ?? loadReference()
  registerMachines(app, opts.clickhouse)
  registerRegistry(app, opts.clickhouse, reference)
  registerOee(app, opts, reference)
  registerTimeline(app, opts, reference)
  registerDowntime(app, opts, reference)
  registerEnergy(app, opts, reference)
  registerAnalyst(app, opts, reference)
  const { feed, ...liveOpts } = opts.live ?? {}
  const live = feed ?? new LiveFeed({ clickhouse: opts.clickhouse, ...liveOpts, ...(opts.logger ? { logger: opts.logger } : {}) })
  if (!feed) app.addHook('onClose', async () => live.close())
  registerLive(app, live, {
    // An open stream outlives its request's authentication: its key or session is checked again at every heartbeat.
    stillValid: (req) => {
      const p = req.principal
      if (!p) return false
      if (p.via !== 'session') return opts.keys.principalOf(p.keyId) !== null
      const token = cookieValue(req.headers.cookie, SESSION_COOKIE)
      return token !== undefined && sessions.authenticate(token) !== null
    },
    ...liveOpts,
  })
  return app
}
