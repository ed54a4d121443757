import { cliLogger } from '../logging.ts'
import { buildApp } from '../../../api/index.ts'
import { openStore } from '../pipeline.ts'
import { EXIT, type Command } from '../run.ts'
import { untilSignal } from './signals.ts'

export const api: Command = {
  summary: 'Serves the KPI API on PORT (default 8080) and HOST (default 0.0.0.0), reading ClickHouse (CLICKHOUSE_URL, else embedded chDB under ./data).',
  usage: 'shopfloor api',
  options: {},
  async run() {
    const logger = cliLogger()
    const store = await openStore(logger)
    const app = await buildApp({ clickhouse: store, logger })
    const port = Number(process.env['PORT'] ?? 8080)
    await app.listen({ port, host: process.env['HOST'] ?? '0.0.0.0' })
    await untilSignal()
    await app.close()
    await store.close()
    return EXIT.ok
  },
}
