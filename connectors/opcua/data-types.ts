/**
 * Which nodes a deadband may go on. OPC UA defines deadbands for numeric values only: a server
 * refuses a DataChangeFilter with a deadband on a String or Boolean node (BadFilterNotAllowed),
 * and a refused filter costs a second CreateMonitoredItems. So the DataType attribute is read
 * first and only numeric nodes get the filter.
 */
import { AttributeIds, type ClientSession, type NodeId } from 'node-opcua'

/** `numeric`: give it the filter; `other`: never; `unknown`: a vendor type, try the filter and fall back if refused. */
export type NumericKind = 'numeric' | 'other' | 'unknown'

// Namespace-0 DataType ids: SByte..Double, the abstract Number/Integer/UInteger, Decimal, and
// the numeric subtypes PLC servers use for counters and durations.
const NUMERIC = new Set([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 26, 27, 28, 50, 288, 289, 290, 17588])
// Boolean, String..DiagnosticInfo, Enumeration, Image, UtcTime, LocaleId.
const OTHER = new Set([1, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 29, 30, 294, 295])

export function numericKindOf(dataType: NodeId | null | undefined): NumericKind {
  if (!dataType || dataType.namespace !== 0 || typeof dataType.value !== 'number') return 'unknown'
  if (NUMERIC.has(dataType.value)) return 'numeric'
  if (OTHER.has(dataType.value)) return 'other'
  return 'unknown'
}

/** Reads the DataType of each node, `perRead` nodes per Read call; a node that cannot be read is `other` (it will be refused anyway). */
export async function readNumericKinds(session: ClientSession, nodeIds: readonly string[], perRead: number): Promise<Map<string, NumericKind>> {
  const kinds = new Map<string, NumericKind>()
  for (let start = 0; start < nodeIds.length; start += perRead) {
    const chunk = nodeIds.slice(start, start + perRead)
    const values = await session.read(chunk.map((nodeId) => ({ nodeId, attributeId: AttributeIds.DataType })))
    chunk.forEach((nodeId, i) => {
      const dv = values[i]
      kinds.set(nodeId, dv?.statusCode.isGood() ? numericKindOf(dv.value.value as NodeId | null) : 'other')
    })
  }
  return kinds
}
