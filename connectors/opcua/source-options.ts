/**
 * The OpcuaSource's options, their defaults (one place), and their validation, done before any
 * socket is opened.
 */
import { join } from 'node:path'
import type { Logger } from '../common/logger.ts'
import { OpcuaError } from './errors.ts'
import { Secret, type ResolvedLogin } from './login.ts'
import { clientApplicationUri, defaultPkiRoot } from './pki.ts'
import { isFingerprint } from './server-trust.ts'
import {
  DEFAULT_GROUP,
  DEFAULT_POLL_INTERVAL_MS,
  deadbandProblem,
  groupProblem,
  type OpcuaDeadband,
  type OpcuaTagGroup,
  type ResolvedTagGroup,
} from './tag-groups.ts'

/** OPC UA MessageSecurityMode names. */
export const OPCUA_SECURITY_MODES = ['None', 'Sign', 'SignAndEncrypt'] as const
export type OpcuaSecurityMode = (typeof OPCUA_SECURITY_MODES)[number]

/** The security policies offered with Sign and SignAndEncrypt (node-opcua's names; the older Basic128Rsa15 and Basic256 are deprecated by the OPC Foundation). */
export const OPCUA_SECURITY_POLICIES = ['Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'] as const
export type OpcuaSecurityPolicy = (typeof OPCUA_SECURITY_POLICIES)[number]

export interface OpcuaSourceOptions {
  /** The source's id in the agent config (`sources[].id`); names the server in logs and errors. */
  readonly id: string
  /** The server's endpoint URL, `opc.tcp://host:port/path`. */
  readonly endpoint: string
  /**
   * Sampling interval asked for each monitored item, ms. The server samples at this rate (or
   * the nearest it supports) and reports a sample when it differs from the previous one: a value
   * that changes and changes back between two samples is never seen. `0` asks the server to report
   * every change (by exception) where it can. @default 250
   */
  readonly samplingIntervalMs?: number
  /**
   * Server-side queue per monitored item, in values. Every sample taken between two publishes
   * is kept, each with its own sourceTimestamp, up to this many; beyond it the oldest are dropped.
   * @default 100
   */
  readonly queueSize?: number
  /** How often the server sends the queued values, ms. @default 500 */
  readonly publishingIntervalMs?: number
  /**
   * Publishing intervals without data after which the server sends an empty keep-alive; its
   * absence is how a silent server is noticed. @default 10 (5 s at the default publishing interval)
   */
  readonly maxKeepAliveCount?: number
  /**
   * Publishing intervals without a client Publish request after which the server deletes the
   * subscription. OPC UA requires at least 3 x maxKeepAliveCount. @default 6 x maxKeepAliveCount
   */
  readonly lifetimeCount?: number
  /** Session timeout asked from the server, ms: how long it keeps our session across a network cut. @default 60_000 */
  readonly sessionTimeoutMs?: number
  /**
   * How often the session checks that the server still answers (a Read of its state), ms. A
   * failed check breaks the connection and starts the reconnection, which is what notices a
   * pulled cable that no TCP reset announces. @default 5_000
   */
  readonly keepAliveIntervalMs?: number
  /** Timeout of each service call (Read, CreateSubscription, ...), ms. @default 10_000 */
  readonly requestTimeoutMs?: number
  /**
   * How long `start()` waits for the first connection before it reports the server unreachable
   * (through the connection listener) and returns, ms. Retrying goes on in the background. @default 10_000
   */
  readonly connectTimeoutMs?: number
  /** Delay before the first reconnection attempt, ms; doubles on each failed attempt. @default 1_000 */
  readonly reconnectInitialDelayMs?: number
  /** Upper bound of the reconnection backoff, ms. @default 10_000 */
  readonly reconnectMaxDelayMs?: number
  /**
   * Message security mode: `None` (plain), `Sign` (signed, readable on the wire), `SignAndEncrypt`.
   * @default 'None'
   */
  readonly securityMode?: OpcuaSecurityMode
  /** Security policy with `Sign`/`SignAndEncrypt`; not allowed with `None`. @default 'Basic256Sha256' */
  readonly securityPolicy?: OpcuaSecurityPolicy
  /**
   * Pins the server certificate by its SHA-1 or SHA-256 fingerprint (hex, colons optional). Without
   * it the first certificate seen is trusted and recorded in `<pkiDir>/trusted/certs/server-<id>.pem`,
   * and a different one later is refused. Only with `Sign`/`SignAndEncrypt`. @default undefined (trust on first use)
   */
  readonly serverFingerprint?: string
  /** User name and password to log in with; the password is never logged. @default undefined (anonymous) */
  readonly login?: { readonly user: string; readonly password: string }
  /**
   * The client's certificate store: its own application certificate (made on first use, kept
   * across restarts) and the server certificates trusted on first use. The agent passes
   * `<stateDir>/pki`. @default `<os tmpdir>/shopfloor-opcua-pki/client`
   */
  readonly pkiDir?: string
  /**
   * Monitored items per CreateMonitoredItems call: small PLCs slow down badly, or time out, on
   * large batches. A lower limit the server advertises (MaxMonitoredItemsPerCall) wins. @default 100
   */
  readonly monitoredItemsPerCall?: number
  /** Deadband of the `default` group's numeric tags. @default undefined (every change) */
  readonly deadband?: OpcuaDeadband | 'none'
  /** Tag groups with their own sampling, queue, deadband, or polled reads; a tag names its group. @default [] */
  readonly groups?: readonly OpcuaTagGroup[]
  /** Application name sent to the server, shown in its session diagnostics. @default 'shopfloor-edge' */
  readonly applicationName?: string
  /** Where connection changes and node errors are logged; bound to component and source id here. @default silentLogger */
  readonly logger?: Logger
}

