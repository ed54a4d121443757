import type { Logger } from '../../connectors/common/logger.ts'
import {
  EventCodec,
  schemaRegistryFromEnv,
  Ingest,
  InProcessBus,
  KafkaPublisher,
  KafkaSubscriber,
  EVENT_TYPES,
  KafkaDeadLetters,
  deadLetterTopic,
  ensureTopics,
  migrate,
  openClickhouse,
  topicFor,
  type Clickhouse,
  type DeadLetterSink,
  type Publisher,
  type Subscriber,
} from '../../stream/index.ts'

/**
 * Wiring shared by the CLI commands: the transport (Kafka when brokers are given, else the
 * in-process bus) and the ingest worker writing to ClickHouse. The CLI is the composition root:
 * the only place that puts edge, stream and api together.
 */
export interface TransportChoice {
  publisher: Publisher
  subscriber: Subscriber
  /** Where ingest puts messages it cannot store: `<prefix>.dead-letter` on Kafka; absent in-process (logged). */
  deadLetter?: DeadLetterSink
  describe: string
  close(): Promise<void>
}

export async function openTransport(opts: { brokers: string[] | undefined; topicPrefix: string; groupId?: string; logger: Logger }): Promise<TransportChoice> {
  const topics = EVENT_TYPES.map((t) => topicFor(t, opts.topicPrefix))
  if (opts.brokers) {
    const k = { brokers: opts.brokers, logger: opts.logger }
    await ensureTopics(k, topics)
    const publisher = new KafkaPublisher(k)
    const subscriber = new KafkaSubscriber({ ...k, topics, ...(opts.groupId ? { groupId: opts.groupId } : {}) })
    const deadLetter = new KafkaDeadLetters({ ...k, topic: deadLetterTopic(opts.topicPrefix) })
    return {
      publisher,
      subscriber,
      deadLetter,
      describe: `kafka ${opts.brokers.join(',')}`,
      close: async () => {
        await publisher.close()
        await subscriber.close()
        await deadLetter.close()
      },
    }
  }
  const bus = new InProcessBus({ onError: (err) => opts.logger.warn({ err }, 'ingest batch failed; retrying') })
  return {
    publisher: bus.publisher,
    subscriber: bus.subscriber,
    describe: 'in-process',
    close: () => bus.subscriber.close(),
  }
}

/**
 * The event codec of a command: the Confluent wire format through the schema registry at
 * SCHEMA_REGISTRY_URL (with SCHEMA_REGISTRY_USERNAME / _PASSWORD) when it is set, its schemas
 * registered or looked up now; else Avro single-object encoding. Reading accepts both either way.
 */
export async function openCodec(topicPrefix: string, logger: Logger): Promise<EventCodec> {
  const registry = schemaRegistryFromEnv()
  if (!registry) return new EventCodec()
  const codec = new EventCodec({ registry, topicPrefix })
  await codec.ready()
  logger.info({ registry: registry.describe }, 'events in Confluent wire format, schemas in the registry')
  return codec
}

export async function startIngest(opts: { subscriber: Subscriber; clickhouse: Clickhouse; logger: Logger; deadLetter?: DeadLetterSink | undefined; codec?: EventCodec }): Promise<Ingest> {
  const ingest = new Ingest({ clickhouse: opts.clickhouse, codec: opts.codec ?? new EventCodec(), logger: opts.logger, ...(opts.deadLetter ? { deadLetter: opts.deadLetter } : {}) })
  await opts.subscriber.run(ingest.handle)
  return ingest
}

export async function openStore(logger: Logger, opts: { path?: string; database?: string } = {}): Promise<Clickhouse> {
  const ch = await openClickhouse(opts)
  const applied = await migrate(ch)
  logger.info({ clickhouse: ch.describe, database: ch.database, applied }, 'ClickHouse ready')
  return ch
}
