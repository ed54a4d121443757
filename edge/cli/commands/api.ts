import { cliLogger } from '../logging.ts'
import { join, dirname } from 'node:path'
import { ApiKeyStore, DOCS_PREFIX, SessionStore, buildApp, keysFileFromEnv, rateLimitFromEnv } from '../../../api/index.ts'
import { openStore } from '../pipeline.ts'
import { EXIT, type Command } from '../run.ts'
import { untilSignal } from './signals.ts'

export const api: Command = {
  summary:
    'Serves the KPI API on PORT (default 8080) and HOST (default 0.0.0.0), reading ClickHouse (CLICKHOUSE_URL, else embedded chDB under ./data). ' +
    'API keys come from --keys, else SHOPFLOOR_API_KEYS, else data/api-keys.json (shopfloor api-key create makes them). ' +
    'Rate limits: SHOPFLOOR_API_RATE_PER_KEY (default 600), SHOPFLOOR_API_RATE_PER_ADDRESS (120) per SHOPFLOOR_API_RATE_WINDOW_S (60); SHOPFLOOR_API_RATE_LIMIT=off. ' +
    'Behind a reverse proxy, SHOPFLOOR_API_TRUST_PROXY=true (or its addresses) counts the client address from X-Forwarded-For. ' +
    `OpenAPI at /openapi.json, its UI at ${DOCS_PREFIX}.`,
  usage: 'shopfloor api [--keys FILE]',
  options: { keys: { type: 'string' } },
  async run({ values }) {
    const logger = cliLogger()
    const file = (values['keys'] as string | undefined) ?? keysFileFromEnv()
    const keys = ApiKeyStore.open(file)
    const rateLimit = rateLimitFromEnv()
    if (!keys.list().some((k) => !k.revoked)) {
      logger.warn({ keys: file }, 'no API keys: every route but /healthz and the docs answers 401; create one with shopfloor api-key create --name NAME --role admin')
    }
    const store = await openStore(logger)
    // SHOPFLOOR_API_TRUST_PROXY: "true", or the proxies' addresses (comma-separated), when a reverse proxy sits in front.
    const proxy = process.env['SHOPFLOOR_API_TRUST_PROXY']
    const trustProxy = proxy === undefined || proxy === '' ? undefined : proxy === 'true' ? true : proxy.split(',').map((p) => p.trim())
    // The dashboard's sign-ins survive a restart: the session table lives next to the keys file.
    const sessions = new SessionStore(keys, { file: join(dirname(file), 'api-sessions.json'), logger })
    const app = await buildApp({ clickhouse: store, logger, keys, sessions, rateLimit, ...(trustProxy !== undefined ? { trustProxy } : {}) })
    const port = Number(process.env['PORT'] ?? 8080)
    await app.listen({ port, host: process.env['HOST'] ?? '0.0.0.0' })
    await untilSignal()
    await app.close()
    await store.close()
    return EXIT.ok
  },
}
