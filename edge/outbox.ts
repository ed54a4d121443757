import type { Logger } from '../connectors/common/logger.ts'
import type { OutgoingMessage, Publisher } from '../stream/index.ts'

export interface OutboxOptions {
  /** Largest batch per send. Default 2000 messages. */
  maxBatch?: number
  /** Wait after the first message before sending, to fill a batch, ms. Default 50. */
  lingerMs?: number
  /** Messages held at most; past it the oldest are dropped and counted. Default 1,000,000. */
  maxQueued?: number
  /** First retry delay after a failed send, ms; doubles up to 10 s. Default 500. */
  retryDelayMs?: number
}

export interface OutboxStats {
  queued: number
  sent: number
  dropped: number
  sendErrors: number
  oldestQueuedMs: number | null
}

/**
 * Holds encoded events until the transport has them, in order, and sends them in batches. Reading
 * the PLCs never waits for it: `push` only appends. When sends fail it keeps everything and
 * retries with backoff, logging the change of state (failing, recovered), not every attempt.
 *
 * This in-memory outbox is the foundation's; the durable on-disk spool takes its place (issue 4).
 */
export class Outbox {
  readonly #publisher: Publisher
  readonly #log: Logger
  readonly #maxBatch: number
  readonly #lingerMs: number
  readonly #maxQueued: number
  readonly #retryDelayMs: number
  readonly #queue: Array<{ msg: OutgoingMessage; at: number }> = []
  #sent = 0
  #dropped = 0
  #sendErrors = 0
  #failing = false
  #timer: NodeJS.Timeout | undefined
  #sending: Promise<void> | undefined
  #closed = false

  constructor(publisher: Publisher, logger: Logger, opts: OutboxOptions = {}) {
    this.#publisher = publisher
    this.#log = logger.child({ component: 'outbox' })
    this.#maxBatch = opts.maxBatch ?? 2000
    this.#lingerMs = opts.lingerMs ?? 50
    this.#maxQueued = opts.maxQueued ?? 1_000_000
    this.#retryDelayMs = opts.retryDelayMs ?? 500
  }

  push(msg: OutgoingMessage): void {
    this.#queue.push({ msg, at: Date.now() })
    if (this.#queue.length > this.#maxQueued) {
      const n = this.#queue.length - this.#maxQueued
      this.#queue.splice(0, n)
      this.#dropped += n
      this.#log.error({ dropped: this.#dropped }, `outbox full (${this.#maxQueued} events): dropped the oldest`)
    }
    this.#schedule(this.#lingerMs)
  }

  get stats(): OutboxStats {
    const first = this.#queue[0]
    return { queued: this.#queue.length, sent: this.#sent, dropped: this.#dropped, sendErrors: this.#sendErrors, oldestQueuedMs: first ? Date.now() - first.at : null }
  }

  /** Sends what is queued; resolves when the queue is empty or `timeoutMs` has passed. Returns what is left. */
  async flush(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs
    while (this.#queue.length > 0 && Date.now() < deadline) {
      if (!this.#sending) this.#schedule(0)
      await (this.#sending ?? new Promise((r) => setTimeout(r, 20)))
      if (this.#failing) await new Promise((r) => setTimeout(r, Math.min(200, Math.max(0, deadline - Date.now()))))
    }
    return this.#queue.length
  }

  close(): void {
    this.#closed = true
    clearTimeout(this.#timer)
  }

  #schedule(delay: number): void {
    if (this.#timer || this.#sending || this.#closed) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.#sending = this.#sendOnce().finally(() => {
        this.#sending = undefined
      })
    }, delay)
  }

  async #sendOnce(): Promise<void> {
    let delay = this.#retryDelayMs
    while (this.#queue.length > 0 && !this.#closed) {
      const batch = this.#queue.slice(0, this.#maxBatch)
      try {
        await this.#publisher.send(batch.map((b) => b.msg))
        // Drops at the head while sending would shift the queue; only remove what is still ours.
        const start = this.#queue.indexOf(batch[0] as (typeof batch)[number])
        if (start >= 0) this.#queue.splice(start, batch.length)
        this.#sent += batch.length
        delay = this.#retryDelayMs
        if (this.#failing) {
          this.#failing = false
          this.#log.info({ queued: this.#queue.length }, 'publishing recovered')
        }
      } catch (err) {
        this.#sendErrors++
        if (!this.#failing) {
          this.#failing = true
          this.#log.warn({ err, queued: this.#queue.length }, 'publishing failed; keeping events and retrying')
        }
        await new Promise((r) => setTimeout(r, delay))
        delay = Math.min(delay * 2, 10_000)
      }
    }
  }
}
