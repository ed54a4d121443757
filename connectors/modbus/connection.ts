/**
 * One Modbus TCP connection: modbus-serial's client on a socket this file owns.
 *
 * The socket is opened here and linked into modbus-serial (`linkTCP`) rather than left to
 * `connectTCP`, because modbus-serial neither aborts a connect that hangs (a PLC behind a
 * firewall that drops SYNs), nor rejects a pending request when the peer closes the connection
 * (it waits for the request's timeout), nor reports a reset as a close. Owning the socket gives
 * all three. A later serial (RTU) transport opens its port differently and keeps this interface.
 */
import { Socket } from 'node:net'
import ModbusSerial from 'modbus-serial'
import {
  deviceLabel,
  exceptionCanRetry,
  exceptionStatus,
  ModbusError,
  type DeviceContext,
} from './errors.ts'
import type { BitTable, RegisterTable, WordTable } from './types.ts'

type Client = InstanceType<typeof ModbusSerial.default>

export interface ConnectionOptions extends DeviceContext {
  /** Connect timeout and per-request response timeout, ms. */
  readonly timeoutMs: number
}

/** What modbus-serial attaches to the errors it rejects with. */
interface ClientError {
  readonly message?: string
  readonly errno?: string
  readonly modbusCode?: number
}

const functionCodes: Readonly<Record<RegisterTable, number>> = { coil: 1, discrete: 2, holding: 3, input: 4 }

function describe(table: RegisterTable, address: number, count: number): string {
  return `read ${table} ${address}..${address + count - 1} (FC ${functionCodes[table]})`
}

export class ModbusConnection {
  readonly #opts: ConnectionOptions
  readonly #socket: Socket
  readonly #client: Client
  readonly #closed: Promise<never>
  #lost: ModbusError | undefined

  private constructor(opts: ConnectionOptions, socket: Socket, client: Client, onLost: (err: ModbusError) => void) {
    this.#opts = opts
    this.#socket = socket
    this.#client = client
    this.#closed = new Promise<never>((_, reject) => {
      socket.once('close', () => {
        this.#lost ??= new ModbusError('SHOPFLOOR_MODBUS_CONNECTION_LOST', `${deviceLabel(opts)}: the connection was closed; the source reconnects by itself`, { canRetry: true })
        reject(this.#lost)
        onLost(this.#lost)
      })
    })
    // Races against every request; nobody may be listening when the socket closes between polls.
    this.#closed.catch(() => {})
  }

  /**
   * Opens a TCP connection and readies a client on it. `onLost` is called once when the
   * connection closes for any reason, including `close()`. Throws `SHOPFLOOR_MODBUS_CONNECT`, or
   * `SHOPFLOOR_MODBUS_STOPPED` when `signal` aborts the attempt.
   */
  static async open(opts: ConnectionOptions, onLost: (err: ModbusError) => void = () => {}, signal?: AbortSignal): Promise<ModbusConnection> {
    const socket = new Socket()
    try {
      await new Promise<void>((resolve, reject) => {
        // A shutdown must not wait out the connect timeout of a device that is not there.
        const onAbort = (): void => {
          clearTimeout(timer)
          reject(new ModbusError('SHOPFLOOR_MODBUS_STOPPED', `${deviceLabel(opts)}: connect abandoned, the source was stopped`))
        }
        const timer = setTimeout(() => {
          signal?.removeEventListener('abort', onAbort)
          reject(new Error(`no answer within ${opts.timeoutMs} ms`))
        }, opts.timeoutMs)
        const settle = (err?: Error): void => {
          clearTimeout(timer)
          signal?.removeEventListener('abort', onAbort)
          if (err === undefined) resolve()
          else reject(err)
        }
        if (signal?.aborted) return onAbort()
        signal?.addEventListener('abort', onAbort, { once: true })
        socket.once('connect', () => settle())
        socket.once('error', (err) => settle(err))
        socket.connect({ host: opts.host, port: opts.port })
      })
    } catch (cause) {
      socket.destroy()
      if (cause instanceof ModbusError) throw cause
      const reason = cause instanceof Error ? cause.message : String(cause)
      throw new ModbusError(
        'SHOPFLOOR_MODBUS_CONNECT',
        `${deviceLabel(opts)}: cannot connect (${reason}); check host and port, that the device is on and reachable, and that it has a free Modbus TCP connection (many PLCs allow only a few)`,
        { canRetry: true, cause },
      )
    }
    socket.setNoDelay(true)
    // A PLC that loses power sends no FIN; keepalive finds the dead connection between polls.
    socket.setKeepAlive(true, 10_000)
    socket.on('error', () => { /* 'close' follows and reports it */ })

    const client = new ModbusSerial.default()
    // modbus-serial re-emits socket errors on the client; unhandled they would end the process.
    client.on('error', () => {})
    await client.linkTCP(socket, { port: opts.port })
    // After linkTCP: set before, the timeout would also become an idle timeout on the socket.
    client.setID(opts.unitId)
    client.setTimeout(opts.timeoutMs)
    return new ModbusConnection(opts, socket, client, onLost)
  }

