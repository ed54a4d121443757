/**
 * Polled tag groups: a Read service call every `pollInterval` instead of a subscription. For
 * servers whose subscriptions misbehave, and for slow tags (recipe names, shift targets) not worth
 * a monitored item.
 */
import type { DataValue } from 'node-opcua'
import type { TagValue } from '../common/tag-value.ts'
import type { PollGroup } from './tag-groups.ts'
import { toTagValue } from './value-codec.ts'

export interface PollTarget {
  readonly group: PollGroup
  readonly nodeIds: readonly string[]
}

export interface PollerHooks {
  /** One Read of `nodeIds` (the caller splits it by the server's limit); rejects when the read fails as a whole. */
  read(nodeIds: readonly string[]): Promise<DataValue[]>
  /** A value to hand to the agent. */
  deliver(nodeId: string, value: TagValue): void
  /** The first time a node reads as one the server does not have (or will not let us read). */
  refused(nodeId: string, status: string): void
  /** A node that was refused reads again. */
  recovered(nodeId: string): void
  /** A whole read failed (the connection is going, or the server is overloaded). */
  failed(group: string, err: unknown): void
}

/** Statuses that mean "this node, as configured, will not be read": reported once, not every poll. */
const REFUSED = new Set(['BadNodeIdUnknown', 'BadNodeIdInvalid', 'BadAttributeIdInvalid', 'BadNotReadable', 'BadUserAccessDenied'])

interface Last {
  readonly value: TagValue['value']
  readonly quality: TagValue['quality']
  readonly status: string | undefined
}

/**
 * Reads each group on its own timer while resumed (the connection is up). Every good value is
 * delivered, except within a group's absolute deadband of the last delivered one; a bad status is
 * delivered when it first appears, not again on every poll.
 */
export class Poller {
  readonly #targets: readonly PollTarget[]
  readonly #hooks: PollerHooks
  readonly #timers = new Map<string, NodeJS.Timeout>()
  readonly #last = new Map<string, Last>()
  readonly #refused = new Set<string>()
  #running = false

  constructor(targets: readonly PollTarget[], hooks: PollerHooks) {
    this.#targets = targets.filter((t) => t.nodeIds.length > 0)
    this.#hooks = hooks
  }

  get empty(): boolean {
    return this.#targets.length === 0
  }

  /** Starts polling (at once, then every interval); a no-op while already running. */
  resume(): void {
    if (this.#running) return
    this.#running = true
    for (const target of this.#targets) this.#schedule(target, 0)
  }

  /** Stops polling until the next `resume()`; a read in flight still completes but delivers nothing. */
  pause(): void {
    this.#running = false
    for (const timer of this.#timers.values()) clearTimeout(timer)
    this.#timers.clear()
  }

  #schedule(target: PollTarget, delayMs: number): void {
    if (!this.#running) return
    const timer = setTimeout(() => void this.#poll(target), delayMs)
    this.#timers.set(target.group.name, timer)
  }

  async #poll(target: PollTarget): Promise<void> {
    const began = Date.now()
    try {
      const values = await this.#hooks.read(target.nodeIds)
      if (!this.#running) return
      const receiveTs = Date.now()
      values.forEach((dataValue, i) => {
        const nodeId = target.nodeIds[i]
        if (nodeId !== undefined) this.#take(target.group, nodeId, toTagValue(dataValue, receiveTs))
      })
    } catch (err) {
      if (this.#running) this.#hooks.failed(target.group.name, err)
    }
    // Interval from start to start; a read slower than the interval is followed at once, not stacked.
    this.#schedule(target, Math.max(0, target.group.pollIntervalMs - (Date.now() - began)))
  }

  #take(group: PollGroup, nodeId: string, value: TagValue): void {
    const status = value.status
    if (value.quality === 'bad' && status !== undefined && REFUSED.has(status)) {
      if (!this.#refused.has(nodeId)) {
        this.#refused.add(nodeId)
        this.#hooks.refused(nodeId, status)
      }
    } else if (this.#refused.delete(nodeId)) {
      this.#hooks.recovered(nodeId)
    }
    const last = this.#last.get(nodeId)
    if (last && !changed(last, value, group)) return
    this.#last.set(nodeId, { value: value.value, quality: value.quality, status })
    this.#hooks.deliver(nodeId, value)
  }
}

function changed(last: Last, value: TagValue, group: PollGroup): boolean {
  if (last.quality !== value.quality || last.status !== value.status) return true
  // The same bad status again says nothing new.
  if (value.quality === 'bad') return false
  const deadband = group.deadband
  if (deadband === undefined) return true
  if (typeof value.value === 'number' && typeof last.value === 'number') return Math.abs(value.value - last.value) > deadband.value
  return value.value !== last.value
}
