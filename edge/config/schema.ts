import Type from 'typebox'
import { MACHINE_STATES, SASL_MECHANISMS, SEGMENT_PATTERN } from '../../stream/index.ts'
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

/**
 * A bit rule on an integer status word: `bit: 3` matches when bit 3 is set; `mask` + `equals`
 * matches when `value & mask == equals` (e.g. mask 0x0C, equals 0x04: bits 2-3 are "01").
 */
const BitRuleSchema = Type.Object(
  {
    /** Bit number, 0 = least significant. Shorthand for mask 1<<bit, equals 1<<bit. */
    bit: Type.Optional(Type.Integer({ minimum: 0, maximum: 52 })),
    mask: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
    /** Default: the mask (all its bits set). */
    equals: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
    state: Type.Enum([...MACHINE_STATES]),
    /** Reason sent with the state. Default: the reason tag's value, if any. */
    reason: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
)

const StateSchema = Type.Object(
  {
    tag: TagRefSchema,
    /** Bit rules for a status word, tried in order before `map`; the first that matches wins. */
    bits: Type.Optional(Type.Array(BitRuleSchema, { minItems: 1 })),
    /** PLC value → state. Keys are the PLC's values as text. Required unless `bits` is given. */
    map: Type.Optional(Type.Record(Type.String(), Type.Enum([...MACHINE_STATES]))),
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

/** Any other value of a machine (a temperature, a pressure), sent as a tag sample by exception. */
const SampleSchema = Type.Object(
  {
    /** The tag's name in the events, unique per machine. */
    name: Id,
    tag: TagRefSchema,
    /**
     * Report a numeric value only when it moved this far from the last one reported: a number
     * (absolute, in the value's unit) or a percentage of the last reported value ("2%"). Default 0:
     * every change. Strings and booleans are reported on every change.
     */
    deadband: Type.Optional(Type.Union([Type.Number({ minimum: 0 }), Type.String({ pattern: '^\\s*\\d+(\\.\\d+)?\\s*%\\s*$', description: 'a number, or a percentage such as 2%' })])),
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
    /** Other values to report as tag samples. */
    samples: Type.Optional(Type.Array(SampleSchema)),
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

/** A file path; relative paths are taken from the config file's folder. */
const FilePath = Type.String({ minLength: 1, description: 'a file path' })

/** Bytes: a whole number, or text with a unit such as `512MiB`, `2GB`, `800kB`. */
export const SIZE_PATTERN = '^\\s*\\d+(\\.\\d+)?\\s*(B|kB|KB|KiB|MB|MiB|GB|GiB|TB|TiB)?\\s*$'
const Size = Type.Union([Type.Integer({ minimum: 1 }), Type.String({ pattern: SIZE_PATTERN, description: 'bytes, or a size such as 512MiB or 2GB' })])

/** A duration: whole milliseconds, or text with a unit such as `500ms`, `30s`, `15m`, `12h`, `7d`. */
export const DURATION_PATTERN = '^\\s*\\d+(\\.\\d+)?\\s*(ms|s|m|h|d)\\s*$'
const Duration = Type.Union([Type.Integer({ minimum: 1 }), Type.String({ pattern: DURATION_PATTERN, description: 'ms, or a duration such as 30s, 15m, 12h, 7d' })])

const SecretSource = {
  /** Name of an environment variable holding the secret. */
  passwordEnv: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: 'an environment variable name' })),
  /** A file holding the secret (trailing newline ignored); readable by the agent's user only. */
  passwordFile: Type.Optional(FilePath),
}

const KafkaSchema = Type.Object(
  {
    /** Bootstrap brokers, `host:port`. */
    brokers: Type.Array(Type.String({ pattern: '^[^\\s:,]+:\\d{1,5}$', description: 'host:port' }), { minItems: 1 }),
    /** Client id shown in the broker's logs and quotas. Default: the agent id. */
    clientId: Type.Optional(Type.String({ minLength: 1 })),
    /** Topic prefix: events go to `<prefix>.<event-type>`. Default `shopfloor`. */
    topicPrefix: Type.Optional(Id),
    /** TLS towards the brokers. Present (even empty) = TLS on, trusting the system CAs. */
    tls: Type.Optional(
      Type.Object(
        {
          /** PEM file of the CA that signed the brokers' certificates. Default: the system's CAs. */
          ca: Type.Optional(FilePath),
          /** PEM client certificate, for brokers that require mutual TLS. Needs key. */
          cert: Type.Optional(FilePath),
          /** PEM private key of the client certificate. */
          key: Type.Optional(FilePath),
          /** Check the broker's certificate. Default true. */
          rejectUnauthorized: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    ),
    /** SASL authentication; the password comes from passwordEnv or passwordFile, never from this file. */
    sasl: Type.Optional(
      Type.Object(
        {
          mechanism: Type.Enum([...SASL_MECHANISMS]),
          username: Type.String({ minLength: 1 }),
          ...SecretSource,
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
)

const SpoolSchema = Type.Object(
  {
    /** Folder of the spool's segment files. Default `<agent.stateDir>/spool`. */
    dir: Type.Optional(Type.String({ minLength: 1 })),
    /** Most bytes kept unsent. Default 1GiB. */
    maxBytes: Type.Optional(Size),
    /** Oldest unsent event kept. Default 7d. */
    maxAge: Type.Optional(Duration),
    /** At the size bound: drop the oldest unsent events, or refuse new ones. Default drop-oldest. */
    onFull: Type.Optional(Type.Enum(['drop-oldest', 'drop-newest'])),
    /** When appended events are forced to disk. Default interval. */
    fsync: Type.Optional(Type.Enum(['always', 'interval', 'never'])),
    /** With fsync interval: the most time an event stays in the OS cache only (lost on power loss, never on a crash of the process). Default 1s. */
    fsyncInterval: Type.Optional(Duration),
  },
  { additionalProperties: false },
)

const HealthSchema = Type.Object(
  {
    /** Address of /healthz and /metrics, `host:port`. Default 127.0.0.1:9464; `off` turns the server off. */
    listen: Type.String({ pattern: '^(off|[^\\s]+:\\d{1,5})$', description: 'host:port, or off' }),
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
        /** Folder for the agent's state (event sequence, OPC UA PKI, spool). Default: $STATE_DIRECTORY (set by systemd), else ./data/edge. */
        stateDir: Type.Optional(Type.String({ minLength: 1 })),
      },
      { additionalProperties: false },
    ),
    site: Type.Object({ region: Id, park: Id, factory: Id }, { additionalProperties: false }),
    sources: Type.Array(Type.Union([OpcuaSourceConfigSchema, ModbusSourceConfigSchema]), { minItems: 1 }),
    lines: Type.Array(LineSchema, { minItems: 1 }),
    /** Where events go. Default: KAFKA_BROKERS from the environment, else no Kafka (in-process demo mode). */
    kafka: Type.Optional(KafkaSchema),
    /** The on-disk spool every event passes through before Kafka has it. */
    spool: Type.Optional(SpoolSchema),
    /** The health and metrics HTTP server. */
    health: Type.Optional(HealthSchema),
  },
  { additionalProperties: false },
)

export type EdgeConfigInput = Type.Static<typeof EdgeConfigSchema>
export type TagRefInput = Type.Static<typeof TagRefSchema>
