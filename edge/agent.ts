import { join } from 'node:path'
import { OpcuaSource, ModbusSource, modbusSourceOptions, opcuaSourceOptions, type ModbusTag, type OpcuaTagConfig, type TagValue } from '../connectors/index.ts'
import { silentLogger, type Logger } from '../connectors/common/logger.ts'
import { EventCodec, eventKey, topicFor, DEFAULT_TOPIC_PREFIX, type Publisher, type ShopfloorEvent } from '../stream/index.ts'
import type { EdgeConfig, TagRef } from './config/resolved.ts'
import { MachineModel, type ModelEvent, type TagRole } from './model/machine-model.ts'
import { Forwarder, type ForwarderOptions, type ForwarderStats } from './forwarder.ts'
import { Spool, SpoolError, type SpoolInput, type SpoolOptions, type SpoolStats } from './spool/index.ts'
import { Liveness } from './liveness.ts'
import { Sequence } from './sequence.ts'
import { VERSION } from './version.ts'

export interface EdgeAgentOptions {
  config: EdgeConfig
  /** Where events go: Kafka, or the in-process bus. */
  publisher: Publisher
  /** Prefix of the topics. Default `shopfloor`. */
  topicPrefix?: string
  logger?: Logger
  codec?: EventCodec
  /** Directory of the durable spool events wait in until Kafka has them. Default `<config.agent.stateDir>/spool`. */
  spoolDir?: string
  /** Bounds, overflow policy and fsync policy of the spool; defaults in `SPOOL_DEFAULTS` (1 GiB, 7 days, drop-oldest, fsync every 1 s). */
  spool?: Omit<SpoolOptions, 'logger'>
  /** Batching and retry of publishing from the spool. Defaults: 1000 events or 256 KiB a batch, retry from 0.5 s doubling to 10 s. */
  forwarder?: Omit<ForwarderOptions, 'logger'>
}

export interface EdgeAgentStats {
  events: Record<ShopfloorEvent['type'], number>
  spool: SpoolStats
  publish: ForwarderStats
  sources: Record<string, SourceStats>
  anomalies: number
}

export interface SourceStats {
  protocol: 'opcua' | 'modbus'
  connected: boolean
  /** Values delivered to the machine models. */
  values: number
  /** Connections lost. */
  errors: number
  /** The connector's own stats (`OpcuaSource.stats`, `ModbusSource.stats`). */
  connector: object
}

interface Route {
  model: MachineModel
  role: TagRole
  /** For role `sample`: the sample's name. */
  sample?: string
}

/**
 * The edge agent: reads every configured source, runs each machine's model, and publishes the
 * events it makes (plus a heartbeat that announces the machines) through a durable on-disk
 * spool: an event is on disk before it is published, and leaves the spool only once the
 * transport has acknowledged it. Polling never waits for publishing.
 */
export class EdgeAgent {
  readonly #cfg: EdgeConfig
  readonly #log: Logger
  readonly #codec: EventCodec
  readonly #prefix: string
  readonly #spool: Spool
  readonly #forwarder: Forwarder
  /** Events made in the current turn of the event loop: appended to the spool as one write. */
  #pending: SpoolInput[] = []
  readonly #seq: Sequence
  readonly #liveness: Liveness
  readonly #models: MachineModel[] = []
  readonly #startedTs = Date.now()
  readonly #opcua: Array<{ source: OpcuaSource; routes: Map<string, Route[]>; tags: OpcuaTagConfig[] }> = []
  readonly #modbus: Array<{ source: ModbusSource; routes: Map<string, Route[]> }> = []
  readonly #stats: Omit<EdgeAgentStats, 'spool' | 'publish' | 'sources'> & { sources: Record<string, Omit<SourceStats, 'protocol' | 'connector'>> }
  #heartbeat: NodeJS.Timeout | undefined
  #stopped = false

  constructor(opts: EdgeAgentOptions) {
    this.#cfg = opts.config
    this.#log = (opts.logger ?? silentLogger).child({ component: 'agent', agent: opts.config.agent.id })
    this.#codec = opts.codec ?? new EventCodec()
    this.#prefix = opts.topicPrefix ?? DEFAULT_TOPIC_PREFIX
    // Opened (and locked) before any source connects: a second agent on the same spool fails here.
    const base = (opts.logger ?? silentLogger).child({ agent: opts.config.agent.id })
    this.#spool = new Spool(opts.spoolDir ?? join(opts.config.agent.stateDir, 'spool'), { ...opts.spool, logger: base })
    this.#forwarder = new Forwarder(this.#spool, opts.publisher, { ...opts.forwarder, logger: base })
    this.#seq = new Sequence(opts.config.agent.stateDir)
    this.#liveness = new Liveness(opts.config.agent.stateDir)
    this.#stats = {
      events: { machine_state: 0, production_count: 0, energy_reading: 0, tag_sample: 0, agent_heartbeat: 0 },
      sources: {},
      anomalies: 0,
    }

