import { createHash } from 'node:crypto'
import type { Logger } from '../connectors/common/logger.ts'
import type { Clickhouse } from './clickhouse/client.ts'
import { findBatch, loadLastStates, loadWatermarks, recordBatch, type BatchContext, type LastState } from './clickhouse/ingest-state.ts'
import { appendRows, TABLE_OF, type Row } from './clickhouse/rows.ts'
import { insertRows } from './clickhouse/writer.ts'
import type { EventCodec } from './codec.ts'
import { StreamError } from './errors.ts'
import { LoggedDeadLetters, type DeadLetter, type DeadLetterSink } from './dead-letter.ts'
import type { ShopfloorEvent } from './events.ts'
import type { BatchBounds, PartitionHandler } from './transport/kafka-subscriber.ts'
import type { BatchHandler, IncomingMessage } from './transport/transport.ts'

export interface IngestStats {
  /** Batches stored. */
  batches: number
  /** Messages handled: stored, skipped as duplicates, or dead-lettered. */
  messages: number
  /** Rows inserted, over all tables. */
  rows: number
  /** Messages that could not be decoded or stored: sent to the dead-letter sink. */
  malformed: number
  /** Events skipped because an event of the same agent and machine with this or a higher sequence is stored. */
  duplicates: number
  /** Batches replayed exactly as an earlier owner of the partition began them. */
  replayed: number
  /** Time spent inserting, ms. */
  insertMs: number
}

export interface IngestOptions {
  clickhouse: Clickhouse
  codec: EventCodec
  logger: Logger
  /** Where messages that cannot be stored go. Default: logged and counted ({@link LoggedDeadLetters}). */
  deadLetter?: DeadLetterSink
}

/** The handler the transports call: a plain batch handler that also knows partitions and offsets. */
export type IngestHandler = BatchHandler & Required<PartitionHandler>

const SEP = '\u0000'

interface Decoded {
  readonly message: IncomingMessage
  readonly event: ShopfloorEvent
}

function machineOf(e: ShopfloorEvent): string {
  return e.type === 'agent_heartbeat' ? '' : e.event.machine
}

function errorInfo(err: unknown): { code: string; reason: string } {
  const e = err as { code?: unknown; message?: string }
  return { code: typeof e.code === 'string' ? e.code : 'SHOPFLOOR_INGEST_EVENT', reason: e.message ?? String(err) }
}

/**
 * The ingest worker: decodes each batch, drops what is already stored, inserts the rest into
 * ClickHouse and resolves only after the insert, so the transport commits no offset for rows not
 * stored. A message that cannot be decoded or stored goes to the dead-letter sink and never
 * blocks its partition.
 *
 * Exactly once, in three layers (docs/clickhouse.md, "Deduplication"):
 * 1. Watermarks: an agent's sequence grows, and a machine's events stay in order within their
 *    partition, so an event whose sequence is at or below the highest stored for its (stream,
 *    agent, machine) is a replay and is skipped before the insert. The rollups never see it.
 * 2. Batch ledger and tokens: before inserting a Kafka batch, its offsets and the watermarks it
 *    started from are recorded; every insert carries a token made of the offsets and the bytes.
 *    A batch interrupted half-way (some tables, some views written) is replayed by the partition's
 *    next owner with the same offsets, context and token: ClickHouse writes only what is missing.
 * 3. The event tables are ReplacingMergeTree on the event id: read with FINAL, any duplicate that
 *    got past 1 and 2 reads once.
 */
export class Ingest {
  readonly stats: IngestStats = { batches: 0, messages: 0, rows: 0, malformed: 0, duplicates: 0, replayed: 0, insertMs: 0 }
  readonly #ch: Clickhouse
  readonly #codec: EventCodec
  readonly #log: Logger
  readonly #deadLetter: DeadLetterSink
  /** `<stream>\0<agent>\0<machine>` -> highest stored sequence (-1: none). */
  #watermarks = new Map<string, number>()
  /** machine -> its last stored state event (null: none). */
  #lastStates = new Map<string, LastState | null>()
  /** Contexts of batches to replay, by `<topic>/<partition>/<first>-<next>`. */
  #pending = new Map<string, BatchContext>()
  #generation = 0

  constructor(opts: IngestOptions) {
    this.#ch = opts.clickhouse
    this.#codec = opts.codec
    this.#log = opts.logger.child({ component: 'ingest' })
    this.#deadLetter = opts.deadLetter ?? new LoggedDeadLetters(opts.logger)
  }

