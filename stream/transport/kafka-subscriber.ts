import type { Consumer, EachBatchPayload } from 'kafkajs'
import { kafkaClient, kafkaConnectError, type KafkaOptions } from './kafka-client.ts'
import type { BatchHandler, IncomingMessage, Subscriber } from './transport.ts'

/** One partition's batch: offsets [firstOffset, nextOffset). */
export interface BatchBounds {
  /** The consumer group reading the partition. */
  readonly group: string
  readonly topic: string
  readonly partition: number
  readonly firstOffset: string
  readonly nextOffset: string
}

/**
 * A batch handler that knows about partitions and offsets (ingest). The subscriber hands it one
 * partition's contiguous messages at a time, and after every assignment asks whether a batch was
 * begun, and maybe not finished, by an earlier owner: that batch is then offered again with
 * exactly the same offsets.
 */
export interface PartitionHandler {
  /**
   * Stores one partition's batch; resolves only once stored. `owned()` turns false as soon as a
   * rebalance begins: a handler that records the batch before inserting it checks it in between,
   * so that a batch it records is always one the partition's next owner finds (see ingest.ts).
   * `confirm()` asks the group coordinator: it commits the batch's first offset (already the
   * committed one) under this member's generation, and resolves false when the broker refuses
   * because the group has moved on. A worker that stalled past its session (a zombie, its
   * partitions given to another) learns so there, even before its consumer does.
   */
  storeBatch(messages: readonly IncomingMessage[], bounds: BatchBounds, owned?: () => boolean, confirm?: () => Promise<boolean>): Promise<void>
  /**
   * Called with a batch just before {@link storeBatch}, so the handler can start the work that
   * needs no store (decoding). Batches of different partitions are stored at the same time (one
   * at a time per partition): a handler serialises what must not overlap (ingest: its inserts).
   */
  prepareBatch?(messages: readonly IncomingMessage[]): void
  /** The batch begun at or around `firstOffset` of this partition and maybe not committed. */
  pendingBatch?(group: string, topic: string, partition: number, firstOffset: string): Promise<BatchBounds | undefined>
  /** Partitions changed hands: forget what was cached per partition. */
  reassigned?(): void
}

export interface KafkaSubscriberOptions extends KafkaOptions {
  /** Consumer group. Default `shopfloor-ingest`. */
  groupId?: string
  topics: readonly string[]
  /** Pause before a failed batch is offered again, ms. Default 1000. */
  retryDelayMs?: number
  /** A partition's batch is stored once it holds this many messages. Default 20,000. */
  batchMessages?: number
  /** …or once its oldest message has waited this long, ms. Default 200. */
  batchDelayMs?: number
  /** Most bytes one fetch returns per partition. Default 4 MiB. */
  maxBytesPerPartition?: number
  /**
   * How long the group waits for a silent member (a crashed worker) before giving its partitions
   * to others, ms. At least the broker's group.min.session.timeout.ms (6000). Default 30,000.
   */
  sessionTimeoutMs?: number
  /**
   * Partitions kafkajs hands over at once (`partitionsConsumedConcurrently`). Each partition's
   * batches are stored one after another, different partitions' at the same time (the handler's
   * `storeBatch` is called concurrently); above 1, a partition whose buffer is full (and waits for
   * its stores) does not hold up the delivery of the others. Default 3.
   */
  concurrency?: number
}

export interface KafkaSubscriberStats {
  /** Batches stored and committed. */
  batches: number
  messages: number
  /** Offset commits that failed (the partition moved, or the broker was away): the batch is read again. */
  commitFailures: number
  /** Group rebalances seen. */
  rebalances: number
  /** Buffered messages dropped at a rebalance, before they were stored: their new owner reads them. */
  droppedOnRebalance: number
  /** Messages behind the end of the assigned partitions (buffered plus not yet fetched). */
  lag: number
  /** Batches not stored because the group coordinator no longer counted this member in (see `confirm`). */
  fencedOut: number
}

/** Messages of one delivery still buffered, and when they arrived. */
interface Arrival {
  count: number
  readonly at: number
}

/** When the oldest buffered message of a partition arrived (now when none is buffered). */
const oldestArrival = (st: PartitionState): number => st.arrivals[0]?.at ?? Date.now()