export interface ResolvedOpcuaSourceOptions {
  readonly id: string
  readonly endpoint: string
  readonly samplingIntervalMs: number
  readonly queueSize: number
  readonly publishingIntervalMs: number
  readonly maxKeepAliveCount: number
  readonly lifetimeCount: number
  readonly sessionTimeoutMs: number
  readonly keepAliveIntervalMs: number
  readonly requestTimeoutMs: number
  readonly connectTimeoutMs: number
  readonly reconnectInitialDelayMs: number
  readonly reconnectMaxDelayMs: number
  readonly securityMode: OpcuaSecurityMode
  /** `None` exactly when `securityMode` is `None`. */
  readonly securityPolicy: OpcuaSecurityPolicy | 'None'
  readonly serverFingerprint: string | undefined
  readonly login: ResolvedLogin | undefined
  readonly pkiDir: string
  readonly monitoredItemsPerCall: number
  /** Every group by name, `default` included. */
  readonly groups: ReadonlyMap<string, ResolvedTagGroup>
  readonly applicationName: string
  /** `urn:<hostname>:<applicationName>`: what the client certificate and the session both claim. */
  readonly applicationUri: string
}

export const OPCUA_SOURCE_DEFAULTS = {
  samplingIntervalMs: 250,
  queueSize: 100,
  publishingIntervalMs: 500,
  maxKeepAliveCount: 10,
  sessionTimeoutMs: 60_000,
  keepAliveIntervalMs: 5_000,
  requestTimeoutMs: 10_000,
  connectTimeoutMs: 10_000,
  reconnectInitialDelayMs: 1_000,
  reconnectMaxDelayMs: 10_000,
  monitoredItemsPerCall: 100,
  securityMode: 'None',
  securityPolicy: 'Basic256Sha256',
  applicationName: 'shopfloor-edge',
} as const

type Defaults = typeof OPCUA_SOURCE_DEFAULTS
type IntegerKey = { [K in keyof Defaults]: Defaults[K] extends number ? K : never }[keyof Defaults]

