/**
 * The events edge agents publish, as plain objects. Field names are the Avro schemas' own
 * (`stream/schemas/*.avsc`), so a record goes to the codec without renaming; a unit test checks
 * every field here against the schema files.
 */

export const MACHINE_STATES = ['RUNNING', 'IDLE', 'DOWN', 'SETUP', 'PLANNED_STOP', 'OFFLINE'] as const
export type MachineStateCode = (typeof MACHINE_STATES)[number]

export const EVENT_TYPES = [
  'machine_state',
  'production_count',
  'energy_reading',
  'tag_sample',
  'agent_heartbeat',
] as const
export type EventType = (typeof EVENT_TYPES)[number]

interface EventHeader {
  /** `<agent_id>:<seq>`, unique per agent. */
  event_id: string
  agent_id: string
  seq: number
  /** Epoch milliseconds. */
  source_ts: number
}

interface MachineEventHeader extends EventHeader {
  /** Machine path `region/park/factory/area/line/machine`. */
  machine: string
  /** Epoch milliseconds. */
  receive_ts: number
}

export interface MachineStateEvent extends MachineEventHeader {
  state: MachineStateCode
  reason: string | null
}

export interface ProductionCountEvent extends MachineEventHeader {
  produced: number
  rejected: number
  ideal_cycle_s: number
  product: string | null
}

export interface EnergyReadingEvent extends MachineEventHeader {
  kwh: number
  kwh_total: number
  kw: number | null
  /**
   * Reactive energy since the previous reading (schema v2). Optional for producers: left out it is
   * written as null; decoding always sets it (null for events written with v1).
   */
  kvarh?: number | null
  /** The meter's cumulative reactive register (schema v2); optional as {@link EnergyReadingEvent.kvarh}. */
  kvarh_total?: number | null
}

export interface TagSampleEvent extends MachineEventHeader {
  tag: string
  value_double: number | null
  value_string: string | null
  quality: 'GOOD' | 'UNCERTAIN' | 'BAD'
}

export interface MachineInfo {
  machine: string
  name: string
  position: number
  ideal_cycle_s: number
  line_ideal_cycle_s: number
  end_of_line: boolean
}

export interface AgentHeartbeatEvent extends EventHeader {
  version: string
  started_ts: number
  machines: MachineInfo[]
}

export interface EventOfType {
  machine_state: MachineStateEvent
  production_count: ProductionCountEvent
  energy_reading: EnergyReadingEvent
  tag_sample: TagSampleEvent
  agent_heartbeat: AgentHeartbeatEvent
}

/** An event with its type: what flows between the machine model, the transport and ingest. */
export type ShopfloorEvent = {
  [K in EventType]: { readonly type: K; readonly event: EventOfType[K] }
}[EventType]

/** The Kafka key: the machine path, or the agent id for heartbeats, so order holds per machine. */
export function eventKey(e: ShopfloorEvent): string {
  return e.type === 'agent_heartbeat' ? e.event.agent_id : e.event.machine
}
