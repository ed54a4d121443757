/**
 * A link carries request PDUs to units and response PDUs back, over one byte stream (a TCP
 * socket, a serial port). It knows framing, not devices: the client above it adds the unit's
 * context to errors.
 *
 * `QueuedLink` holds what every link shares: one request on the wire at a time (many PLCs, and
 * every RS-485 bus, serve one request at a time), the others queued in arrival order, each
 * with its own timeout counted from the moment it is sent, and optionally a quiet time between
 * two exchanges (RTU's inter-frame silence).
 */

import type { Duplex } from 'node:stream'

export type LinkFailure = 'connect' | 'timeout' | 'closed' | 'malformed'

/** A request that failed below the Modbus application protocol. */
export class LinkError extends Error {
  readonly kind: LinkFailure
  constructor(kind: LinkFailure, message: string, opts: { cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'LinkError'
    this.kind = kind
  }
}

/** One request: its unit, its PDU, when it must be answered, and its promise's settlers. */
export interface Pending {
  readonly unitId: number
  readonly pdu: Buffer
  readonly timeoutMs: number
  /** `performance.now()` at which it times out; set when it is sent. */
  deadline: number
  /** MBAP transaction id, set by a TCP link when it sends. */
  tx: number
  /** The caller gave up (its source stopped): the answer is awaited for the line's sake, then dropped. */
  abandoned: boolean
  resolve: (response: Buffer) => void
  reject: (err: LinkError) => void
}

function abandoned(): LinkError {
  return new LinkError('closed', 'the request was abandoned: the source was stopped')
}

export interface ModbusLink {
  /** Whether requests can be sent. False once the stream closed or `close()` was called. */
  readonly isOpen: boolean
  /**
   * Sends a request PDU (function code first) to `unitId` and resolves with the response PDU
   * (function code first; an exception response too). Rejects with a {@link LinkError}; at
   * once, with kind `closed`, when `signal` aborts. A request already on the wire still holds
   * the line until it is answered or times out, so the next one does not collide with its answer.
   */
  request(unitId: number, pdu: Buffer, timeoutMs: number, signal?: AbortSignal): Promise<Buffer>
  /** Closes the stream; pending and queued requests reject with kind `closed`. */
  close(): Promise<void>
}

export abstract class QueuedLink implements ModbusLink {
  readonly #queue: Pending[] = []
  #current: Pending | undefined
  #failed: LinkError | undefined
  /** One timer re-armed per request: setTimeout and clearTimeout per request cost more than refresh(). */
  #timer: NodeJS.Timeout | undefined
  #timerMs = 0
  #quietUntil = 0
  #quietTimer: NodeJS.Timeout | undefined
  readonly #quietMs: number
  readonly #onLost: (err: LinkError) => void
  /** The socket or serial port the frames travel on. */
  protected readonly stream: Duplex

  /**
   * Takes over an open stream; the subclass listens to its data.
   *
   * @param quietMs ms of silence after each exchange before the next request (0: none)
   * @param onLost called once when the stream closes or breaks (not after `close()`)
   */
  constructor(stream: Duplex, quietMs: number, onLost: (err: LinkError) => void, lostMessage: string) {
    this.stream = stream
    this.#quietMs = quietMs
    this.#onLost = onLost
    stream.on('error', () => { /* 'close' follows and reports it */ })
    stream.once('close', () => this.failed(new LinkError('closed', lostMessage)))
  }

  get isOpen(): boolean {
    return this.#failed === undefined
  }

  /** The request on the wire, whose answer the subclass is looking for. */
  protected get current(): Pending | undefined {
    return this.#current
  }

  /** Puts the request on the wire. */
  protected abstract transmit(p: Pending): void
  /** Forgets received bytes after a timeout, so a late answer is not taken for the next one. */
  protected abstract discard(): void
  /** What else a timeout message should say (`; received 12 bytes that were not the answer`). */
  protected timeoutDetail(): string {
    return ''
  }

