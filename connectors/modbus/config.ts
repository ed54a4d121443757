/**
 * The Modbus connector's part of the agent config file: the schema of a `sources[]` entry with
 * `protocol: modbus`, the keys it adds to a tag reference, and their mapping to
 * {@link ModbusSourceOptions} and {@link ModbusTag}s. The agent config composes these; defaults
 * live in defaults.ts.
 */
import Type from 'typebox'
import type { Logger } from '../common/logger.ts'
import { MsSchema, SourceIdSchema, ConfigKeyProblem } from '../common/config.ts'
import { tagProblems } from './tag-check.ts'
import type { ModbusSourceOptions } from './source.ts'
import { byteOrders, modbusDataTypes, registerTables, type ModbusTag } from './types.ts'

export const ModbusSourceConfigSchema = Type.Object(
  {
    id: SourceIdSchema,
    protocol: Type.Literal('modbus'),
    host: Type.String({ minLength: 1 }),
    /** Default 502. */
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    /** Default 1. */
    unitId: Type.Optional(Type.Integer({ minimum: 0, maximum: 255 })),
    /** Poll interval, ms. Default 1000. */
    pollInterval: Type.Optional(MsSchema('ms')),
    /** Timeout of one request, ms. Default 2000. */
    timeout: Type.Optional(MsSchema('ms')),
  },
  { additionalProperties: false },
)

export type ModbusSourceConfig = Type.Static<typeof ModbusSourceConfigSchema>

/** The keys a Modbus tag reference may carry besides `source`. */
export const ModbusTagFields = {
  table: Type.Optional(Type.Enum([...registerTables])),
  address: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
  type: Type.Optional(Type.Enum([...modbusDataTypes])),
  byteOrder: Type.Optional(Type.Enum([...byteOrders])),
  bit: Type.Optional(Type.Integer({ minimum: 0, maximum: 15 })),
  length: Type.Optional(Type.Integer({ minimum: 1, maximum: 125 })),
  scale: Type.Optional(Type.Number()),
  offset: Type.Optional(Type.Number()),
}

type ModbusTagInput = { [K in keyof typeof ModbusTagFields]?: Type.Static<(typeof ModbusTagFields)[K]> | undefined }

/** A Modbus tag reference after validation: a {@link ModbusTag} without its name (the agent names it). */
export type ModbusTagConfig = Omit<ModbusTag, 'name'>

/** Checks the tag keys together; throws {@link ConfigKeyProblem} naming the key. */
export function modbusTagFromConfig(t: ModbusTagInput, sourceId: string): ModbusTagConfig {
  for (const k of ['table', 'address', 'type'] as const) {
    if (t[k] === undefined) throw new ConfigKeyProblem(k, `is required: source "${sourceId}" is a Modbus source`)
  }
  const table = t.table as ModbusTag['table']
  const type = t.type as ModbusTag['type']
  if ((table === 'coil' || table === 'discrete') && type !== 'BOOL') throw new ConfigKeyProblem('type', `must be BOOL for a ${table} (got "${type}")`)
  if (t.bit !== undefined && type !== 'BOOL') throw new ConfigKeyProblem('bit', `applies only to type BOOL (got type "${type}")`)
  if (type === 'STRING' && t.length === undefined) throw new ConfigKeyProblem('length', 'is required for type STRING (registers to read)')
  const tag: ModbusTagConfig = {
    table,
    address: t.address as number,
    type,
    ...(t.byteOrder === undefined ? {} : { byteOrder: t.byteOrder }),
    ...(t.bit === undefined ? {} : { bit: t.bit }),
    ...(t.length === undefined ? {} : { length: t.length }),
    ...(t.scale === undefined ? {} : { scale: t.scale }),
    ...(t.offset === undefined ? {} : { offset: t.offset }),
  }
  const problem = tagProblems({ name: 'tag', ...tag })[0]
  if (problem !== undefined) {
    const first = problem.split(' ')[0] ?? ''
    throw new ConfigKeyProblem(first in ModbusTagFields ? first : type === 'STRING' ? 'length' : 'address', problem)
  }
  return tag
}

/**
 * Cross-key checks of a source entry the schema cannot express, run before any socket opens;
 * throws {@link ConfigKeyProblem} naming the key.
 */
export function checkModbusSourceConfig(_cfg: ModbusSourceConfig): void {
  // Nothing yet: every key of a modbus source is checked on its own by the schema.
}

/** The source's options from its config entry and the tags the agent reads from it. */
export function modbusSourceOptions(cfg: ModbusSourceConfig, tags: readonly ModbusTag[], logger: Logger): ModbusSourceOptions {
  return {
    id: cfg.id,
    host: cfg.host,
    ...(cfg.port === undefined ? {} : { port: cfg.port }),
    ...(cfg.unitId === undefined ? {} : { unitId: cfg.unitId }),
    ...(cfg.pollInterval === undefined ? {} : { pollIntervalMs: cfg.pollInterval }),
    ...(cfg.timeout === undefined ? {} : { timeoutMs: cfg.timeout }),
    tags,
    logger,
  }
}
