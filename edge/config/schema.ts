import Type from 'typebox'
import { MACHINE_STATES, SEGMENT_PATTERN } from '../../stream/index.ts'
import { ModbusSourceConfigSchema, ModbusTagFields, OpcuaSourceConfigSchema, OpcuaTagFields } from '../../connectors/index.ts'

/**
 * The edge agent's configuration file, as a JSON schema (TypeBox). Unknown keys are rejected
 * everywhere. Defaults are in `defaults.ts`; cross-field rules (a tag's source exists and has
 * the right protocol) in `validate.ts`.
 */

const Id = Type.String({ pattern: SEGMENT_PATTERN, description: 'letters, digits, ".", "_", "-"' })
const Ms = (description: string) => Type.Integer({ minimum: 1, description })

/**
 * A reference to one PLC value: `source` plus the keys of that source's protocol (`node` for OPC
 * UA; `table`, `address`, `type`, ... for Modbus). Each connector declares its keys in its
 * config.ts; which apply is checked against the source's protocol in validate.ts.
 */
export const TagRefSchema = Type.Object(
  { source: Id, ...OpcuaTagFields, ...ModbusTagFields },
  { additionalProperties: false },
)

/** Each protocol's tag keys, for "does not apply" messages. */
export const TAG_KEYS_BY_PROTOCOL = { opcua: Object.keys(OpcuaTagFields), modbus: Object.keys(ModbusTagFields) } as const

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
    sources: Type.Array(Type.Union([OpcuaSourceConfigSchema, ModbusSourceConfigSchema]), { minItems: 1 }),
    lines: Type.Array(LineSchema, { minItems: 1 }),
  },
  { additionalProperties: false },
)

export type EdgeConfigInput = Type.Static<typeof EdgeConfigSchema>
export type TagRefInput = Type.Static<typeof TagRefSchema>