  request(unitId: number, pdu: Buffer, timeoutMs: number, signal?: AbortSignal): Promise<Buffer> {
    if (this.#failed !== undefined) return Promise.reject(this.#failed)
    if (signal?.aborted) return Promise.reject(abandoned())
    return new Promise<Buffer>((resolve, reject) => {
      const p: Pending = { unitId, pdu, timeoutMs, deadline: 0, tx: 0, abandoned: false, resolve, reject }
      if (signal !== undefined) {
        const onAbort = (): void => {
          if (p.abandoned) return
          p.abandoned = true
          const queued = this.#queue.indexOf(p)
          if (queued >= 0) this.#queue.splice(queued, 1)
          reject(abandoned())
        }
        signal.addEventListener('abort', onAbort, { once: true })
        const done = (): void => signal.removeEventListener('abort', onAbort)
        p.resolve = (r) => { done(); if (!p.abandoned) resolve(r) }
        p.reject = (e) => { done(); if (!p.abandoned) reject(e) }
      }
      if (this.#current === undefined && this.#queue.length === 0 && performance.now() >= this.#quietUntil) this.#send(p)
      else {
        this.#queue.push(p)
        if (this.#current === undefined) this.#advance()
      }
    })
  }

  /** The subclass found the answer to the current request. */
  protected answer(response: Buffer): void {
    const p = this.#current
    if (p === undefined) return
    this.#current = undefined
    p.resolve(response)
    this.#exchanged()
  }

  /** The stream closed or broke: every request rejects, now and later. */
  protected failed(err: LinkError): void {
    if (this.#failed !== undefined) return
    this.#failed = err
    clearTimeout(this.#timer)
    clearTimeout(this.#quietTimer)
    const all = this.#current === undefined ? this.#queue.splice(0) : [this.#current, ...this.#queue.splice(0)]
    this.#current = undefined
    for (const p of all) p.reject(err)
    this.#onLost(err)
  }

  async close(): Promise<void> {
    if (this.#failed === undefined) {
      // Marked before destroy, so the close event is not reported as a loss.
      this.#failed = new LinkError('closed', 'the link was closed')
      clearTimeout(this.#timer)
      clearTimeout(this.#quietTimer)
      const all = this.#current === undefined ? this.#queue.splice(0) : [this.#current, ...this.#queue.splice(0)]
      this.#current = undefined
      for (const p of all) p.reject(this.#failed)
    }
    if (this.stream.closed) return
    const closed = new Promise<void>((resolve) => this.stream.once('close', () => resolve()))
    this.stream.destroy()
    await closed
  }

  #send(p: Pending): void {
    this.#current = p
    p.deadline = performance.now() + p.timeoutMs
    if (this.#timer !== undefined && this.#timerMs === p.timeoutMs) this.#timer.refresh()
    else {
      clearTimeout(this.#timer)
      this.#timerMs = p.timeoutMs
      this.#timer = setTimeout(() => this.#onTimer(), p.timeoutMs)
    }
    try {
      this.transmit(p)
    } catch (cause) {
      // A request this link cannot frame: that caller's problem only, the line stays up.
      this.#current = undefined
      p.reject(new LinkError('malformed', `cannot send: ${cause instanceof Error ? cause.message : String(cause)}`, { cause }))
      this.#advance()
    }
  }

  #onTimer(): void {
    const p = this.#current
    if (p === undefined) return
    const left = p.deadline - performance.now()
    // The timer was armed for an earlier request and refreshed late, or timer granularity: wait on.
    if (left > 0.5) {
      this.#timer = setTimeout(() => this.#onTimer(), Math.ceil(left))
      this.#timerMs = -1
      return
    }
    this.#current = undefined
    const detail = this.timeoutDetail()
    this.discard()
    p.reject(new LinkError('timeout', `no answer within ${p.timeoutMs} ms${detail}`))
    this.#exchanged()
  }

  /** An exchange ended: keep the line quiet for a while, then send the next request. */
  #exchanged(): void {
    if (this.#quietMs > 0) this.#quietUntil = performance.now() + this.#quietMs
    this.#advance()
  }

  #advance(): void {
    if (this.#queue.length === 0 || this.#quietTimer !== undefined || this.#failed !== undefined) return
    const wait = this.#quietUntil - performance.now()
    if (wait > 0) {
      this.#quietTimer = setTimeout(() => {
        this.#quietTimer = undefined
        this.#quietUntil = 0
        const next = this.#queue.shift()
        if (next !== undefined && this.#failed === undefined) this.#send(next)
      }, Math.ceil(wait))
      return
    }
    const next = this.#queue.shift()
    if (next !== undefined) this.#send(next)
  }
}
