// Kafka connection settings, the client built from them, and topic creation: shared by the
// agent's publisher and ingest's subscriber.
import { Kafka, logLevel as KafkaLogLevel, type LogEntry, type SASLOptions } from 'kafkajs'
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
  /** Encrypt the connection (TLS). Default: off (plain TCP). */
  tls?: KafkaTlsOptions
  /** Authenticate with SASL. Default: none. Over plain TCP the password travels in clear (PLAIN) or not at all (SCRAM); prefer TLS. */
  sasl?: KafkaSaslOptions
  logger: Logger
}

/** TLS towards the brokers. Certificates and keys are PEM text (read from files by the config layer). */
export interface KafkaTlsOptions {
  /** CA certificate(s) to trust. Default: the system's trusted CAs. */
  ca?: string
  /** Client certificate, for brokers that require mutual TLS. Needs `key`. */
  cert?: string
  /** The client certificate's private key. */
  key?: string
  /** Check the broker's certificate and host name. Default true; false is for tests only and is logged as a warning. */
  rejectUnauthorized?: boolean
}

export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const

/** SASL authentication. */
export interface KafkaSaslOptions {
  mechanism: (typeof SASL_MECHANISMS)[number]
  username: string
  /** Never logged. */
  password: string
}

/** Where and how we connect, for messages: brokers, TLS, SASL mechanism and user, never the password. */
export function describeKafka(opts: KafkaOptions): string {
  const parts = [opts.brokers.join(',')]
  if (opts.tls) parts.push('TLS')
  if (opts.sasl) parts.push(`SASL ${opts.sasl.mechanism.toUpperCase()} as "${opts.sasl.username}"`)
  return parts.join(', ')
}

/**
 * A connection failure as a StreamError that says what to fix: wrong credentials
 * (`SHOPFLOOR_KAFKA_AUTH`, not worth retrying), a TLS problem (`SHOPFLOOR_KAFKA_TLS`: certificate
 * not trusted, wrong host name, TLS against a plain listener), or the broker not reachable
 * (`SHOPFLOOR_KAFKA_CONNECT`, retried).
 */
export function kafkaConnectError(opts: KafkaOptions, cause: unknown, doing = 'connecting'): StreamError {
  const err = cause as { name?: string; message?: string; code?: string; cause?: { code?: string; message?: string } }
  const message = err.message ?? String(cause)
  const where = describeKafka(opts)
  if (err.name === 'KafkaJSSASLAuthenticationError' || /SASL|authenticat/i.test(message)) {
    return new StreamError('SHOPFLOOR_KAFKA_AUTH', `${doing} to Kafka at ${where}: authentication failed (${message}). Check kafka.sasl: mechanism, username and the password's source`, { cause })
  }
  const tlsCode = err.code ?? err.cause?.code ?? ''
  if (/CERT|SELF_SIGNED|TLS|SSL|ERR_SSL|HOSTNAME/i.test(tlsCode) || /certificate|ssl|tls|handshake|altnames/i.test(message)) {
    return new StreamError('SHOPFLOOR_KAFKA_TLS', `${doing} to Kafka at ${where}: TLS failed (${message}). Check kafka.tls.ca and that the port is a TLS listener`, { cause, canRetry: true })
  }
  return new StreamError('SHOPFLOOR_KAFKA_CONNECT', `cannot reach Kafka at ${where}: ${message}. Check the brokers and that they are up`, { canRetry: true, cause })
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
  if (opts.tls?.rejectUnauthorized === false) log.warn({ brokers: opts.brokers }, "kafka.tls.rejectUnauthorized is false: the broker's certificate is not checked")
  return new Kafka({
    clientId: opts.clientId ?? 'shopfloor',
    brokers: opts.brokers,
    connectionTimeout: opts.connectionTimeoutMs ?? 5000,
    ...(opts.tls ? { ssl: { ...opts.tls, rejectUnauthorized: opts.tls.rejectUnauthorized ?? true } } : {}),
    ...(opts.sasl ? { sasl: { mechanism: opts.sasl.mechanism, username: opts.sasl.username, password: opts.sasl.password } as SASLOptions } : {}),
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
    throw kafkaConnectError(opts, cause)
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

