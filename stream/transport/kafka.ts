import { CompressionTypes, Kafka, logLevel as KafkaLogLevel, type Consumer, type LogEntry, type Producer } from 'kafkajs'
import type { Logger } from '../../connectors/common/logger.ts'
import { StreamError } from '../errors.ts'
import type { BatchHandler, OutgoingMessage, Publisher, Subscriber } from './transport.ts'

/** Kafka connection settings shared by the agent's producer and ingest's consumer. */
export interface KafkaOptions {
  /** Bootstrap brokers, `host:port`. Default: `KAFKA_BROKERS` from the environment, comma separated. */
  brokers: string[]
  /** Client id reported to the broker. Default `shopfloor`. */
  clientId?: string
  /** Partitions of a topic this client creates when it is missing. Default 3. */
  partitions?: number
  /** Connection timeout, ms. Default 5000. */
  connectionTimeoutMs?: number
  logger: Logger
}

/** Brokers from `KAFKA_BROKERS` (`host:port,host:port`), or undefined when it is unset or empty. */
export function brokersFromEnv(env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const list = (env['KAFKA_BROKERS'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  return list.length > 0 ? list : undefined
}

function kafkaClient(opts: KafkaOptions): Kafka {
  const log = opts.logger.child({ component: 'kafka' })
  return new Kafka({
    clientId: opts.clientId ?? 'shopfloor',
    brokers: opts.brokers,
    connectionTimeout: opts.connectionTimeoutMs ?? 5000,
    retry: { initialRetryTime: 300, retries: 8 },
    logLevel: KafkaLogLevel.WARN,
    // kafkajs logs transient coordinator errors at ERROR while it retries them: they are warnings here.
    logCreator: () => (entry: LogEntry) => {
      const { message, ...extra } = entry.log
      const level = entry.level <= KafkaLogLevel.WARN ? 'warn' : 'info'
      log[level]({ kafka: entry.namespace, ...extra }, message)
    },
  })
}

/** Creates the topics that do not exist yet; a clear error when the broker refuses. */
export async function ensureTopics(opts: KafkaOptions, topics: readonly string[]): Promise<void> {
  const admin = kafkaClient(opts).admin()
  try {
    await admin.connect()
  } catch (cause) {
    throw new StreamError('SHOPFLOOR_KAFKA_CONNECT', `cannot reach Kafka at ${opts.brokers.join(',')}: ${(cause as Error).message}. Check KAFKA_BROKERS and that the broker is up.`, {
      canRetry: true,
      cause,
    })
  }
  try {
    const existing = new Set(await admin.listTopics())
    const missing = topics.filter((t) => !existing.has(t))
    if (missing.length > 0) {
      try {
        await admin.createTopics({ waitForLeaders: true, topics: missing.map((topic) => ({ topic, numPartitions: opts.partitions ?? 3 })) })
      } catch (cause) {
        throw new StreamError(
          'SHOPFLOOR_KAFKA_TOPIC',
          `topic(s) ${missing.join(', ')} missing on ${opts.brokers.join(',')} and could not be created (${(cause as Error).message}): create them, or grant this client CREATE on the cluster`,
          { cause },
        )
      }
    }
  } finally {
    await admin.disconnect()
  }
}

/** Producer with acks from all in-sync replicas and gzip compression. */
export class KafkaPublisher implements Publisher {
  readonly #producer: Producer
  readonly #opts: KafkaOptions
  #connected: Promise<void> | undefined

  constructor(opts: KafkaOptions) {
    this.#opts = opts
    this.#producer = kafkaClient(opts).producer({ allowAutoTopicCreation: false })
  }

  async send(messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return
    this.#connected ??= this.#producer.connect().catch((cause: unknown) => {
      this.#connected = undefined
      throw new StreamError('SHOPFLOOR_KAFKA_CONNECT', `cannot reach Kafka at ${this.#opts.brokers.join(',')}: ${(cause as Error).message}`, { canRetry: true, cause })
    })
    await this.#connected
    const byTopic = new Map<string, { key: string; value: Buffer }[]>()
    for (const m of messages) {
      const list = byTopic.get(m.topic)
      if (list) list.push({ key: m.key, value: m.value })
      else byTopic.set(m.topic, [{ key: m.key, value: m.value }])
    }
    try {
      await this.#producer.sendBatch({
        acks: -1,
        compression: CompressionTypes.GZIP,
        topicMessages: [...byTopic].map(([topic, msgs]) => ({ topic, messages: msgs })),
      })
    } catch (cause) {
      throw new StreamError('SHOPFLOOR_KAFKA_PUBLISH', `publishing ${messages.length} events to ${this.#opts.brokers.join(',')} failed: ${(cause as Error).message}`, {
        canRetry: true,
        cause,
      })
    }
  }

  async close(): Promise<void> {
    if (this.#connected) await this.#producer.disconnect()
  }
}

export interface KafkaSubscriberOptions extends KafkaOptions {
  /** Consumer group. Default `shopfloor-ingest`. */
  groupId?: string
  topics: readonly string[]
  /** Pause before a failed batch is offered again, ms. Default 1000. */
  retryDelayMs?: number
}

/**
 * Consumer group member that commits a partition's offset only after the batch handler has
 * stored the batch. A failing handler gets the same batch again; a rebalance in between makes the
 * new owner read it again, which idempotent inserts absorb.
 */
export class KafkaSubscriber implements Subscriber {
  readonly #consumer: Consumer
  readonly #opts: KafkaSubscriberOptions

  constructor(opts: KafkaSubscriberOptions) {
    this.#opts = opts
    this.#consumer = kafkaClient(opts).consumer({
      groupId: opts.groupId ?? 'shopfloor-ingest',
      maxWaitTimeInMs: 250,
      sessionTimeout: 30_000,
      heartbeatInterval: 3000,
    })
  }

  async run(onBatch: BatchHandler): Promise<void> {
    const retryDelay = this.#opts.retryDelayMs ?? 1000
    const log = this.#opts.logger.child({ component: 'kafka-consumer' })
    try {
      await this.#consumer.connect()
      await this.#consumer.subscribe({ topics: [...this.#opts.topics], fromBeginning: true })
    } catch (cause) {
      throw new StreamError('SHOPFLOOR_KAFKA_CONNECT', `cannot join consumer group at ${this.#opts.brokers.join(',')}: ${(cause as Error).message}`, {
        canRetry: true,
        cause,
      })
    }
    await this.#consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale }) => {
        if (batch.messages.length === 0) return
        const messages = batch.messages.map((m) => ({
          topic: batch.topic,
          partition: batch.partition,
          key: m.key ? m.key.toString() : null,
          value: m.value ?? Buffer.alloc(0),
          offset: m.offset,
        }))
        for (;;) {
          if (!isRunning() || isStale()) return
          try {
            await onBatch(messages)
            break
          } catch (err) {
            log.warn({ err, topic: batch.topic, partition: batch.partition }, 'batch not stored; retrying')
            await new Promise((r) => setTimeout(r, retryDelay))
            await heartbeat()
          }
        }
        const next = (BigInt(batch.lastOffset()) + 1n).toString()
        await this.#consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }])
        await heartbeat()
      },
    })
  }

  async close(): Promise<void> {
    await this.#consumer.disconnect()
  }
}
