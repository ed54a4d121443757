import { CompressionTypes, type Producer } from 'kafkajs'
import { StreamError } from '../errors.ts'
import { kafkaClient, type KafkaOptions } from './kafka-client.ts'
import type { OutgoingMessage, Publisher } from './transport.ts'

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
