/**
 * OpcuaSource: the edge agent's OPC UA client. One session, one subscription holding a monitored
 * item per subscribed tag, a polled Read per poll group; every value reaches the agent as a
 * `TagValue`, in order, with the PLC's own sourceTimestamp; connection changes reach it through a
 * `ConnectionListener`.
 */
import { AttributeIds, type ClientSession, type OPCUAClient } from 'node-opcua'
import { silentLogger, type Logger } from '../common/logger.ts'
import type { ConnectionListener, TagValue } from '../common/tag-value.ts'
import { createOpcuaClient, userIdentity } from './client.ts'
import { isSecurityMismatch, loginError, loginRefusal, securityMismatchError } from './endpoints.ts'
import { OpcuaError, describeCause, serverContext } from './errors.ts'
import { createMonitoredSubscription, withTimeout, type MonitoredSubscription } from './monitored-subscription.ts'
import { checkNodeIds } from './node-ids.ts'
import { NotificationBatcher } from './notification-batch.ts'
import { Poller } from './poller.ts'
import { ServerTrustGate, fingerprints, tofuRecordFile } from './server-trust.ts'
import { effectiveLimit, limitCreateMonitoredItems, readServerLimits, readValues, type ServerLimits } from './session-limits.ts'
import { SilenceWatchdog } from './silence-watchdog.ts'
import { resolveOpcuaSourceOptions, type OpcuaSourceOptions, type ResolvedOpcuaSourceOptions } from './source-options.ts'
import { SourceReporter, type NodeErrorListener, type ValueListener } from './source-reporter.ts'
import { SourceCounters, type OpcuaSourceStats } from './source-stats.ts'
import { planTags, type OpcuaTag, type TagPlan } from './source-tags.ts'
import { toTagValue } from './value-codec.ts'

export type { NodeErrorListener, ValueListener } from './source-reporter.ts'

/** Nodes per Read when the server advertises no MaxNodesPerRead. */
const NODES_PER_READ = 1_000

type Phase = 'idle' | 'running' | 'stopping' | 'stopped'

export class OpcuaSource {
  readonly id: string
  readonly endpoint: string
  readonly #options: ResolvedOpcuaSourceOptions
  readonly #log: Logger
  readonly #context: string
  readonly #counters = new SourceCounters()
  readonly #report: SourceReporter
  readonly #trust: ServerTrustGate
  readonly #batcher = new NotificationBatcher((values) => this.#report.deliver(values))
  readonly #watchdog = new SilenceWatchdog((silentMs) => this.#onSilence(silentMs))
  readonly #closedSessions = new WeakSet<ClientSession>()
  /** Subscribed nodes the server refused, reported once until they work again. */
  readonly #badNodes = new Set<string>()
  #phase: Phase = 'idle'
  #plan: TagPlan = { nodeIds: [], subscribed: [], polled: [] }
  #poller: Poller | undefined
  #limits: ServerLimits = { maxMonitoredItemsPerCall: 0, maxNodesPerRead: 0 }
  /** The session id last seen; another one after a reconnection means the server made a new session. */
  #sessionId: string | undefined
  /** A failure retrying cannot fix (a refused login or certificate): nothing more is built. */
  #halted: OpcuaError | undefined
  #client: OPCUAClient | undefined
  #session: ClientSession | undefined
  #monitored: MonitoredSubscription | undefined
  /** False from a connection loss until node-opcua has reconnected and repaired the session. */
  #channelUp = false
  #building: Promise<void> | undefined
  #buildTimer: NodeJS.Timeout | undefined
  #buildFailures = 0
  #stopped: Promise<void> | undefined

