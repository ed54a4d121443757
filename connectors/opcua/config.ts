/**
 * The OPC UA connector's part of the agent config file: the schema of a `sources[]` entry with
 * `protocol: opcua`, the keys it adds to a tag reference, and their mapping to
 * {@link OpcuaSourceOptions}. The agent config composes these; defaults live in source-options.ts
 * (OPCUA_SOURCE_DEFAULTS) and tag-groups.ts.
 */
import Type from 'typebox'
import type { Logger } from '../common/logger.ts'
import { MsSchema, SOURCE_ID_PATTERN, SourceIdSchema, ConfigKeyProblem } from '../common/config.ts'
import { OpcuaError } from './errors.ts'
import { readPassword, type PasswordSource } from './login.ts'
import { isFingerprint } from './server-trust.ts'
import { OPCUA_SECURITY_MODES, OPCUA_SECURITY_POLICIES, type OpcuaSourceOptions } from './source-options.ts'
import { DEFAULT_GROUP, deadbandProblem, groupProblem, type OpcuaDeadband, type OpcuaTagGroup } from './tag-groups.ts'

const DeadbandSchema = Type.Object(
  {
    /** `absolute`: engineering units; `percent`: of the node's EURange; `none`: every change (turns off the source's deadband in a group). */
    type: Type.Enum(['none', 'absolute', 'percent']),
    /** Required for absolute and percent. */
    value: Type.Optional(Type.Number({ minimum: 0 })),
  },
  { additionalProperties: false },
)

const GroupSchema = Type.Object(
  {
    /** Referenced by a tag's `group`. */
    name: Type.String({ pattern: SOURCE_ID_PATTERN, description: 'letters, digits, ".", "_", "-"' }),
    /** Default subscribe. */
    mode: Type.Optional(Type.Enum(['subscribe', 'poll'])),
    /** Subscribe groups: sampling interval, ms. Default: the source's. */
    samplingInterval: Type.Optional(Type.Integer({ minimum: 0, description: 'ms' })),
    /** Subscribe groups: values queued per tag between publishes. Default: the source's. */
    queueSize: Type.Optional(Type.Integer({ minimum: 1 })),
    /** Poll groups: read interval, ms. Default 1000. */
    pollInterval: Type.Optional(MsSchema('ms')),
    /** Default: the source's (subscribe groups); none (poll groups, where only absolute applies). */
    deadband: Type.Optional(DeadbandSchema),
  },
  { additionalProperties: false },
)

const FINGERPRINT_PATTERN = '^([Ss][Hh][Aa]-?(1|256):)?[0-9A-Fa-f:]+$'

const SecuritySchema = Type.Object(
  {
    /** Default None. */
    mode: Type.Enum([...OPCUA_SECURITY_MODES]),
    /** With Sign/SignAndEncrypt; default Basic256Sha256. */
    policy: Type.Optional(Type.Enum([...OPCUA_SECURITY_POLICIES])),
    /** Pins the server certificate; without it the first one seen is trusted (TOFU). */
    serverFingerprint: Type.Optional(
      Type.String({ pattern: FINGERPRINT_PATTERN, description: 'a SHA-1 or SHA-256 fingerprint in hex, colons optional' }),
    ),
  },
  { additionalProperties: false },
)

const LoginSchema = Type.Object(
  {
    user: Type.String({ minLength: 1 }),
    /** Name of an environment variable holding the password. */
    passwordEnv: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: 'an environment variable name' })),
    /** Absolute path of a file holding the password (trailing newline ignored), readable by the agent only. */
    passwordFile: Type.Optional(Type.String({ pattern: '^(/|[A-Za-z]:[\\\\/])', description: 'an absolute path' })),
  },
  { additionalProperties: false },
)

