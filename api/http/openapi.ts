import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import { SECURITY_SCHEMES, markPublicScope } from '../auth/index.ts'
import { VERSION } from './version.ts'

/** Where the browsable API documentation is served. */
export const DOCS_PREFIX = '/docs'

const DESCRIPTION = `KPIs of the shop floor (ISO 22400 OEE, energy and cost) and its registry.

Send an API key (\`shopfloor api-key create\`) as \`Authorization: Bearer <key>\` or \`X-API-Key: <key>\`.
Roles: **admin** (everything), **plant-engineer** (plant routes, only for the factories of the key),
**analyst** (aggregates across factories; no factory-level data). Each operation names its access.

Errors have one shape, \`{ "error": { "code", "message", "param"? } }\`, with a stable code:
400 SHOPFLOOR_API_BAD_PARAM (names the parameter), 401 SHOPFLOOR_API_UNAUTHORIZED, 403 SHOPFLOOR_API_FORBIDDEN,
404 SHOPFLOOR_API_NOT_FOUND, 406 SHOPFLOOR_API_NOT_ACCEPTABLE, 429 SHOPFLOOR_API_RATE_LIMITED (with Retry-After),
500 SHOPFLOOR_API_INTERNAL, 503 SHOPFLOOR_API_UNAVAILABLE.

Tables answer CSV with \`format=csv\` or \`Accept: text/csv\`. Lists that grow take \`limit\` (default 100, at most 1000)
and \`cursor\` (the \`next\` of the previous page).`

/**
 * The OpenAPI 3.1 document of every route (from their schemas), served at `/openapi.json`, and
 * Swagger UI at {@link DOCS_PREFIX}. Register before the routes: it collects them as they are added.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'shopfloor API', version: VERSION, description: DESCRIPTION },
      components: { securitySchemes: SECURITY_SCHEMES },
    },
    // Shared schemas keep their names ($id) in components.schemas, so ErrorBody reads as ErrorBody.
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json['$id'] === 'string' ? json['$id'] : `def-${i}`) },
  })
  // A table route (one that takes `format`) answers CSV too: say so in the document.
  app.addHook('onRoute', (route) => {
    const schema = route.schema as Record<string, unknown> | undefined
    const qs = schema?.['querystring'] as { properties?: Record<string, unknown> } | undefined
    if (schema && qs?.properties?.['format'] && !schema['produces']) schema['produces'] = ['application/json', 'text/csv']
  })
  app.get('/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger())
  await app.register(async (scope) => {
    markPublicScope(scope)
    await scope.register(swaggerUi, { routePrefix: DOCS_PREFIX, uiConfig: { persistAuthorization: false, displayRequestDuration: true } })
  })
}
