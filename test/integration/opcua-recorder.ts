// What an OpcuaSource told its listeners, for the OPC UA integration tests (not a test file itself).
import type { TagValue } from '../../connectors/common/tag-value.ts'
import type { OpcuaError } from '../../connectors/opcua/errors.ts'
import type { OpcuaSource } from '../../connectors/opcua/source.ts'
import type { OpcuaTag } from '../../connectors/opcua/source-tags.ts'

export interface Recorder {
  /** Connection changes and values in the order the listeners saw them: `up`, `down`, `<value>`. */
  readonly timeline: string[]
  readonly values: { nodeId: string; value: TagValue }[]
  readonly connection: { connected: boolean; error?: Error & { code?: string } }[]
  readonly nodeErrors: { nodeId: string; error: OpcuaError }[]
  of(nodeId: string): TagValue[]
  /** The values of `nodeId` only, as numbers/strings/booleans/null. */
  valuesOf(nodeId: string): TagValue['value'][]
  /** The code of the last connection error, if the last report was a disconnection. */
  lastErrorCode(): string | undefined
}

export async function record(src: OpcuaSource, tags: readonly OpcuaTag[]): Promise<Recorder> {
  const rec: Recorder = {
    timeline: [],
    values: [],
    connection: [],
    nodeErrors: [],
    of: (nodeId) => rec.values.filter((v) => v.nodeId === nodeId).map((v) => v.value),
    valuesOf: (nodeId) => rec.of(nodeId).map((v) => v.value),
    lastErrorCode: () => rec.connection.at(-1)?.error?.code,
  }
  await src.start(
    tags,
    (nodeId, value) => {
      rec.values.push({ nodeId, value })
      rec.timeline.push(String(value.value))
    },
    (connected, error) => {
      rec.connection.push(error === undefined ? { connected } : { connected, error })
      rec.timeline.push(connected ? 'up' : 'down')
    },
    (nodeId, error) => rec.nodeErrors.push({ nodeId, error }),
  )
  return rec
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
