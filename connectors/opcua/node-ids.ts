/**
 * Node id syntax checks, done before a socket is opened so a typo in the tag mapping fails
 * at start-up with the offending id, not as a BadNodeIdInvalid somewhere in a log.
 */
import { resolveNodeId } from 'node-opcua'
import { OpcuaError } from './errors.ts'

/** Throws `SHOPFLOOR_OPCUA_BAD_NODE` naming every id that is not OPC UA node id syntax. */
export function checkNodeIds(context: string, nodeIds: readonly string[]): void {
  const invalid = nodeIds.filter((nodeId) => !isNodeId(nodeId))
  if (invalid.length === 0) return
  const first = invalid[0]
  throw new OpcuaError(
    'SHOPFLOOR_OPCUA_BAD_NODE',
    `${context}: ${invalid.map((id) => `"${id}"`).join(', ')} ${invalid.length === 1 ? 'is not a node id' : 'are not node ids'}; ` +
      'write them as ns=<index>;s=<name> (or i=, g=, b=), for example ns=1;s=Line1.Printer.State',
    { canRetry: false, ...(first === undefined ? {} : { nodeId: first }) },
  )
}

export function isNodeId(nodeId: unknown): nodeId is string {
  if (typeof nodeId !== 'string' || nodeId.trim().length === 0) return false
  try {
    resolveNodeId(nodeId)
    return true
  } catch {
    return false
  }
}
