/**
 * One value read from a PLC, as every connector hands it to the edge agent.
 *
 * Connectors know nothing of events or Kafka: they turn protocol reads into `TagValue`s and
 * report connection changes; the agent's machine model does the rest.
 */

/** OPC UA status severity folded to three levels; Modbus reads are `good` or never delivered. */
export type Quality = 'good' | 'uncertain' | 'bad'

export type TagScalar = number | bigint | string | boolean

export interface TagValue {
  /** The decoded value; `null` when the source delivered no usable value (quality is then `bad`). */
  readonly value: TagScalar | null
  /** When the value was produced at the source, epoch milliseconds (OPC UA sourceTimestamp; for Modbus the time the response arrived). */
  readonly sourceTs: number
  /** When the connector received it, epoch milliseconds. */
  readonly receiveTs: number
  readonly quality: Quality
  /** The source's own status text where it is not Good (for example an OPC UA status code name). */
  readonly status?: string
}

/** Callback through which a connector reports that it lost or regained its device. */
export type ConnectionListener = (connected: boolean, error?: Error) => void
