import { join } from 'node:path'
import { cliLogger } from '../logging.ts'
import { ApiKeyStore, DOCS_PREFIX, SessionStore, buildApp, keysFileFromEnv } from '../../../api/index.ts'
import { brokersFromEnv, DEFAULT_TOPIC_PREFIX } from '../../../stream/index.ts'
import { openStore, startDemoPipeline } from '../pipeline.ts'
import { EXIT, type Command } from '../run.ts'
import { demoAdminKey } from './api-key.ts'
import { untilSignal } from './signals.ts'

export const demo: Command = {
  summary:
    'Runs everything in one process: the simulated SMT line (real OPC UA and Modbus TCP servers on loopback), the edge agent, the transport (in-process, or Kafka when KAFKA_BROKERS is set), ingest into ClickHouse (embedded chDB under ./data unless CLICKHOUSE_URL is set) and the API on PORT (default 8080).',
  usage: 'shopfloor demo [--data data] [--time-scale 5] [--seed 1]',
  options: { data: { type: 'string' }, 'time-scale': { type: 'string' }, seed: { type: 'string' } },
  async run({ values }) {
    const dataDir = (values['data'] as string | undefined) ?? 'data'
    const timeScale = Number(values['time-scale'] ?? 5)
    const seed = Number(values['seed'] ?? 1)
    if (!(timeScale > 0) || !Number.isFinite(seed)) throw new Error('--time-scale must be > 0 and --seed a number')
    const logger = cliLogger({ level: process.env['LOG_LEVEL'] ?? 'warn' })
    const port = Number(process.env['PORT'] ?? 8080)
    const host = process.env['HOST'] ?? '127.0.0.1'

    const store = await openStore(logger, { path: join(dataDir, 'chdb') })
    const brokers = brokersFromEnv()
    const demo = await startDemoPipeline({ store, logger, dir: join(dataDir, 'demo'), brokers, topicPrefix: DEFAULT_TOPIC_PREFIX, sim: { seed, timeScale } })
    const { factory, transport, live } = demo
    const keys = ApiKeyStore.open(keysFileFromEnv(dataDir))
    const keyFile = join(dataDir, 'demo', 'admin.key')
    const admin = await demoAdminKey(keys, keyFile)
    const sessions = new SessionStore(keys, { file: join(dataDir, 'api-sessions.json'), logger })
    const app = await buildApp({ clickhouse: store, logger, keys, sessions, live: { feed: live } })
    await app.listen({ port, host })

    const base = `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`
    const from = new Date(Date.now() - 5 * 60_000).toISOString()
    const to = new Date(Date.now() + 8 * 3600_000).toISOString()
    const line = encodeURIComponent(factory.linePath)
    process.stdout.write(
      [
        `shopfloor demo running: simulated SMT line ${factory.linePath}`,
        `  OPC UA   ${factory.opcua.endpoint}`,
        `  Modbus   127.0.0.1:${factory.modbus.port}`,
        `  events   ${transport.describe} -> ClickHouse ${store.describe}`,
        `  API      ${base}/api/v1/machines`,
        `  line OEE ${base}/api/v1/oee?line=${line}&from=${from}&to=${to}`,
        `  docs     ${base}${DOCS_PREFIX} (OpenAPI: ${base}/openapi.json)`,
        `  health   ${base}/healthz`,
        `  UI       ${base}/ (the dashboard: sign in with the API key below)`,
        `  API key  ${admin.key} (admin, ${admin.created ? 'new' : 'reused'}; kept in ${keyFile})`,
        `           curl -H "Authorization: Bearer $(cat ${keyFile})" '${base}/api/v1/machines'`,
        'Ctrl+C stops it.',
        '',
      ].join('\n'),
    )
    await untilSignal()
    await app.close()
    await demo.close()
    await store.close()
    return EXIT.ok
  },
}
