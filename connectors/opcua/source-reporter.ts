/**
 * What an OpcuaSource tells the agent, and how: values, connection changes (each change once),
 * nodes the server will not serve. Listener exceptions are the agent's bugs and are contained here.
 */
import type { Logger } from '../common/logger.ts'
import type { ConnectionListener, TagValue } from '../common/tag-value.ts'
import { badNodeError, type OpcuaError } from './errors.ts'
import type { PendingValue } from './notification-batch.ts'
import type { SourceCounters } from './source-stats.ts'

/** Receives every value of every subscribed node, in the order they happened. */
export type ValueListener = (nodeId: string, value: TagValue) => void

/** Receives problems with one node (unknown id, not readable) while the others keep working. */
export type NodeErrorListener = (nodeId: string, error: OpcuaError) => void

export interface ReporterHooks {
  /** False once the source is stopping: nothing is reported any more. */
  running(): boolean
  /** The connection is (again) usable: polled groups may read. */
  up(): void
  /** The connection is gone: polled groups stop. */
  down(): void
}

export class SourceReporter {
  readonly #log: Logger
  readonly #context: string
  readonly #counters: SourceCounters
  readonly #hooks: ReporterHooks
  #onValue: ValueListener = () => undefined
  #onConnection: ConnectionListener | undefined
  #onNodeError: NodeErrorListener | undefined
  /** The state last reported to the listener; undefined until the first report. */
  #reported: boolean | undefined

  constructor(log: Logger, context: string, counters: SourceCounters, hooks: ReporterHooks) {
    this.#log = log
    this.#context = context
    this.#counters = counters
    this.#hooks = hooks
  }

  listen(onValue: ValueListener, onConnection: ConnectionListener | undefined, onNodeError: NodeErrorListener | undefined): void {
    this.#onValue = onValue
    this.#onConnection = onConnection
    this.#onNodeError = onNodeError
  }

  get reported(): boolean | undefined {
    return this.#reported
  }

  connected(details: Record<string, unknown>): void {
    if (!this.#hooks.running()) return
    this.#hooks.up()
    if (this.#reported === true) return
    const recovered = this.#reported === false
    this.#reported = true
    this.#log.info(details, recovered ? 'connection recovered' : 'connected')
    this.#call('onConnection', () => this.#onConnection?.(true))
  }

  disconnected(error: OpcuaError): void {
    if (!this.#hooks.running()) return
    this.#hooks.down()
    if (this.#reported === false) return
    this.#reported = false
    this.#log.warn({ code: error.code, err: error.cause }, error.message)
    this.#call('onConnection', () => this.#onConnection?.(false, error))
  }

  /**
   * A failure that needs the user (a refused certificate or login): logged as an error and told
   * to the listener even when it already knows the source is disconnected, since it says why.
   * Callers report each such failure once.
   */
  fatal(error: OpcuaError): void {
    if (!this.#hooks.running()) return
    this.#hooks.down()
    this.#reported = false
    this.#log.error({ code: error.code }, error.message)
    this.#call('onConnection', () => this.#onConnection?.(false, error))
  }

  deliver(values: readonly PendingValue[]): void {
    if (!this.#hooks.running()) return
    // The hot path (every value): no closure per value.
    for (const { nodeId, value } of values) {
      if (value.quality !== 'good') this.#counters.delivered(value)
      try {
        this.#onValue(nodeId, value)
      } catch (err) {
        this.#log.error({ err, listener: 'onValue' }, 'listener threw')
      }
    }
  }

  /** One node the server will not serve: logged, told to `onNodeError`, and (for a monitored item, which sends nothing) one `bad` value. */
  badNode(nodeId: string, status: string, withValue: boolean): void {
    const error = badNodeError(this.#context, nodeId, status)
    this.#log.warn({ nodeId, status }, withValue ? 'node cannot be monitored' : 'node cannot be read')
    if (withValue) {
      const now = Date.now()
      this.deliver([{ nodeId, value: { value: null, sourceTs: now, receiveTs: now, quality: 'bad', status } }])
    }
    this.#call('onNodeError', () => this.#onNodeError?.(nodeId, error))
  }

  /** A throwing listener is the agent's bug; it must not take the connector's event handling down with it. */
  #call(listener: string, fn: () => void): void {
    try {
      fn()
    } catch (err) {
      this.#log.error({ err, listener }, 'listener threw')
    }
  }
}
