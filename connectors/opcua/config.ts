/**
 * The OPC UA connector's part of the agent config file: the schema of a `sources[]` entry with
 * `protocol: opcua`, the keys it adds to a tag reference, and their mapping to
 * {@link OpcuaSourceOptions}. The agent config composes these; defaults live in source-options.ts.
 */
import Type from 'typebox'
import type { Logger } from '../common/logger.ts'
import { MsSchema, SourceIdSchema, ConfigKeyProblem } from '../common/config.ts'
import type { OpcuaSourceOptions } from './source-options.ts'

export const OpcuaSourceConfigSchema = Type.Object(
  {
    id: SourceIdSchema,
    protocol: Type.Literal('opcua'),
    endpoint: Type.String({ pattern: '^opc\\.tcp://', description: 'opc.tcp://host:port/path' }),
    /** Server-side sampling interval, ms. Default 250. */
    samplingInterval: Type.Optional(Type.Integer({ minimum: 0, description: 'ms' })),
    /** Publishing interval of the subscription, ms. Default 500. */
    publishingInterval: Type.Optional(MsSchema('ms')),
  },
  { additionalProperties: false },
)

export type OpcuaSourceConfig = Type.Static<typeof OpcuaSourceConfigSchema>

/** The keys an OPC UA tag reference may carry besides `source`. */
export const OpcuaTagFields = {
  /** Node id, e.g. `ns=1;s=Line1.State`. */
  node: Type.Optional(Type.String({ minLength: 1 })),
}

/** An OPC UA tag reference after validation. */
export interface OpcuaTagConfig {
  readonly node: string
}

/** Checks the tag keys together; throws {@link ConfigKeyProblem} naming the key. */
export function opcuaTagFromConfig(t: { node?: string | undefined }, sourceId: string): OpcuaTagConfig {
  if (t.node === undefined) {
    throw new ConfigKeyProblem('node', `is required: source "${sourceId}" is an OPC UA source (give the node id, e.g. "ns=1;s=Line1.State")`)
  }
  return { node: t.node }
}

/**
 * Cross-key checks of a source entry the schema cannot express, run before any socket opens;
 * throws {@link ConfigKeyProblem} naming the key.
 */
export function checkOpcuaSourceConfig(_cfg: OpcuaSourceConfig): void {
  // Nothing yet: every key of a opcua source is checked on its own by the schema.
}

/** The source's options from its config entry. */
export function opcuaSourceOptions(cfg: OpcuaSourceConfig, logger: Logger): OpcuaSourceOptions {
  return {
    id: cfg.id,
    endpoint: cfg.endpoint,
    ...(cfg.samplingInterval === undefined ? {} : { samplingIntervalMs: cfg.samplingInterval }),
    ...(cfg.publishingInterval === undefined ? {} : { publishingIntervalMs: cfg.publishingInterval }),
    logger,
  }
}
