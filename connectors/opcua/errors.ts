/**
 * The OPC UA connector's error catalogue: one stable code per failure the agent may have to act on.
 */

/** Stable codes: logs, metrics and the agent's handling key on these, never on message text. */
export const OPCUA_ERROR_CODES = [
  /** The server cannot be reached, or the connection dropped; the source keeps retrying. */
  'SHOPFLOOR_OPCUA_CONNECT',
  /** A node id is malformed, unknown to the server, or not a readable variable. */
  'SHOPFLOOR_OPCUA_BAD_NODE',
  /** The requested security mode is not available (or not supported yet). */
  'SHOPFLOOR_OPCUA_SECURITY',
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

/** The message of anything thrown, for embedding in our own messages. */
export function describeCause(cause: unknown): string {
  if (cause instanceof Error) return cause.message
  return String(cause)
}
