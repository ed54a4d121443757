import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { stringify } from 'yaml'
import type { Logger } from '../../connectors/common/logger.ts'
import { FactorySim, type FactorySimOptions } from '../../connectors/index.ts'
import { LiveFeed } from '../../api/index.ts'
import { EdgeAgent } from '../agent.ts'
import { parseEdgeConfig } from '../config/load.ts'
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
  type StoredBatch,
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

/**
 * Starts the ingest worker on a transport. `onStored` hears of every stored batch: where the API
 * runs in the same process (`shopfloor demo`), its live feed's `notify`, so a state change reaches
 * the dashboards at once instead of at the feed's next poll.
 */
export async function startIngest(opts: {
  subscriber: Subscriber
  clickhouse: Clickhouse
  logger: Logger
  deadLetter?: DeadLetterSink | undefined
  codec?: EventCodec
  onStored?: (batch: StoredBatch) => void
}): Promise<Ingest> {
  const ingest = new Ingest({
    clickhouse: opts.clickhouse,
    codec: opts.codec ?? new EventCodec(),
    logger: opts.logger,
    ...(opts.deadLetter ? { deadLetter: opts.deadLetter } : {}),
    ...(opts.onStored ? { onStored: opts.onStored } : {}),
  })
  await opts.subscriber.run(ingest.handle)
  return ingest
}

export async function openStore(logger: Logger, opts: { path?: string; database?: string } = {}): Promise<Clickhouse> {
  const ch = await openClickhouse(opts)
  const applied = await migrate(ch)
  logger.info({ clickhouse: ch.describe, database: ch.database, applied }, 'ClickHouse ready')
  return ch
}

/** The demo's moving parts, running: what `shopfloor demo` starts before the API, and the dashboard's live test too. */
export interface DemoPipeline {
  factory: FactorySim
  agent: EdgeAgent
  ingest: Ingest
  transport: TransportChoice
  /** The API's live feed, told of every batch ingest stores (pass it to buildApp as `live: { feed }`). */
  live: LiveFeed
  /** The agent config written for the simulated line. */
  configFile: string
  close(): Promise<void>
}

/**
 * Starts the simulated SMT line (real OPC UA and Modbus TCP servers on loopback), the transport
 * (Kafka with `brokers`, else in-process), ingest into `store`, a live feed that ingest notifies,
 * and the edge agent reading the line. `dir` holds the agent config and its state (spool).
 */
export async function startDemoPipeline(opts: { store: Clickhouse; logger: Logger; dir: string; brokers?: string[] | undefined; topicPrefix: string; sim?: FactorySimOptions }): Promise<DemoPipeline> {
  const factory = await FactorySim.start(opts.sim ?? {})
  mkdirSync(opts.dir, { recursive: true })
  const configFile = join(opts.dir, 'edge.yaml')
  const text = `# Agent config of the demo's simulated SMT line (rewritten at every start)\n${stringify(factory.edgeConfig({ stateDir: join(opts.dir, 'edge') }))}`
  writeFileSync(configFile, text)
  const config = parseEdgeConfig(text, configFile)
  const transport = await openTransport({ brokers: opts.brokers, topicPrefix: opts.topicPrefix, logger: opts.logger })
  // Ingest and the API share this process: ingest tells the live feed of each stored batch.
  const live = new LiveFeed({ clickhouse: opts.store, logger: opts.logger })
  const ingest = await startIngest({ subscriber: transport.subscriber, clickhouse: opts.store, logger: opts.logger, onStored: () => live.notify() })
  const agent = new EdgeAgent({ config, publisher: transport.publisher, topicPrefix: opts.topicPrefix, logger: opts.logger })
  await agent.start()
  return {
    factory,
    agent,
    ingest,
    transport,
    live,
    configFile,
    close: async () => {
      await agent.stop()
      await transport.close()
      live.close()
      await factory.stop()
    },
  }
}