  /**
   * The batch handler for a transport. Called as a function (in-process bus) it stores any
   * messages; the Kafka subscriber uses its partition methods, which add the batch ledger.
   */
  readonly handle: IngestHandler = Object.assign((messages: readonly IncomingMessage[]) => this.#store(messages, undefined), {
    storeBatch: (messages: readonly IncomingMessage[], bounds: BatchBounds, owned?: () => boolean) => this.#store(messages, bounds, owned),
    prepareBatch: (messages: readonly IncomingMessage[]) => {
      if (this.#prepared.has(messages)) return
      const decoding = this.#decode(messages)
      decoding.catch(() => {}) // the store awaits it and sees the error
      this.#prepared.set(messages, decoding)
    },
    pendingBatch: (group: string, topic: string, partition: number, firstOffset: string) => this.#pendingBatch(group, topic, partition, firstOffset),
    reassigned: () => this.#reassigned(),
  })

  #reassigned(): void {
    this.#generation++
    this.#watermarks = new Map()
    this.#lastStates = new Map()
    this.#pending = new Map()
  }

  async #pendingBatch(group: string, topic: string, partition: number, firstOffset: string): Promise<BatchBounds | undefined> {
    const entry = await findBatch(this.#ch, group, topic, partition, firstOffset)
    if (!entry) return undefined
    this.#pending.set(`${group}/${topic}/${partition}/${entry.firstOffset}-${entry.nextOffset}`, entry.context)
    return { group, topic, partition, firstOffset: entry.firstOffset, nextOffset: entry.nextOffset }
  }

  /** Batches decoded ahead of their store (prepareBatch), by their message array. */
  readonly #prepared = new WeakMap<readonly IncomingMessage[], Promise<{ decoded: Decoded[]; letters: DeadLetter[] }>>()

  async #decode(messages: readonly IncomingMessage[]): Promise<{ decoded: Decoded[]; letters: DeadLetter[] }> {
    const letters: DeadLetter[] = []
    const out: Decoded[] = []
    const codec = this.#codec as EventCodec & { decodeAsync?: (b: Uint8Array) => Promise<ShopfloorEvent> }
    for (const message of messages) {
      try {
        out.push({ message, event: codec.decode(message.value) })
      } catch (err) {
        if (codec.decodeAsync) {
          try {
            out.push({ message, event: await codec.decodeAsync(message.value) })
            continue
          } catch (err2) {
            // A registry that cannot be reached is no reason to give up the message: retry the batch.
            if ((err2 as { canRetry?: boolean }).canRetry) throw err2
            letters.push({ message, ...errorInfo(err2) })
            continue
          }
        }
        letters.push({ message, ...errorInfo(err) })
      }
    }
    return { decoded: out, letters }
  }

  /**
   * Loads into `marks`/`lastStates` (the caches as they were when the batch began) the watermarks
   * and last states of keys this batch touches and the caches lack.
   */
  async #prime(decoded: readonly Decoded[], context: BatchContext | undefined, watermarks: Map<string, number>, lastStates: Map<string, LastState | null>): Promise<void> {
    const missingMarks = new Map<string, Set<string>>()
    const missingStates = new Set<string>()
    for (const { event } of decoded) {
      const machine = machineOf(event)
      const key = `${event.type}${SEP}${event.event.agent_id}${SEP}${machine}`
      if (context && key in context.watermarks) watermarks.set(key, context.watermarks[key] as number)
      else if (!watermarks.has(key)) {
        const set = missingMarks.get(event.type) ?? new Set<string>()
        set.add(machine)
        missingMarks.set(event.type, set)
      }
      if (event.type === 'machine_state') {
        if (context && machine in context.lastStates) lastStates.set(machine, context.lastStates[machine] ?? null)
        else if (!lastStates.has(machine)) missingStates.add(machine)
      }
    }
    for (const [stream, machines] of missingMarks) {
      const list = [...machines]
      const loaded = await loadWatermarks(this.#ch, stream, list)
      for (const { event } of decoded) {
        if (event.type !== stream) continue
        const key = `${stream}${SEP}${event.event.agent_id}${SEP}${machineOf(event)}`
        if (!watermarks.has(key)) watermarks.set(key, loaded.get(`${event.event.agent_id}${SEP}${machineOf(event)}`) ?? -1)
      }
    }
    if (missingStates.size > 0) {
      const loaded = await loadLastStates(this.#ch, [...missingStates])
      for (const m of missingStates) lastStates.set(m, loaded.get(m) ?? null)
    }
  }

  async #store(messages: readonly IncomingMessage[], bounds: BatchBounds | undefined, owned?: () => boolean): Promise<void> {
    if (messages.length === 0) return
    const generation = this.#generation
    const prepared = this.#prepared.get(messages)
    this.#prepared.delete(messages)
    const { decoded, letters } = await (prepared ?? this.#decode(messages))
    const pendingKey = bounds && `${bounds.group}/${bounds.topic}/${bounds.partition}/${bounds.firstOffset}-${bounds.nextOffset}`
    const context = pendingKey ? this.#pending.get(pendingKey) : undefined
    // The caches as of now: a rebalance while this batch runs replaces them (the batch goes on
    // with the view it loaded; its results are then not kept).
    const watermarks = this.#watermarks
    const lastStates = this.#lastStates
    await this.#prime(decoded, context, watermarks, lastStates)

    // Filter against the watermarks and fill each state row's interval, on copies: the caches
    // change only once the batch is stored.
    const before: { watermarks: Record<string, number>; lastStates: Record<string, LastState | null> } = { watermarks: {}, lastStates: {} }
    const marks = new Map<string, number>()
    const states = new Map<string, LastState | null>()
    const tables = new Map<string, Row[]>()
    let duplicates = 0
    for (const { message, event } of decoded) {
      const machine = machineOf(event)
      const key = `${event.type}${SEP}${event.event.agent_id}${SEP}${machine}`
      let mark = marks.get(key)
      if (mark === undefined) {
        mark = watermarks.get(key) ?? -1
        before.watermarks[key] = mark
      }
      if (event.event.seq <= mark) {
        duplicates++
        marks.set(key, mark)
        continue
      }
      if (event.type === 'machine_state' && !states.has(machine)) {
        const last = lastStates.get(machine) ?? null
        before.lastStates[machine] = last
        states.set(machine, last)
      }
      const rows = new Map<string, Row[]>()
      try {
        appendRows(event, rows)
      } catch (err) {
        letters.push({ message, code: 'SHOPFLOOR_INGEST_EVENT', reason: `${event.type} event ${event.event.event_id}: ${(err as Error).message}` })
        continue
      }
      if (event.type === 'machine_state') {
        const row = rows.get('machine_state')?.[0] as Row
        const last = states.get(machine) ?? null
        row['prev_state'] = last?.state ?? null
        row['prev_ts'] = last?.ts ?? null
        row['prev_since'] = last ? (last.since ?? last.ts) : null
        const since = last && last.state === event.event.state ? (last.since ?? last.ts) : event.event.source_ts
        states.set(machine, { ts: event.event.source_ts, state: event.event.state, since })
      }
      for (const [table, list] of rows) {
        const into = tables.get(table)
        if (into) into.push(...list)
        else tables.set(table, list)
      }
      marks.set(key, event.event.seq)
    }

    let token: string | undefined
    if (bounds) {
      await recordBatch(this.#ch, { ...bounds, context: context ?? before })
      // A rebalance began meanwhile: the next owner may have read the ledger before this entry.
      // Stop here; it replays the batch (with this entry if it saw it, else on its own terms).
      if (owned && !owned()) throw new StreamError('SHOPFLOOR_INGEST_PARTITION_MOVED', `partition ${bounds.topic}/${bounds.partition} moved to another ingest worker before offsets ${bounds.firstOffset}..${bounds.nextOffset} were stored; its new owner stores them`, { canRetry: false })
      const hash = createHash('sha1')
      for (const m of messages) hash.update(m.value)
      token = `${bounds.group}/${bounds.topic}/${bounds.partition}/${bounds.firstOffset}-${bounds.nextOffset}/${hash.digest('base64url')}`
    }
    if (letters.length > 0) await this.#deadLetter.send(letters)
    const started = performance.now()
    let rows = 0
    for (const table of [...Object.values(TABLE_OF), 'machines']) {
      const list = tables.get(table)
      if (!list) continue
      await insertRows(this.#ch, table, list, token ? { token } : {})
      rows += list.length
    }
    this.stats.insertMs += performance.now() - started

    if (generation === this.#generation) {
      for (const [k, v] of marks) this.#watermarks.set(k, v)
      for (const [k, v] of states) this.#lastStates.set(k, v)
    }
    if (context && pendingKey) {
      this.#pending.delete(pendingKey)
      this.stats.replayed++
    }
    this.stats.batches++
    this.stats.messages += messages.length
    this.stats.rows += rows
    this.stats.malformed += letters.length
    this.stats.duplicates += duplicates
  }
}
