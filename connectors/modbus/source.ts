/**
 * `ModbusSource`: polls one Modbus device (one unit id) and hands the edge agent a map of tag
 * values per cycle, reporting connection changes on the side.
 *
 * One request is in flight per connection at a time: many PLCs serve one request per
 * connection and drop or misanswer pipelined ones, and an RS-485 bus can carry only one. A cycle
 * runs the planned requests in turn; polls never overlap, and a cycle longer than the interval
 * is followed right away by the next.
 */
import type { Logger } from '../common/logger.ts'
import { silentLogger } from '../common/logger.ts'
import type { ConnectionListener, TagValue } from '../common/tag-value.ts'
import { createChannel, endpointOf, type Channel, type ChannelTarget } from './channel.ts'
import { ModbusClient, newRequestCounters, type RequestCounters } from './client.ts'
import { compileDecoder, type TagDecoder } from './decode.ts'
import { modbusDefaults } from './defaults.ts'
import { deviceLabel, exceptionStatus, integerOption, ModbusError, type DeviceContext } from './errors.ts'
import { LinkError } from './link.ts'
import { planReads, type ReadRequest } from './plan.ts'
import { resolveTarget, type TargetOptions } from './source-target.ts'
import { TagIndex, TagValueMap } from './tag-values.ts'
import { isBitTable, type ModbusTag } from './types.ts'

export interface ModbusSourceOptions extends TargetOptions {
  /** The source id from the config; names the device in logs and errors. */
  readonly id: string
  /** Unit (slave) id: 0..255 over `tcp`, 1..247 on an RTU line. Default 1. */
  readonly unitId?: number
  /**
   * Milliseconds between the starts of two polls. Default 1000. 0 polls back to back (for
   * benchmarks and tests; the agent config's `pollInterval` is at least 1).
   */
  readonly pollIntervalMs?: number
  /** Milliseconds to wait for the connection and for each response. Default 2000. */
  readonly timeoutMs?: number
  /** Extra attempts of a request after a timeout or a busy answer (exception 5, 6, 10, 11). Default 1. */
  readonly retries?: number
  /** Milliseconds before the first retry, doubled for each further one. Default 100. */
  readonly retryDelayMs?: number
  /** Registers per read request, 1..125. Default 125. */
  readonly maxRegisters?: number
  /** Bits per read request, 1..2000. Default 2000. */
  readonly maxBits?: number
  /** Unused registers (bits in bit tables) a request may read across to merge two ranges. Default 0. */
  readonly maxGap?: number
  /** Read every tag with a request of its own, for devices that refuse multi-register reads. Default false. */
  readonly oneRequestPerTag?: boolean
  /** Milliseconds to wait after connecting before the first request. Default 0. */
  readonly pauseAfterConnectMs?: number
  /** Milliseconds before the first reconnect attempt, doubled after each failure. Default 1000. */
  readonly reconnectDelayMs?: number
  /** Milliseconds, the ceiling of the reconnect delay. Default 30000. */
  readonly maxReconnectDelayMs?: number
  /** What to read, with 0-based protocol addresses. Checked in the constructor: an invalid tag throws `SHOPFLOOR_MODBUS_CONFIG`. */
  readonly tags: readonly ModbusTag[]
  /** Default: silent. Logs connection changes and exception changes, never every poll. */
  readonly logger?: Logger
}

/** Receives every tag's value once per poll cycle, keyed by tag name, in the order of the tags. */
export type ValuesListener = (values: ReadonlyMap<string, TagValue>) => void

/** A source's counters since it was created, for metrics. */
export interface ModbusSourceStats extends Readonly<Omit<RequestCounters, 'exceptions'>> {
  readonly connected: boolean
  /** Cycles that delivered values. */
  readonly polls: number
  /** Cycles that failed: no connection, a timeout after the retries, the connection lost. */
  readonly pollErrors: number
  /** Exception answers by exception code (`{ "2": 5 }`). */
  readonly exceptions: Readonly<Record<string, number>>
  /** Times the device came back after being lost. */
  readonly reconnects: number
  /** Milliseconds the last successful cycle took, from its first request to its last answer. */
  readonly lastPollDurationMs: number | undefined
}

/** A planned read with, for each of its tags, where its value goes and where it sits in the answer. */
interface PlannedRead {
  readonly req: ReadRequest
  /** Index of each tag in the delivery order. */
  readonly slots: readonly number[]
  /** Byte offset (register tables) or bit index (bit tables) of each tag in the answer's data. */
  readonly offsets: readonly number[]
  /** Each tag's decoder, specialised to its type and byte order (register tables). */
  readonly decoders: readonly TagDecoder[]
}

