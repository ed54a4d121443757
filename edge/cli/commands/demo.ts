import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { FactorySim } from '../../../connectors/index.ts'
import { cliLogger } from '../logging.ts'
import { ApiKeyStore, DOCS_PREFIX, buildApp, keysFileFromEnv } from '../../../api/index.ts'
import { brokersFromEnv, DEFAULT_TOPIC_PREFIX } from '../../../stream/index.ts'
import { EdgeAgent } from '../../agent.ts'
import { parseEdgeConfig } from '../../config/load.ts'
import { openStore, openTransport, startIngest } from '../pipeline.ts'
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
    const factory = await FactorySim.start({ seed, timeScale })
    const configFile = join(dataDir, 'demo', 'edge.yaml')
    mkdirSync(join(dataDir, 'demo'), { recursive: true })
    const text = `# Agent config of the demo's simulated SMT line (rewritten at every start)\n${stringify(factory.edgeConfig({ stateDir: join(dataDir, 'demo', 'edge') }))}`
    writeFileSync(configFile, text)
    const config = parseEdgeConfig(text, configFile)

    const brokers = brokersFromEnv()
    const transport = await openTransport({ brokers, topicPrefix: DEFAULT_TOPIC_PREFIX, logger })
    await startIngest({ subscriber: transport.subscriber, clickhouse: store, logger })
    const agent = new EdgeAgent({ config, publisher: transport.publisher, logger })
    await agent.start()
    const keys = ApiKeyStore.open(keysFileFromEnv(dataDir))
    const keyFile = join(dataDir, 'demo', 'admin.key')
    const admin = await demoAdminKey(keys, keyFile)
    const app = await buildApp({ clickhouse: store, logger, keys })
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
        `  API key  ${admin.key} (admin, ${admin.created ? 'new' : 'reused'}; kept in ${keyFile})`,
        `           curl -H "Authorization: Bearer $(cat ${keyFile})" '${base}/api/v1/machines'`,
        'Ctrl+C stops it.',
        '',
      ].join('\n'),
    )
    await untilSignal()
    await agent.stop()
    await transport.close()
    await app.close()
    await factory.stop()
    await store.close()
    return EXIT.ok
  },
}
