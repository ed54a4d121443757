import { createHash } from 'node:crypto'
import type { Logger } from '../connectors/common/logger.ts'
import type { Clickhouse } from './clickhouse/client.ts'
import { findBatch, loadLastStates, loadWatermarks, recordBatch, type BatchContext, type LastState } from './clickhouse/ingest-state.ts'
import { compileRowReader, FAST_COLUMNS, isFastEventType, RowBuffer, type Ident, type RowReader } from './clickhouse/avro-rows.ts'
import { appendRows, TABLE_OF, type Row } from './clickhouse/rows.ts'
import { insertJsonLines, insertRows } from './clickhouse/writer.ts'
import type { EventCodec } from './codec.ts'
import { StreamError } from './errors.ts'
import { LoggedDeadLetters, type DeadLetter, type DeadLetterSink } from './dead-letter.ts'
import type { EventType, ShopfloorEvent } from './events.ts'
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
  /**
   * Called after each batch is stored, with the machines whose events it stored (none for a batch
   * of duplicates or heartbeats only): lets a live feed in the same process look at once instead of
   * at its next poll. Must not throw or block; errors are logged. Default: none.
   */
  onStored?: (batch: StoredBatch) => void
}

/** What {@link IngestOptions.onStored} hears of a stored batch. */
export interface StoredBatch {
  /** Machine paths with events stored in this batch. */
  machines: readonly string[]
  /** Event tables written (machine_state, production_count, ...). */
  tables: readonly string[]
}

/** The handler the transports call: a plain batch handler that also knows partitions and offsets. */
export type IngestHandler = BatchHandler & Required<PartitionHandler>

const SEP = '\u0000'

/**
 * A decoded message: by avsc into an event object (`event`), or by the fast path straight into
 * its JSON line, bytes [start, end) of its table's body in the batch (`event` undefined).
 */
interface Decoded {
  readonly message: IncomingMessage
  readonly type: EventType
  readonly agent: string
  /** Machine path ('' for heartbeats). */
  readonly machine: string
  readonly seq: number
  /** Watermark key `<stream>\0<agent>\0<machine>`. */
  readonly key: string
  readonly event: ShopfloorEvent | undefined
  readonly start: number
  readonly end: number
}

interface DecodedBatch {
  readonly decoded: Decoded[]
  readonly letters: DeadLetter[]
  /** JSON lines written by the fast path, by table. */
  readonly bodies: Map<string, RowBuffer>
}

function machineOf(e: ShopfloorEvent): string {
  return e.type === 'agent_heartbeat' ? '' : e.event.machine
}

