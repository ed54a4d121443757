import { promisify } from 'node:util'
import { gzip, unzip } from 'node:zlib'
import kafkajs, { CompressionTypes, Partitioners, type ICustomPartitioner, type Producer } from 'kafkajs'
import { StreamError } from '../errors.ts'
import { ensureTopics, kafkaClient, kafkaConnectError, type KafkaOptions } from './kafka-client.ts'
import type { OutgoingMessage, Publisher } from './transport.ts'

export interface KafkaPublisherOptions extends KafkaOptions {
  /**
   * Compression of each record batch. kafkajs has only gzip built in (snappy, lz4 and zstd need
   * codecs the gateway would have to carry). Default `gzip`, at zlib level 1 (see
   * {@link useFastGzip}): about 8.5x fewer bytes on the uplink for our events, at nearly the
   * publish rate of `none` (docs/benchmarks.md, "Spool and publishing").
   */
  compression?: 'gzip' | 'none'
  /**
   * Before the first send to a topic this publisher has not seen, check that it exists and create
   * it when missing (as `ensureTopics`); a topic that cannot be created fails the send with
   * SHOPFLOOR_KAFKA_TOPIC naming it. Default true.
   */
  ensureTopics?: boolean
  /**
   * How long connecting and the topic check may take before the send is reported as failed, ms;
   * kafkajs goes on trying behind it and the next send waits for the same attempt. Default 10,000.
   */
  readyTimeoutMs?: number
  /** Retries of one send inside kafkajs (leader moves, brief disconnects) before it fails to the caller, who keeps the batch. Default 4 (about 5 s). */
  sendRetries?: number
}

/**
 * Producer with acks from all in-sync replicas (acks -1), the machine path as key (so one
 * machine's events share a partition and stay in order), batches as the caller hands them over,
 * gzip by default.
 */
export class KafkaPublisher implements Publisher {
  readonly #producer: Producer
  readonly #opts: KafkaPublisherOptions
  readonly #compression: CompressionTypes
  readonly #known = new Set<string>()
  #connected: Promise<void> | undefined

  constructor(opts: KafkaPublisherOptions) {
    this.#opts = opts
    this.#compression = opts.compression === 'none' ? CompressionTypes.None : CompressionTypes.GZIP
    if (this.#compression === CompressionTypes.GZIP) useFastGzip()
    this.#producer = kafkaClient(opts).producer({
      allowAutoTopicCreation: false,
      createPartitioner: keyCachingPartitioner,
      retry: { retries: opts.sendRetries ?? 4 },
    })
  }

  async send(messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return
    const byTopic = new Map<string, { key: string; value: Buffer }[]>()
    for (const m of messages) {
      const list = byTopic.get(m.topic)
      if (list) list.push({ key: m.key, value: m.value })
      else byTopic.set(m.topic, [{ key: m.key, value: m.value }])
    }
    await this.#ready([...byTopic.keys()].filter((t) => !this.#known.has(t)))
    try {
      await this.#producer.sendBatch({
        acks: -1,
        compression: this.#compression,
        topicMessages: [...byTopic].map(([topic, msgs]) => ({ topic, messages: msgs })),
      })
    } catch (cause) {
      const type = kafkaErrorType(cause)
      if (type === 'UNKNOWN_TOPIC_OR_PARTITION') {
        // Deleted since it was checked: check (and create) again on the next send.
        for (const t of byTopic.keys()) this.#known.delete(t)
        throw new StreamError('SHOPFLOOR_KAFKA_TOPIC', `topic(s) ${[...byTopic.keys()].join(', ')} not found on ${this.#brokers()}: create them, or let this client create topics`, { cause })
      }
      throw new StreamError('SHOPFLOOR_KAFKA_PUBLISH', `publishing ${messages.length} events to ${this.#brokers()} failed: ${(cause as Error).message}`, { canRetry: true, cause })
    }
  }

  async close(): Promise<void> {
    if (this.#connected) await this.#producer.disconnect()
  }

  /** Connects (once) and checks the topics not seen yet, within readyTimeoutMs. */
  async #ready(unseen: string[]): Promise<void> {
    this.#connected ??= this.#producer.connect().catch((cause: unknown) => {
      this.#connected = undefined
      // Wrong credentials and TLS problems get their own codes: the operator's fix differs.
      throw kafkaConnectError(this.#opts, cause)
    })
    const steps = (async () => {
      await this.#connected
      if (unseen.length > 0 && this.#opts.ensureTopics !== false) await ensureTopics(this.#opts, unseen)
    })()
    const timeoutMs = this.#opts.readyTimeoutMs ?? 10_000
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new StreamError('SHOPFLOOR_KAFKA_CONNECT', `cannot reach Kafka at ${this.#brokers()} within ${timeoutMs} ms; still trying. Check KAFKA_BROKERS and that the broker is up.`, { canRetry: true })),
        timeoutMs,
      )
    })
    steps.catch(() => {}) // when the timeout wins, a later failure of the steps is not unhandled
    try {
      await Promise.race([steps, timeout])
    } finally {
      clearTimeout(timer)
    }
    for (const t of unseen) this.#known.add(t)
  }

  #brokers(): string {
    return this.#opts.brokers.join(',')
  }
}

