import type { MachineStateCode } from '../../stream/index.ts'
import type { ByteOrder, ModbusDataType, RegisterTable } from '../../connectors/index.ts'

/** The configuration after validation, with every default applied. */

export interface OpcuaTagRef {
  readonly protocol: 'opcua'
  readonly source: string
  readonly node: string
}

export interface ModbusTagRef {
  readonly protocol: 'modbus'
  readonly source: string
  readonly table: RegisterTable
  readonly address: number
  readonly type: ModbusDataType
  readonly byteOrder: ByteOrder
  readonly bit?: number
  readonly length?: number
  readonly scale: number
  readonly offset: number
}

export type TagRef = OpcuaTagRef | ModbusTagRef

export interface OpcuaSourceConfig {
  readonly protocol: 'opcua'
  readonly id: string
  readonly endpoint: string
  readonly samplingIntervalMs: number
  readonly publishingIntervalMs: number
}

export interface ModbusSourceConfig {
  readonly protocol: 'modbus'
  readonly id: string
  readonly host: string
  readonly port: number
  readonly unitId: number
  readonly pollIntervalMs: number
  readonly timeoutMs: number
}

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
    readonly map: ReadonlyMap<string, MachineStateCode>
    readonly unmapped: MachineStateCode
    readonly reason?: TagRef
  }
  readonly counts?: { readonly total: TagRef; readonly reject?: TagRef; readonly rollover: number }
  readonly energy?: { readonly kwh: TagRef; readonly kw?: TagRef; readonly rollover?: number }
}

export interface EdgeConfig {
  /** The file it was read from, for messages. */
  readonly file: string
  readonly agent: { readonly id: string; readonly heartbeatIntervalMs: number; readonly stateDir: string }
  readonly site: { readonly region: string; readonly park: string; readonly factory: string }
  readonly sources: readonly SourceConfig[]
  readonly machines: readonly MachineConfig[]
}
