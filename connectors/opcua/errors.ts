/**
 * The OPC UA connector's error catalogue: one stable code per failure the agent may have to act on.
 */

/** Stable codes: logs, metrics and the agent's handling key on these, never on message text. */
export const OPCUA_ERROR_CODES = [
  /** The server cannot be reached, or the connection dropped; the source keeps retrying. */
  'SHOPFLOOR_OPCUA_CONNECT',
  /** A node id is malformed, unknown to the server, or not a readable variable. */
  'SHOPFLOOR_OPCUA_BAD_NODE',
  /** The server offers no endpoint with the requested security mode and policy. */
  'SHOPFLOOR_OPCUA_SECURITY',
  /** The server's certificate is not the one trusted on first use, or does not match the pinned fingerprint. */
  'SHOPFLOOR_OPCUA_CERTIFICATE',
  /** The server refused the login (wrong user or password, or anonymous login not allowed). */
  'SHOPFLOOR_OPCUA_AUTH',
  /** Creating the session or the subscription failed after the connection was up. */
  'SHOPFLOOR_OPCUA_SUBSCRIBE',
  /** A plain Read service call failed as a whole. */
  'SHOPFLOOR_OPCUA_READ',
  /** Options given to the source or the simulator are invalid. */
  'SHOPFLOOR_OPCUA_CONFIG',
  /** The source was stopped while the operation was in progress. */
  'SHOPFLOOR_OPCUA_STOPPED',
] as const

export type OpcuaErrorCode = (typeof OPCUA_ERROR_CODES)[number]

export interface OpcuaErrorOptions {
  /** Whether trying again later may succeed (a network fault) or needs a change first (a config fault). */
  canRetry: boolean
  /** The error that node-opcua (or the OS) raised. */
  cause?: unknown
  /** The node id the error is about, where there is one. */
  nodeId?: string
}

export class OpcuaError extends Error {
  override readonly name = 'OpcuaError'
  readonly code: OpcuaErrorCode
  readonly canRetry: boolean
  readonly nodeId: string | undefined

  constructor(code: OpcuaErrorCode, message: string, options: OpcuaErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.canRetry = options.canRetry
    this.nodeId = options.nodeId
  }
}

/** The prefix every message about one server starts with, so a log line names the PLC it concerns. */
export function serverContext(id: string, endpoint: string): string {
  return `server "${id}" (${endpoint})`
}

/** A node the server refused to monitor, with what to check next. */
export function badNodeError(context: string, nodeId: string, status: string): OpcuaError {
  const advice =
    status === 'BadNodeIdUnknown'
      ? 'The server has no such node: check the tag mapping against the PLC program (browse the server for the id).'
      : 'Check that the node is a readable variable.'
  return new OpcuaError('SHOPFLOOR_OPCUA_BAD_NODE', `${context}: node "${nodeId}" cannot be monitored: ${status}. ${advice}`, {
    canRetry: false,
    nodeId,
  })
}

/**
 * The message of anything thrown, for embedding in our own messages: on one line (node-opcua's
 * span several, and an error a user can fix is one line in the log and on the terminal).
 */
export function describeCause(cause: unknown): string {
  return (cause instanceof Error ? cause.message : String(cause)).replace(/\s*\n\s*/g, ' ').trim()
}
