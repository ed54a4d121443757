import type { EdgeAgentStats } from './agent.ts'
import type { HealthReport } from './health-server.ts'

export interface ReadinessOptions {
  /**
   * Events may wait this long for Kafka while publishing fails before the agent reports not
   * ready, ms. A short outage is normal (the spool absorbs it); a long one needs someone to look.
   * Default 60 000.
   */
  readonly maxUnsentAgeMs?: number
  /** After the spool refused a write (disk full, read-only), not ready for this long, ms. Default 60 000. */
  readonly spoolErrorHoldMs?: number
}

/**
 * Whether the agent does its job, judged from its stats at each call. Not ready when events wait
 * longer than `maxUnsentAgeMs` while publishing fails, or within `spoolErrorHoldMs` of the spool
 * refusing a write. A PLC that cannot be read does not make the agent unready: its machines are
 * reported OFFLINE, which is the agent doing its job; the sources are listed for the operator.
 */
export class Readiness {
  readonly #maxUnsentAgeMs: number
  readonly #holdMs: number
  #ioDrops = 0
  #lastIoDropAt = -Infinity

  constructor(opts: ReadinessOptions = {}) {
    this.#maxUnsentAgeMs = opts.maxUnsentAgeMs ?? 60_000
    this.#holdMs = opts.spoolErrorHoldMs ?? 60_000
  }

  check(stats: EdgeAgentStats, now = Date.now()): HealthReport {
    const oldest = stats.spool.oldestUnsentAgeMs
    const publishOk = !(stats.publish.failing && oldest !== null && oldest > this.#maxUnsentAgeMs)
    const io = stats.spool.dropped.io ?? 0
    if (io > this.#ioDrops) {
      this.#ioDrops = io
      this.#lastIoDropAt = now
    }
    const spoolOk = now - this.#lastIoDropAt > this.#holdMs
    return {
      ready: publishOk && spoolOk,
      checks: {
        publish: {
          ok: publishOk,
          detail: { failing: stats.publish.failing, oldestUnsentAgeMs: oldest, maxUnsentAgeMs: this.#maxUnsentAgeMs, sent: stats.publish.sent, ratePerS: stats.publish.ratePerS },
        },
        spool: {
          ok: spoolOk,
          detail: { depth: stats.spool.depth, bytes: stats.spool.bytes, dropped: stats.spool.dropped, ...(spoolOk ? {} : { lastWriteRefusedAt: new Date(this.#lastIoDropAt).toISOString() }) },
        },
        sources: { ok: true, detail: { connected: Object.fromEntries(Object.entries(stats.sources).map(([id, s]) => [id, s.connected])) } },
      },
    }
  }
}
