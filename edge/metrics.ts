import type { EdgeAgentStats } from './agent.ts'
import { VERSION } from './version.ts'
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client'

/** What the agent reports about itself; read on every scrape, so /metrics is never stale. */
export interface AgentSnapshot {
  readonly agentId: string
  readonly version: string
  /** Events made, by type. */
  readonly events: Readonly<Record<string, number>>
  /** Values the machine models refused (a counter going backwards, an unmapped state, ...). */
  readonly anomalies: number
  readonly sources: Readonly<Record<string, SourceSnapshot>>
  readonly spool: {
    readonly depth: number
    readonly bytes: number
    readonly oldestUnsentAgeMs: number | null
    readonly appended: number
    readonly acked: number
    readonly dropped: Readonly<Record<string, number>>
    readonly segments: number
  }
  readonly publish: {
    readonly sent: number
    readonly errors: number
    /** Events per second over the last minute. */
    readonly ratePerS: number
  }
}

export interface SourceSnapshot {
  readonly protocol: string
  readonly connected: boolean
  /** Values delivered to the machine models. */
  readonly values: number
  /** Connections lost. */
  readonly errors: number
  /** The connector's own counters (polls, timeouts, notifications, ...), by name. */
  readonly counters: Readonly<Record<string, number>>
}

/**
 * The agent's Prometheus metrics, computed from {@link AgentSnapshot} at scrape time. Names
 * follow the Prometheus conventions: `shopfloor_edge_` prefix, base units, `_total` for counters.
 */
export class AgentMetrics {
  readonly registry = new Registry()
  readonly #snapshot: () => AgentSnapshot
  #current: AgentSnapshot | undefined

  constructor(snapshot: () => AgentSnapshot) {
    this.#snapshot = snapshot
    // One snapshot per scrape, shared by every metric of it.
    const get = (): AgentSnapshot => this.#current ?? snapshot()
    const r = [this.registry]
    collectDefaultMetrics({ register: this.registry, prefix: 'shopfloor_edge_process_' })
    // Counters are set from the snapshot's running totals: reset, then add the total.
    new Gauge({
      name: 'shopfloor_edge_info',
      help: 'Always 1; labels carry the agent id and version',
      labelNames: ['agent', 'version'],
      registers: r,
      collect() {
        const s = get()
        this.reset()
        this.set({ agent: s.agentId, version: s.version }, 1)
      },
    })
    new Counter({
      name: 'shopfloor_edge_events_total',
      help: 'Events made by the machine models and the heartbeat, by type',
      labelNames: ['type'],
      registers: r,
      collect() {
        this.reset()
        for (const [type, n] of Object.entries(get().events)) this.inc({ type }, n)
      },
    })
    new Counter({
      name: 'shopfloor_edge_model_anomalies_total',
      help: 'PLC values the machine models could not use (logged with the machine and the reason)',
      registers: r,
      collect() {
        this.reset()
        this.inc(get().anomalies)
      },
    })
    new Gauge({
      name: 'shopfloor_edge_source_connected',
      help: '1 while the source (PLC or server) is connected, else 0',
      labelNames: ['source', 'protocol'],
      registers: r,
      collect() {
        this.reset()
        for (const [source, s] of Object.entries(get().sources)) this.set({ source, protocol: s.protocol }, s.connected ? 1 : 0)
      },
    })
    new Counter({
      name: 'shopfloor_edge_source_values_total',
      help: 'Values read from the source and handed to the machine models',
      labelNames: ['source', 'protocol'],
      registers: r,
      collect() {
        this.reset()
        for (const [source, s] of Object.entries(get().sources)) this.inc({ source, protocol: s.protocol }, s.values)
      },
    })
    new Counter({
      name: 'shopfloor_edge_source_disconnects_total',
      help: 'Times the connection to the source was lost',
      labelNames: ['source', 'protocol'],
      registers: r,
      collect() {
        this.reset()
        for (const [source, s] of Object.entries(get().sources)) this.inc({ source, protocol: s.protocol }, s.errors)
      },
    })
    new Counter({
      name: 'shopfloor_edge_connector_total',
      help: "The connector's own counters by name: polls, poll_errors, timeouts, exceptions, notifications, reads, deadband_failures, reconnects, ...",
      labelNames: ['source', 'protocol', 'counter'],
      registers: r,
      collect() {
        this.reset()
        for (const [source, s] of Object.entries(get().sources)) {
          for (const [counter, n] of Object.entries(s.counters)) this.inc({ source, protocol: s.protocol, counter: snake(counter) }, n)
        }
      },
    })
    const spoolGauge = (name: string, help: string, pick: (s: AgentSnapshot['spool']) => number) =>
      new Gauge({
        name,
        help,
        registers: r,
        collect() {
          this.set(pick(get().spool))
        },
      })
    spoolGauge('shopfloor_edge_spool_depth_events', 'Events in the spool not yet acknowledged by Kafka', (s) => s.depth)
    spoolGauge('shopfloor_edge_spool_bytes', 'Bytes of the spool files on disk', (s) => s.bytes)
    spoolGauge('shopfloor_edge_spool_oldest_unsent_age_seconds', 'Age of the oldest event not yet acknowledged by Kafka; 0 when none', (s) => (s.oldestUnsentAgeMs ?? 0) / 1000)
    spoolGauge('shopfloor_edge_spool_segments', 'Segment files of the spool', (s) => s.segments)
    new Counter({
      name: 'shopfloor_edge_spool_appended_events_total',
      help: 'Events written to the spool',
      registers: r,
      collect() {
        this.reset()
        this.inc(get().spool.appended)
      },
    })
    new Counter({
      name: 'shopfloor_edge_spool_dropped_events_total',
      help: 'Events the spool dropped, by reason: size or age (a bound reached), torn or corrupt (damaged files), io (disk refused)',
      labelNames: ['reason'],
      registers: r,
      collect() {
        this.reset()
        for (const [reason, n] of Object.entries(get().spool.dropped)) this.inc({ reason }, n)
      },
    })
    new Counter({
      name: 'shopfloor_edge_published_events_total',
      help: 'Events Kafka acknowledged',
      registers: r,
      collect() {
        this.reset()
        this.inc(get().publish.sent)
      },
    })
    new Counter({
      name: 'shopfloor_edge_publish_errors_total',
      help: 'Failed publish attempts (each retried; nothing is lost)',
      registers: r,
      collect() {
        this.reset()
        this.inc(get().publish.errors)
      },
    })
    new Gauge({
      name: 'shopfloor_edge_publish_rate_events_per_second',
      help: 'Events Kafka acknowledged per second, over the last minute',
      registers: r,
      collect() {
        this.set(get().publish.ratePerS)
      },
    })
  }