    const routesBySource = new Map<string, Map<string, Route[]>>()
    const modbusTags = new Map<string, ModbusTag[]>()
    const opcuaTags = new Map<string, OpcuaTagConfig[]>()
    const addRoute = (tag: TagRef, model: MachineModel, role: TagRole, sample?: string): void => {
      let routes = routesBySource.get(tag.source)
      if (!routes) routesBySource.set(tag.source, (routes = new Map()))
      const key = tag.protocol === 'opcua' ? tag.node : `${model.config.path}#${role}${sample === undefined ? '' : `:${sample}`}`
      const route: Route = sample === undefined ? { model, role } : { model, role, sample }
      const list = routes.get(key)
      if (list) list.push(route)
      else routes.set(key, [route])
      if (tag.protocol === 'opcua') {
        const { protocol: _p, source: _s, ...ref } = tag
        opcuaTags.set(tag.source, [...(opcuaTags.get(tag.source) ?? []), ref])
      }
      if (tag.protocol === 'modbus') {
        const { protocol: _p, source: _s, ...reg } = tag
        const tags = modbusTags.get(tag.source) ?? []
        tags.push({ name: key, ...reg })
        modbusTags.set(tag.source, tags)
      }
    }
    for (const m of this.#cfg.machines) {
      const model = new MachineModel(
        m,
        (e) => this.#onModelEvent(e),
        (a) => {
          this.#stats.anomalies++
          this.#log.warn({ machine: a.machine, anomaly: a.kind }, a.detail)
        },
      )
      this.#models.push(model)
      // Reason before state: values with equal timestamps are delivered in subscription order, so
      // a new state arrives with its reason already known.
      if (m.state.reason) addRoute(m.state.reason, model, 'reason')
      addRoute(m.state.tag, model, 'state')
      if (m.counts) {
        addRoute(m.counts.total, model, 'total')
        if (m.counts.reject) addRoute(m.counts.reject, model, 'reject')
      }
      if (m.energy) {
        // kW before kWh, so each energy reading carries the power of the same poll.
        if (m.energy.kw) addRoute(m.energy.kw, model, 'kw')
        addRoute(m.energy.kwh, model, 'kwh')
      }
      for (const s of m.samples) addRoute(s.tag, model, 'sample', s.name)
    }
    for (const s of this.#cfg.sources) {
      const routes = routesBySource.get(s.id)
      if (!routes) {
        this.#log.warn({ source: s.id }, 'source is configured but no tag uses it: not connecting')
        continue
      }
      this.#stats.sources[s.id] = { connected: false, values: 0, errors: 0 }
      if (s.protocol === 'opcua') {
        const pkiDir = join(this.#cfg.agent.stateDir, 'pki')
        this.#opcua.push({ source: new OpcuaSource(opcuaSourceOptions(s, this.#log, { pkiDir })), routes, tags: opcuaTags.get(s.id) ?? [] })
      } else {
        this.#modbus.push({ source: new ModbusSource(modbusSourceOptions(s, modbusTags.get(s.id) ?? [], this.#log)), routes })
      }
    }
  }

  /** Connects to every source (returns once connecting has begun) and starts the heartbeat. */
  async start(): Promise<void> {
    this.#forwarder.start()
    // After a crash, the machines were not observed while the agent was down.
    const down = this.#liveness.crashedRunEnd
    if (down !== undefined) {
      const now = Date.now()
      this.#log.warn({ since: new Date(Math.min(down, now)).toISOString() }, 'the previous run ended without a clean stop: its machines are OFFLINE from then until read again')
      for (const m of this.#models) m.agentWasDown(Math.min(down, now), now)
    }
    this.#liveness.start()
    this.#sendHeartbeat()
    this.#heartbeat = setInterval(() => this.#sendHeartbeat(), this.#cfg.agent.heartbeatIntervalMs)
    // Concurrently: an unreachable server must not hold up the others (it keeps retrying).
    await Promise.all(
      this.#opcua.map(({ source, routes, tags }) =>
        source.start(
          tags,
          (nodeId, v) => this.#deliver(source.id, routes.get(nodeId), v),
          (connected, err) => this.#onConnection(source.id, routes, connected, err),
          (nodeId, err) => this.#log.error({ source: source.id, node: nodeId, code: err.code }, err.message),
        ),
      ),
    )
    for (const { source, routes } of this.#modbus) {
      source.start(
        (values) => {
          for (const [key, v] of values) this.#deliver(source.id, routes.get(key), v)
        },
        (connected, err) => this.#onConnection(source.id, routes, connected, err),
      )
    }
    this.#log.info({ machines: this.#models.length, sources: this.#cfg.sources.length }, 'agent started')
  }

