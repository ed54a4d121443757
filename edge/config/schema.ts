import Type from 'typebox'
import { MACHINE_STATES, SEGMENT_PATTERN } from '../../stream/index.ts'

/**
 * The edge agent's configuration file, as a JSON schema (TypeBox). Unknown keys are rejected
 * everywhere. Defaults are in `defaults.ts`; cross-field rules (a tag's source exists and has
 * the right protocol) in `validate.ts`.
 */

const Id = Type.String({ pattern: SEGMENT_PATTERN, description: 'letters, digits, ".", "_", "-"' })
const Ms = (description: string) => Type.Integer({ minimum: 1, description })

const REGISTER_TABLES = ['holding', 'input', 'coil', 'discrete'] as const
const MODBUS_TYPES = ['BOOL', 'INT16', 'UINT16', 'INT32', 'UINT32', 'INT64', 'UINT64', 'FLOAT32', 'FLOAT64', 'STRING'] as const
const BYTE_ORDERS = ['ABCD', 'DCBA', 'BADC', 'CDAB'] as const

const OpcuaSource = Type.Object(
  {
    id: Id,
    protocol: Type.Literal('opcua'),
    endpoint: Type.String({ pattern: '^opc\\.tcp://', description: 'opc.tcp://host:port/path' }),
    /** Server-side sampling interval, ms. Default 250. */
    samplingInterval: Type.Optional(Ms('ms')),
    /** Publishing interval of the subscription, ms. Default 500. */
    publishingInterval: Type.Optional(Ms('ms')),
  },
  { additionalProperties: false },
)

const ModbusSource = Type.Object(
  {
    id: Id,
    protocol: Type.Literal('modbus'),
    host: Type.String({ minLength: 1 }),
    /** Default 502. */
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    /** Default 1. */
    unitId: Type.Optional(Type.Integer({ minimum: 0, maximum: 255 })),
    /** Poll interval, ms. Default 1000. */
    pollInterval: Type.Optional(Ms('ms')),
    /** Timeout of one request, ms. Default 2000. */
    timeout: Type.Optional(Ms('ms')),
  },
  { additionalProperties: false },
)

/**
 * A reference to one PLC value: `node` for an OPC UA source; `table`, `address`, `type` for a
 * Modbus source. Which keys apply depends on the source's protocol (checked in validate.ts).
 */
export const TagRefSchema = Type.Object(
  {
    source: Id,
    node: Type.Optional(Type.String({ minLength: 1 })),
    table: Type.Optional(Type.Enum([...REGISTER_TABLES])),
    address: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
    type: Type.Optional(Type.Enum([...MODBUS_TYPES])),
    byteOrder: Type.Optional(Type.Enum([...BYTE_ORDERS])),
    bit: Type.Optional(Type.Integer({ minimum: 0, maximum: 15 })),
    length: Type.Optional(Type.Integer({ minimum: 1, maximum: 125 })),
    scale: Type.Optional(Type.Number()),
    offset: Type.Optional(Type.Number()),
  },
  { additionalProperties: false },
)

const StateSchema = Type.Object(
  {
    tag: TagRefSchema,
    /** PLC value → state. Keys are the PLC's values as text. */
    map: Type.Record(Type.String(), Type.Enum([...MACHINE_STATES])),
    /** State for a value the map does not name. Default DOWN (reason PLC_STATE_<value>), so it shows as a loss. */
    unmapped: Type.Optional(Type.Enum([...MACHINE_STATES])),
    reason: Type.Optional(TagRefSchema),
  },
  { additionalProperties: false },
)

const CountsSchema = Type.Object(
  {
    /** Counter of all units made (good and rejected). */
    total: TagRefSchema,
    /** Counter of rejected units. */
    reject: Type.Optional(TagRefSchema),
    /** Value at which the PLC counters wrap to 0. Default 4294967296 (32-bit). */
    rollover: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  },
  { additionalProperties: false },
)

const EnergySchema = Type.Object(
  {
    /** Cumulative active energy register, in kWh after scale. */
    kwh: TagRefSchema,
    /** Instantaneous active power, in kW after scale. */
    kw: Type.Optional(TagRefSchema),
    /** Value at which the kWh register wraps, in kWh after scale. Default: none (a drop is a meter reset). */
    rollover: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  },
  { additionalProperties: false },
)

const MachineSchema = Type.Object(
  {
    id: Id,
    /** Display name. Default: the id. */
    name: Type.Optional(Type.String({ minLength: 1 })),
    /** Ideal cycle time, seconds per unit. */
    idealCycleTime: Type.Number({ exclusiveMinimum: 0 }),
    /** The machine whose good output is the line's. Default: the last machine of the line. */
    endOfLine: Type.Optional(Type.Boolean()),
    state: StateSchema,
    counts: Type.Optional(CountsSchema),
    energy: Type.Optional(EnergySchema),
  },
  { additionalProperties: false },
)

const LineSchema = Type.Object(
  {
    id: Id,
    area: Id,
    /** The line's ideal cycle time, seconds per unit. Default: the slowest machine's (the bottleneck). */
    idealCycleTime: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    /** In flow order, first machine first. */
    machines: Type.Array(MachineSchema, { minItems: 1 }),
  },
  { additionalProperties: false },
)

export const EdgeConfigSchema = Type.Object(
  {
    agent: Type.Object(
      {
        id: Id,
        /** Heartbeat interval, ms. Default 10000. */
        heartbeatInterval: Type.Optional(Ms('ms')),
        /** Folder for the agent's state (sequence numbers). Default ./data/edge. */
        stateDir: Type.Optional(Type.String({ minLength: 1 })),
      },
      { additionalProperties: false },
    ),
    site: Type.Object({ region: Id, park: Id, factory: Id }, { additionalProperties: false }),
    sources: Type.Array(Type.Union([OpcuaSource, ModbusSource]), { minItems: 1 }),
    lines: Type.Array(LineSchema, { minItems: 1 }),
  },
  { additionalProperties: false },
)

export type EdgeConfigInput = Type.Static<typeof EdgeConfigSchema>
export type TagRefInput = Type.Static<typeof TagRefSchema>
export type OpcuaSourceInput = Type.Static<typeof OpcuaSource>
export type ModbusSourceInput = Type.Static<typeof ModbusSource>
