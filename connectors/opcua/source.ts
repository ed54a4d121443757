/**
 * OpcuaSource: the edge agent's OPC UA client. One session, one subscription, one monitored item
 * per tag; every notification reaches the agent as a `TagValue`, in order, with the PLC's own
 * sourceTimestamp; connection changes reach it through a `ConnectionListener`.
 */
import { AttributeIds, type ClientSession, type OPCUAClient } from 'node-opcua'
import { silentLogger, type Logger } from '../common/logger.ts'
import type { ConnectionListener, TagValue } from '../common/tag-value.ts'
import { createOpcuaClient } from './client.ts'
import { OpcuaError, badNodeError, describeCause, serverContext } from './errors.ts'
import { createMonitoredSubscription, withTimeout, type MonitoredSubscription } from './monitored-subscription.ts'
import { checkNodeIds } from './node-ids.ts'
import { NotificationBatcher, type PendingValue } from './notification-batch.ts'
import { SilenceWatchdog } from './silence-watchdog.ts'
import { resolveOpcuaSourceOptions, type OpcuaSourceOptions, type ResolvedOpcuaSourceOptions } from './source-options.ts'
import { toTagValue } from './value-codec.ts'

/** Receives every value of every subscribed node, in the order they happened. */
export type ValueListener = (nodeId: string, value: TagValue) => void

/** Receives problems with one node (unknown id, not readable) while the others keep working. */
export type NodeErrorListener = (nodeId: string, error: OpcuaError) => void

type Phase = 'idle' | 'running' | 'stopping' | 'stopped'

export class OpcuaSource {
  readonly id: string
  readonly endpoint: string
  readonly #options: ResolvedOpcuaSourceOptions
  readonly #log: Logger
  readonly #context: string
  readonly #batcher = new NotificationBatcher((values) => this.#deliver(values))
  readonly #watchdog = new SilenceWatchdog((silentMs) => this.#onSilence(silentMs))
  readonly #closedSessions = new WeakSet<ClientSession>()
  readonly #badNodes = new Set<string>()
  #phase: Phase = 'idle'
  #nodeIds: readonly string[] = []
  #onValue: ValueListener = () => undefined
  #onConnection: ConnectionListener | undefined
  #onNodeError: NodeErrorListener | undefined
  #client: OPCUAClient | undefined
  #session: ClientSession | undefined
  #monitored: MonitoredSubscription | undefined
  /** The state last reported to the listener; undefined until the first report. */
  #reported: boolean | undefined
  /** False from a connection loss until node-opcua has reconnected and repaired the session. */
  #channelUp = false
  #building: Promise<void> | undefined
  #buildTimer: NodeJS.Timeout | undefined
  #buildFailures = 0
  #stopped: Promise<void> | undefined

  /** Validates the options; throws `OpcuaError` (`SHOPFLOOR_OPCUA_CONFIG` or `_SECURITY`) before any socket is opened. */
  constructor(options: OpcuaSourceOptions) {
    this.#options = resolveOpcuaSourceOptions(options)
    this.id = this.#options.id
    this.endpoint = this.#options.endpoint
    this.#context = serverContext(this.id, this.endpoint)
    this.#log = (options.logger ?? silentLogger).child({ component: 'opcua-source', source: this.id, endpoint: this.endpoint })
  }

  /** True while the session and the subscription are live. */
  get connected(): boolean {
    return this.#reported === true
  }