  /** Validates the options; throws `OpcuaError` (`SHOPFLOOR_OPCUA_CONFIG`) before any socket is opened. */
  constructor(options: OpcuaSourceOptions) {
    const o = (this.#options = resolveOpcuaSourceOptions(options))
    this.id = o.id
    this.endpoint = o.endpoint
    this.#context = serverContext(this.id, this.endpoint)
    this.#log = (options.logger ?? silentLogger).child({ component: 'opcua-source', source: this.id, endpoint: this.endpoint })
    this.#report = new SourceReporter(this.#log, this.#context, this.#counters, {
      running: () => this.#phase === 'running',
      up: () => this.#poller?.resume(),
      down: () => this.#poller?.pause(),
    })
    const recordFile = tofuRecordFile(o.pkiDir, o.id)
    this.#trust = new ServerTrustGate(
      { context: this.#context, fingerprint: o.serverFingerprint, recordFile },
      (facts) => this.#log.info({ file: recordFile }, `server certificate trusted on first use: ${fingerprints(facts)}`),
      (error) => this.#report.fatal(error),
    )
  }

  /** True while the session and the subscription are live. */
  get connected(): boolean {
    return this.#report.reported === true
  }

  /** Counters for metrics (plain numbers; the agent wires them to Prometheus). */
  get stats(): OpcuaSourceStats {
    return this.#counters.snapshot(this.#monitored?.liveItems() ?? 0)
  }

  /**
   * Connects, subscribes to (or polls) `tags` and delivers their values until `stop()`. A tag is a
   * node id (read with the source's own settings) or `{ node, group }` naming one of the source's
   * `groups`.
   *
   * Resolves once the subscription is live, or after `connectTimeoutMs` with the server still
   * unreachable: then `onConnection(false, error)` has been called and the source keeps retrying
   * in the background, calling `onConnection(true)` when it gets through. A PLC that is off when
   * the gateway boots is a normal day, not a reason to fail. Rejects only for what retrying cannot
   * fix: a malformed node id, a group the source does not define, a PKI folder that cannot be
   * written, or a second call. A refused login or server certificate is reported through
   * `onConnection(false, error)` (`SHOPFLOOR_OPCUA_AUTH`, `SHOPFLOOR_OPCUA_CERTIFICATE`).
   *
   * Nodes the server does not know are reported to `onNodeError` (and as one `bad` value to
   * `onValue`) while the other nodes keep working.
   */
  async start(tags: readonly OpcuaTag[], onValue: ValueListener, onConnection?: ConnectionListener, onNodeError?: NodeErrorListener): Promise<void> {
    if (this.#phase !== 'idle') {
      throw new OpcuaError('SHOPFLOOR_OPCUA_CONFIG', `${this.#context}: start() was already called; create a new OpcuaSource`, {
        canRetry: false,
      })
    }
    const o = this.#options
    this.#plan = planTags(this.#context, tags, o.groups)
    let client: OPCUAClient
    try {
      client = await createOpcuaClient({ ...o, maxRetry: -1 }, (certificate) => this.#trust.check(certificate), this.#log)
    } catch (err) {
      this.#phase = 'stopped'
      throw new OpcuaError(
        'SHOPFLOOR_OPCUA_CONFIG',
        `${this.#context}: cannot prepare the client certificate in ${o.pkiDir}: ${describeCause(err)}. ` +
          "The agent needs that folder writable (it keeps the gateway's certificate and the trusted server certificates there).",
        { canRetry: false, cause: err },
      )
    }
    this.#phase = 'running'
    this.#report.listen(onValue, onConnection, onNodeError)
    this.#poller = new Poller(this.#plan.polled, {
      read: (nodeIds) => this.#pollRead(nodeIds),
      deliver: (nodeId, value) => this.#batcher.add(nodeId, value),
      refused: (nodeId, status) => this.#report.badNode(nodeId, status, false),
      recovered: (nodeId) => this.#log.info({ nodeId }, 'node is read again'),
      failed: (group, err) => {
        this.#counters.c.readErrors += 1
        this.#log.warn({ group, err: describeCause(err) }, 'polled read failed')
      },
    })
    this.#client = client
    this.#watchClient(client)

    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), o.connectTimeoutMs)
    })
    const outcome = await Promise.race([this.#connectAndBuild(client).then(() => 'done' as const), timedOut])
    clearTimeout(timer)
    if (outcome === 'timeout' && this.#report.reported === undefined) {
      this.#report.disconnected(
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
   * Reads the current values with one Read service call, outside the subscription: for tools and
   * tests. Unknown nodes come back as `bad` values, not as an error. Needs a live connection;
   * throws `SHOPFLOOR_OPCUA_CONNECT` (canRetry) without one.
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
    this.#poller?.pause()
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
    if (session && this.#channelUp && !this.#closedSessions.has(session)) {
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
      if (this.#phase !== 'running' || this.#halted) return
      const o = this.#options
      this.#halt(
        this.#trust.refusal ??
          (isSecurityMismatch(err)
            ? await securityMismatchError(this.#context, o, this.endpoint, o, err)
            : new OpcuaError('SHOPFLOOR_OPCUA_CONNECT', `${this.#context}: cannot connect: ${describeCause(err)}. Check the endpoint URL.`, {
                canRetry: false,
                cause: err,
              })),
      )
      return
    }
    this.#channelUp = true
    await this.#build()
  }

  #halt(error: OpcuaError): void {
    if (this.#halted) return
    this.#halted = error
    this.#watchdog.disarm()
    // A refused certificate has been reported as it was refused.
    if (error !== this.#trust.refusal) this.#report.fatal(error)
  }

  #watchClient(client: OPCUAClient): void {
    const lost = (): void => {
      if (this.#phase !== 'running') return
      this.#channelUp = false
      this.#watchdog.disarm()
      this.#report.disconnected(new OpcuaError('SHOPFLOOR_OPCUA_CONNECT', `${this.#context}: connection lost; reconnecting`, { canRetry: true }))
    }
    client.on('connection_lost', lost)
    client.on('start_reconnection', lost)
    client.on('backoff', (count: number, delay: number) => this.#log.debug({ attempt: count + 1, delayMs: delay }, 'connect attempt failed'))
    client.on('reconnection_attempt_has_failed', (err: Error, message: string) =>
      this.#log.debug({ err, detail: message }, 'reconnection attempt failed'),
    )
    // node-opcua has reactivated or recreated the session and transferred or recreated the
    // subscription (its monitored items in our batch size: session-limits.ts); after a server
    // restart it recreates both. Check rather than trust: a subscription it could not restore is
    // left terminated without a word.
    client.on('connection_reestablished', () => {
      if (this.#phase !== 'running' || this.#halted) return
      this.#channelUp = true
      this.#counters.c.reconnects += 1
      const sessionId = this.#session?.sessionId.toString()
      if (sessionId !== undefined && sessionId !== this.#sessionId) {
        this.#sessionId = sessionId
        this.#counters.c.sessionRecreations += 1
      }
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
    if (this.#phase !== 'running' || !client || !this.#channelUp || this.#halted) return
    this.#watchdog.disarm()
    const previous = this.#monitored
    this.#monitored = undefined
    await previous?.close()
    try {
      const session = this.#sessionUsable() && this.#session ? this.#session : await this.#openSession(client)
      const nodesPerRead = effectiveLimit(NODES_PER_READ, this.#limits.maxNodesPerRead)
      const monitored = await createMonitoredSubscription(session, this.#plan.subscribed, { ...this.#options, nodesPerRead }, {
        value: (nodeId, value) => {
          this.#counters.c.notifications += 1
          this.#batcher.add(nodeId, value)
        },
        heard: () => this.#watchdog.heard(),
        terminated: () => this.#onTerminated(),
        filterRefused: (nodeId, status) => {
          this.#counters.c.deadbandFailures += 1
          this.#log.warn({ nodeId, status }, 'server refused the deadband filter: the node is monitored without it (every change)')
        },
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
      const refusal = loginRefusal(err)
      if (refusal !== undefined) {
        this.#halt(loginError(this.#context, this.#options.login, refusal, err))
        // Some PLCs lock a user after a few wrong passwords: no retry, and no reconnection either.
        void client.disconnect().catch(() => undefined)
        return
      }
      this.#buildFailures += 1
      // A session that fails twice in a row may be dead on the server while the channel lives
      // (a server that lost it without closing the socket): start over with a new one.
      if (this.#buildFailures >= 2) this.#abandonSession()
      const o = this.#options
      const delay = Math.min(o.reconnectInitialDelayMs * 2 ** (this.#buildFailures - 1), o.reconnectMaxDelayMs)
      this.#report.disconnected(
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
    const session = await client.createSession(userIdentity(this.#options.login))
    if (this.#sessionId !== undefined) this.#counters.c.sessionRecreations += 1
    this.#sessionId = session.sessionId.toString()
    limitCreateMonitoredItems(
      session,
      () => effectiveLimit(this.#options.monitoredItemsPerCall, this.#limits.maxMonitoredItemsPerCall),
      () => (this.#counters.c.createMonitoredItemsCalls += 1),
    )
    // node-opcua only closes a session itself when we ask it to; if anything else ever does,
    // the subscription went with it and is rebuilt on a new session.
    session.on('session_closed', () => {
      this.#closedSessions.add(session)
      if (this.#phase !== 'running' || session !== this.#session) return
      this.#report.disconnected(
        new OpcuaError('SHOPFLOOR_OPCUA_CONNECT', `${this.#context}: session closed by the server; reopening`, { canRetry: true }),
      )
      this.#scheduleBuild(0)
    })
    session.on('keepalive_failure', () => this.#log.debug('session keep-alive read failed'))
    if (this.#phase !== 'running') {
      await session.close(true).catch(() => undefined)
      return session
    }
    this.#session = session
    const limits = await withTimeout(readServerLimits(session), this.#options.requestTimeoutMs, 'Read of OperationLimits').catch(() => undefined)
    if (limits) this.#limits = limits
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
    this.#report.disconnected(
      new OpcuaError('SHOPFLOOR_OPCUA_SUBSCRIBE', `${this.#context}: subscription ended by the server; recreating it`, { canRetry: true }),
    )
    this.#scheduleBuild(0)
  }

  #onSilence(silentMs: number): void {
    if (this.#phase !== 'running' || !this.#channelUp) return
    this.#report.disconnected(
      new OpcuaError(
        'SHOPFLOOR_OPCUA_SUBSCRIBE',
        `${this.#context}: no data and no keep-alive for ${silentMs} ms although the connection is up ` +
          '(the server may have dropped the subscription); recreating it',
        { canRetry: true },
      ),
    )
    this.#scheduleBuild(0)
  }

  /** Reports subscribed nodes whose monitored item the server refused; each once, until it works again. */
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
      this.#report.badNode(nodeId, status, true)
    }
  }

  #markConnected(): void {
    this.#report.connected({ nodes: this.#plan.nodeIds.length, badNodes: this.#badNodes.size })
  }

  async #pollRead(nodeIds: readonly string[]): ReturnType<typeof readValues> {
    const session = this.#session
    if (!session || !this.#channelUp) throw new Error('not connected')
    const values = await readValues(session, nodeIds, effectiveLimit(NODES_PER_READ, this.#limits.maxNodesPerRead), () => {
      this.#counters.c.readCalls += 1
    })
    this.#counters.c.reads += values.length
    return values
  }
}