/** What ingest needs of its codec: decoding, and optionally the writer schema of a message (the fast path). */
type IngestCodec = EventCodec & {
  decodeAsync?: (b: Uint8Array) => Promise<ShopfloorEvent>
  writerOf?: EventCodec['writerOf']
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
  readonly #onStored: ((batch: StoredBatch) => void) | undefined
  /** `<stream>\0<agent>\0<machine>` -> highest stored sequence (-1: none). */
  #watermarks = new Map<string, number>()
  /** machine -> its last stored state event (null: none). */
  #lastStates = new Map<string, LastState | null>()
  /** Contexts of batches to replay, by `<topic>/<partition>/<first>-<next>`. */
  #pending = new Map<string, BatchContext>()
  #generation = 0
  /** The tail of the table inserts: one batch's inserts at a time (see #store). */
  #insertLock: Promise<unknown> = Promise.resolve()

  constructor(opts: IngestOptions) {
    this.#ch = opts.clickhouse
    this.#codec = opts.codec
    this.#log = opts.logger.child({ component: 'ingest' })
    this.#deadLetter = opts.deadLetter ?? new LoggedDeadLetters(opts.logger)
    this.#onStored = opts.onStored
  }

  /**
   * The batch handler for a transport. Called as a function (in-process bus) it stores any
   * messages; the Kafka subscriber uses its partition methods, which add the batch ledger.
   */
  readonly handle: IngestHandler = Object.assign((messages: readonly IncomingMessage[]) => this.#store(messages, undefined), {
    storeBatch: (messages: readonly IncomingMessage[], bounds: BatchBounds, owned?: () => boolean, confirm?: () => Promise<boolean>) =>
      this.#store(messages, bounds, owned, confirm),
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
  readonly #prepared = new WeakMap<readonly IncomingMessage[], Promise<DecodedBatch>>()
  /** Fast readers by writer schema (null: the schema is left to avsc). */
  readonly #rowReaders = new WeakMap<object, RowReader | null>()
  /** Watermark keys, by stream, machine and agent: built once, not per message. */
  readonly #keys = new Map<string, Map<string, Map<string, string>>>()
  #keyCount = 0

  #keyOf(type: string, agent: string, machine: string): string {
    let byMachine = this.#keys.get(type)
    if (!byMachine) this.#keys.set(type, (byMachine = new Map()))
    let byAgent = byMachine.get(machine)
    if (!byAgent) byMachine.set(machine, (byAgent = new Map()))
    let key = byAgent.get(agent)
    if (key === undefined) {
      if (this.#keyCount >= 100_000) {
        this.#keys.clear()
        this.#keyCount = 0
      }
      key = `${type}${SEP}${agent}${SEP}${machine}`
      byAgent.set(agent, key)
      this.#keyCount++
    }
    return key
  }

  #rowReader(eventType: EventType, writer: { schema(): unknown }): RowReader | undefined {
    let r = this.#rowReaders.get(writer)
    if (r === undefined) {
      r = compileRowReader(eventType, writer.schema(), this.#codec.schemaOf(eventType).schema) ?? null
      this.#rowReaders.set(writer, r)
    }
    return r ?? undefined
  }

  #slowItem(message: IncomingMessage, event: ShopfloorEvent): Decoded {
    const machine = machineOf(event)
    return { message, type: event.type, agent: event.event.agent_id, machine, seq: event.event.seq, key: this.#keyOf(event.type, event.event.agent_id, machine), event, start: 0, end: 0 }
  }

  async #decode(messages: readonly IncomingMessage[]): Promise<DecodedBatch> {
    const letters: DeadLetter[] = []
    const out: Decoded[] = []
    const bodies = new Map<string, RowBuffer>()
    const codec = this.#codec as IngestCodec
    const fast = typeof codec.writerOf === 'function'
    for (const message of messages) {
      if (fast) {
        // The fast path: the body read straight into its table's JSON line (clickhouse/avro-rows.ts).
        const w = codec.writerOf(message.value)
        if (w && isFastEventType(w.eventType)) {
          const reader = this.#rowReader(w.eventType, w.type)
          if (reader) {
            const table = TABLE_OF[w.eventType]
            let body = bodies.get(table)
            if (!body) bodies.set(table, (body = new RowBuffer(Math.max(1 << 16, messages.length * 192))))
            const start = body.length
            if (reader.read(message.value, w.bodyStart, body)) {
              const ident = reader.ident as Ident
              ident.key ??= `${w.eventType}${SEP}${ident.agent}${SEP}${ident.machine}`
              out.push({ message, type: w.eventType, agent: ident.agent, machine: ident.machine, seq: reader.seq, key: ident.key, event: undefined, start, end: body.length })
              continue
            }
          }
        }
      }
      try {
        out.push(this.#slowItem(message, codec.decode(message.value)))
      } catch (err) {
        if (codec.decodeAsync) {
          try {
            out.push(this.#slowItem(message, await codec.decodeAsync(message.value)))
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
    return { decoded: out, letters, bodies }
  }

  /**
   * Loads into `marks`/`lastStates` (the caches as they were when the batch began) the watermarks
   * and last states of keys this batch touches and the caches lack.
   */
  async #prime(decoded: readonly Decoded[], context: BatchContext | undefined, watermarks: Map<string, number>, lastStates: Map<string, LastState | null>): Promise<void> {
    const missingMarks = new Map<string, Set<string>>()
    const missingStates = new Set<string>()
    for (const { type, machine, key } of decoded) {
      if (context && key in context.watermarks) watermarks.set(key, context.watermarks[key] as number)
      else if (!watermarks.has(key)) {
        const set = missingMarks.get(type) ?? new Set<string>()
        set.add(machine)
        missingMarks.set(type, set)
      }
      if (type === 'machine_state') {
        if (context && machine in context.lastStates) lastStates.set(machine, context.lastStates[machine] ?? null)
        else if (!lastStates.has(machine)) missingStates.add(machine)
      }
    }
    for (const [stream, machines] of missingMarks) {
      const list = [...machines]
      const loaded = await loadWatermarks(this.#ch, stream, list)
      for (const { type, agent, machine, key } of decoded) {
        if (type !== stream) continue
        if (!watermarks.has(key)) watermarks.set(key, loaded.get(`${agent}${SEP}${machine}`) ?? -1)
      }
    }
    if (missingStates.size > 0) {
      const loaded = await loadLastStates(this.#ch, [...missingStates])
      for (const m of missingStates) lastStates.set(m, loaded.get(m) ?? null)
    }
  }

  async #store(messages: readonly IncomingMessage[], bounds: BatchBounds | undefined, owned?: () => boolean, confirm?: () => Promise<boolean>): Promise<void> {
    if (messages.length === 0) return
    const generation = this.#generation
    const prepared = this.#prepared.get(messages)
    this.#prepared.delete(messages)
    const { decoded, letters, bodies } = await (prepared ?? this.#decode(messages))
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
    /** Fast-path tables that lost rows to the filter: their bodies are rebuilt from what is kept. */
    const dropped = new Set<string>()
    let duplicates = 0
    const storedMachines = new Set<string>()
    const kept: boolean[] = new Array<boolean>(decoded.length).fill(false)
    for (let i = 0; i < decoded.length; i++) {
      const { message, event, type, machine, key, seq } = decoded[i] as Decoded
      let mark = marks.get(key)
      if (mark === undefined) {
        mark = watermarks.get(key) ?? -1
        before.watermarks[key] = mark
      }
      if (seq <= mark) {
        duplicates++
        marks.set(key, mark)
        if (!event) dropped.add(TABLE_OF[type])
        continue
      }
      if (event) {
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
      }
      kept[i] = true
      marks.set(key, seq)
      if (machine) storedMachines.add(machine)
    }

    // The fast path's bodies, less the lines of events filtered out, plus the lines of events of
    // the same tables that avsc read (an older writer schema, say): one insert per table.
    const lines = new Map<string, { columns: readonly string[]; body: Buffer; rows: number }>()
    for (const [table, body] of bodies) {
      const type = table as keyof typeof FAST_COLUMNS
      let out = body
      if (dropped.has(table)) {
        out = new RowBuffer(body.length)
        for (let i = 0; i < decoded.length; i++) {
          const d = decoded[i] as Decoded
          if (kept[i] && !d.event && TABLE_OF[d.type] === table) {
            out.copy(body.buf, d.start, d.end)
            out.rows++
          }
        }
      }
      const slow = tables.get(table)
      if (slow) {
        for (const row of slow) out.text(`${JSON.stringify(FAST_COLUMNS[type].map((c) => row[c] ?? null))}\n`)
        out.rows += slow.length
        tables.delete(table)
      }
      if (out.rows > 0) lines.set(table, { columns: FAST_COLUMNS[type], body: out.bytes(), rows: out.rows })
    }

    let token: string | undefined
    if (bounds) {
      const moved = (): StreamError =>
        new StreamError('SHOPFLOOR_INGEST_PARTITION_MOVED', `partition ${bounds.topic}/${bounds.partition} moved to another ingest worker before offsets ${bounds.firstOffset}..${bounds.nextOffset} were stored; its new owner stores them`, { canRetry: false })
      // A zombie (a worker that stalled past its session, its partitions given to another) must
      // neither record nor insert: the coordinator, asked before the ledger entry and again after
      // it, says whether this member still owns the partition (docs/clickhouse.md, "Deduplication").
      // The entry's version is the time of that first check: a successor is assigned the partition
      // only after it, so its own entry for the same offsets ranks above one a zombie writes late.
      const checked = Date.now()
      if (confirm && !(await confirm())) throw moved()
      await recordBatch(this.#ch, { ...bounds, context: context ?? before, written: checked })
      // A rebalance began meanwhile: the next owner may have read the ledger before this entry.
      // Stop here; it replays the batch (with this entry if it saw it, else on its own terms).
      if (owned && !owned()) throw moved()
      // Past this check the partition cannot move before the insert without this member's
      // session expiring first; a successor then finds this entry and replays this very batch
      // with the same token, so whichever insert comes second changes nothing.
      if (confirm && !(await confirm())) throw moved()
      const hash = createHash('sha1')
      for (const m of messages) hash.update(m.value)
      token = `${bounds.group}/${bounds.topic}/${bounds.partition}/${bounds.firstOffset}-${bounds.nextOffset}/${hash.digest('base64url')}`
    }
    if (letters.length > 0) await this.#deadLetter.send(letters)
    let rows = 0
    const written: string[] = []
    // Batches of several partitions are stored at once (their fences, ledger entries and decoding
    // overlap), but their inserts take turns: concurrent inserts into chDB only slow each other.
    const insertAll = async (): Promise<void> => {
      const started = performance.now()
      for (const table of [...Object.values(TABLE_OF), 'machines']) {
        const fast = lines.get(table)
        const list = tables.get(table)
        if (fast) {
          await insertJsonLines(this.#ch, table, fast.columns, fast.body, fast.rows, token ? { token } : {})
          rows += fast.rows
        } else if (list) {
          await insertRows(this.#ch, table, list, token ? { token } : {})
          rows += list.length
        } else continue
        written.push(table)
      }
      this.stats.insertMs += performance.now() - started
    }
    const inserted = this.#insertLock.then(insertAll)
    this.#insertLock = inserted.catch(() => {})
    await inserted

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
    if (this.#onStored && storedMachines.size > 0) {
      try {
        this.#onStored({ machines: [...storedMachines], tables: written })
      } catch (err) {
        this.#log.warn({ err }, 'onStored callback failed')
      }
    }
  }
}
