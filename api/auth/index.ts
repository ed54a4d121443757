// Authentication and authorization of the API: keys, roles, factory scope, rate limits.
export {
  ACCESS_LEVELS,
  ROLES,
  allowedFactories,
  factoryOfPath,
  mayAccessFactory,
  requireFactory,
  roleAllows,
  rolesFor,
  type Access,
  type Principal,
  type Role,
} from './access.ts'
export { ApiKeyStore, DEFAULT_KEYS_FILE, RELOAD_INTERVAL_MS, keysFileFromEnv, type ApiKeyInfo, type NewApiKey } from './keys.ts'
export { ApiKeyError, type ApiKeyErrorCode } from './errors.ts'
export { RATE_LIMIT_DEFAULTS, RateLimiter, rateLimitFromEnv, type RateDecision, type RateLimitOptions } from './rate-limit.ts'
export { SECURITY, SECURITY_SCHEMES, markPublicScope, registerAuth, routeTable, type AuthOptions, type RouteAccess } from './plugin.ts'
export { SESSION_COOKIE, SESSION_DEFAULTS, SessionStore, cookieValue, sessionCookie, type SessionInfo, type SessionOptions } from './sessions.ts'
export { registerSessionRoutes } from './session-routes.ts'
