/**
 * `ModbusSource`: polls one Modbus TCP device and hands the edge agent a map of tag values per
 * cycle, reporting connection changes on the side.
 *
 * One request is in flight per connection at a time: many PLCs serve one request per
 * connection and drop or misanswer pipelined ones. A cycle runs the planned requests in turn;
 * polls never overlap, and a cycle longer than the interval is followed right away by the next.
 */
import type { Logger } from '../common/logger.ts'
import { silentLogger } from '../common/logger.ts'
import type { ConnectionListener, TagValue } from '../common/tag-value.ts'
import { ModbusConnection } from './connection.ts'
import { decodeRegisters } from './decode.ts'
import { modbusDefaults } from './defaults.ts'
import { deviceLabel, exceptionStatus, ModbusError, type DeviceContext } from './errors.ts'
import { planReads, type ReadRequest } from './plan.ts'
import { isBitTable, type ModbusTag } from './types.ts'

export interface ModbusSourceOptions {
  /** The source id from the config; names the device in logs and errors. */
  readonly id: string
  /** Host name or IP address of the device or gateway. */
  readonly host: string
  /** TCP port. Default 502. */
  readonly port?: number
  /** Unit (slave) id, 0..255. Default 1. */
  readonly unitId?: number
  /** Milliseconds between the starts of two polls. Default 1000. */
  readonly pollIntervalMs?: number
  /** Milliseconds to wait for the connection and for each response. Default 2000. */
  readonly timeoutMs?: number
  /** Registers per read request, 1..125. Default 125. */
  readonly maxRegisters?: number
  /** Bits per read request, 1..2000. Default 2000. */
  readonly maxBits?: number
  /** Unused registers (bits in bit tables) a request may read across to merge two ranges. Default 0. */
  readonly maxGap?: number
  /** Milliseconds before the first reconnect attempt, doubled after each failure. Default 1000. */
  readonly reconnectDelayMs?: number
  /** Milliseconds, the ceiling of the reconnect delay. Default 30000. */
  readonly maxReconnectDelayMs?: number
  /** What to read. Checked in the constructor: an invalid tag throws `SHOPFLOOR_MODBUS_CONFIG`. */
  readonly tags: readonly ModbusTag[]
  /** Default: silent. Logs connection changes and exception changes, never every poll. */
  readonly logger?: Logger
}

/** Receives every tag's value once per poll cycle, keyed by tag name, in the order of the tags. */
export type ValuesListener = (values: Map<string, TagValue>) => void

function checkInteger(where: string, name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ModbusError('SHOPFLOOR_MODBUS_CONFIG', `${where}: ${name} must be an integer ${min}..${max}, got ${String(value)}`)
  }
  return value
}

export class ModbusSource {
  readonly id: string
  /** The read requests one cycle makes, as planned from the tags. */
  readonly requests: readonly ReadRequest[]

  readonly #device: DeviceContext
  readonly #tags: readonly ModbusTag[]
  readonly #pollIntervalMs: number
  readonly #timeoutMs: number
  readonly #reconnectDelayMs: number
  readonly #maxReconnectDelayMs: number
  readonly #log: Logger

