import type { KafkaSaslOptions, KafkaTlsOptions, MachineStateCode } from '../../stream/index.ts'
import type { ModbusSourceConfig, ModbusTagConfig, OpcuaSourceConfig, OpcuaTagConfig } from '../../connectors/index.ts'

/** The configuration after validation, with every default of the agent applied. */

/** A reference to an OPC UA value; the connector's keys as its config.ts validated them. */
export type OpcuaTagRef = { readonly protocol: 'opcua'; readonly source: string } & OpcuaTagConfig

/** A reference to a Modbus value; the connector's keys as its config.ts validated them. */
export type ModbusTagRef = { readonly protocol: 'modbus'; readonly source: string } & ModbusTagConfig

export type TagRef = OpcuaTagRef | ModbusTagRef

/**
 * A source entry as its connector's schema accepted it. Its defaults are the connector's own
 * (connectors/<protocol>/config.ts maps it to the source's options).
 */
export type SourceConfig = OpcuaSourceConfig | ModbusSourceConfig

export interface MachineConfig {
  /** region/park/factory/area/line/machine */
  readonly path: string
  readonly id: string
  readonly name: string
  readonly linePath: string
  readonly position: number
  readonly idealCycleS: number
  readonly lineIdealCycleS: number
  readonly endOfLine: boolean
  readonly state: {
    readonly tag: TagRef
    /** Tried in order before `map`; the first whose `value & mask === equals` wins. */
    readonly bits: ReadonlyArray<{ readonly mask: number; readonly equals: number; readonly state: MachineStateCode; readonly reason: string | null }>
    readonly map: ReadonlyMap<string, MachineStateCode>
    readonly unmapped: MachineStateCode
    readonly reason?: TagRef
  }
  readonly counts?: { readonly total: TagRef; readonly reject?: TagRef; readonly rollover: number }
  readonly energy?: { readonly kwh: TagRef; readonly kw?: TagRef; readonly rollover?: number }
  readonly samples: ReadonlyArray<SampleConfig>
}

export interface SampleConfig {
  readonly name: string
  readonly tag: TagRef
  /** A numeric value is reported when |value - last reported| >= this (absolute) ... */
  readonly deadband: { readonly kind: 'absolute' | 'percent'; readonly value: number }
}

export interface EdgeConfig {
  /** The file it was read from, for messages. */
  readonly file: string
  readonly agent: { readonly id: string; readonly heartbeatIntervalMs: number; readonly stateDir: string }
  readonly site: { readonly region: string; readonly park: string; readonly factory: string }
  readonly sources: readonly SourceConfig[]
  readonly machines: readonly MachineConfig[]
  /** Absent: no Kafka in the file (the CLI then looks at KAFKA_BROKERS). */
  readonly kafka?: KafkaConfig
  readonly spool: SpoolConfig
  readonly health: HealthConfig
}

/** Kafka settings with certificate files read and the password fetched from its source. */
export interface KafkaConfig {
  readonly brokers: readonly string[]
  readonly clientId: string
  readonly topicPrefix: string
  readonly tls?: KafkaTlsOptions
  /** Holds the password: never log this object. */
  readonly sasl?: KafkaSaslOptions
}

export interface SpoolConfig {
  readonly dir: string
  readonly maxBytes: number
  readonly maxAgeMs: number
  readonly onFull: 'drop-oldest' | 'drop-newest'
  readonly fsync: 'always' | 'interval' | 'never'
  readonly fsyncIntervalMs: number
}

export interface HealthConfig {
  /** Undefined: the server is off. */
  readonly listen?: { readonly host: string; readonly port: number }
}
