/**
 * How many operations one service call may carry, and the wrapper that holds CreateMonitoredItems
 * to it.
 *
 * Small PLCs choke on large CreateMonitoredItems requests (some time out, some drop the
 * connection). The batch limit has to hold for every such call on the session: ours when the
 * subscription is built, and node-opcua's own when it recreates the monitored items after a
 * server restart (it batches by the server's advertised limit only, or 1000). Wrapping the
 * session's method covers both, and also keeps one such call in flight at a time.
 */
import {
  AttributeIds,
  CreateMonitoredItemsRequest,
  CreateMonitoredItemsResponse,
  VariableIds,
  type ClientSession,
  type ClientSessionRawSubscriptionService,
  type DataValue,
  type CreateMonitoredItemsRequestOptions,
  type MonitoredItemCreateRequestOptions,
} from 'node-opcua'

export interface ServerLimits {
  /** The server's MaxMonitoredItemsPerCall; 0 when it advertises none. */
  readonly maxMonitoredItemsPerCall: number
  /** The server's MaxNodesPerRead; 0 when it advertises none. */
  readonly maxNodesPerRead: number
}

/** Reads the server's operation limits (OPC UA Part 5 OperationLimits); a server without them gets 0s. */
export async function readServerLimits(session: ClientSession): Promise<ServerLimits> {
  const ids = [
    VariableIds.Server_ServerCapabilities_OperationLimits_MaxMonitoredItemsPerCall,
    VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerRead,
  ]
  const values = await session.read(ids.map((id) => ({ nodeId: `ns=0;i=${id}`, attributeId: AttributeIds.Value })))
  const limit = (i: number): number => {
    const v: unknown = values[i]?.statusCode.isGood() ? values[i]?.value.value : undefined
    return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : 0
  }
  return { maxMonitoredItemsPerCall: limit(0), maxNodesPerRead: limit(1) }
}

/** The smaller of our limit and the server's (0: the server has none). */
export function effectiveLimit(ours: number, servers: number): number {
  return servers > 0 ? Math.min(ours, servers) : ours
}

type CreateItems = (request: CreateMonitoredItemsRequestOptions) => Promise<CreateMonitoredItemsResponse>

/**
 * Makes every CreateMonitoredItems on `session` go out in calls of at most `perCall()` items,
 * one call at a time, in order; `onCall(items)` is told of each call sent.
 */
export function limitCreateMonitoredItems(session: ClientSession, perCall: () => number, onCall: (items: number) => void): void {
  const original = (session as ClientSession & ClientSessionRawSubscriptionService).createMonitoredItems.bind(session) as CreateItems
  let queue: Promise<unknown> = Promise.resolve()

  const inBatches = async (request: CreateMonitoredItemsRequestOptions): Promise<CreateMonitoredItemsResponse> => {
    const items: readonly MonitoredItemCreateRequestOptions[] = request.itemsToCreate ?? []
    const size = Math.max(1, perCall())
    if (items.length <= size) {
      onCall(items.length)
      return original(request)
    }
    const results: NonNullable<CreateMonitoredItemsResponse['results']> = []
    for (let start = 0; start < items.length; start += size) {
      const part = items.slice(start, start + size)
      onCall(part.length)
      const response = await original(
        new CreateMonitoredItemsRequest({
          subscriptionId: request.subscriptionId ?? 0,
          ...(request.timestampsToReturn === undefined ? {} : { timestampsToReturn: request.timestampsToReturn }),
          itemsToCreate: [...part],
        }),
      )
      results.push(...(response.results ?? []))
    }
    return new CreateMonitoredItemsResponse({ results })
  }

  const limited = (request: CreateMonitoredItemsRequestOptions, callback?: (err: Error | null, response?: CreateMonitoredItemsResponse) => void) => {
    const run = queue.then(() => inBatches(request))
    queue = run.catch(() => undefined)
    if (typeof callback !== 'function') return run
    run.then(
      (response) => callback(null, response),
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
    )
    return undefined
  }
  // node-opcua calls it both ways: with a callback (monitored item groups) and awaited (its recreation).
  Object.defineProperty(session, 'createMonitoredItems', { value: limited, configurable: true, writable: true })
}

/** Reads the Value of `nodeIds` in calls of at most `perRead` nodes; `onCall` is told of each call. */
export async function readValues(session: ClientSession, nodeIds: readonly string[], perRead: number, onCall: () => void): Promise<DataValue[]> {
  const values: DataValue[] = []
  for (let start = 0; start < nodeIds.length; start += perRead) {
    onCall()
    const chunk = nodeIds.slice(start, start + perRead)
    // maxAge 0: a fresh value from the device, not a server cache older than the poll interval.
    values.push(...(await session.read(chunk.map((nodeId) => ({ nodeId, attributeId: AttributeIds.Value })), 0)))
  }
  return values
}
