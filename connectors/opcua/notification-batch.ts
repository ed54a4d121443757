/**
 * Orders the values of one Publish response before they reach the agent.
 *
 * A Publish response carries the queued values of every monitored item, grouped by item: all of
 * item A's values, then all of item B's. The machine model wants them in the order they happened
 * (a state change before the count it caused), so each response is reordered by sourceTimestamp.
 */
import type { TagValue } from '../common/tag-value.ts'

export interface PendingValue {
  readonly nodeId: string
  readonly value: TagValue
}

/**
 * Interleaves the values of all items by sourceTimestamp while keeping each item's own values
 * in the order the server queued them, even where a PLC clock stepped backwards between two of
 * them: the server's queue order is the truth for one item, the timestamps only merge items.
 */
export function orderBySourceTime(values: readonly PendingValue[]): PendingValue[] {
  const latestPerNode = new Map<string, number>()
  const keyed = values.map((entry, index) => {
    // A running maximum makes each item's keys non-decreasing, so the stable sort below can only
    // move items relative to each other, never one item's values among themselves.
    const key = Math.max(latestPerNode.get(entry.nodeId) ?? Number.NEGATIVE_INFINITY, entry.value.sourceTs)
    latestPerNode.set(entry.nodeId, key)
    return { entry, key, index }
  })
  keyed.sort((a, b) => a.key - b.key || a.index - b.index)
  return keyed.map((k) => k.entry)
}

/**
 * Collects the values node-opcua hands out one by one while it walks a Publish response, and
 * delivers them ordered once the walk is over.
 *
 * node-opcua emits every value of one response synchronously, in a single loop; a microtask
 * queued by the first value therefore runs right after the last one.
 */
export class NotificationBatcher {
  readonly #deliver: (values: PendingValue[]) => void
  #pending: PendingValue[] = []

  constructor(deliver: (values: PendingValue[]) => void) {
    this.#deliver = deliver
  }

  add(nodeId: string, value: TagValue): void {
    if (this.#pending.length === 0) queueMicrotask(() => this.flush())
    this.#pending.push({ nodeId, value })
  }

  flush(): void {
    if (this.#pending.length === 0) return
    const batch = this.#pending
    this.#pending = []
    this.#deliver(batch.length === 1 ? batch : orderBySourceTime(batch))
  }

  /** Drops what has not been delivered yet (the source is stopping). */
  clear(): void {
    this.#pending = []
  }
}
