import { silentLogger, type Logger } from '../connectors/common/logger.ts'
import type { Publisher } from '../stream/index.ts'
import type { Spool, SpoolBatch } from './spool/index.ts'

export interface ForwarderOptions {
  /** Most records per send. Default 1000 (smaller batches keep a 10,000-tag agent under 200 MB; bench/agent.bench.ts). */
  maxBatchRecords?: number
  /** Most bytes of spooled frames per send (a single larger record still goes alone). Default 256 KiB. */
  maxBatchBytes?: number
  /** Pause after the spool becomes readable before reading, so one poll's burst goes in one send, ms. Default 5. */
  lingerMs?: number
  /** First delay before a failed send is tried again, ms; doubles on every failure. Default 500. */
  retryInitialMs?: number
  /** Longest delay between tries, ms. Default 10,000. */
  retryMaxMs?: number
  /** Where failing/recovered is logged. Default: nowhere. */
  logger?: Logger
}

export interface ForwarderStats {
  /** Records the transport acknowledged since start. */
  sent: number
  /** Batches sent. */
  batches: number
  /** Failed sends (each batch is kept and tried again). */
  errors: number
  /** Whether sending fails at the moment. */
  failing: boolean
  /** Records sent per second, over the last minute. */
  ratePerS: number
}

const RATE_WINDOW_S = 60

/**
 * Moves records from the spool to the transport: reads a batch, sends it, and acknowledges it in
 * the spool only once `send` resolved, so every record is delivered at least once. A failed batch
 * is kept and sent again with backoff (the change failing/recovered is logged, not each try).
 * Appending to the spool never waits for it.
 */
export class Forwarder {
  readonly #spool: Spool
  readonly #publisher: Publisher
  readonly #log: Logger
  readonly #maxRecords: number
  readonly #maxBytes: number
  readonly #lingerMs: number
  readonly #retryInitialMs: number
  readonly #retryMaxMs: number
  #loop: Promise<void> | undefined
  #closed = false
  #closedSignal: () => void = () => {}
  readonly #closing: Promise<'closed'>
  #wakeRetry: (() => void) | undefined
  #progress: Array<() => void> = []
  #flushing = 0
  /** Where the spool's reader stands: the end of the last batch read. */
  #readTo = 0
  #sent = 0
  #batches = 0
  #sendErrors = 0
  #failingSince: number | undefined
  #errorsInOutage = 0
  readonly #rate = new Float64Array(RATE_WINDOW_S)
  #rateSec = 0

  constructor(spool: Spool, publisher: Publisher, opts: ForwarderOptions = {}) {
    this.#spool = spool
    this.#publisher = publisher
    this.#log = (opts.logger ?? silentLogger).child({ component: 'forwarder' })
    this.#maxRecords = opts.maxBatchRecords ?? 1000
    this.#maxBytes = opts.maxBatchBytes ?? 256 * 1024
    this.#lingerMs = opts.lingerMs ?? 5
    this.#retryInitialMs = opts.retryInitialMs ?? 500
    this.#retryMaxMs = opts.retryMaxMs ?? 10_000
    this.#closing = new Promise((resolve) => (this.#closedSignal = () => resolve('closed')))
  }

  get stats(): ForwarderStats {
    return {
      sent: this.#sent,
      batches: this.#batches,
      errors: this.#sendErrors,
      failing: this.#failingSince !== undefined,
      ratePerS: this.#publishRate(),
    }
  }

