/**
 * One subscription per source, holding every subscribed tag: a monitored item per node, created
 * in batches (session-limits.ts) with each tag group's sampling interval, queue size and deadband.
 * Wrapped so the source can drop it and build another without stale callbacks reaching the agent.
 */
import {
  AttributeIds,
  ClientMonitoredItemGroup,
  DataChangeFilter,
  DataChangeTrigger,
  DeadbandType,
  TimestampsToReturn,
  type ClientSession,
  type ClientSubscription,
} from 'node-opcua'
import type { TagValue } from '../common/tag-value.ts'
import { readNumericKinds, type NumericKind } from './data-types.ts'
import { silenceLimitMs } from './silence-watchdog.ts'
import type { SubscribeGroup } from './tag-groups.ts'
import { toTagValue } from './value-codec.ts'

export interface SubscriptionSettings {
  readonly publishingIntervalMs: number
  readonly maxKeepAliveCount: number
  readonly lifetimeCount: number
  /** Bound on each step that waits for the server. */
  readonly requestTimeoutMs: number
  /** Nodes per Read when the data types are looked up. */
  readonly nodesPerRead: number
}

/** A subscribed tag and the group whose settings it is monitored with. */
export interface MonitoredNode {
  readonly nodeId: string
  readonly group: SubscribeGroup
}

export interface SubscriptionHandlers {
  /** A value of `nodeId` arrived (node-opcua emits them item by item while it walks a Publish response). */
  value(nodeId: string, value: TagValue): void
  /** Any Publish response arrived: values or a keep-alive. */
  heard(): void
  /** node-opcua gave the subscription up (the server timed it out, or it could not be restored). */
  terminated(): void
  /** The server refused the deadband filter of `nodeId` (`status` says why); it is monitored without one. */
  filterRefused(nodeId: string, status: string): void
}

export interface RefusedNode {
  readonly nodeId: string
  /** The status code name, such as `BadNodeIdUnknown`. */
  readonly status: string
}

export interface MonitoredSubscription {
  /** False once the subscription is gone on the client side. */
  readonly isActive: boolean
  /** How long the server may stay silent, given the publishing interval and keep-alive count it revised. */
  readonly silenceLimitMs: number
  /** The nodes whose monitored item the server refused, as it stands now (rechecked after a repair). */
  refusedNodes(): RefusedNode[]
  /** Monitored items the server accepted, as it stands now. */
  liveItems(): number
  /** Stops all callbacks, then deletes the subscription on the server, best effort and bounded in time. */
  close(): Promise<void>
}

/** What a server answers when it will not take a DataChangeFilter on a node (OPC UA Part 4, 7.22.2). */
const FILTER_REFUSED = new Set(['BadFilterNotAllowed', 'BadMonitoredItemFilterUnsupported', 'BadMonitoredItemFilterInvalid', 'BadDeadbandFilterInvalid'])

/** Items created with one set of parameters: one group's nodes, with or without its deadband filter. */
interface Batch {
  readonly nodeIds: readonly string[]
  readonly group: SubscribeGroup
  readonly filtered: boolean
  items?: ClientMonitoredItemGroup
}