interface PartitionState {
  readonly topic: string
  readonly partition: number
  readonly generation: number
  messages: IncomingMessage[]
  /** Buffered messages by delivery, oldest first: how many, and when they arrived. */
  arrivals: Arrival[]
  /** Offset after the last buffered message. */
  next: bigint | undefined
  /** A pending batch to replay ends here: the first batch is cut exactly at it. */
  end: bigint | undefined
  checked: boolean
  timer: NodeJS.Timeout | undefined
  /** Serialises this partition's flushes. */
  lock: Promise<unknown>
  fetchLag: number
  /** A drain is running or queued on the lock. */
  draining: boolean
}

const isPartitionHandler = (h: BatchHandler | PartitionHandler): h is PartitionHandler =>
  typeof (h as Partial<PartitionHandler>).storeBatch === 'function'

/**
 * Consumer group member that batches each partition by size and time, hands a batch to the
 * handler, and commits the partition's offset only after the handler has stored it. Offsets are
 * never committed for messages not stored. A failing handler gets the same batch again.
 *
 * Rebalances: at every rebalance the buffers are dropped (their messages are re-read by whoever
 * owns the partition next, from the committed offset) and a flush in progress neither commits
 * nor is retried once the partition's generation has passed. With a {@link PartitionHandler},
 * the first batch after an assignment is cut where a batch begun by an earlier owner ended, so
 * the handler can replay it exactly.
 */
export class KafkaSubscriber implements Subscriber {
  readonly stats: KafkaSubscriberStats = { batches: 0, messages: 0, commitFailures: 0, rebalances: 0, droppedOnRebalance: 0, lag: 0, fencedOut: 0 }
  readonly #consumer: Consumer
  readonly #opts: KafkaSubscriberOptions
  readonly #batchMessages: number
  readonly #batchDelayMs: number
  readonly #retryDelayMs: number
  readonly #groupId: string
  readonly #partitions = new Map<string, PartitionState>()
  #generation = 0
  #closed = false
  #handler: PartitionHandler | undefined
  readonly #log