  get isOpen(): boolean {
    return this.#lost === undefined && !this.#socket.destroyed
  }

  /** Reads `count` holding or input registers from `address`. */
  async readWords(table: WordTable, address: number, count: number): Promise<number[]> {
    const call = table === 'holding' ? this.#client.readHoldingRegisters(address, count) : this.#client.readInputRegisters(address, count)
    const res = await this.#settle(call, table, address, count)
    return res.data
  }

  /** Reads `count` coils or discrete inputs from `address`; the result may be padded to a byte. */
  async readBits(table: BitTable, address: number, count: number): Promise<boolean[]> {
    const call = table === 'coil' ? this.#client.readCoils(address, count) : this.#client.readDiscreteInputs(address, count)
    const res = await this.#settle(call, table, address, count)
    return res.data
  }

  async #settle<T>(call: Promise<T>, table: RegisterTable, address: number, count: number): Promise<T> {
    if (this.#lost !== undefined) throw this.#lost
    try {
      return await Promise.race([call, this.#closed])
    } catch (cause) {
      throw this.#mapError(cause, table, address, count)
    }
  }

  #mapError(cause: unknown, table: RegisterTable, address: number, count: number): ModbusError {
    if (cause instanceof ModbusError) return cause
    const e = (typeof cause === 'object' && cause !== null ? cause : {}) as ClientError
    const what = `${deviceLabel(this.#opts)}: ${describe(table, address, count)}`
    if (typeof e.modbusCode === 'number') {
      return new ModbusError(
        'SHOPFLOOR_MODBUS_EXCEPTION',
        `${what} answered ${exceptionStatus(e.modbusCode)}; check the tag addresses and types against the device's register map`,
        { canRetry: exceptionCanRetry(e.modbusCode), cause, exceptionCode: e.modbusCode },
      )
    }
    if (e.errno === 'ETIMEDOUT') {
      return new ModbusError(
        'SHOPFLOOR_MODBUS_TIMEOUT',
        `${what}: no answer within ${this.#opts.timeoutMs} ms; check that unit ${this.#opts.unitId} is the right unit id and the device is up, or raise timeoutMs`,
        { canRetry: true, cause },
      )
    }
    if (e.errno === 'ECONNREFUSED' || !this.isOpen) {
      return new ModbusError('SHOPFLOOR_MODBUS_CONNECTION_LOST', `${what}: the connection is closed; the source reconnects by itself`, { canRetry: true, cause })
    }
    return new ModbusError('SHOPFLOOR_MODBUS_PROTOCOL', `${what}: bad response (${e.message ?? String(cause)}); the device or a gateway on the way sent a malformed frame`, { canRetry: true, cause })
  }

  /** Closes the connection; resolves when the socket is closed. Pending requests reject. */
  async close(): Promise<void> {
    if (this.#socket.closed) return
    const closed = new Promise<void>((resolve) => this.#socket.once('close', () => resolve()))
    this.#lost ??= new ModbusError('SHOPFLOOR_MODBUS_STOPPED', `${deviceLabel(this.#opts)}: the connection was closed by the source`, { canRetry: false })
    // destroy, not close: it also cancels modbus-serial's pending request timers.
    this.#client.destroy(() => {})
    await closed
  }
}