  async render(): Promise<{ contentType: string; body: string }> {
    this.#current = this.#snapshot()
    try {
      return { contentType: this.registry.contentType, body: await this.registry.metrics() }
    } finally {
      this.#current = undefined
    }
  }
}

/** Stats of a connector that are gauges, not running totals: left out of the counters. */
const NOT_COUNTERS = new Set(['connected', 'lastPollDurationMs', 'monitoredItems'])

/**
 * The running totals among a connector's stats, flattened: `{ polls: 5, exceptions: { "2": 1 } }`
 * gives `polls` and `exceptions_2`.
 */
export function connectorCounters(stats: object): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [k, v] of Object.entries(stats)) {
    if (NOT_COUNTERS.has(k)) continue
    if (typeof v === 'number' && Number.isFinite(v)) out[k] = v
    else if (v !== null && typeof v === 'object') {
      for (const [sub, n] of Object.entries(v as Record<string, unknown>)) if (typeof n === 'number' && Number.isFinite(n)) out[`${k}_${sub}`] = n
    }
  }
  return out
}

/** `pollErrors` -> `poll_errors`. */
function snake(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()
}

/** The snapshot /metrics reads, from the agent's stats. */
export function agentSnapshot(agentId: string, stats: EdgeAgentStats): AgentSnapshot {
  return {
    agentId,
    version: VERSION,
    events: stats.events,
    anomalies: stats.anomalies,
    sources: Object.fromEntries(
      Object.entries(stats.sources).map(([id, s]) => [id, { protocol: s.protocol, connected: s.connected, values: s.values, errors: s.errors, counters: connectorCounters(s.connector) }]),
    ),
    spool: stats.spool,
    publish: { sent: stats.publish.sent, errors: stats.publish.errors, ratePerS: stats.publish.ratePerS },
  }
}
