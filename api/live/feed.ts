import type { Logger } from '../../connectors/common/logger.ts'
import type { Clickhouse } from '../../stream/index.ts'
import { ApiError } from '../errors.ts'
import { pollLiveRows, type LiveRows, type MachineLive } from './query.ts'

/** Which machines a subscriber sees: its factories (the caller's scope), narrowed by an optional factory, line or machine. */
export interface LiveScope {
  /** The caller's factories (`allowedFactories`), 'all' for an admin. */
  factories: readonly string[] | 'all'
  factory?: string
  line?: string
  machine?: string
}

/** Whether a machine (of `factory`) is in a scope. */
export function inScope(scope: LiveScope, factory: string, machine: string): boolean {
  if (scope.factories !== 'all' && !scope.factories.includes(factory)) return false
  if (scope.factory !== undefined && scope.factory !== factory) return false
  if (scope.line !== undefined && !machine.startsWith(`${scope.line}/`)) return false
  if (scope.machine !== undefined && scope.machine !== machine) return false
  return true
}

/** A subscriber: called synchronously by the feed; must not throw. */
export interface LiveListener {
  /** A state changed (or, with `snapshot`, the current state on (re)connect). `id` is the event id to resume after. */
  state(s: MachineLive, id: string, snapshot: boolean): void
  /** New rows (states, counts, energy) were stored for these machines of the scope: their KPIs moved. */
  rows(machines: readonly MachineLive[]): void
}

export interface LiveFeedOptions {
  clickhouse: Clickhouse
  /**
   * How often the feed polls ClickHouse while anyone listens, ms. One query per poll, whatever the
   * number of subscribers. {@link LiveFeed.notify} (ingest in the same process) polls at once.
   * Default 500: with the agent's 200 ms publishing and ingest's batching, a change shows within 2 s.
   */
  pollMs?: number
  /** State changes kept for clients resuming with Last-Event-ID; older ones get a fresh snapshot. Default 2000. */
  historySize?: number
  /** Open subscriptions per key (tabs, screens). Default 20. */
  maxPerKey?: number
  /** Open subscriptions in all. Default 1000. */
  maxSubscribers?: number
  logger?: Logger
}

export const LIVE_DEFAULTS = { pollMs: 500, historySize: 2000, maxPerKey: 20, maxSubscribers: 1000 } as const

interface Sub {
  key: string
  scope: LiveScope
  listener: LiveListener
}

/**
 * The change feed behind `GET /api/v1/live`: learns of new rows by polling two small tables (one
 * query shared by every subscriber, only while someone listens) or at once when ingest in the same
 * process calls {@link LiveFeed.notify}; keeps each machine's state, a numbered history of changes
 * for resuming clients, and fans changes out to subscribers by scope.
 */
export class LiveFeed {
  /** Event ids are `<epoch>.<n>`: a client resuming against another API process (or a restarted one) gets a snapshot. */
  readonly epoch = `${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`
  readonly #ch: Clickhouse
  readonly #opts: Required<Omit<LiveFeedOptions, 'clickhouse' | 'logger'>>
  readonly #log: Logger | undefined
  readonly #states = new Map<string, MachineLive>()
  #marks = new Map<string, number>()
  readonly #history: Array<{ n: number; s: MachineLive }> = []
  #n = 0
  #primed = false
  #lastPoll = 0
  readonly #subs = new Set<Sub>()
  readonly #perKey = new Map<string, number>()
  #timer: NodeJS.Timeout | undefined
  #polling: Promise<void> | undefined
  #again = false
  #closed = false
  /** Polls done and their total time, ms (for the benchmark and metrics). */
  readonly stats = { polls: 0, pollMs: 0, errors: 0 }