export async function createMonitoredSubscription(
  session: ClientSession,
  nodes: readonly MonitoredNode[],
  settings: SubscriptionSettings,
  handlers: SubscriptionHandlers,
): Promise<MonitoredSubscription> {
  let closed = false
  const subscription: ClientSubscription = await withTimeout(
    session.createSubscription2({
      requestedPublishingInterval: settings.publishingIntervalMs,
      requestedMaxKeepAliveCount: settings.maxKeepAliveCount,
      requestedLifetimeCount: settings.lifetimeCount,
      // 0: no cap. A cap would split one interval's values over several responses.
      maxNotificationsPerPublish: 0,
      publishingEnabled: true,
      priority: 10,
    }),
    settings.requestTimeoutMs,
    'CreateSubscription',
  )
  subscription.on('raw_notification', () => {
    if (!closed) handlers.heard()
  })
  subscription.on('terminated', () => {
    if (!closed) handlers.terminated()
  })
  const close = async (): Promise<void> => {
    if (closed) return
    closed = true
    if (subscription.isActive) {
      await withTimeout(subscription.terminate(), settings.requestTimeoutMs, 'DeleteSubscriptions').catch(() => undefined)
    }
  }

  const batches: Batch[] = []
  /** Nodes whose filtered item was refused and that are monitored by a fallback item instead. */
  const fallen = new Set<string>()
  const create = async (batch: Batch): Promise<void> => {
    const items = monitorNodes(subscription, batch)
    batch.items = items
    batches.push(batch)
    // Listen before the items exist: their first values may come in the very next Publish response.
    items.on('changed', (_item, dataValue, index) => {
      const nodeId = batch.nodeIds[index]
      if (!closed && nodeId !== undefined) handlers.value(nodeId, toTagValue(dataValue, Date.now()))
    })
    await waitForItems(items, settings.requestTimeoutMs)
  }

  try {
    const kinds = await numericKinds(session, nodes, settings)
    // One batch at a time: a small PLC gets one CreateMonitoredItems call after the other.
    for (const batch of plan(nodes, kinds)) await create(batch)
    // A server that refuses the deadband filter (no EURange for a percent deadband, a type it does
    // not consider numeric) still serves the value: monitor those nodes without the filter.
    for (const batch of [...batches]) {
      if (!batch.filtered || !batch.items) continue
      const refused: string[] = []
      batch.items.monitoredItems.forEach((item, index) => {
        const nodeId = batch.nodeIds[index]
        if (nodeId !== undefined && FILTER_REFUSED.has(item.statusCode.name)) {
          refused.push(nodeId)
          handlers.filterRefused(nodeId, item.statusCode.name)
        }
      })
      if (refused.length === 0) continue
      for (const nodeId of refused) fallen.add(nodeId)
      await create({ nodeIds: refused, group: batch.group, filtered: false })
    }
  } catch (err) {
    await close()
    throw err
  }

  return {
    get isActive() {
      return !closed && subscription.isActive
    },
    silenceLimitMs: silenceLimitMs(subscription.publishingInterval, subscription.maxKeepAliveCount),
    refusedNodes() {
      const refused: RefusedNode[] = []
      for (const batch of batches) {
        batch.items?.monitoredItems.forEach((item, index) => {
          const nodeId = batch.nodeIds[index]
          if (nodeId === undefined || item.statusCode.isGood() || (batch.filtered && fallen.has(nodeId))) return
          refused.push({ nodeId, status: item.statusCode.name })
        })
      }
      return refused
    },
    liveItems() {
      let live = 0
      for (const batch of batches) batch.items?.monitoredItems.forEach((item) => (live += item.statusCode.isGood() ? 1 : 0))
      return live
    },
    close,
  }
}

async function numericKinds(
  session: ClientSession,
  nodes: readonly MonitoredNode[],
  settings: SubscriptionSettings,
): Promise<ReadonlyMap<string, NumericKind>> {
  const withDeadband = nodes.filter((n) => n.group.deadband !== undefined).map((n) => n.nodeId)
  if (withDeadband.length === 0) return new Map()
  return withTimeout(readNumericKinds(session, withDeadband, settings.nodesPerRead), settings.requestTimeoutMs, 'Read of DataType')
}

/** Groups the nodes by the parameters their items are created with, in the order the tags came. */
function plan(nodes: readonly MonitoredNode[], kinds: ReadonlyMap<string, NumericKind>): Batch[] {
  const byKey = new Map<string, { nodeIds: string[]; group: SubscribeGroup; filtered: boolean }>()
  for (const { nodeId, group } of nodes) {
    const filtered = group.deadband !== undefined && kinds.get(nodeId) !== 'other'
    const key = `${group.name}\n${filtered}`
    let batch = byKey.get(key)
    if (!batch) byKey.set(key, (batch = { nodeIds: [], group, filtered }))
    batch.nodeIds.push(nodeId)
  }
  return [...byKey.values()]
}

function monitorNodes(subscription: ClientSubscription, batch: Batch): ClientMonitoredItemGroup {
  const { group } = batch
  const filter =
    batch.filtered && group.deadband
      ? new DataChangeFilter({
          // StatusValue: a change of status (Good -> Bad) is reported even inside the deadband.
          trigger: DataChangeTrigger.StatusValue,
          deadbandType: group.deadband.type === 'percent' ? DeadbandType.Percent : DeadbandType.Absolute,
          deadbandValue: group.deadband.value,
        })
      : null
  return ClientMonitoredItemGroup.create(
    subscription,
    batch.nodeIds.map((nodeId) => ({ nodeId, attributeId: AttributeIds.Value })),
    { samplingInterval: group.samplingIntervalMs, queueSize: group.queueSize, discardOldest: true, filter },
    TimestampsToReturn.Both,
  )
}

/** Resolves once the server has answered CreateMonitoredItems, whatever it answered per item. */
function waitForItems(group: ClientMonitoredItemGroup, timeoutMs: number): Promise<void> {
  return withTimeout(
    new Promise<void>((resolve, reject) => {
      group.once('initialized', () => resolve())
      group.once('terminated', (err: Error | undefined) => reject(err ?? new Error('monitored items were terminated before creation')))
    }),
    // node-opcua's group says nothing at all if its subscription dies before the request is sent.
    timeoutMs,
    'CreateMonitoredItems',
  )
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} got no answer within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
