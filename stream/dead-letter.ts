import { CompressionTypes, type Producer } from 'kafkajs'
import type { Logger } from '../connectors/common/logger.ts'
import { StreamError } from './errors.ts'
import { DEFAULT_TOPIC_PREFIX } from './topics.ts'
import { ensureTopics, kafkaClient, kafkaConnectError, type KafkaOptions } from './transport/kafka-client.ts'
import type { IncomingMessage } from './transport/transport.ts'

/** A message ingest cannot store, with why. */
export interface DeadLetter {
  readonly message: IncomingMessage
  /** Stable code of the failure, e.g. `SHOPFLOOR_CODEC_UNKNOWN_SCHEMA`. */
  readonly code: string
  readonly reason: string
}

/** Where ingest puts what it cannot store. `send` resolves once the letters are kept. */
export interface DeadLetterSink {
  send(letters: readonly DeadLetter[]): Promise<void>
  close(): Promise<void>
}

/** Headers a dead letter carries: why, and where the original message was. */
export const DEAD_LETTER_HEADERS = {
  code: 'shopfloor-error-code',
  reason: 'shopfloor-error-reason',
  topic: 'shopfloor-original-topic',
  partition: 'shopfloor-original-partition',
  offset: 'shopfloor-original-offset',
} as const

/** `<prefix>.dead-letter`. */
export function deadLetterTopic(prefix: string = DEFAULT_TOPIC_PREFIX): string {
  return `${prefix}.dead-letter`
}

/** Logs each letter and keeps nothing: for the in-process transport, which has no topic to put them in. */
export class LoggedDeadLetters implements DeadLetterSink {
  readonly #log: Logger
  constructor(logger: Logger) {
    this.#log = logger.child({ component: 'dead-letter' })
  }
  async send(letters: readonly DeadLetter[]): Promise<void> {
    for (const l of letters) {
      this.#log.warn({ topic: l.message.topic, partition: l.message.partition, offset: l.message.offset, code: l.code, reason: l.reason }, 'malformed message skipped')
    }
  }
  async close(): Promise<void> {}
}

/**
 * Dead-letter topic on Kafka: the original key and bytes, the reason and the original position in
 * headers. The topic is created on first use when missing. Sent with acks from all in-sync
 * replicas before ingest commits the batch, so a letter is never lost; a replayed batch may send
 * a letter twice (consumers of the topic dedupe on the original topic/partition/offset).
 */
export class KafkaDeadLetters implements DeadLetterSink {
  readonly #opts: KafkaOptions
  readonly #topic: string
  readonly #producer: Producer
  readonly #log: Logger
  #ready: Promise<void> | undefined

  constructor(opts: KafkaOptions & { /** Default `shopfloor.dead-letter`. */ topic?: string }) {
    this.#opts = opts
    this.#topic = opts.topic ?? deadLetterTopic()
    this.#producer = kafkaClient(opts).producer({ allowAutoTopicCreation: false })
    this.#log = opts.logger.child({ component: 'dead-letter', topic: this.#topic })
  }

  get topic(): string {
    return this.#topic
  }

  async send(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return
    this.#ready ??= (async () => {
      await ensureTopics(this.#opts, [this.#topic])
      try {
        await this.#producer.connect()
      } catch (cause) {
        throw kafkaConnectError(this.#opts, cause)
      }
    })().catch((err: unknown) => {
      this.#ready = undefined
      throw err
    })
    await this.#ready
    try {
      await this.#producer.send({
        topic: this.#topic,
        acks: -1,
        compression: CompressionTypes.GZIP,
        messages: letters.map((l) => ({
          key: l.message.key,
          value: l.message.value,
          headers: {
            [DEAD_LETTER_HEADERS.code]: l.code,
            [DEAD_LETTER_HEADERS.reason]: l.reason,
            [DEAD_LETTER_HEADERS.topic]: l.message.topic,
            [DEAD_LETTER_HEADERS.partition]: String(l.message.partition),
            [DEAD_LETTER_HEADERS.offset]: l.message.offset,
          },
        })),
      })
    } catch (cause) {
      throw new StreamError('SHOPFLOOR_KAFKA_DEAD_LETTER', `sending ${letters.length} dead letter(s) to ${this.#topic} failed: ${(cause as Error).message}; the batch is retried`, {
        canRetry: true,
        cause,
      })
    }
    for (const l of letters) {
      this.#log.warn({ from: `${l.message.topic}/${l.message.partition}@${l.message.offset}`, code: l.code, reason: l.reason }, 'malformed message dead-lettered')
    }
  }

  async close(): Promise<void> {
    if (this.#ready) await this.#producer.disconnect()
  }
}
