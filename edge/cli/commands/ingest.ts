import { cliLogger } from '../logging.ts'
import { brokersFromEnv, DEFAULT_TOPIC_PREFIX } from '../../../stream/index.ts'
import { openCodec, openStore, openTransport, startIngest } from '../pipeline.ts'
import { EXIT, type Command } from '../run.ts'
import { untilSignal } from './signals.ts'

export const ingest: Command = {
  summary: 'Consumes events from Kafka (KAFKA_BROKERS) as a member of a consumer group and writes them to ClickHouse (CLICKHOUSE_URL, else embedded chDB under ./data).',
  usage: 'shopfloor ingest [--group shopfloor-ingest] [--topic-prefix shopfloor]',
  options: { group: { type: 'string' }, 'topic-prefix': { type: 'string' } },
  async run({ values }) {
    const brokers = brokersFromEnv()
    if (!brokers) {
      process.stderr.write('shopfloor ingest: KAFKA_BROKERS is not set (host:port[,host:port]); without Kafka, `shopfloor edge` ingests in-process\n')
      return EXIT.usage
    }
    const logger = cliLogger()
    const store = await openStore(logger)
    const transport = await openTransport({
      brokers,
      topicPrefix: (values['topic-prefix'] as string | undefined) ?? DEFAULT_TOPIC_PREFIX,
      ...(typeof values['group'] === 'string' ? { groupId: values['group'] } : {}),
      logger,
    })
    const topicPrefix = (values['topic-prefix'] as string | undefined) ?? DEFAULT_TOPIC_PREFIX
    const codec = await openCodec(topicPrefix, logger)
    const worker = await startIngest({ subscriber: transport.subscriber, deadLetter: transport.deadLetter, clickhouse: store, logger, codec })
    logger.info({ transport: transport.describe, clickhouse: store.describe }, 'ingest running')
    await untilSignal()
    await transport.close()
    await store.close()
    logger.info(worker.stats, 'ingest stopped')
    return EXIT.ok
  },
}
