import type { Consumer } from 'kafkajs'
import { StreamError } from '../errors.ts'
import { kafkaClient, type KafkaOptions } from './kafka-client.ts'
import type { BatchHandler, Subscriber } from './transport.ts'

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
