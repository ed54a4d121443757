/**
 * The tags an OpcuaSource is started with, sorted by how they are read: the subscribed ones with
 * their group's settings, the polled ones per group. Checked before any socket is opened.
 */
import type { OpcuaTagConfig } from './config.ts'
import { OpcuaError } from './errors.ts'
import type { MonitoredNode } from './monitored-subscription.ts'
import { checkNodeIds } from './node-ids.ts'
import type { PollTarget } from './poller.ts'
import { DEFAULT_GROUP, type PollGroup, type ResolvedTagGroup } from './tag-groups.ts'

/** A tag to read: a node id (in the `default` group) or a node id with the group it belongs to. */
export type OpcuaTag = string | OpcuaTagConfig

export interface TagPlan {
  /** Every node, once each. */
  readonly nodeIds: readonly string[]
  readonly subscribed: readonly MonitoredNode[]
  readonly polled: readonly PollTarget[]
}

/**
 * Throws `SHOPFLOOR_OPCUA_BAD_NODE` for malformed node ids and `SHOPFLOOR_OPCUA_CONFIG` for a
 * group the source does not define or a node put in two different groups.
 */
export function planTags(context: string, tags: readonly OpcuaTag[], groups: ReadonlyMap<string, ResolvedTagGroup>): TagPlan {
  const groupOf = new Map<string, string>()
  for (const tag of tags) {
    const node = typeof tag === 'string' ? tag : tag.node
    const group = typeof tag === 'string' ? DEFAULT_GROUP : (tag.group ?? DEFAULT_GROUP)
    if (!groups.has(group)) {
      throw new OpcuaError(
        'SHOPFLOOR_OPCUA_CONFIG',
        `${context}: node "${node}" names group "${group}", which the source does not define (groups: ${[...groups.keys()].join(', ')})`,
        { canRetry: false, nodeId: node },
      )
    }
    const earlier = groupOf.get(node)
    if (earlier !== undefined && earlier !== group) {
      throw new OpcuaError(
        'SHOPFLOOR_OPCUA_CONFIG',
        `${context}: node "${node}" is in group "${earlier}" and in group "${group}"; a node is read one way, put it in one group`,
        { canRetry: false, nodeId: node },
      )
    }
    groupOf.set(node, group)
  }
  const nodeIds = [...groupOf.keys()]
  checkNodeIds(context, nodeIds)

  const subscribed: MonitoredNode[] = []
  const polled = new Map<string, { group: PollGroup; nodeIds: string[] }>()
  for (const [nodeId, name] of groupOf) {
    const group = groups.get(name)
    if (group?.mode === 'subscribe') subscribed.push({ nodeId, group })
    else if (group?.mode === 'poll') {
      let target = polled.get(name)
      if (!target) polled.set(name, (target = { group, nodeIds: [] }))
      target.nodeIds.push(nodeId)
    }
  }
  return { nodeIds, subscribed, polled: [...polled.values()] }
}
