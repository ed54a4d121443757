import type { BatchHandler, IncomingMessage, OutgoingMessage, Publisher, Subscriber } from './transport.ts'

export interface InProcessBusOptions {
  /** Largest batch handed to the subscriber. Default 5000 messages. */
  maxBatch?: number
  /** Pause before a failed batch is offered again. Default 1000 ms. */
  retryDelayMs?: number
  /** Called when a batch handler fails (it is retried). */
  onError?: (err: unknown) => void
}

/**
 * A transport inside one process, in place of Kafka for `shopfloor demo`: messages are held in
 * memory, in order, until the subscriber has stored them. What it holds is lost if the process
 * dies; the agent's spool is what survives a crash.
 */
export class InProcessBus {
  readonly #queue: IncomingMessage[] = []
  readonly #maxBatch: number
  readonly #retryDelayMs: number
  readonly #onError: ((err: unknown) => void) | undefined
  #offset = 0
  #wake: (() => void) | undefined
  #handler: BatchHandler | undefined
  #closed = false
  #loop: Promise<void> | undefined
  #idleWaiters: Array<() => void> = []

  constructor(opts: InProcessBusOptions = {}) {
    this.#maxBatch = opts.maxBatch ?? 5000
    this.#retryDelayMs = opts.retryDelayMs ?? 1000
    this.#onError = opts.onError
  }

  readonly publisher: Publisher = {
    send: async (messages: readonly OutgoingMessage[]) => {
      if (this.#closed) throw new Error('in-process bus is closed')
      for (const m of messages) {
        this.#queue.push({ topic: m.topic, key: m.key, value: m.value, partition: 0, offset: String(this.#offset++) })
      }
      this.#wake?.()
    },
    close: async () => {},
  }

  readonly subscriber: Subscriber = {
    run: async (onBatch: BatchHandler) => {
      if (this.#handler) throw new Error('in-process bus already has a subscriber')
      this.#handler = onBatch
      this.#loop = this.#consume()
    },
    close: async () => {
      this.#closed = true
      this.#wake?.()
      await this.#loop
    },
  }

  /** Messages sent and not yet stored by the subscriber. */
  get depth(): number {
    return this.#queue.length
  }

  /** Resolves when every message sent so far has been stored by the subscriber. */
  drained(): Promise<void> {
    if (this.#queue.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idleWaiters.push(resolve))
  }

  async #consume(): Promise<void> {
    const handler = this.#handler as BatchHandler
    while (!this.#closed) {
      if (this.#queue.length === 0) {
        for (const w of this.#idleWaiters.splice(0)) w()
        await new Promise<void>((resolve) => (this.#wake = resolve))
        this.#wake = undefined
        continue
      }
      const batch = this.#queue.slice(0, this.#maxBatch)
      try {
        await handler(batch)
        this.#queue.splice(0, batch.length)
      } catch (err) {
        this.#onError?.(err)
        await new Promise((r) => setTimeout(r, this.#retryDelayMs))
      }
    }
  }
}