export const OpcuaSourceConfigSchema = Type.Object(
  {
    id: SourceIdSchema,
    protocol: Type.Literal('opcua'),
    endpoint: Type.String({ pattern: '^opc\\.tcp://', description: 'opc.tcp://host:port/path' }),
    /** Server-side sampling interval of the default group, ms. Default 250. */
    samplingInterval: Type.Optional(Type.Integer({ minimum: 0, description: 'ms' })),
    /** Publishing interval of the subscription, ms. Default 500. */
    publishingInterval: Type.Optional(MsSchema('ms')),
    /** Values queued per tag between publishes (default group). Default 100. */
    queueSize: Type.Optional(Type.Integer({ minimum: 1 })),
    /** Monitored items per CreateMonitoredItems call. Default 100. */
    monitoredItemsPerCall: Type.Optional(Type.Integer({ minimum: 1 })),
    /** Deadband of the default group's numeric tags. Default none. */
    deadband: Type.Optional(DeadbandSchema),
    /** Tag groups; a tag reference names one with `group`. */
    groups: Type.Optional(Type.Array(GroupSchema)),
    /** Message security. Default mode None. */
    security: Type.Optional(SecuritySchema),
    /** User name login; default anonymous. */
    login: Type.Optional(LoginSchema),
    /** The client certificate store. Default: `<agent.stateDir>/pki`. */
    pkiDir: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
)

export type OpcuaSourceConfig = Type.Static<typeof OpcuaSourceConfigSchema>

/** The keys an OPC UA tag reference may carry besides `source`. */
export const OpcuaTagFields = {
  /** Node id, e.g. `ns=1;s=Line1.State`. */
  node: Type.Optional(Type.String({ minLength: 1 })),
  /** The source's tag group this tag is read with. Default: `default` (the source's own settings). */
  group: Type.Optional(Type.String({ pattern: SOURCE_ID_PATTERN, description: 'letters, digits, ".", "_", "-"' })),
}

/** An OPC UA tag reference after validation. */
export interface OpcuaTagConfig {
  readonly node: string
  /** Absent: the `default` group. */
  readonly group?: string
}

/**
 * Checks the tag keys together; throws {@link ConfigKeyProblem} naming the key. Given the source
 * entry (not just its id), also checks that `group` names one of its groups.
 */
export function opcuaTagFromConfig(t: { node?: string | undefined; group?: string | undefined }, source: string | OpcuaSourceConfig): OpcuaTagConfig {
  const sourceId = typeof source === 'string' ? source : source.id
  if (t.node === undefined) {
    throw new ConfigKeyProblem('node', `is required: source "${sourceId}" is an OPC UA source (give the node id, e.g. "ns=1;s=Line1.State")`)
  }
  if (t.group !== undefined && t.group !== DEFAULT_GROUP && typeof source !== 'string') {
    const names = (source.groups ?? []).map((g) => g.name)
    if (!names.includes(t.group)) {
      throw new ConfigKeyProblem('group', `names no group of source "${sourceId}" (groups: ${[DEFAULT_GROUP, ...names].join(', ')}; got "${t.group}")`)
    }
  }
  return t.group === undefined || t.group === DEFAULT_GROUP ? { node: t.node } : { node: t.node, group: t.group }
}

/**
 * Cross-key checks of a source entry the schema cannot express, run before any socket opens;
 * throws {@link ConfigKeyProblem} naming the key. The password's variable or file is checked
 * here too (in `env`), so `shopfloor validate` on the gateway catches a missing one.
 */
export function checkOpcuaSourceConfig(cfg: OpcuaSourceConfig, env: NodeJS.ProcessEnv = process.env): void {
  const security = cfg.security
  if (security !== undefined && security.mode === 'None') {
    if (security.policy !== undefined) throw new ConfigKeyProblem(['security', 'policy'], 'applies only with mode Sign or SignAndEncrypt')
    if (security.serverFingerprint !== undefined) {
      throw new ConfigKeyProblem(['security', 'serverFingerprint'], 'applies only with mode Sign or SignAndEncrypt (with None no certificate is checked)')
    }
  }
  if (security?.serverFingerprint !== undefined && !isFingerprint(security.serverFingerprint)) {
    throw new ConfigKeyProblem(['security', 'serverFingerprint'], `must be a SHA-1 (40 hex digits) or SHA-256 (64 hex digits) fingerprint (got "${security.serverFingerprint}")`)
  }
  if (cfg.login !== undefined) {
    const read = readPassword(passwordSource(cfg.login), env)
    if ('problem' in read) throw new ConfigKeyProblem(['login', read.key], read.problem)
  }
  const deadband = deadbandProblem(cfg.deadband, 'subscribe')
  if (deadband) throw new ConfigKeyProblem(deadband.field.split('.'), deadband.problem)
  const seen = new Set([DEFAULT_GROUP])
  for (const [i, g] of (cfg.groups ?? []).entries()) {
    const problem = groupProblem(
      {
        name: g.name,
        mode: g.mode ?? 'subscribe',
        has: { samplingInterval: g.samplingInterval !== undefined, queueSize: g.queueSize !== undefined, pollInterval: g.pollInterval !== undefined },
        deadband: g.deadband,
      },
      seen,
    )
    if (problem) throw new ConfigKeyProblem(['groups', i, ...problem.field.split('.')], problem.problem)
    seen.add(g.name)
  }
}

function passwordSource(login: NonNullable<OpcuaSourceConfig['login']>): PasswordSource {
  if (login.passwordEnv !== undefined && login.passwordFile !== undefined) {
    throw new ConfigKeyProblem(['login', 'passwordFile'], 'give passwordEnv or passwordFile, not both')
  }
  if (login.passwordEnv !== undefined) return { passwordEnv: login.passwordEnv }
  if (login.passwordFile !== undefined) return { passwordFile: login.passwordFile }
  throw new ConfigKeyProblem(['login', 'passwordEnv'], 'is required: give passwordEnv (an environment variable) or passwordFile (a file) holding the password')
}

/** What the agent knows and the source entry does not. */
export interface OpcuaSourceContext {
  /** Default of `pkiDir`: the agent passes `<stateDir>/pki`. */
  readonly pkiDir?: string
  /** Where `login.passwordEnv` is looked up. @default process.env */
  readonly env?: NodeJS.ProcessEnv
}

/**
 * The source's options from its config entry. Reads the login password from its variable or
 * file now; throws `SHOPFLOOR_OPCUA_CONFIG` naming the source and the key when it cannot.
 */
export function opcuaSourceOptions(cfg: OpcuaSourceConfig, logger: Logger, context: OpcuaSourceContext = {}): OpcuaSourceOptions {
  const pkiDir = cfg.pkiDir ?? context.pkiDir
  const login = cfg.login
  let password: string | undefined
  if (login !== undefined) {
    const fail = (key: string, problem: string): never => {
      throw new OpcuaError('SHOPFLOOR_OPCUA_CONFIG', `source "${cfg.id}": login.${key} ${problem}`, { canRetry: false })
    }
    let source: PasswordSource
    try {
      source = passwordSource(login)
    } catch (err) {
      return err instanceof ConfigKeyProblem ? fail(String(err.path.at(-1)), err.message) : fail('passwordEnv', String(err))
    }
    const read = readPassword(source, context.env)
    password = 'problem' in read ? fail(read.key, read.problem) : read.password
  }
  return {
    id: cfg.id,
    endpoint: cfg.endpoint,
    ...(cfg.samplingInterval === undefined ? {} : { samplingIntervalMs: cfg.samplingInterval }),
    ...(cfg.publishingInterval === undefined ? {} : { publishingIntervalMs: cfg.publishingInterval }),
    ...(cfg.queueSize === undefined ? {} : { queueSize: cfg.queueSize }),
    ...(cfg.monitoredItemsPerCall === undefined ? {} : { monitoredItemsPerCall: cfg.monitoredItemsPerCall }),
    ...(cfg.deadband === undefined ? {} : { deadband: deadbandOption(cfg.deadband) }),
    ...(cfg.groups === undefined ? {} : { groups: cfg.groups.map(groupOption) }),
    ...(cfg.security === undefined ? {} : { securityMode: cfg.security.mode }),
    ...(cfg.security?.policy === undefined ? {} : { securityPolicy: cfg.security.policy }),
    ...(cfg.security?.serverFingerprint === undefined ? {} : { serverFingerprint: cfg.security.serverFingerprint }),
    ...(login === undefined || password === undefined ? {} : { login: { user: login.user, password } }),
    ...(pkiDir === undefined ? {} : { pkiDir }),
    logger,
  }
}

function deadbandOption(d: Type.Static<typeof DeadbandSchema>): OpcuaDeadband | 'none' {
  return d.type === 'none' ? 'none' : { type: d.type, value: d.value ?? 0 }
}

function groupOption(g: Type.Static<typeof GroupSchema>): OpcuaTagGroup {
  return {
    name: g.name,
    ...(g.mode === undefined ? {} : { mode: g.mode }),
    ...(g.samplingInterval === undefined ? {} : { samplingIntervalMs: g.samplingInterval }),
    ...(g.queueSize === undefined ? {} : { queueSize: g.queueSize }),
    ...(g.pollInterval === undefined ? {} : { pollIntervalMs: g.pollInterval }),
    ...(g.deadband === undefined ? {} : { deadband: deadbandOption(g.deadband) }),
  }
}