export class ModbusSource {
  readonly id: string
  /** The read requests one cycle makes, as planned from the tags. */
  readonly requests: readonly ReadRequest[]

  readonly #device: DeviceContext
  readonly #target: ChannelTarget
  readonly #tags: readonly ModbusTag[]
  readonly #index: TagIndex
  readonly #reads: readonly PlannedRead[]
  readonly #pollIntervalMs: number
  readonly #timeoutMs: number
  readonly #retries: number
  readonly #retryDelayMs: number
  readonly #pauseAfterConnectMs: number
  readonly #reconnectDelayMs: number
  readonly #maxReconnectDelayMs: number
  readonly #log: Logger
  readonly #counters: RequestCounters = newRequestCounters()
  #polls = 0
  #pollErrors = 0
  #reconnects = 0
  #lastPollMs: number | undefined

  #channel: Channel | undefined
  #client: ModbusClient | undefined
  /** Serialises cycles of the loop and of `readOnce`. */
  #chain: Promise<unknown> = Promise.resolve()
  #running = false
  #stopped = false
  readonly #abort = new AbortController()
  #loop: Promise<void> | undefined
  #wake: () => void = () => {}
  #onConnection: ConnectionListener | undefined
  /** Last state reported to the listener; undefined until the first connect attempt ends. */
  #reported: boolean | undefined
  #everConnected = false
  /** Per request: the exception status of its last read, to log changes only. */
  readonly #requestStatus: (string | undefined)[]

