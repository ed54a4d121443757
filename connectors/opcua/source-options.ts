/**
 * The OpcuaSource's options, their defaults (one place), and their validation, done before any
 * socket is opened.
 */
import type { Logger } from '../common/logger.ts'
import { OpcuaError } from './errors.ts'

/** OPC UA MessageSecurityMode names. Only `None` is implemented so far. */
export type OpcuaSecurityMode = 'None' | 'Sign' | 'SignAndEncrypt'

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
  /** Message security mode. Only `None` is supported yet; `Sign` and `SignAndEncrypt` are rejected. @default 'None' */
  readonly securityMode?: OpcuaSecurityMode
  /**
   * The client's certificate store (its own application certificate, made on first use).
   * @default `<os tmpdir>/shopfloor-opcua-pki/client`
   */
  readonly pkiDir?: string
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
  readonly securityMode: 'None'
  readonly pkiDir: string | undefined
  readonly applicationName: string
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
  securityMode: 'None',
  applicationName: 'shopfloor-edge',
} as const

const SECURITY_MODES: readonly string[] = ['None', 'Sign', 'SignAndEncrypt']

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
  if (!SECURITY_MODES.includes(securityMode)) {
    fail(`securityMode must be one of ${SECURITY_MODES.join(', ')}, got "${String(securityMode)}"`)
  }
  if (securityMode !== 'None') {
    throw new OpcuaError(
      'SHOPFLOOR_OPCUA_SECURITY',
      `${source} (${options.endpoint}): securityMode "${securityMode}" is not supported yet; ` +
        'use securityMode None on a network segment you trust until certificate handling lands',
      { canRetry: false },
    )
  }
  const resolved: ResolvedOpcuaSourceOptions = {
    id: options.id,
    endpoint: options.endpoint,
    samplingIntervalMs: int('samplingIntervalMs', 0),
    queueSize: int('queueSize', 1),
    publishingIntervalMs: int('publishingIntervalMs', 1),
    maxKeepAliveCount,
    lifetimeCount,
    sessionTimeoutMs: int('sessionTimeoutMs', 1_000),
    keepAliveIntervalMs: int('keepAliveIntervalMs', 100),
    requestTimeoutMs: int('requestTimeoutMs', 100),
    connectTimeoutMs: int('connectTimeoutMs', 0),
    reconnectInitialDelayMs: int('reconnectInitialDelayMs', 10),
    reconnectMaxDelayMs: int('reconnectMaxDelayMs', 10),
    securityMode: 'None',
    pkiDir: options.pkiDir,
    applicationName: options.applicationName ?? d.applicationName,
  }
  if (resolved.reconnectMaxDelayMs < resolved.reconnectInitialDelayMs) {
    fail(`reconnectMaxDelayMs (${resolved.reconnectMaxDelayMs}) must be >= reconnectInitialDelayMs (${resolved.reconnectInitialDelayMs})`)
  }
  return resolved
}
