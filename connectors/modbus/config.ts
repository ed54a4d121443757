/**
 * The Modbus connector's part of the agent config file: the schema of a `sources[]` entry with
 * `protocol: modbus`, the keys it adds to a tag reference, and their mapping to
 * {@link ModbusSourceOptions} and {@link ModbusTag}s. The agent config composes these; defaults
 * live in defaults.ts. Times are in ms, as everywhere in the agent config.
 */
import Type from 'typebox'
import type { Logger } from '../common/logger.ts'
import { MsSchema, SourceIdSchema, ConfigKeyProblem } from '../common/config.ts'
import { tagProblems } from './tag-check.ts'
import type { ModbusSourceOptions } from './source.ts'
import { byteOrders, modbusDataTypes, modbusTransports, registerTables, serialParities, type ModbusTag } from './types.ts'

const msOrZero = (description: string) => Type.Integer({ minimum: 0, description })

export const ModbusSourceConfigSchema = Type.Object(
  {
    id: SourceIdSchema,
    protocol: Type.Literal('modbus'),
    /** Device, gateway or converter address; required for `tcp` and `rtu-over-tcp`. */
    host: Type.Optional(Type.String({ minLength: 1 })),
    /** TCP port. Default 502. */
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    /** Unit (slave) id: 0..255 over tcp, 1..247 on an RTU line. Default 1. */
    unitId: Type.Optional(Type.Integer({ minimum: 0, maximum: 255 })),
    /** Poll interval, ms. Default 1000. */
    pollInterval: Type.Optional(MsSchema('ms')),
    /** Timeout of the connection and of each request, ms. Default 2000. */
    timeout: Type.Optional(MsSchema('ms')),
    /** `tcp` (Modbus TCP), `rtu` (serial port), `rtu-over-tcp` (serial-to-Ethernet converter). Default tcp. */
    transport: Type.Optional(Type.Enum([...modbusTransports])),
    /** Serial device for transport rtu: /dev/ttyUSB0, /dev/serial/by-id/..., COM3. */
    serialPort: Type.Optional(Type.String({ minLength: 1 })),
    /** Serial baud rate (rtu). Default 9600. */
    baudRate: Type.Optional(Type.Integer({ minimum: 50, maximum: 4_000_000 })),
    /** Serial parity (rtu). Default even, the Modbus serial line default. */
    parity: Type.Optional(Type.Enum([...serialParities])),
    /** Serial data bits (rtu): 8. Default 8. */
    dataBits: Type.Optional(Type.Integer({ minimum: 5, maximum: 8 })),
    /** Serial stop bits (rtu): 1 or 2. Default 1. */
    stopBits: Type.Optional(Type.Integer({ minimum: 1, maximum: 2 })),
    /** Extra attempts of a request after a timeout or a busy answer. Default 1. */
    retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 10 })),
    /** Pause before the first retry, ms; doubles for each further one. Default 100. */
    retryDelay: Type.Optional(msOrZero('ms')),
    /** Registers per request, 1..125 (devices often cap at 64 or 32). Default 125. */
    maxRegisters: Type.Optional(Type.Integer({ minimum: 1, maximum: 125 })),
    /** Bits (coils, discrete inputs) per request, 1..2000. Default 2000. */
    maxBits: Type.Optional(Type.Integer({ minimum: 1, maximum: 2000 })),
    /** Unused registers (or bits) one request may read across to merge two ranges. Default 0. */
    maxGap: Type.Optional(Type.Integer({ minimum: 0, maximum: 2000 })),
    /** Quirk: read each tag with its own request. Default false. */
    oneRequestPerTag: Type.Optional(Type.Boolean()),
    /** Quirk: wait this long after connecting before the first request, ms. Default 0. */
    pauseAfterConnect: Type.Optional(msOrZero('ms')),
    /** Quirk: tag addresses count from 1 (register 1 is protocol address 0), as many manuals do. Default 0. */
    addressBase: Type.Optional(Type.Integer({ minimum: 0, maximum: 1 })),
    /** First reconnect delay, ms; doubles after each failure. Default 1000. */
    reconnectDelay: Type.Optional(MsSchema('ms')),
    /** Ceiling of the reconnect delay, ms. Default 30000. */
    maxReconnectDelay: Type.Optional(MsSchema('ms')),
  },
  { additionalProperties: false },
)

