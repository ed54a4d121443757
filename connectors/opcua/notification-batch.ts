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
export function orderBySourceTime(values: readonly PendingValue[]): readonly PendingValue[] {
  const n = values.length
  // Fast path, and the common one when each tag changed once since the last publish in the order
  // the server lists them: nothing to reorder, nothing to allocate.
  let sorted = true
  for (let i = 1; i < n && sorted; i++) sorted = (values[i] as PendingValue).value.sourceTs >= (values[i - 1] as PendingValue).value.sourceTs
  if (sorted) return values
  // Keys and indices in two plain arrays rather than an object per value: a Publish response of
  // 10,000 values would otherwise leave 10,000 short-lived objects to collect.
  const latestPerNode = new Map<string, number>()
  const keys: number[] = new Array<number>(n)
  const index: number[] = new Array<number>(n)
  for (let i = 0; i < n; i++) {
    const { nodeId, value } = values[i] as PendingValue
    // A running maximum makes each item's keys non-decreasing, so the stable sort below can only
    // move items relative to each other, never one item's values among themselves.
    const key = Math.max(latestPerNode.get(nodeId) ?? Number.NEGATIVE_INFINITY, value.sourceTs)
    latestPerNode.set(nodeId, key)
    keys[i] = key
    index[i] = i
  }
  index.sort((a, b) => (keys[a] as number) - (keys[b] as number) || a - b)
  return index.map((i) => values[i] as PendingValue)
}

/**
 * Collects the values node-opcua hands out one by one while it walks a Publish response, and
 * delivers them ordered once the walk is over.
 *
 * node-opcua emits every value of one response synchronously, in a single loop; a microtask
 * queued by the first value therefore runs right after the last one.
 */
export class NotificationBatcher {
  readonly #deliver: (values: readonly PendingValue[]) => void
  #pending: PendingValue[] = []

  constructor(deliver: (values: readonly PendingValue[]) => void) {
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
    this.#deliver(orderBySourceTime(batch))
  }

  /** Drops what has not been delivered yet (the source is stopping). */
  clear(): void {
    this.#pending = []
  }
}