export function resolveOpcuaSourceOptions(options: OpcuaSourceOptions): ResolvedOpcuaSourceOptions {
  const d = OPCUA_SOURCE_DEFAULTS
  const source = typeof options.id === 'string' && options.id.length > 0 ? `source "${options.id}"` : 'OPC UA source'
  const fail = (message: string): never => {
    throw new OpcuaError('SHOPFLOOR_OPCUA_CONFIG', `${source}: ${message}`, { canRetry: false })
  }
  if (typeof options.id !== 'string' || options.id.length === 0) fail('id must be a non-empty string')
  if (typeof options.endpoint !== 'string' || !/^opc\.tcp:\/\/(\[[0-9a-fA-F:.]+\]|[^/:[\]\s]+)(:\d{1,5})?(\/\S*)?$/.test(options.endpoint)) {
    fail(`endpoint must look like opc.tcp://host:4840/path, got "${String(options.endpoint)}"`)
  }
  const int = (key: IntegerKey, min: number): number => {
    const value: unknown = options[key] ?? d[key]
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
      return fail(`${key} must be an integer >= ${min}, got ${String(value)}`)
    }
    return value
  }
  const maxKeepAliveCount = int('maxKeepAliveCount', 1)
  const lifetimeCount = options.lifetimeCount ?? maxKeepAliveCount * 6
  if (!Number.isInteger(lifetimeCount) || lifetimeCount < maxKeepAliveCount * 3) {
    fail(`lifetimeCount must be an integer >= 3 x maxKeepAliveCount (${maxKeepAliveCount * 3}), got ${lifetimeCount}`)
  }
  const securityMode = options.securityMode ?? d.securityMode
  if (!(OPCUA_SECURITY_MODES as readonly string[]).includes(securityMode)) {
    fail(`securityMode must be one of ${OPCUA_SECURITY_MODES.join(', ')}, got "${String(securityMode)}"`)
  }
  const secure = securityMode !== 'None'
  if (options.securityPolicy !== undefined && !(OPCUA_SECURITY_POLICIES as readonly string[]).includes(options.securityPolicy)) {
    fail(`securityPolicy must be one of ${OPCUA_SECURITY_POLICIES.join(', ')}, got "${String(options.securityPolicy)}"`)
  }
  if (!secure && options.securityPolicy !== undefined) fail('securityPolicy applies only with securityMode Sign or SignAndEncrypt')
  if (options.serverFingerprint !== undefined) {
    if (!secure) fail('serverFingerprint applies only with securityMode Sign or SignAndEncrypt (with None no certificate is checked)')
    if (!isFingerprint(options.serverFingerprint)) {
      fail(`serverFingerprint must be a SHA-1 (40 hex digits) or SHA-256 (64 hex digits) fingerprint, got "${options.serverFingerprint}"`)
    }
  }
  if (options.login !== undefined && (typeof options.login.user !== 'string' || options.login.user === '' || typeof options.login.password !== 'string')) {
    fail('login needs a non-empty user and a password string')
  }
  const samplingIntervalMs = int('samplingIntervalMs', 0)
  const queueSize = int('queueSize', 1)
  const deadbandIssue = deadbandProblem(options.deadband === 'none' ? undefined : options.deadband, 'subscribe')
  if (deadbandIssue) fail(`${deadbandIssue.field} ${deadbandIssue.problem}`)
  const applicationName = options.applicationName ?? d.applicationName
  const resolved: ResolvedOpcuaSourceOptions = {
    id: options.id,
    endpoint: options.endpoint,
    samplingIntervalMs,
    queueSize,
    publishingIntervalMs: int('publishingIntervalMs', 1),
    maxKeepAliveCount,
    lifetimeCount,
    sessionTimeoutMs: int('sessionTimeoutMs', 1_000),
    keepAliveIntervalMs: int('keepAliveIntervalMs', 100),
    requestTimeoutMs: int('requestTimeoutMs', 100),
    connectTimeoutMs: int('connectTimeoutMs', 0),
    reconnectInitialDelayMs: int('reconnectInitialDelayMs', 10),
    reconnectMaxDelayMs: int('reconnectMaxDelayMs', 10),
    monitoredItemsPerCall: int('monitoredItemsPerCall', 1),
    securityMode,
    securityPolicy: secure ? (options.securityPolicy ?? d.securityPolicy) : 'None',
    serverFingerprint: options.serverFingerprint,
    login: options.login === undefined ? undefined : { user: options.login.user, password: new Secret(options.login.password) },
    pkiDir: options.pkiDir ?? join(defaultPkiRoot(), 'client'),
    groups: resolveGroups(options, { samplingIntervalMs, queueSize }, fail),
    applicationName,
    applicationUri: clientApplicationUri(applicationName),
  }
  if (resolved.reconnectMaxDelayMs < resolved.reconnectInitialDelayMs) {
    fail(`reconnectMaxDelayMs (${resolved.reconnectMaxDelayMs}) must be >= reconnectInitialDelayMs (${resolved.reconnectInitialDelayMs})`)
  }
  return resolved
}

const OPTION_NAME: Record<string, string> = {
  samplingInterval: 'samplingIntervalMs',
  queueSize: 'queueSize',
  pollInterval: 'pollIntervalMs',
}

function resolveGroups(
  options: OpcuaSourceOptions,
  source: { samplingIntervalMs: number; queueSize: number },
  fail: (message: string) => never,
): Map<string, ResolvedTagGroup> {
  const sourceDeadband = options.deadband === 'none' ? undefined : options.deadband
  const groups = new Map<string, ResolvedTagGroup>([
    [DEFAULT_GROUP, { name: DEFAULT_GROUP, mode: 'subscribe', ...source, deadband: sourceDeadband }],
  ])
  for (const [i, g] of (options.groups ?? []).entries()) {
    const where = `groups[${i}]`
    if (typeof g.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(g.name)) fail(`${where}.name must be letters, digits, ".", "_", "-", got "${String(g.name)}"`)
    const mode = g.mode ?? 'subscribe'
    if (mode !== 'subscribe' && mode !== 'poll') fail(`${where}.mode must be one of subscribe, poll, got "${String(mode)}"`)
    const deadband = g.deadband === 'none' ? { type: 'none' } : g.deadband
    const problem = groupProblem(
      {
        name: g.name,
        mode,
        has: { samplingInterval: g.samplingIntervalMs !== undefined, queueSize: g.queueSize !== undefined, pollInterval: g.pollIntervalMs !== undefined },
        deadband,
      },
      new Set(groups.keys()),
    )
    if (problem) fail(`${where}.${OPTION_NAME[problem.field] ?? problem.field} ${problem.problem}`)
    const int = (key: 'samplingIntervalMs' | 'queueSize' | 'pollIntervalMs', fallback: number, min: number): number => {
      const value = g[key] ?? fallback
      if (!Number.isInteger(value) || value < min) fail(`${where}.${key} must be an integer >= ${min}, got ${String(value)}`)
      return value
    }
    const own = g.deadband === 'none' ? undefined : g.deadband
    groups.set(
      g.name,
      mode === 'poll'
        ? { name: g.name, mode, pollIntervalMs: int('pollIntervalMs', DEFAULT_POLL_INTERVAL_MS, 1), deadband: own }
        : {
            name: g.name,
            mode,
            samplingIntervalMs: int('samplingIntervalMs', source.samplingIntervalMs, 0),
            queueSize: int('queueSize', source.queueSize, 1),
            deadband: g.deadband === undefined ? sourceDeadband : own,
          },
    )
  }
  return groups
}