export type ModbusSourceConfig = Type.Static<typeof ModbusSourceConfigSchema>

/** The keys a Modbus tag reference may carry besides `source`. */
export const ModbusTagFields = {
  table: Type.Optional(Type.Enum([...registerTables])),
  /** Register or bit address: 0-based, or 1-based where the source says `addressBase: 1`. */
  address: Type.Optional(Type.Integer({ minimum: 0, maximum: 65536 })),
  type: Type.Optional(Type.Enum([...modbusDataTypes])),
  /** Default ABCD. */
  byteOrder: Type.Optional(Type.Enum([...byteOrders])),
  bit: Type.Optional(Type.Integer({ minimum: 0, maximum: 15 })),
  length: Type.Optional(Type.Integer({ minimum: 1, maximum: 125 })),
  /** Default 1. */
  scale: Type.Optional(Type.Number()),
  /** Default 0. */
  offset: Type.Optional(Type.Number()),
}

type ModbusTagInput = { [K in keyof typeof ModbusTagFields]?: Type.Static<(typeof ModbusTagFields)[K]> | undefined }

/**
 * A Modbus tag reference after validation: a {@link ModbusTag} without its name (the agent names
 * it), its address the 0-based protocol address whatever the source's `addressBase`.
 */
export type ModbusTagConfig = Omit<ModbusTag, 'name'>

/** Checks the tag keys together and against their source; throws {@link ConfigKeyProblem} naming the key. */
export function modbusTagFromConfig(t: ModbusTagInput, source: ModbusSourceConfig): ModbusTagConfig {
  for (const k of ['table', 'address', 'type'] as const) {
    if (t[k] === undefined) throw new ConfigKeyProblem(k, `is required: source "${source.id}" is a Modbus source`)
  }
  const table = t.table as ModbusTag['table']
  const type = t.type as ModbusTag['type']
  if ((table === 'coil' || table === 'discrete') && type !== 'BOOL') throw new ConfigKeyProblem('type', `must be BOOL for a ${table} (got "${type}")`)
  if (t.bit !== undefined && type !== 'BOOL') throw new ConfigKeyProblem('bit', `applies only to type BOOL (got type "${type}")`)
  if (type === 'STRING' && t.length === undefined) throw new ConfigKeyProblem('length', 'is required for type STRING (registers to read)')
  const base = source.addressBase ?? 0
  const given = t.address as number
  if (given < base) {
    throw new ConfigKeyProblem('address', `must be ${base} or more: source "${source.id}" numbers registers from 1 (addressBase: 1), so the first register is 1 (got ${given})`)
  }
  const tag: ModbusTagConfig = {
    table,
    address: given - base,
    type,
    ...(t.byteOrder === undefined ? {} : { byteOrder: t.byteOrder }),
    ...(t.bit === undefined ? {} : { bit: t.bit }),
    ...(t.length === undefined ? {} : { length: t.length }),
    ...(t.scale === undefined ? {} : { scale: t.scale }),
    ...(t.offset === undefined ? {} : { offset: t.offset }),
  }
  const problem = tagProblems({ name: 'tag', ...tag }, { maxRegisters: source.maxRegisters })[0]
  if (problem !== undefined) {
    const first = problem.split(' ')[0] ?? ''
    // "needs 8 registers, more than maxRegisters": the type (or a STRING's length) is too wide.
    const key = first in ModbusTagFields ? first : first === 'needs' ? (type === 'STRING' ? 'length' : 'type') : 'address'
    const message = problem.startsWith(`${key} `) ? problem.slice(key.length + 1) : problem
    throw new ConfigKeyProblem(key, base === 1 ? `${message} (with addressBase 1, protocol addresses are one less)` : message)
  }
  return tag
}

