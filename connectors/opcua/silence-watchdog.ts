/**
 * Notices a subscription that has gone quiet.
 *
 * An OPC UA server answers every Publish request within maxKeepAliveCount publishing intervals,
 * with data or with an empty keep-alive. When a server drops a subscription on its own (some PLCs
 * do on a program download or when short of memory), node-opcua raises no event: the values just
 * stop while the connection looks healthy. Silence past the keep-alive period is the only sign.
 */
export class SilenceWatchdog {
  readonly #onSilence: (silentMs: number) => void
  #limitMs = 0
  #lastHeard = 0
  #timer: NodeJS.Timeout | undefined

  constructor(onSilence: (silentMs: number) => void) {
    this.#onSilence = onSilence
  }

  /** Starts (or restarts) watching: `onSilence` fires once if nothing is heard for `limitMs`. */
  arm(limitMs: number): void {
    this.disarm()
    this.#limitMs = limitMs
    this.#lastHeard = Date.now()
    const every = Math.max(20, Math.min(1_000, Math.floor(limitMs / 4)))
    this.#timer = setInterval(() => this.#check(), every)
    this.#timer.unref()
  }

  /** Something came from the server (values or a keep-alive). */
  heard(): void {
    this.#lastHeard = Date.now()
  }

  disarm(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }

  get armed(): boolean {
    return this.#timer !== undefined
  }

  #check(): void {
    const silentMs = Date.now() - this.#lastHeard
    if (silentMs <= this.#limitMs) return
    this.disarm()
    this.#onSilence(silentMs)
  }
}

/**
 * How long a subscription may stay silent: twice the keep-alive period the server revised,
 * so a slow server or a busy gateway is not mistaken for a dead subscription.
 */
export function silenceLimitMs(publishingIntervalMs: number, maxKeepAliveCount: number): number {
  return 2 * publishingIntervalMs * (maxKeepAliveCount + 1)
}