  #conn: ModbusConnection | undefined
  #connecting: Promise<ModbusConnection> | undefined
  /** Serialises cycles of the loop and of `readOnce` on the one connection. */
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
    const where = `modbus source "${String(opts.id)}"`
    if (typeof opts.id !== 'string' || opts.id === '') throw new ModbusError('SHOPFLOOR_MODBUS_CONFIG', 'modbus source: id must be a non-empty string')
    if (typeof opts.host !== 'string' || opts.host === '') throw new ModbusError('SHOPFLOOR_MODBUS_CONFIG', `${where}: host must be a host name or IP address`)
    this.id = opts.id
    this.#device = {
      id: opts.id,
      host: opts.host,
      port: checkInteger(where, 'port', opts.port ?? modbusDefaults.port, 1, 65535),
      unitId: checkInteger(where, 'unitId', opts.unitId ?? modbusDefaults.unitId, 0, 255),
    }
    this.#pollIntervalMs = checkInteger(where, 'pollIntervalMs', opts.pollIntervalMs ?? modbusDefaults.pollIntervalMs, 1, 86_400_000)
    this.#timeoutMs = checkInteger(where, 'timeoutMs', opts.timeoutMs ?? modbusDefaults.timeoutMs, 1, 600_000)
    this.#reconnectDelayMs = checkInteger(where, 'reconnectDelayMs', opts.reconnectDelayMs ?? modbusDefaults.reconnectDelayMs, 1, 3_600_000)
    this.#maxReconnectDelayMs = checkInteger(where, 'maxReconnectDelayMs', opts.maxReconnectDelayMs ?? modbusDefaults.maxReconnectDelayMs, this.#reconnectDelayMs, 3_600_000)
    try {
      this.requests = planReads(opts.tags, { maxRegisters: opts.maxRegisters, maxBits: opts.maxBits, maxGap: opts.maxGap })
    } catch (err) {
      if (err instanceof ModbusError) throw new ModbusError(err.code, `${where}: ${err.message}`, { cause: err })
      throw err
    }
    this.#tags = opts.tags
    this.#requestStatus = this.requests.map(() => undefined)
    this.#log = (opts.logger ?? silentLogger).child({ component: 'modbus', device: opts.id })
  }

  /** Whether a connection to the device is open now. */
  get connected(): boolean {
    return this.#conn?.isOpen ?? false
  }

  /**
   * Starts polling. `onValues` gets every tag once per cycle; tags whose read got a Modbus
   * exception come with quality `bad` and value `null`. `onConnection` hears of each change:
   * `false` (with the error) once when the device is lost or the first connect fails, `true` when
   * connected. Errors never escape: the source reconnects with backoff until `stop()`.
   */
  start(onValues: ValuesListener, onConnection?: ConnectionListener): void {
    if (this.#stopped) throw this.#stoppedError()
    if (this.#running) throw new ModbusError('SHOPFLOOR_MODBUS_CONFIG', `${deviceLabel(this.#device)}: start() was called twice`)
    this.#running = true
    this.#onConnection = onConnection
    this.#loop = this.#run(onValues)
  }

  /**
   * Reads every tag once, connecting first if needed, and leaves the connection open. Throws a
   * `ModbusError` if the device cannot be reached; exceptions only mark their tags bad.
   */
  readOnce(): Promise<Map<string, TagValue>> {
    if (this.#stopped) return Promise.reject(this.#stoppedError())
    return this.#exclusive(() => this.#cycle())
  }

  /** Stops polling and closes the connection; resolves when the socket is closed. */
  async stop(): Promise<void> {
    this.#stopped = true
    this.#running = false
    this.#abort.abort()
    this.#wake()
    await this.#drop()
    await this.#loop
    await this.#chain.catch(() => {})
    await this.#drop()
  }

  async #run(onValues: ValuesListener): Promise<void> {
    let backoff = this.#reconnectDelayMs
    while (this.#running) {
      const started = Date.now()
      let values: Map<string, TagValue>
      try {
        values = await this.#exclusive(() => this.#cycle())
      } catch (err) {
        if (!this.#running) break
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
      const timer = setTimeout(resolve, ms)
      this.#wake = () => { clearTimeout(timer); resolve() }
    })
  }

  #report(connected: boolean, err?: Error): void {
    if (this.#reported === connected) return
    this.#reported = connected
    if (connected) {
      this.#log.info({ host: this.#device.host, port: this.#device.port, unitId: this.#device.unitId }, this.#everConnected ? 'reconnected' : 'connected')
      this.#everConnected = true
    } else {
      this.#log.warn({ err }, this.#everConnected ? 'connection lost' : 'cannot connect')
    }
    try {
      this.#onConnection?.(connected, err)
    } catch (listenerErr) {
      this.#log.error({ err: listenerErr }, 'connection listener threw')
    }
  }

  #stoppedError(): ModbusError {
    return new ModbusError('SHOPFLOOR_MODBUS_STOPPED', `${deviceLabel(this.#device)}: the source was stopped; create a new one to read again`)
  }

  async #connection(): Promise<ModbusConnection> {
    if (this.#conn?.isOpen) return this.#conn
    this.#connecting ??= (async () => {
      try {
        const conn = await ModbusConnection.open({ ...this.#device, timeoutMs: this.#timeoutMs }, (err) => {
          // Also called for our own close(): only a loss while in use is news.
          if (this.#conn !== conn) return
          this.#conn = undefined
          if (this.#running) this.#report(false, err)
        }, this.#abort.signal)
        if (this.#stopped) {
          await conn.close()
          throw this.#stoppedError()
        }
        this.#conn = conn
        if (this.#running) this.#report(true)
        return conn
      } finally {
        this.#connecting = undefined
      }
    })()
    return this.#connecting
  }

  async #drop(): Promise<void> {
    const conn = this.#conn
    this.#conn = undefined
    await conn?.close()
  }

  async #cycle(): Promise<Map<string, TagValue>> {
    if (this.#stopped) throw this.#stoppedError()
    const conn = await this.#connection()
    const read = new Map<string, TagValue>()
    for (const [i, req] of this.requests.entries()) {
      try {
        if (isBitTable(req.table)) {
          const bits = await conn.readBits(req.table, req.address, req.count)
          const ts = Date.now()
          for (const tag of req.tags) read.set(tag.name, { value: bits[tag.address - req.address] === true, sourceTs: ts, receiveTs: ts, quality: 'good' })
        } else {
          const words = await conn.readWords(req.table, req.address, req.count)
          const ts = Date.now()
          for (const tag of req.tags) read.set(tag.name, decodeTag(words, tag, req.address, ts))
        }
        this.#noteStatus(i, undefined)
      } catch (err) {
        if (!(err instanceof ModbusError) || err.code !== 'SHOPFLOOR_MODBUS_EXCEPTION') {
          // Timeouts, closes, garbled frames: the connection's state is unknown, so start afresh.
          await this.#drop()
          throw this.#stopped ? this.#stoppedError() : err
        }
        const ts = Date.now()
        const status = exceptionStatus(err.exceptionCode ?? 0)
        for (const tag of req.tags) read.set(tag.name, { value: null, sourceTs: ts, receiveTs: ts, quality: 'bad', status })
        this.#noteStatus(i, status, err)
      }
    }
    // Deliver in the order of the tags, not of the requests, so logs and tests read naturally.
    const values = new Map<string, TagValue>()
    for (const tag of this.#tags) {
      const v = read.get(tag.name)
      if (v !== undefined) values.set(tag.name, v)
    }
    return values
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

function decodeTag(words: readonly number[], tag: ModbusTag, base: number, ts: number): TagValue {
  try {
    return { value: decodeRegisters(words, tag, tag.address - base), sourceTs: ts, receiveTs: ts, quality: 'good' }
  } catch (err) {
    // A device that answers fewer registers than asked; the tag is bad, the others may be fine.
    return { value: null, sourceTs: ts, receiveTs: ts, quality: 'bad', status: `decode error: ${err instanceof Error ? err.message : String(err)}` }
  }
}