const serialKeys = ['serialPort', 'baudRate', 'parity', 'dataBits', 'stopBits'] as const

/**
 * Cross-key checks of a source entry the schema cannot express, run before any socket opens;
 * throws {@link ConfigKeyProblem} naming the key.
 */
export function checkModbusSourceConfig(cfg: ModbusSourceConfig): void {
  const transport = cfg.transport ?? 'tcp'
  if (transport === 'rtu') {
    if (cfg.serialPort === undefined) throw new ConfigKeyProblem('serialPort', 'is required for transport rtu: the serial device, e.g. /dev/ttyUSB0 or /dev/serial/by-id/...')
    for (const k of ['host', 'port'] as const) {
      if (cfg[k] !== undefined) throw new ConfigKeyProblem(k, 'does not apply to transport rtu (a serial port): use serialPort, or transport rtu-over-tcp for a serial-to-Ethernet converter')
    }
    if (cfg.dataBits !== undefined && cfg.dataBits !== 8) throw new ConfigKeyProblem('dataBits', `must be 8: RTU frames are 8-bit; 7 data bits is Modbus ASCII, which shopfloor does not speak (got ${cfg.dataBits})`)
  } else {
    if (cfg.host === undefined) throw new ConfigKeyProblem('host', `is required for transport ${transport}: the device's${transport === 'rtu-over-tcp' ? ' converter\'s' : ''} host name or IP address`)
    for (const k of serialKeys) {
      if (cfg[k] !== undefined) throw new ConfigKeyProblem(k, `applies to transport rtu (a serial port) only, this source's transport is ${transport}${cfg.transport === undefined ? ' (the default)' : ''}`)
    }
  }
  if (transport !== 'tcp' && cfg.unitId !== undefined && (cfg.unitId < 1 || cfg.unitId > 247)) {
    throw new ConfigKeyProblem('unitId', `must be 1..247 on an RTU line: 0 is broadcast (no unit answers) and 248..255 are reserved (got ${cfg.unitId})`)
  }
  if (cfg.reconnectDelay !== undefined && cfg.maxReconnectDelay !== undefined && cfg.maxReconnectDelay < cfg.reconnectDelay) {
    throw new ConfigKeyProblem('maxReconnectDelay', `must be at least reconnectDelay (${cfg.reconnectDelay} ms), got ${cfg.maxReconnectDelay}`)
  }
}

/** The source's options from its config entry and the tags the agent reads from it. */
export function modbusSourceOptions(cfg: ModbusSourceConfig, tags: readonly ModbusTag[], logger: Logger): ModbusSourceOptions {
  const opt = <K extends keyof ModbusSourceOptions>(key: K, value: ModbusSourceOptions[K] | undefined): Partial<ModbusSourceOptions> => (value === undefined ? {} : { [key]: value })
  return {
    id: cfg.id,
    ...opt('transport', cfg.transport),
    ...opt('host', cfg.host),
    ...opt('port', cfg.port),
    ...opt('serialPort', cfg.serialPort),
    ...opt('baudRate', cfg.baudRate),
    ...opt('parity', cfg.parity),
    ...opt('dataBits', cfg.dataBits as 8 | undefined),
    ...opt('stopBits', cfg.stopBits as 1 | 2 | undefined),
    ...opt('unitId', cfg.unitId),
    ...opt('pollIntervalMs', cfg.pollInterval),
    ...opt('timeoutMs', cfg.timeout),
    ...opt('retries', cfg.retries),
    ...opt('retryDelayMs', cfg.retryDelay),
    ...opt('maxRegisters', cfg.maxRegisters),
    ...opt('maxBits', cfg.maxBits),
    ...opt('maxGap', cfg.maxGap),
    ...opt('oneRequestPerTag', cfg.oneRequestPerTag),
    ...opt('pauseAfterConnectMs', cfg.pauseAfterConnect),
    ...opt('reconnectDelayMs', cfg.reconnectDelay),
    ...opt('maxReconnectDelayMs', cfg.maxReconnectDelay),
    tags,
    logger,
  }
}
