/**
 * One subscription with one monitored item per node, as the OpcuaSource uses it, wrapped so the
 * source can drop it and build another without stale callbacks reaching the agent.
 */
import {
  AttributeIds,
  ClientMonitoredItemGroup,
  TimestampsToReturn,
  type ClientSession,
  type ClientSubscription,
} from 'node-opcua'
import type { TagValue } from '../common/tag-value.ts'
import { silenceLimitMs } from './silence-watchdog.ts'
import { toTagValue } from './value-codec.ts'

export interface SubscriptionSettings {
  readonly samplingIntervalMs: number
  readonly queueSize: number
  readonly publishingIntervalMs: number
  readonly maxKeepAliveCount: number
  readonly lifetimeCount: number
  /** Bound on each step that waits for the server. */
  readonly requestTimeoutMs: number
}

export interface SubscriptionHandlers {
  /** A value of `nodeId` arrived (node-opcua emits them item by item while it walks a Publish response). */
  value(nodeId: string, value: TagValue): void
  /** Any Publish response arrived: values or a keep-alive. */
  heard(): void
  /** node-opcua gave the subscription up (the server timed it out, or it could not be restored). */
  terminated(): void
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
  /** Stops all callbacks, then deletes the subscription on the server, best effort and bounded in time. */
  close(): Promise<void>
}

export async function createMonitoredSubscription(
  session: ClientSession,
  nodeIds: readonly string[],
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

  // An empty CreateMonitoredItems is refused (BadNothingToDo); a source without tags still
  // gets keep-alives, and with them a watched connection.
  const group = nodeIds.length === 0 ? undefined : monitorNodes(subscription, nodeIds, settings)
  // Listen before the items exist: their first values may come in the very next Publish response.
  group?.on('changed', (_item, dataValue, index) => {
    const nodeId = nodeIds[index]
    if (!closed && nodeId !== undefined) handlers.value(nodeId, toTagValue(dataValue, Date.now()))
  })

  const close = async (): Promise<void> => {
    if (closed) return
    closed = true
    if (subscription.isActive) {
      await withTimeout(subscription.terminate(), settings.requestTimeoutMs, 'DeleteSubscriptions').catch(() => undefined)
    }
  }

  try {
    if (group) await waitForItems(group, settings.requestTimeoutMs)
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
      group?.monitoredItems.forEach((item, index) => {
        const nodeId = nodeIds[index]
        if (nodeId !== undefined && !item.statusCode.isGood()) refused.push({ nodeId, status: item.statusCode.name })
      })
      return refused
    },
    close,
  }
}

function monitorNodes(
  subscription: ClientSubscription,
  nodeIds: readonly string[],
  settings: SubscriptionSettings,
): ClientMonitoredItemGroup {
  return ClientMonitoredItemGroup.create(
    subscription,
    nodeIds.map((nodeId) => ({ nodeId, attributeId: AttributeIds.Value })),
    { samplingInterval: settings.samplingIntervalMs, queueSize: settings.queueSize, discardOldest: true },
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
