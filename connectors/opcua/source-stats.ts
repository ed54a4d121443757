/**
 * The OpcuaSource's counters, plain numbers the agent turns into Prometheus metrics. Counters only
 * grow for the life of the source; `monitoredItems` is a gauge.
 */
import type { TagValue } from '../common/tag-value.ts'

export interface OpcuaSourceStats {
  /** Values that arrived in data-change notifications (subscribed groups). */
  readonly notifications: number
  /** Values read by polled groups. */
  readonly reads: number
  /** Read service calls made by polled groups. */
  readonly readCalls: number
  /** Polled reads that failed as a whole. */
  readonly readErrors: number
  /** Nodes whose deadband filter the server refused; they are monitored without it. */
  readonly deadbandFailures: number
  /** Connections re-established after a loss (server restart, network cut). */
  readonly reconnects: number
  /** Sessions created after the first one (the server lost ours: restart, session timeout). */
  readonly sessionRecreations: number
  /** Values handed to the agent with quality `bad`. */
  readonly badQualityValues: number
  /** Values handed to the agent with quality `uncertain`. */
  readonly uncertainQualityValues: number
  /** Monitored items the server has accepted, now (a gauge). */
  readonly monitoredItems: number
  /** CreateMonitoredItems service calls sent (each at most `monitoredItemsPerCall` items). */
  readonly createMonitoredItemsCalls: number
}

type Counters = { -readonly [K in keyof OpcuaSourceStats]: number }

export class SourceCounters {
  readonly c: Counters = {
    notifications: 0,
    reads: 0,
    readCalls: 0,
    readErrors: 0,
    deadbandFailures: 0,
    reconnects: 0,
    sessionRecreations: 0,
    badQualityValues: 0,
    uncertainQualityValues: 0,
    monitoredItems: 0,
    createMonitoredItemsCalls: 0,
  }

  delivered(value: TagValue): void {
    if (value.quality === 'bad') this.c.badQualityValues += 1
    else if (value.quality === 'uncertain') this.c.uncertainQualityValues += 1
  }

  snapshot(monitoredItems: number): OpcuaSourceStats {
    return { ...this.c, monitoredItems }
  }
}