  get stats(): EdgeAgentStats {
    const sources: Record<string, SourceStats> = {}
    const add = (protocol: SourceStats['protocol'], source: { id: string; stats: object }) => {
      const own = this.#stats.sources[source.id]
      if (own) sources[source.id] = { protocol, ...own, connector: source.stats }
    }
    for (const { source } of this.#opcua) add('opcua', source)
    for (const { source } of this.#modbus) add('modbus', source)
    return { ...this.#stats, sources, spool: this.#spool.stats, publish: this.#forwarder.stats }
  }

  /** Stops reading, marks every machine OFFLINE, and sends what it can within `flushTimeoutMs`. */
  async stop(flushTimeoutMs = 5000): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    clearInterval(this.#heartbeat)
    await Promise.allSettled([...this.#opcua.map((o) => o.source.stop()), ...this.#modbus.map((m) => m.source.stop())])
    const now = Date.now()
    for (const m of this.#models) m.stop(now)
    this.#spoolPending()
    const left = await this.#forwarder.flush(flushTimeoutMs)
    await this.#forwarder.close()
    this.#spool.close()
    this.#liveness.stop()
    if (left > 0) this.#log.warn({ left }, 'stopped with events not yet published: they stay in the spool and are sent after the next start')
    this.#log.info('agent stopped')
  }

  #deliver(sourceId: string, routes: Route[] | undefined, v: TagValue): void {
    if (!routes || this.#stopped) return
    const s = this.#stats.sources[sourceId]
    if (s) s.values++
    for (const r of routes) {
      if (r.sample !== undefined) r.model.onSample(r.sample, v)
      else r.model.onValue(r.role, v)
    }
  }

  #onConnection(sourceId: string, routes: Map<string, Route[]>, connected: boolean, err?: Error): void {
    const s = this.#stats.sources[sourceId]
    if (s) {
      if (s.connected === connected) return
      s.connected = connected
      if (!connected) s.errors++
    }
    if (connected) this.#log.info({ source: sourceId }, 'source connected')
    else this.#log.warn({ source: sourceId, err: err?.message }, 'source lost')
    if (this.#stopped) return
    // Machines whose state is read from this source are OFFLINE while it is lost.
    const now = Date.now()
    const affected = new Set<MachineModel>()
    for (const list of routes.values()) for (const r of list) if (r.role === 'state') affected.add(r.model)
    for (const m of affected) m.onConnection(connected, now)
  }

  #header(): { event_id: string; agent_id: string; seq: number } {
    const seq = this.#seq.next()
    return { event_id: `${this.#cfg.agent.id}:${seq}`, agent_id: this.#cfg.agent.id, seq }
  }

  #onModelEvent(e: ModelEvent): void {
    const h = this.#header()
    const common = { ...h, machine: e.machine, source_ts: e.ts, receive_ts: e.receiveTs }
    let ev: ShopfloorEvent
    switch (e.type) {
      case 'machine_state':
        ev = { type: 'machine_state', event: { ...common, state: e.state, reason: e.reason } }
        break
      case 'production_count':
        ev = { type: 'production_count', event: { ...common, produced: e.produced, rejected: e.rejected, ideal_cycle_s: e.idealCycleS, product: null } }
        break
      case 'energy_reading':
        ev = { type: 'energy_reading', event: { ...common, kwh: e.kwh, kwh_total: e.kwhTotal, kw: e.kw } }
        break
      case 'tag_sample':
        ev = {
          type: 'tag_sample',
          event: { ...common, tag: e.tag, value_double: typeof e.value === 'number' ? e.value : null, value_string: typeof e.value === 'string' ? e.value : null, quality: e.quality },
        }
        break
    }
    this.#publish(ev)
  }

  #sendHeartbeat(): void {
    this.#publish({
      type: 'agent_heartbeat',
      event: {
        ...this.#header(),
        source_ts: Date.now(),
        version: VERSION,
        started_ts: this.#startedTs,
        machines: this.#cfg.machines.map((m) => ({
          machine: m.path,
          name: m.name,
          position: m.position,
          ideal_cycle_s: m.idealCycleS,
          line_ideal_cycle_s: m.lineIdealCycleS,
          end_of_line: m.endOfLine,
        })),
      },
    })
  }

  #publish(e: ShopfloorEvent): void {
    this.#stats.events[e.type]++
    // Events of one poll or notification arrive in one synchronous turn: spooled together with
    // one write at its end, still before any further I/O is handled.
    if (this.#pending.length === 0) queueMicrotask(() => this.#spoolPending())
    this.#pending.push({ topic: topicFor(e.type, this.#prefix), key: eventKey(e), value: this.#codec.encode(e) })
  }

  #spoolPending(): void {
    const batch = this.#pending
    if (batch.length === 0) return
    this.#pending = []
    try {
      this.#spool.append(batch)
    } catch (err) {
      // SHOPFLOOR_SPOOL_IO is counted (dropped, reason io) and logged by the spool once per outage.
      if (!(err instanceof SpoolError) || err.code !== 'SHOPFLOOR_SPOOL_IO') this.#log.error({ err, events: batch.length }, 'events could not be spooled')
    }
  }
}
