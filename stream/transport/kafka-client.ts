// Kafka connection settings, the client built from them, and topic creation: shared by the
// agent's publisher and ingest's subscriber.
import { Kafka, logLevel as KafkaLogLevel, type LogEntry } from 'kafkajs'
import type { Logger } from '../../connectors/common/logger.ts'
import { StreamError } from '../errors.ts'

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

/** A kafkajs client for these options, logging through our logger. */
export function kafkaClient(opts: KafkaOptions): Kafka {
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