  constructor(opts: ModbusSourceOptions) {
    if (typeof opts.id !== 'string' || opts.id === '') throw new ModbusError('SHOPFLOOR_MODBUS_CONFIG', 'modbus source: id must be a non-empty string')
    const where = `modbus source "${opts.id}"`
    this.id = opts.id
    this.#target = resolveTarget(where, opts)
    const rtu = this.#target.transport !== 'tcp'
    this.#device = {
      id: opts.id,
      endpoint: endpointOf(this.#target),
      // 0 is broadcast on a serial line (nobody answers), 248..255 are reserved.
      unitId: integerOption(where, 'unitId', opts.unitId ?? modbusDefaults.unitId, rtu ? 1 : 0, rtu ? 247 : 255),
    }
    this.#pollIntervalMs = integerOption(where, 'pollIntervalMs', opts.pollIntervalMs ?? modbusDefaults.pollIntervalMs, 0, 86_400_000)
    this.#timeoutMs = integerOption(where, 'timeoutMs', opts.timeoutMs ?? modbusDefaults.timeoutMs, 1, 600_000)
    this.#retries = integerOption(where, 'retries', opts.retries ?? modbusDefaults.retries, 0, 10)
    this.#retryDelayMs = integerOption(where, 'retryDelayMs', opts.retryDelayMs ?? modbusDefaults.retryDelayMs, 0, 600_000)
    this.#pauseAfterConnectMs = integerOption(where, 'pauseAfterConnectMs', opts.pauseAfterConnectMs ?? modbusDefaults.pauseAfterConnectMs, 0, 600_000)
    this.#reconnectDelayMs = integerOption(where, 'reconnectDelayMs', opts.reconnectDelayMs ?? modbusDefaults.reconnectDelayMs, 1, 3_600_000)
    this.#maxReconnectDelayMs = integerOption(where, 'maxReconnectDelayMs', opts.maxReconnectDelayMs ?? modbusDefaults.maxReconnectDelayMs, this.#reconnectDelayMs, 3_600_000)
    try {
      this.requests = planReads(opts.tags, { maxRegisters: opts.maxRegisters, maxBits: opts.maxBits, maxGap: opts.maxGap, oneRequestPerTag: opts.oneRequestPerTag })
    } catch (err) {
      if (err instanceof ModbusError) throw new ModbusError(err.code, `${where}: ${err.message}`, { cause: err })
      throw err
    }
    this.#tags = opts.tags
    this.#index = new TagIndex(opts.tags.map((t) => t.name))
    const slotOf = new Map(opts.tags.map((t, i) => [t, i]))
    this.#reads = this.requests.map((req) => ({
      req,
      slots: req.tags.map((t) => slotOf.get(t) as number),
      offsets: req.tags.map((t) => (isBitTable(req.table) ? t.address - req.address : (t.address - req.address) * 2)),
      decoders: isBitTable(req.table) ? [] : req.tags.map((t) => compileDecoder(t)),
    }))
    this.#requestStatus = this.requests.map(() => undefined)
    this.#log = (opts.logger ?? silentLogger).child({ component: 'modbus', device: opts.id })
  }

  /** Whether the device answers: its connection or line is open and its last request was answered. */
  get connected(): boolean {
    return this.#channel !== undefined && this.#channel.isOpen && this.#reported === true
  }

  /** Counters since the source was created: a fresh plain object per call. */
  get stats(): ModbusSourceStats {
    return {
      connected: this.connected,
      polls: this.#polls,
      pollErrors: this.#pollErrors,
      ...this.#counters,
      exceptions: { ...this.#counters.exceptions },
      reconnects: this.#reconnects,
      lastPollDurationMs: this.#lastPollMs,
    }
  }

  /**
   * Starts polling. `onValues` gets every tag once per cycle; tags whose read got a Modbus
   * exception come with quality `bad` and value `null`. `onConnection` hears of each change:
   * `true` when the device first answers (a value or an exception) after connecting, `false`
   * (with the error) once when it stops answering, the connection or line is lost, or the first
   * connect fails. Errors never escape: the source reconnects with backoff until `stop()`. Throws
   * `SHOPFLOOR_MODBUS_CONFIG` when its serial port is in use by another source at other settings.
   */
  start(onValues: ValuesListener, onConnection?: ConnectionListener): void {
    if (this.#stopped) throw this.#stoppedError()
    if (this.#running) throw new ModbusError('SHOPFLOOR_MODBUS_CONFIG', `${deviceLabel(this.#device)}: start() was called twice`)
    this.#ensureChannel()
    this.#running = true
    this.#onConnection = onConnection
    this.#loop = this.#run(onValues)
  }

  /**
   * Reads every tag once, connecting first if needed, and leaves the connection open. Throws a
   * `ModbusError` if the device cannot be reached; exceptions only mark their tags bad.
   */
  readOnce(): Promise<ReadonlyMap<string, TagValue>> {
    if (this.#stopped) return Promise.reject(this.#stoppedError())
    this.#ensureChannel()
    return this.#exclusive(() => this.#cycle())
  }

  /** Stops polling and closes the connection (or gives up its share of a serial line). */
  async stop(): Promise<void> {
    this.#stopped = true
    this.#running = false
    this.#abort.abort()
    this.#wake()
    await this.#channel?.release()
    await this.#loop
    await this.#chain.catch(() => {})
    await this.#channel?.release()
  }

  #ensureChannel(): void {
    if (this.#channel !== undefined) return
    const channel = createChannel(this.#target, this.id, (err) => this.#lost(err))
    this.#channel = channel
    this.#client = new ModbusClient({
      device: this.#device,
      channel,
      timeoutMs: this.#timeoutMs,
      retries: this.#retries,
      retryDelayMs: this.#retryDelayMs,
      counters: this.#counters,
      signal: this.#abort.signal,
    })
  }

  async #run(onValues: ValuesListener): Promise<void> {
    let backoff = this.#reconnectDelayMs
    while (this.#running) {
      const started = Date.now()
      let values: ReadonlyMap<string, TagValue>
      try {
        values = await this.#exclusive(() => this.#cycle())
      } catch (err) {
        if (!this.#running) break
        this.#pollErrors++
        this.#report(false, err instanceof Error ? err : new Error(String(err)))
        await this.#sleep(backoff)
        backoff = Math.min(backoff * 2, this.#maxReconnectDelayMs)
        continue
      }
      backoff = this.#reconnectDelayMs
      try {
        onValues(values)
      } catch (err) {
        // The listener's bug must not stop the polling of a machine.
        this.#log.error({ err }, 'values listener threw')
      }
      // Fixed rate from the cycle's start; a late cycle is followed at once, never overlapped.
      await this.#sleep(Math.max(0, started + this.#pollIntervalMs - Date.now()))
    }
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#chain.then(fn)
    this.#chain = result.catch(() => {})
    return result
  }

  #sleep(ms: number): Promise<void> {
    if (!this.#running) return Promise.resolve()
    return new Promise((resolve) => {
      if (ms <= 0) {
        // A late cycle goes on at once: a 0 ms timer would still cost a millisecond. setImmediate
        // lets I/O and stop() in between, so a device slower than its interval starves nobody.
        const immediate = setImmediate(resolve)
        this.#wake = () => { clearImmediate(immediate); resolve() }
        return
      }
      const timer = setTimeout(resolve, ms)
      this.#wake = () => { clearTimeout(timer); resolve() }
    })
  }

  #report(connected: boolean, err?: Error): void {
    if (this.#reported === connected) return
    this.#reported = connected
    if (connected) {
      this.#log.info({ endpoint: this.#device.endpoint, unitId: this.#device.unitId }, this.#everConnected ? 'reconnected' : 'connected')
      if (this.#everConnected) this.#reconnects++
      this.#everConnected = true
    } else {
      this.#log.warn({ err }, this.#everConnected ? 'connection lost' : 'cannot connect')
    }
    if (!this.#running) return
    try {
      this.#onConnection?.(connected, err)
    } catch (listenerErr) {
      this.#log.error({ err: listenerErr }, 'connection listener threw')
    }
  }

  /** The connection or the serial port went away between or during requests. */
  #lost(err: LinkError): void {
    if (!this.#running) return
    this.#report(false, new ModbusError('SHOPFLOOR_MODBUS_CONNECTION_LOST', `${deviceLabel(this.#device)}: ${err.message}; the source reconnects by itself`, { canRetry: true, cause: err }))
  }

  #stoppedError(): ModbusError {
    return new ModbusError('SHOPFLOOR_MODBUS_STOPPED', `${deviceLabel(this.#device)}: the source was stopped; create a new one to read again`)
  }

  /** Opens the channel if needed; on a fresh connection waits `pauseAfterConnectMs`. */
  async #open(channel: Channel): Promise<void> {
    if (channel.isOpen) return
    let opened: boolean
    try {
      opened = await channel.open(this.#timeoutMs, this.#abort.signal)
    } catch (cause) {
      if (this.#stopped) throw this.#stoppedError()
      const reason = cause instanceof Error ? cause.message : String(cause)
      throw new ModbusError(
        'SHOPFLOOR_MODBUS_CONNECT',
        this.#target.transport === 'rtu'
          ? `${deviceLabel(this.#device)}: ${reason}`
          : `${deviceLabel(this.#device)}: cannot connect (${reason}); check host and port, that the device is on and reachable, and that it has a free Modbus TCP connection (many PLCs allow only a few)`,
        { canRetry: true, cause },
      )
    }
    if (this.#stopped) {
      await channel.release()
      throw this.#stoppedError()
    }
    if (opened && this.#pauseAfterConnectMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#pauseAfterConnectMs)
        this.#abort.signal.addEventListener('abort', () => { clearTimeout(timer); resolve() }, { once: true })
      })
      if (this.#stopped) throw this.#stoppedError()
    }
  }

  async #cycle(): Promise<ReadonlyMap<string, TagValue>> {
    if (this.#stopped) throw this.#stoppedError()
    const channel = this.#channel as Channel
    const client = this.#client as ModbusClient
    await this.#open(channel)
    const started = performance.now()
    const values = new Array<TagValue>(this.#tags.length)
    for (let i = 0; i < this.#reads.length; i++) {
      const { req, slots, offsets, decoders } = this.#reads[i] as PlannedRead
      try {
        const data = await client.read(req.table, req.address, req.count)
        const ts = Date.now()
        if (isBitTable(req.table)) {
          for (let k = 0; k < slots.length; k++) {
            const bit = offsets[k] as number
            values[slots[k] as number] = { value: (((data[bit >> 3] as number) >> (bit & 7)) & 1) === 1, sourceTs: ts, receiveTs: ts, quality: 'good' }
          }
        } else {
          // The answer's byte count was checked against the request: every tag lies within it.
          for (let k = 0; k < slots.length; k++) {
            values[slots[k] as number] = { value: (decoders[k] as TagDecoder)(data, offsets[k] as number), sourceTs: ts, receiveTs: ts, quality: 'good' }
          }
        }
        this.#noteStatus(i, undefined)
      } catch (err) {
        if (!(err instanceof ModbusError) || err.code !== 'SHOPFLOOR_MODBUS_EXCEPTION') {
          // A TCP connection whose request timed out or got a garbled answer is in an unknown state: start afresh.
          if (channel.exclusive || (err instanceof ModbusError && err.code === 'SHOPFLOOR_MODBUS_CONNECTION_LOST')) await channel.reset()
          throw this.#stopped ? this.#stoppedError() : err
        }
        const ts = Date.now()
        const status = exceptionStatus(err.exceptionCode ?? 0)
        for (const slot of slots) values[slot] = { value: null, sourceTs: ts, receiveTs: ts, quality: 'bad', status }
        this.#noteStatus(i, status, err)
      }
      // Connected means answering: a PLC that accepts the connection but never answers is not.
      this.#report(true)
    }
    this.#polls++
    this.#lastPollMs = performance.now() - started
    return new TagValueMap(this.#index, values)
  }

  #noteStatus(i: number, status: string | undefined, err?: ModbusError): void {
    if (this.#requestStatus[i] === status) return
    this.#requestStatus[i] = status
    const req = this.requests[i]
    const range = req === undefined ? {} : { table: req.table, address: req.address, count: req.count }
    if (status !== undefined) this.#log.warn({ ...range, err }, 'read answered with an exception; its tags are bad until it succeeds')
    else this.#log.info(range, 'read succeeds again')
  }
}
