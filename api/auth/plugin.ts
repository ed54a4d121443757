import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import { ApiError } from '../errors.ts'
import { ACCESS_LEVELS, roleAllows, rolesFor, type Access, type Principal } from './access.ts'
import type { ApiKeyStore } from './keys.ts'
import { RATE_LIMIT_DEFAULTS, RateLimiter, type RateDecision, type RateLimitOptions } from './rate-limit.ts'
import { SESSION_COOKIE, cookieValue, sessionCookie, type SessionStore } from './sessions.ts'

export interface AuthOptions {
  keys: ApiKeyStore
  /** Request limits per key and per address; false turns them off. Default {@link RATE_LIMIT_DEFAULTS}. */
  rateLimit?: RateLimitOptions | false
  /** Browser sessions: when given, the session cookie is accepted beside the key headers. Default: keys only. */
  sessions?: SessionStore
  now?: () => number
}

const PUBLIC_SCOPE = Symbol('shopfloor.publicScope')

/** A route as the access check saw it at registration. */
export interface RouteAccess {
  method: string
  url: string
  access: Access
  /** The route's schema (params, querystring, ...), as declared. */
  schema: Record<string, unknown>
}

const TABLES = new WeakMap<FastifyInstance, RouteAccess[]>()

/** Every route of an app built with {@link registerAuth}, with its access level, in registration order (tests walk it). */
export function routeTable(app: FastifyInstance): readonly RouteAccess[] {
  const table = TABLES.get(app)
  if (!table) throw new Error('routeTable: this app was not built with registerAuth')
  return table
}

/**
 * Makes every route registered in `scope` (a plugin's encapsulated instance) public unless it
 * says otherwise: for third-party plugins that add routes of their own (the OpenAPI UI).
 */
export function markPublicScope(scope: FastifyInstance): void {
  ;(scope as unknown as Record<symbol, boolean>)[PUBLIC_SCOPE] = true
}

/** The OpenAPI security requirement of a protected route: either header, or the dashboard's session cookie. */
export const SECURITY = [{ bearerKey: [] }, { apiKeyHeader: [] }, { sessionCookie: [] }]

export const SECURITY_SCHEMES = {
  bearerKey: { type: 'http', scheme: 'bearer', bearerFormat: 'sfk_<id>_<secret>', description: 'An API key from `shopfloor api-key create`, as `Authorization: Bearer <key>`' },
  apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'The same API key in the X-API-Key header' },
  sessionCookie: {
    type: 'apiKey',
    in: 'cookie',
    name: SESSION_COOKIE,
    description: 'The session cookie POST /api/v1/session sets (HttpOnly, SameSite=Strict). Requests other than GET/HEAD with it must carry the same-origin Origin header.',
  },
} as const

const ERROR_REF = { $ref: 'ErrorBody#' }

function describeAccess(access: Access): string {
  if (access === 'public') return 'Access: public (no key).'
  const roles = rolesFor(access).map((r) => (r === 'plant-engineer' ? 'plant-engineer (own factories only)' : r))
  return `Access: ${access} — ${roles.join(', ')}.`
}

/** Adds the access level, the security requirement and the 401/403/429 answers to a route's schema. */
function documentAccess(route: RouteOptions, access: Access): void {
  const schema = (route.schema ?? {}) as Record<string, unknown>
  if (schema['hide']) return
  const response = { ...((schema['response'] as Record<string, unknown> | undefined) ?? {}) }
  const add = (code: string): void => {
    if (!(code in response)) response[code] = ERROR_REF
  }
  add('429')
  if (access !== 'public') {
    add('401')
    add('403')
  }
  const description = schema['description'] ? `${String(schema['description'])}\n\n${describeAccess(access)}` : describeAccess(access)
  route.schema = { ...schema, response, description, security: access === 'public' ? [] : SECURITY, 'x-access': access } as unknown as RouteOptions['schema']
}

const BEARER = /^Bearer\s+(\S+)\s*$/i
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * CSRF: SameSite=Strict keeps the cookie off cross-site requests already; a request that may
 * change state with only the cookie must also show it comes from this site: an Origin header
 * naming this host, or the browser's own `Sec-Fetch-Site: same-origin` (which no page script can
 * set). Host names are compared, not schemes or ports: behind a TLS proxy the API sees http (and
 * another port) while the page is https; a page on another port of the same host is same-site for
 * SameSite too, so comparing ports would add nothing.
 */
function hostnameOf(url: string): string | undefined {
  try {
    return new URL(url).hostname
  } catch {
    return undefined
  }
}

function crossOrigin(req: FastifyRequest): string | undefined {
  if (SAFE_METHODS.has(req.method)) return undefined
  if (req.headers['sec-fetch-site'] === 'same-origin') return undefined
  const origin = req.headers.origin
  const from = origin === undefined ? undefined : hostnameOf(origin)
  if (from !== undefined && from === hostnameOf(`http://${req.host}`)) return undefined
  return `${req.method} ${req.url.split('?')[0]} with the session cookie needs the Origin header of this host, ${req.hostname} (got ${origin === undefined ? 'none' : JSON.stringify(origin)}); scripts send the API key in the Authorization header instead`
}

/** The key a request presents: `Authorization: Bearer <key>` or `X-API-Key: <key>`; an ApiError for a malformed header. */
function presentedKey(req: FastifyRequest): string | ApiError | undefined {
  const auth = req.headers.authorization
  if (auth !== undefined) {
    const m = BEARER.exec(auth)
    if (!m) return new ApiError('SHOPFLOOR_API_UNAUTHORIZED', 'the Authorization header must read "Bearer <key>"')
    return m[1] as string
  }
  const header = req.headers['x-api-key']
  if (Array.isArray(header)) return new ApiError('SHOPFLOOR_API_UNAUTHORIZED', 'send one X-API-Key header, not several')
  return header === undefined || header === '' ? undefined : header
}