  constructor(opts: LiveFeedOptions) {
    this.#ch = opts.clickhouse
    this.#opts = {
      pollMs: opts.pollMs ?? LIVE_DEFAULTS.pollMs,
      historySize: opts.historySize ?? LIVE_DEFAULTS.historySize,
      maxPerKey: opts.maxPerKey ?? LIVE_DEFAULTS.maxPerKey,
      maxSubscribers: opts.maxSubscribers ?? LIVE_DEFAULTS.maxSubscribers,
    }
    for (const [k, v] of Object.entries(this.#opts)) if (!(Number.isInteger(v) && v > 0)) throw new TypeError(`live feed: ${k} must be a positive integer, got ${v}`)
    this.#log = opts.logger?.child({ component: 'live' })
  }

  /** Open subscriptions. */
  get subscribers(): number {
    return this.#subs.size
  }

  /** The id of the latest change: what a snapshot taken now is current to. */
  get cursor(): string {
    return `${this.epoch}.${this.#n}`
  }

  /**
   * Subscribes `listener` to changes in `scope`, counted against `key` (the API key's id). First
   * delivers, synchronously before any change, the changes since `lastEventId` when the feed still
   * has them, else a snapshot of every machine in scope. Throws 429 SHOPFLOOR_API_RATE_LIMITED
   * past the bounds. Returns the unsubscribe function.
   */
  async subscribe(key: string, scope: LiveScope, listener: LiveListener, lastEventId?: string): Promise<() => void> {
    if (this.#closed) throw new ApiError('SHOPFLOOR_API_UNAVAILABLE', 'the live feed is shut down')
    const mine = this.#perKey.get(key) ?? 0
    if (mine >= this.#opts.maxPerKey) {
      throw new ApiError('SHOPFLOOR_API_RATE_LIMITED', `too many live streams for this key: at most ${this.#opts.maxPerKey} open at once; close other dashboard tabs or screens using it`)
    }
    if (this.#subs.size >= this.#opts.maxSubscribers) throw new ApiError('SHOPFLOOR_API_RATE_LIMITED', `the API serves at most ${this.#opts.maxSubscribers} live streams; retry later`)
    this.#perKey.set(key, mine + 1)
    const sub: Sub = { key, scope, listener }
    let open = true
    const unsubscribe = (): void => {
      if (!open) return
      open = false
      this.#subs.delete(sub)
      const left = (this.#perKey.get(key) ?? 1) - 1
      if (left > 0) this.#perKey.set(key, left)
      else this.#perKey.delete(key)
      if (this.#subs.size === 0) this.#stop()
    }
    try {
      if (!this.#primed || Date.now() - this.#lastPoll > this.#opts.pollMs) await this.#poll()
    } catch (err) {
      unsubscribe()
      throw err
    }
    if (!open) return unsubscribe
    const missed = lastEventId === undefined ? null : this.#since(lastEventId)
    if (missed) for (const c of missed) if (inScope(scope, c.s.factory, c.s.machine)) listener.state(c.s, `${this.epoch}.${c.n}`, false)
    if (!missed) for (const s of this.#states.values()) if (inScope(scope, s.factory, s.machine)) listener.state(s, this.cursor, true)
    this.#subs.add(sub)
    this.#schedule()
    return unsubscribe
  }

  /** New rows were stored (ingest in this process): poll now rather than at the next tick. */
  notify(): void {
    if (this.#closed || this.#subs.size === 0) return
    this.#poll().catch(() => {})
  }

  /** Stops polling and drops every subscriber (their streams are closed by the route). */
  close(): void {
    this.#closed = true
    this.#subs.clear()
    this.#perKey.clear()
    this.#stop()
  }

  /** Changes after event id `id`, or null when the feed cannot tell (another epoch, or too old). */
  #since(id: string): Array<{ n: number; s: MachineLive }> | null {
    const m = /^([0-9a-z]+)\.(\d+)$/.exec(id)
    if (!m || m[1] !== this.epoch) return null
    const n = Number(m[2])
    if (n > this.#n) return null
    if (n === this.#n) return []
    const oldest = this.#history[0]?.n
    if (oldest === undefined || n < oldest - 1) return null
    return this.#history.filter((c) => c.n > n)
  }

  #schedule(): void {
    if (this.#timer || this.#closed || this.#subs.size === 0) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.#poll()
        .catch(() => {})
        .finally(() => this.#schedule())
    }, this.#opts.pollMs)
    this.#timer.unref()
  }

  #stop(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
  }

  /** One poll at a time; a request for a poll while one runs makes one more run after it (coalesced). */
  #poll(): Promise<void> {
    if (this.#polling) {
      this.#again = true
      return this.#polling
    }
    this.#polling = (async () => {
      try {
        do {
          this.#again = false
          await this.#pollOnce()
        } while (this.#again && !this.#closed)
      } finally {
        this.#polling = undefined
      }
    })()
    return this.#polling
  }

  async #pollOnce(): Promise<void> {
    const started = performance.now()
    let rows: LiveRows
    try {
      rows = await pollLiveRows(this.#ch)
    } catch (err) {
      this.stats.errors++
      if (this.stats.errors === 1 || this.stats.errors % 100 === 0) this.#log?.warn({ err, errors: this.stats.errors }, 'live feed poll failed; retrying')
      throw err
    } finally {
      this.stats.polls++
      this.stats.pollMs += performance.now() - started
    }
    this.#lastPoll = Date.now()
    const primed = this.#primed
    const byMachine = new Map<string, MachineLive>()
    for (const s of rows.states) {
      byMachine.set(s.machine, s)
      const prev = this.#states.get(s.machine)
      if (prev && (prev.at > s.at || (prev.at === s.at && prev.seq >= s.seq))) continue
      this.#states.set(s.machine, s)
      if (!primed || (prev && prev.state === s.state && prev.since === s.since)) continue
      const n = ++this.#n
      this.#history.push({ n, s })
      if (this.#history.length > this.#opts.historySize) this.#history.splice(0, this.#history.length - this.#opts.historySize)
      for (const sub of this.#subs) if (inScope(sub.scope, s.factory, s.machine)) sub.listener.state(s, `${this.epoch}.${n}`, false)
    }
    const touched: MachineLive[] = []
    if (primed) {
      for (const [machine, mark] of rows.marks) {
        if (mark <= (this.#marks.get(machine) ?? -1)) continue
        // A machine with counts but no state yet: its factory is its path's first three segments.
        const s = byMachine.get(machine) ?? this.#states.get(machine)
        const factory = s?.factory ?? machine.split('/').slice(0, 3).join('/')
        touched.push(s ?? { factory, line: machine.slice(0, machine.lastIndexOf('/')), machine, state: '', since: 0, at: 0, seq: 0 })
      }
    }
    this.#marks = rows.marks
    this.#primed = true
    if (touched.length === 0) return
    for (const sub of this.#subs) {
      const mine = touched.filter((s) => inScope(sub.scope, s.factory, s.machine))
      if (mine.length > 0) sub.listener.rows(mine)
    }
  }
}