  constructor(opts: KafkaSubscriberOptions) {
    this.#opts = opts
    this.#batchMessages = opts.batchMessages ?? 20_000
    this.#batchDelayMs = opts.batchDelayMs ?? 200
    this.#retryDelayMs = opts.retryDelayMs ?? 1000
    this.#groupId = opts.groupId ?? 'shopfloor-ingest'
    this.#log = opts.logger.child({ component: 'kafka-consumer' })
    const perPartition = opts.maxBytesPerPartition ?? 4 * 1024 * 1024
    this.#consumer = kafkaClient(opts).consumer({
      groupId: this.#groupId,
      maxWaitTimeInMs: Math.min(250, this.#batchDelayMs),
      maxBytesPerPartition: perPartition,
      maxBytes: perPartition * 4,
      sessionTimeout: opts.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: Math.min(3000, Math.floor((opts.sessionTimeoutMs ?? 30_000) / 3)),
    })
    const { REBALANCING, GROUP_JOIN, STOP } = this.#consumer.events
    // kafkajs emits REBALANCING before it sends JoinGroup: a store that sees its partition still
    // current after recording its batch recorded it before any other member could be assigned it.
    this.#consumer.on(REBALANCING, () => this.#nextGeneration('rebalancing'))
    this.#consumer.on(GROUP_JOIN, (e) => this.#nextGeneration('joined', e.payload.memberAssignment))
    this.#consumer.on(STOP, () => this.#nextGeneration('stopped'))
  }

  async run(onBatch: BatchHandler | PartitionHandler): Promise<void> {
    this.#handler = isPartitionHandler(onBatch) ? onBatch : { storeBatch: (messages) => onBatch(messages) }
    try {
      await this.#consumer.connect()
      await this.#consumer.subscribe({ topics: [...this.#opts.topics], fromBeginning: true })
    } catch (cause) {
      throw kafkaConnectError(this.#opts, cause, 'joining the consumer group')
    }
    await this.#consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: this.#opts.concurrency ?? 3,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.#eachBatch(payload),
    })
  }

  /** Stores what is buffered (when the partition is still ours), then leaves the group. */
  async close(): Promise<void> {
    if (!this.#closed) {
      const states = [...this.#partitions.values()]
      await Promise.all(states.map((st) => this.#locked(st, () => this.#drain(st, true, undefined)))).catch((err: unknown) => {
        this.#log.warn({ err }, 'buffered batches not stored at close: they are read again by the next owner')
      })
      this.#closed = true
      for (const st of this.#partitions.values()) clearTimeout(st.timer)
    }
    await this.#consumer.disconnect()
  }

  #nextGeneration(why: string, assignment?: Record<string, number[]>): void {
    this.#generation++
    if (why === 'rebalancing') this.stats.rebalances++
    for (const st of this.#partitions.values()) {
      clearTimeout(st.timer)
      this.stats.droppedOnRebalance += st.messages.length
    }
    this.#partitions.clear()
    this.#handler?.reassigned?.()
    this.#updateLag()
    this.#log.info({ why, generation: this.#generation, ...(assignment ? { assignment } : {}) }, 'partitions reassigned')
  }

  #state(topic: string, partition: number): PartitionState {
    const key = `${topic}\u0000${partition}`
    let st = this.#partitions.get(key)
    if (!st) {
      st = { topic, partition, generation: this.#generation, messages: [], arrivals: [], next: undefined, end: undefined, checked: false, timer: undefined, lock: Promise.resolve(), fetchLag: 0, draining: false }
      this.#partitions.set(key, st)
    }
    return st
  }

  #current(st: PartitionState): boolean {
    return !this.#closed && st.generation === this.#generation && this.#partitions.get(`${st.topic}\u0000${st.partition}`) === st
  }

  async #eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0 || !isRunning() || this.#closed) return
    const st = this.#state(batch.topic, batch.partition)
    if (isStale()) {
      // A seek moved this partition: what is buffered no longer follows on.
      this.stats.droppedOnRebalance += st.messages.length
      st.messages = []
      st.arrivals = []
      st.next = undefined
      return
    }
    const handler = this.#handler as PartitionHandler
    const first = batch.messages[0]?.offset as string
    if (!st.checked) {
      const pending = await handler.pendingBatch?.(this.#groupId, batch.topic, batch.partition, first)
      if (!this.#current(st)) return
      if (pending && BigInt(pending.firstOffset) === BigInt(first)) {
        st.end = BigInt(pending.nextOffset)
        this.#log.info({ topic: batch.topic, partition: batch.partition, from: pending.firstOffset, to: pending.nextOffset }, 'replaying a batch begun by an earlier owner')
      }
      st.checked = true
    }
    const arrived = Date.now()
    const buffered = st.messages.length
    for (const m of batch.messages) {
      const offset = BigInt(m.offset)
      if (st.next !== undefined && offset < st.next) continue
      st.messages.push({ topic: batch.topic, partition: batch.partition, key: m.key ? m.key.toString() : null, value: m.value ?? Buffer.alloc(0), offset: m.offset })
      st.next = offset + 1n
    }
    if (st.messages.length > buffered) st.arrivals.push({ count: st.messages.length - buffered, at: arrived })
    // Moves kafkajs's fetch position on; the committed offset stays where the last stored batch ended.
    resolveOffset(batch.lastOffset())
    st.fetchLag = Number(batch.offsetLag())
    // Batches are stored off kafkajs's fetch loop, so the next messages are fetched and decoded
    // while one batch is inserted; past three batches' worth buffered, fetching waits.
    this.#kick(st)
    if (st.messages.length >= 3 * this.#batchMessages) await st.lock
    this.#arm(st)
    this.#updateLag()
    await heartbeat()
  }

  /** Starts draining the partition's due batches in the background, once at a time. */
  #kick(st: PartitionState): void {
    if (st.draining) return
    st.draining = true
    void this.#locked(st, () => this.#drain(st, false, undefined))
      .catch((err: unknown) => this.#log.warn({ err, topic: st.topic, partition: st.partition }, 'flush failed'))
      .finally(() => {
        st.draining = false
        if (this.#current(st) && st.messages.length >= this.#batchMessages && st.end === undefined) this.#kick(st)
        this.#arm(st)
        this.#updateLag()
      })
  }

  #locked(st: PartitionState, fn: () => Promise<void>): Promise<void> {
    const run = st.lock.then(fn)
    st.lock = run.catch(() => {})
    return run
  }

  /** Flushes the partition's due batches: full ones, the replayed one once complete, or all when `force` (timer, close). */
  async #drain(st: PartitionState, force: boolean, heartbeat: (() => Promise<void>) | undefined): Promise<void> {
    while (st.messages.length > 0 && this.#current(st)) {
      let count: number
      if (st.end !== undefined) {
        const end = st.end
        count = st.messages.findIndex((m) => BigInt(m.offset) >= end)
        if (count === -1) {
          if ((st.next ?? 0n) < end) return // the replayed batch is not complete yet
          count = st.messages.length
        }
        if (count === 0) {
          st.end = undefined
          continue
        }
      } else if (st.messages.length >= this.#batchMessages) count = this.#batchMessages
      else if (force || Date.now() - oldestArrival(st) >= this.#batchDelayMs) count = st.messages.length
      else return
      if (!(await this.#flush(st, count, heartbeat))) return
    }
  }

  async #flush(st: PartitionState, count: number, heartbeat: (() => Promise<void>) | undefined): Promise<boolean> {
    const messages = st.messages.slice(0, count)
    const last = messages[messages.length - 1] as IncomingMessage
    const bounds: BatchBounds = { group: this.#groupId, topic: st.topic, partition: st.partition, firstOffset: (messages[0] as IncomingMessage).offset, nextOffset: String(BigInt(last.offset) + 1n) }
    const handler = this.#handler as PartitionHandler
    for (;;) {
      if (!this.#current(st)) return false
      try {
        handler.prepareBatch?.(messages)
        await handler.storeBatch(messages, bounds, () => this.#current(st), () => this.#confirm(st, bounds))
        if (!this.#current(st)) return false
        break
      } catch (err) {
        this.#log.warn({ err, topic: st.topic, partition: st.partition, from: bounds.firstOffset, to: bounds.nextOffset }, 'batch not stored; retrying')
        await new Promise((r) => setTimeout(r, this.#retryDelayMs))
        await heartbeat?.()
      }
    }
    // Stored, but the partition moved meanwhile: its new owner reads the batch again, and the
    // handler's idempotence absorbs it. Committing now could only fail or race the owner.
    if (!this.#current(st)) return false
    try {
      await this.#consumer.commitOffsets([{ topic: st.topic, partition: st.partition, offset: bounds.nextOffset }])
    } catch (err) {
      this.stats.commitFailures++
      this.#log.warn({ err, topic: st.topic, partition: st.partition, offset: bounds.nextOffset }, 'offset commit failed; the batch will be read again')
      return false
    }
    st.messages.splice(0, count)
    // What stays buffered has waited since it arrived, not since this flush: a remainder delivered
    // with the batches before it is due once its own oldest message has waited the delay (it used
    // to wait the whole delay again after the last full batch, idling the partition).
    for (let n = count; n > 0 && st.arrivals.length > 0; ) {
      const a = st.arrivals[0] as Arrival
      if (a.count <= n) {
        n -= a.count
        st.arrivals.shift()
      } else {
        a.count -= n
        n = 0
      }
    }
    if (st.end !== undefined && BigInt(bounds.nextOffset) >= st.end) st.end = undefined
    this.stats.batches++
    this.stats.messages += count
    this.#updateLag()
    return true
  }

  /** The fence of {@link PartitionHandler.storeBatch}'s `confirm`. */
  async #confirm(st: PartitionState, bounds: BatchBounds): Promise<boolean> {
    if (!this.#current(st)) return false
    try {
      await this.#consumer.commitOffsets([{ topic: bounds.topic, partition: bounds.partition, offset: bounds.firstOffset }])
    } catch (err) {
      this.stats.fencedOut++
      this.#log.warn({ err, topic: bounds.topic, partition: bounds.partition, from: bounds.firstOffset }, 'the group coordinator refused this member: its partitions belong to another now')
      // Drop every partition now, as a rebalance would: no flush retries a batch the coordinator
      // refused, fetching resumes, and the consumer learns of the new generation and rejoins.
      if (this.#current(st)) this.#nextGeneration('fenced out')
      return false
    }
    return this.#current(st)
  }

  /** A timer stores a partition's last messages when no more arrive within the batch delay. */
  #arm(st: PartitionState): void {
    if (st.timer || st.messages.length === 0 || !this.#current(st)) return
    const wait = Math.max(0, this.#batchDelayMs - (Date.now() - oldestArrival(st)))
    st.timer = setTimeout(() => {
      st.timer = undefined
      void this.#locked(st, () => this.#drain(st, true, undefined))
        .catch((err: unknown) => this.#log.warn({ err, topic: st.topic, partition: st.partition }, 'timed flush failed'))
        .finally(() => this.#arm(st))
    }, wait)
  }

  #updateLag(): void {
    let lag = 0
    for (const st of this.#partitions.values()) lag += st.fetchLag + st.messages.length
    this.stats.lag = lag
  }
}