  /**
   * Connects, subscribes to `nodeIds` and delivers their values until `stop()`.
   *
   * Resolves once the subscription is live, or after `connectTimeoutMs` with the server still
   * unreachable: then `onConnection(false, error)` has been called and the source keeps retrying
   * in the background, calling `onConnection(true)` when it gets through. A PLC that is off when
   * the gateway boots is a normal day, not a reason to fail. Rejects only for what retrying cannot
   * fix: a malformed node id, or a second call.
   *
   * Nodes the server does not know are reported to `onNodeError` (and as one `bad` value to
   * `onValue`) while the other nodes keep working.
   */
  async start(
    nodeIds: readonly string[],
    onValue: ValueListener,
    onConnection?: ConnectionListener,
    onNodeError?: NodeErrorListener,
  ): Promise<void> {
    if (this.#phase !== 'idle') {
      throw new OpcuaError('SHOPFLOOR_OPCUA_CONFIG', `${this.#context}: start() was already called; create a new OpcuaSource`, {
        canRetry: false,
      })
    }
    checkNodeIds(this.#context, nodeIds)
    this.#phase = 'running'
    this.#nodeIds = [...new Set(nodeIds)]
    this.#onValue = onValue
    this.#onConnection = onConnection
    this.#onNodeError = onNodeError

    const o = this.#options
    const client = createOpcuaClient(o)
    this.#client = client
    this.#watchClient(client)

    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), o.connectTimeoutMs)
    })
    const outcome = await Promise.race([this.#connectAndBuild(client).then(() => 'done' as const), timedOut])
    clearTimeout(timer)
    if (outcome === 'timeout' && this.#phase === 'running' && this.#reported === undefined) {
      this.#markDisconnected(
        new OpcuaError(
          'SHOPFLOOR_OPCUA_CONNECT',
          `${this.#context}: no connection after ${o.connectTimeoutMs} ms; retrying in the background ` +
            `(every ${o.reconnectMaxDelayMs} ms at most). Check that the PLC is powered and reachable from the ` +
            'gateway, that the port is open and that its OPC UA server is enabled.',
          { canRetry: true },
        ),
      )
    }
  }

  /**
   * Reads the current values with one Read service call, outside the subscription: for polled tag
   * groups and tests. Unknown nodes come back as `bad` values, not as an error. Needs a live
   * connection; throws `SHOPFLOOR_OPCUA_CONNECT` (canRetry) without one.
   */
  async readOnce(nodeIds: readonly string[]): Promise<TagValue[]> {
    checkNodeIds(this.#context, nodeIds)
    if (this.#phase === 'stopping' || this.#phase === 'stopped') {
      throw new OpcuaError('SHOPFLOOR_OPCUA_STOPPED', `${this.#context}: the source is stopped`, { canRetry: false })
    }
    const session = this.#session
    if (this.#phase !== 'running' || !session || !this.connected) {
      throw new OpcuaError('SHOPFLOOR_OPCUA_CONNECT', `${this.#context}: not connected, cannot read; retry once connected`, {
        canRetry: true,
      })
    }
    if (nodeIds.length === 0) return []
    try {
      const results = await session.read(
        nodeIds.map((nodeId) => ({ nodeId, attributeId: AttributeIds.Value })),
        0,
      )
      const receiveTs = Date.now()
      return results.map((dataValue) => toTagValue(dataValue, receiveTs))
    } catch (err) {
      throw new OpcuaError('SHOPFLOOR_OPCUA_READ', `${this.#context}: read of ${nodeIds.length} node(s) failed: ${describeCause(err)}`, {
        canRetry: true,
        cause: err,
      })
    }
  }

  /** Closes the subscription, the session and the connection; no listener is called afterwards. */
  stop(): Promise<void> {
    if (this.#stopped) return this.#stopped
    const wasRunning = this.#phase === 'running'
    this.#phase = 'stopping'
    clearTimeout(this.#buildTimer)
    this.#watchdog.disarm()
    this.#batcher.clear()
    this.#stopped = (wasRunning ? this.#closeAll() : Promise.resolve()).finally(() => {
      this.#phase = 'stopped'
    })
    return this.#stopped
  }

  async #closeAll(): Promise<void> {
    const session = this.#session
    const client = this.#client
    this.#monitored = undefined
    this.#session = undefined
    // Closing a session on an unreachable server would wait for node-opcua's reconnection: bound it.
    if (session && this.#channelUp) {
      await withTimeout(session.close(true), this.#options.requestTimeoutMs, 'CloseSession').catch(() => undefined)
    }
    await client?.disconnect().catch((err: unknown) => this.#log.debug({ err }, 'disconnect failed'))
    this.#log.info('stopped')
  }

  async #connectAndBuild(client: OPCUAClient): Promise<void> {
    try {
      // maxRetry -1: returns on success, on stop(), or on a fault no retry can fix.
      await client.connect(this.endpoint)
    } catch (err) {
      if (this.#phase !== 'running') return
      this.#markDisconnected(
        new OpcuaError('SHOPFLOOR_OPCUA_CONNECT', `${this.#context}: cannot connect: ${describeCause(err)}. Check the endpoint URL.`, {
          canRetry: false,
          cause: err,
        }),
      )
      return
    }
    this.#channelUp = true
    await this.#build()
  }

  #watchClient(client: OPCUAClient): void {
    const lost = (): void => {
      if (this.#phase !== 'running') return
      this.#channelUp = false
      this.#watchdog.disarm()
      this.#markDisconnected(new OpcuaError('SHOPFLOOR_OPCUA_CONNECT', `${this.#context}: connection lost; reconnecting`, { canRetry: true }))
    }
    client.on('connection_lost', lost)
    client.on('start_reconnection', lost)
    client.on('backoff', (count: number, delay: number) => this.#log.debug({ attempt: count + 1, delayMs: delay }, 'connect attempt failed'))
    client.on('reconnection_attempt_has_failed', (err: Error, message: string) =>
      this.#log.debug({ err, detail: message }, 'reconnection attempt failed'),
    )
    // node-opcua has reactivated or recreated the session and transferred or recreated the
    // subscription; after a server restart it recreates both. Check rather than trust: a
    // subscription it could not restore is left terminated without a word.
    client.on('connection_reestablished', () => {
      if (this.#phase !== 'running') return
      this.#channelUp = true
      const monitored = this.#monitored
      if (this.#sessionUsable() && monitored?.isActive === true) {
        this.#reportRefusedNodes(monitored)
        this.#watchdog.arm(monitored.silenceLimitMs)
        this.#markConnected()
      } else {
        this.#scheduleBuild(0)
      }
    })
  }

  #sessionUsable(): boolean {
    return this.#session !== undefined && !this.#closedSessions.has(this.#session)
  }

  /** Creates what is missing: a session if there is no usable one, then a fresh subscription. */
  #build(): Promise<void> {
    this.#building ??= this.#doBuild().finally(() => {
      this.#building = undefined
    })
    return this.#building
  }

  #scheduleBuild(delayMs: number): void {
    if (this.#phase !== 'running' || this.#buildTimer !== undefined) return
    this.#buildTimer = setTimeout(() => {
      this.#buildTimer = undefined
      void this.#build()
    }, delayMs)
  }

  async #doBuild(): Promise<void> {
    const client = this.#client
    // While the channel is down node-opcua holds requests until it has reconnected; the
    // connection_reestablished handler comes back here then.
    if (this.#phase !== 'running' || !client || !this.#channelUp) return
    this.#watchdog.disarm()
    const previous = this.#monitored
    this.#monitored = undefined
    await previous?.close()
    try {
      const session = this.#sessionUsable() && this.#session ? this.#session : await this.#openSession(client)
      const monitored = await createMonitoredSubscription(session, this.#nodeIds, this.#options, {
        value: (nodeId, value) => this.#batcher.add(nodeId, value),
        heard: () => this.#watchdog.heard(),
        terminated: () => this.#onTerminated(),
      })
      if (this.#phase !== 'running') {
        await monitored.close()
        return
      }
      this.#monitored = monitored
      this.#buildFailures = 0
      this.#reportRefusedNodes(monitored)
      this.#watchdog.arm(monitored.silenceLimitMs)
      this.#markConnected()
    } catch (err) {
      if (this.#phase !== 'running') return
      this.#buildFailures += 1
      // A session that fails twice in a row may be dead on the server while the channel lives
      // (a server that lost it without closing the socket): start over with a new one.
      if (this.#buildFailures >= 2) this.#abandonSession()
      const o = this.#options
      const delay = Math.min(o.reconnectInitialDelayMs * 2 ** (this.#buildFailures - 1), o.reconnectMaxDelayMs)
      this.#markDisconnected(
        new OpcuaError(
          'SHOPFLOOR_OPCUA_SUBSCRIBE',
          `${this.#context}: connected, but setting up the session and subscription failed: ${describeCause(err)}; ` +
            `retrying in ${delay} ms`,
          { canRetry: true, cause: err },
        ),
      )
      this.#scheduleBuild(delay)
    }
  }

  async #openSession(client: OPCUAClient): Promise<ClientSession> {
    const session = await client.createSession()
    // node-opcua only closes a session itself when we ask it to; if anything else ever does,
    // the subscription went with it and is rebuilt on a new session.
    session.on('session_closed', () => {
      this.#closedSessions.add(session)
      if (this.#phase !== 'running' || session !== this.#session) return
      this.#markDisconnected(
        new OpcuaError('SHOPFLOOR_OPCUA_CONNECT', `${this.#context}: session closed by the server; reopening`, { canRetry: true }),
      )
      this.#scheduleBuild(0)
    })
    session.on('keepalive_failure', () => this.#log.debug('session keep-alive read failed'))
    if (this.#phase !== 'running') {
      await session.close(true).catch(() => undefined)
    } else {
      this.#session = session
    }
    return session
  }

  #abandonSession(): void {
    const session = this.#session
    if (!session) return
    this.#closedSessions.add(session)
    this.#session = undefined
    void withTimeout(session.close(true), this.#options.requestTimeoutMs, 'CloseSession').catch(() => undefined)
  }

  #onTerminated(): void {
    if (this.#phase !== 'running') return
    this.#watchdog.disarm()
    this.#markDisconnected(
      new OpcuaError('SHOPFLOOR_OPCUA_SUBSCRIBE', `${this.#context}: subscription ended by the server; recreating it`, { canRetry: true }),
    )
    this.#scheduleBuild(0)
  }

  #onSilence(silentMs: number): void {
    if (this.#phase !== 'running' || !this.#channelUp) return
    this.#markDisconnected(
      new OpcuaError(
        'SHOPFLOOR_OPCUA_SUBSCRIBE',
        `${this.#context}: no data and no keep-alive for ${silentMs} ms although the connection is up ` +
          '(the server may have dropped the subscription); recreating it',
        { canRetry: true },
      ),
    )
    this.#scheduleBuild(0)
  }

  /** Reports nodes whose monitored item the server refused; each once, until it works again. */
  #reportRefusedNodes(monitored: MonitoredSubscription): void {
    const refused = monitored.refusedNodes()
    const refusedNow = new Set(refused.map((r) => r.nodeId))
    for (const nodeId of this.#badNodes) {
      if (refusedNow.has(nodeId)) continue
      this.#badNodes.delete(nodeId)
      this.#log.info({ nodeId }, 'node is monitored again')
    }
    for (const { nodeId, status } of refused) {
      if (this.#badNodes.has(nodeId)) continue
      this.#badNodes.add(nodeId)
      const error = badNodeError(this.#context, nodeId, status)
      this.#log.warn({ nodeId, status }, 'node cannot be monitored')
      const now = Date.now()
      this.#call('onValue', () => this.#onValue(nodeId, { value: null, sourceTs: now, receiveTs: now, quality: 'bad', status }))
      this.#call('onNodeError', () => this.#onNodeError?.(nodeId, error))
    }
  }

  #deliver(values: readonly PendingValue[]): void {
    if (this.#phase !== 'running') return
    for (const { nodeId, value } of values) this.#call('onValue', () => this.#onValue(nodeId, value))
  }

  #markConnected(): void {
    if (this.#phase !== 'running' || this.#reported === true) return
    const recovered = this.#reported === false
    this.#reported = true
    this.#log.info({ nodes: this.#nodeIds.length, badNodes: this.#badNodes.size }, recovered ? 'connection recovered' : 'connected')
    this.#call('onConnection', () => this.#onConnection?.(true))
  }

  #markDisconnected(error: OpcuaError): void {
    if (this.#phase !== 'running' || this.#reported === false) return
    this.#reported = false
    this.#log.warn({ code: error.code, err: error.cause }, error.message)
    this.#call('onConnection', () => this.#onConnection?.(false, error))
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
