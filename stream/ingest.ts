import type { Logger } from '../connectors/common/logger.ts'
import type { Clickhouse } from './clickhouse/client.ts'
import { insertEvents } from './clickhouse/writer.ts'
import type { EventCodec } from './codec.ts'
import type { ShopfloorEvent } from './events.ts'
import type { BatchHandler, IncomingMessage } from './transport/transport.ts'

export interface IngestStats {
  batches: number
  messages: number
  rows: number
  /** Messages that could not be decoded; logged with their reason and skipped. */
  malformed: number
}

/**
 * The ingest worker's batch handler: decode every message, insert the batch into ClickHouse,
 * and resolve only after the insert, so the transport commits no offset for rows not stored.
 * An undecodable message is logged with its reason and position and never blocks its partition.
 */
export class Ingest {
  readonly stats: IngestStats = { batches: 0, messages: 0, rows: 0, malformed: 0 }
  readonly #ch: Clickhouse
  readonly #codec: EventCodec
  readonly #log: Logger

  constructor(opts: { clickhouse: Clickhouse; codec: EventCodec; logger: Logger }) {
    this.#ch = opts.clickhouse
    this.#codec = opts.codec
    this.#log = opts.logger.child({ component: 'ingest' })
  }

  readonly handle: BatchHandler = async (messages: readonly IncomingMessage[]) => {
    const events: ShopfloorEvent[] = []
    let malformed = 0
    for (const m of messages) {
      try {
        events.push(this.#codec.decode(m.value))
      } catch (err) {
        malformed++
        this.#log.warn(
          { topic: m.topic, partition: m.partition, offset: m.offset, code: (err as { code?: string }).code, reason: (err as Error).message },
          'malformed message skipped',
        )
      }
    }
    const rows = events.length > 0 ? await insertEvents(this.#ch, events) : 0
    this.stats.batches++
    this.stats.messages += messages.length
    this.stats.rows += rows
    this.stats.malformed += malformed
  }
}