const gzipAsync = promisify(gzip)
const unzipAsync = promisify(unzip)

/**
 * Makes kafkajs compress gzip batches at zlib level 1 instead of its default 6. Measured on our
 * events (5,000-event batches): level 6 takes 7.7 ms a batch for 9.6x, level 1 1.8 ms for 8.5x,
 * and the agent's client CPU per event falls from about 11 to 9 µs, close to `none` (8.4 µs).
 * kafkajs keeps one codec table per process (`CompressionCodecs`, not a named ESM export of the
 * CommonJS package, hence the default import), so every kafkajs producer in this process that asks
 * for gzip gets level 1 (the wire format is gzip either way; decompression is unchanged).
 */
export function useFastGzip(): void {
  kafkajs.CompressionCodecs[CompressionTypes.GZIP] = () => ({
    compress: (encoder: { buffer: Buffer }) => gzipAsync(encoder.buffer, { level: 1 }),
    decompress: (buffer: Buffer) => unzipAsync(buffer),
  })
}

/**
 * kafkajs' DefaultPartitioner (murmur2 of the key, as the Java client: a machine maps to the same
 * partition whichever client wrote it), remembered per key and partition count. kafkajs hashes
 * with 64-bit Long arithmetic for every 4 bytes of every message's key; an agent's keys are its
 * few hundred machine paths, so the hash is computed once per machine instead of once per event.
 */
export const keyCachingPartitioner: ICustomPartitioner = () => {
  const hashed = Partitioners.DefaultPartitioner()
  const byCount = new Map<number, Map<string, number>>()
  return (args) => {
    const { message, partitionMetadata } = args
    if (typeof message.key !== 'string' || (message.partition !== undefined && message.partition !== null)) return hashed(args)
    let cache = byCount.get(partitionMetadata.length)
    if (!cache) byCount.set(partitionMetadata.length, (cache = new Map()))
    let p = cache.get(message.key)
    if (p === undefined) {
      p = hashed(args)
      if (cache.size >= 100_000) cache.clear() // unbounded keys (not machine paths): stay bounded
      cache.set(message.key, p)
    }
    return p
  }
}

/** The Kafka protocol error type under kafkajs' retry wrapper, e.g. `UNKNOWN_TOPIC_OR_PARTITION`. */
function kafkaErrorType(err: unknown): string | undefined {
  for (let e = err as { type?: string; cause?: unknown; originalError?: unknown } | undefined, i = 0; e && i < 5; i++) {
    if (typeof e.type === 'string') return e.type
    e = (e.cause ?? e.originalError) as typeof e
  }
  return undefined
}