function setLimitHeaders(reply: FastifyReply, d: RateDecision): void {
  reply.header('x-ratelimit-limit', d.limit).header('x-ratelimit-remaining', d.remaining).header('x-ratelimit-reset', d.resetS)
}

function limited(reply: FastifyReply, d: RateDecision, who: string): ApiError {
  setLimitHeaders(reply, d)
  reply.header('retry-after', d.resetS)
  return new ApiError('SHOPFLOOR_API_RATE_LIMITED', `too many requests from ${who}: at most ${d.limit} per window; retry in ${d.resetS} s`)
}

/**
 * Authentication, authorization by route access level, and rate limits, as one onRequest hook;
 * and a check at registration that every route declares `config.access`, so none is left open
 * by mistake (the app refuses to start).
 */
export function registerAuth(app: FastifyInstance, opts: AuthOptions): void {
  const rl = opts.rateLimit === false ? undefined : { ...RATE_LIMIT_DEFAULTS, ...opts.rateLimit }
  const limiter = rl ? new RateLimiter({ windowMs: rl.windowMs, ...(opts.now ? { now: opts.now } : {}) }) : undefined
  const keys = opts.keys

  app.decorateRequest('principal', null)
  const table: RouteAccess[] = []
  TABLES.set(app, table)

  app.addHook('onRoute', function (route) {
    let access = route.config?.access
    if (access === undefined && (this as unknown as Record<symbol, boolean>)[PUBLIC_SCOPE]) {
      access = 'public'
      route.config = { ...route.config, access }
    }
    if (access === undefined || !ACCESS_LEVELS.includes(access)) {
      throw new TypeError(
        `route ${String(route.method)} ${route.url} must declare config.access as one of ${ACCESS_LEVELS.join(', ')} (got ${JSON.stringify(access)}): no route is left open by default`,
      )
    }
    documentAccess(route, access)
    for (const method of [route.method].flat()) table.push({ method, url: route.url, access, schema: (route.schema ?? {}) as Record<string, unknown> })
  })

  app.addHook('onRequest', async (req, reply) => {
    const access = req.routeOptions.config.access
    const address = `address ${req.ip}`
    const ipBucket = `ip:${req.ip}`
    const presented = presentedKey(req)
    // The cookie counts only without a key header: a script's key always wins over a browser's session.
    const token = presented === undefined && opts.sessions ? cookieValue(req.headers.cookie, SESSION_COOKIE) : undefined

    const anonymous = (): void => {
      if (!limiter || !rl) return
      const d = limiter.hit(ipBucket, rl.perAddress)
      if (!d.allowed) throw limited(reply, d, address)
      setLimitHeaders(reply, d)
    }

    // No route (404): nothing to protect, but counted like any anonymous request.
    if (access === undefined || (access === 'public' && presented === undefined && token === undefined)) return anonymous()
    if (token !== undefined && opts.sessions) {
      const over = limiter && rl ? limiter.exceeded(ipBucket, rl.perAddress) : undefined
      if (over) throw limited(reply, over, address)
      const session = opts.sessions.authenticate(token)
      if (!session) {
        if (access === 'public') return anonymous()
        anonymous()
        reply.header('set-cookie', sessionCookie(null, { secure: req.protocol === 'https' }))
        throw new ApiError('SHOPFLOOR_API_UNAUTHORIZED', 'the session has ended (signed out, expired, or its API key revoked): sign in again with the API key')
      }
      return admit({ ...session.principal, via: 'session' })
    }
    if (presented === undefined) {
      anonymous()
      throw new ApiError('SHOPFLOOR_API_UNAUTHORIZED', 'this route needs an API key: send "Authorization: Bearer <key>" or "X-API-Key: <key>" (shopfloor api-key create makes one)')
    }
    // An address over its limit gets no more key checks: a flood of guesses costs no scrypt work.
    const over = limiter && rl ? limiter.exceeded(ipBucket, rl.perAddress) : undefined
    if (over) throw limited(reply, over, address)
    const principal = presented instanceof ApiError ? null : await keys.authenticate(presented)
    if (!principal) {
      if (access === 'public') return anonymous()
      anonymous()
      if (presented instanceof ApiError) throw presented
      throw new ApiError('SHOPFLOOR_API_UNAUTHORIZED', 'the API key is not valid: unknown, revoked or mistyped (shopfloor api-key list shows the keys)')
    }
    return admit({ ...principal, via: 'key' })

    function admit(principal: Principal): void {
      if (access === undefined) return
      if (limiter && rl) {
        const d = limiter.hit(`key:${principal.keyId}`, rl.perKey)
        if (!d.allowed) throw limited(reply, d, `API key "${principal.name}" (${principal.keyId})`)
        setLimitHeaders(reply, d)
      }
      req.principal = principal
      req.log = req.log.child({ keyId: principal.keyId, ...(principal.via === 'session' ? { via: 'session' } : {}) })
      if (principal.via === 'session') {
        const refused = crossOrigin(req)
        if (refused) throw new ApiError('SHOPFLOOR_API_FORBIDDEN', refused)
      }
      if (!roleAllows(access, principal.role)) {
        throw new ApiError(
          'SHOPFLOOR_API_FORBIDDEN',
          `API key "${principal.name}" (${principal.keyId}) has the role ${principal.role}; ${req.method} ${req.routeOptions.url ?? req.url.split('?')[0]} needs ${rolesFor(access).join(' or ')}`,
        )
      }
    }
  })
}