  /** Begins sending what the spool holds and whatever is appended later. */
  start(): void {
    if (this.#loop || this.#closed) return
    this.#readTo = this.#spool.ackedSeq
    this.#loop = this.#run().catch((err: unknown) => {
      this.#log.error({ err }, 'forwarder stopped on an unexpected error; events stay in the spool')
    })
  }

  /**
   * Sends what it can until the spool is empty or `timeoutMs` has passed (a failing send is tried
   * again at once, then with the usual backoff). Returns the records left in the spool.
   */
  async flush(timeoutMs: number): Promise<number> {
    this.start()
    const deadline = Date.now() + timeoutMs
    this.#flushing++
    this.#wakeRetry?.()
    try {
      while (!this.#closed && this.#spool.depth > 0 && Date.now() < deadline) {
        let timer: NodeJS.Timeout | undefined
        await Promise.race([
          new Promise<void>((resolve) => this.#progress.push(resolve)),
          new Promise<void>((resolve) => (timer = setTimeout(resolve, deadline - Date.now()))),
        ])
        clearTimeout(timer)
      }
    } finally {
      this.#flushing--
    }
    return this.#spool.depth
  }

  /**
   * Stops sending. A send in flight is not waited for: its records stay in the spool unacknowledged
   * and go again after the next start (ingest drops duplicates by event id).
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#closedSignal()
    this.#wakeRetry?.()
    for (const p of this.#progress.splice(0)) p()
    await this.#loop
  }

  async #run(): Promise<void> {
    let batch: SpoolBatch | undefined
    let delay = this.#retryInitialMs
    while (!this.#closed) {
      if (!batch) {
        await Promise.race([this.#spool.whenReadable(), this.#closing])
        if (this.#closed) return
        // Linger only when caught up: with a backlog the next batch is already full.
        if (this.#lingerMs > 0 && this.#flushing === 0 && this.#spool.nextSeq - this.#readTo < this.#maxRecords) await this.#sleep(this.#lingerMs)
        try {
          batch = this.#spool.read(this.#maxRecords, this.#maxBytes)
          this.#readTo = batch.next
        } catch (err) {
          // Unreadable spool (I/O error): try again later; appends carry on.
          this.#failed(err, 'reading the spool failed')
          await this.#sleep(delay)
          delay = Math.min(delay * 2, this.#retryMaxMs)
          continue
        }
        if (batch.records.length === 0) {
          // Only damaged records were skipped: nothing to send, move the cursor past them.
          this.#spool.ack(batch.next)
          batch = undefined
          continue
        }
      }
      const sending = this.#publisher.send(batch.records)
      const outcome = await Promise.race([sending.then(() => 'sent' as const, (err: unknown) => ({ err })), this.#closing])
      if (outcome === 'closed') {
        sending.catch(() => {}) // abandoned: its records are replayed after the next start
        return
      }
      if (outcome === 'sent') {
        this.#spool.ack(batch.next)
        this.#count(batch.records.length)
        batch = undefined
        delay = this.#retryInitialMs
        if (this.#failingSince !== undefined) {
          this.#log.info({ failedForMs: Date.now() - this.#failingSince, sendErrors: this.#errorsInOutage, depth: this.#spool.depth }, 'publishing recovered')
          this.#failingSince = undefined
          this.#errorsInOutage = 0
        }
      } else {
        this.#sendErrors++
        this.#failed(outcome.err, 'publishing failed; events stay in the spool and are sent again')
      }
      for (const p of this.#progress.splice(0)) p()
      if (outcome !== 'sent') {
        await this.#sleep(delay)
        delay = Math.min(delay * 2, this.#retryMaxMs)
      }
    }
  }

  #failed(err: unknown, message: string): void {
    this.#errorsInOutage++
    if (this.#failingSince !== undefined) return
    this.#failingSince = Date.now()
    const e = err as { code?: string; canRetry?: boolean; message?: string }
    // An error that waiting will not fix (a missing topic) is an error; an outage is a warning.
    this.#log[e.canRetry === false ? 'error' : 'warn']({ err: e.message, code: e.code, depth: this.#spool.depth }, message)
  }

  /** Waits `ms`, or less when flushed or closed. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms)
      const self = this
      function done(): void {
        clearTimeout(t)
        if (self.#wakeRetry === done) self.#wakeRetry = undefined
        resolve()
      }
      this.#wakeRetry = done
    })
  }

  #count(n: number): void {
    this.#sent += n
    this.#batches++
    this.#advanceRate()
    this.#rate[this.#rateSec % RATE_WINDOW_S] = (this.#rate[this.#rateSec % RATE_WINDOW_S] as number) + n
  }

  #advanceRate(): void {
    const sec = Math.floor(Date.now() / 1000)
    for (let s = Math.max(this.#rateSec + 1, sec - RATE_WINDOW_S + 1); s <= sec; s++) this.#rate[s % RATE_WINDOW_S] = 0
    this.#rateSec = Math.max(this.#rateSec, sec)
  }

  #publishRate(): number {
    this.#advanceRate()
    let sum = 0
    for (const v of this.#rate) sum += v
    return sum / RATE_WINDOW_S
  }
}
