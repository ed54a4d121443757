import { cliLogger } from '../logging.ts'
import { brokersFromEnv, DEFAULT_TOPIC_PREFIX } from '../../../stream/index.ts'
import { EdgeAgent } from '../../agent.ts'
import { loadEdgeConfig } from '../../config/load.ts'
import { openStore, openTransport, startIngest } from '../pipeline.ts'
import { EXIT, type Command } from '../run.ts'
import { untilSignal } from './signals.ts'

export const edge: Command = {
  summary:
    'Runs the edge agent. With KAFKA_BROKERS set it publishes to Kafka; without, it runs ingest in the same process over the in-process transport, into ClickHouse (CLICKHOUSE_URL, else embedded chDB under ./data).',
  usage: 'shopfloor edge --config FILE [--topic-prefix shopfloor]',
  options: { config: { type: 'string', short: 'c' }, 'topic-prefix': { type: 'string' } },
  async run({ values }) {
    const file = values['config']
    if (typeof file !== 'string') {
      process.stderr.write('shopfloor edge: --config FILE is required\n')
      return EXIT.usage
    }
    // Validate before anything opens a socket.
    const config = loadEdgeConfig(file)
    const logger = cliLogger()
    const brokers = brokersFromEnv()
    const topicPrefix = (values['topic-prefix'] as string | undefined) ?? DEFAULT_TOPIC_PREFIX
    const transport = await openTransport({ brokers, topicPrefix, logger })
    const store = brokers ? undefined : await openStore(logger)
    if (store) await startIngest({ subscriber: transport.subscriber, clickhouse: store, logger })
    const agent = new EdgeAgent({ config, publisher: transport.publisher, topicPrefix, logger })
    await agent.start()
    logger.info({ transport: transport.describe, config: file }, 'edge agent running')
    const sig = await untilSignal()
    logger.info({ signal: sig }, 'stopping')
    await agent.stop()
    await transport.close()
    await store?.close()
    return EXIT.ok
  },
}
