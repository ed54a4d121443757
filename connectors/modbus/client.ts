/**
 * Reads from one unit over a channel: builds the request, checks the response, retries what is
 * worth retrying (a timeout, a busy device) after a growing pause, counts what happened, and
 * turns every failure into a `ModbusError` that names the device and says what to check.
 */
import type { Channel } from './channel.ts'
import {
  deviceLabel,
  exceptionCanRetry,
  exceptionStatus,
  ModbusError,
  type DeviceContext,
} from './errors.ts'
import { LinkError } from './link.ts'
import { checkReadResponse, describeRead, MalformedResponse, readFunctionCodes, readRequest } from './pdu.ts'
import type { RegisterTable } from './types.ts'

/** Counters a source keeps of its requests; plain numbers, for metrics. */
export interface RequestCounters {
  /** Requests sent, retries included. */
  requests: number
  /** Requests sent again after a timeout or a busy answer. */
  retries: number
  /** Requests that got no answer in time. */
  timeouts: number
  /** Exception answers by exception code (`{ "2": 5 }`). */
  exceptions: Record<string, number>
  /** Answers that were neither the expected response nor an exception. */
  malformed: number
}

export function newRequestCounters(): RequestCounters {
  return { requests: 0, retries: 0, timeouts: 0, exceptions: {}, malformed: 0 }
}

export interface ClientOptions {
  readonly device: DeviceContext
  readonly channel: Channel
  /** ms to wait for each answer. */
  readonly timeoutMs: number
  /** Extra attempts after a timeout or a busy answer (exception 5, 6, 10, 11). */
  readonly retries: number
  /** ms before the first retry, doubled for each further one. */
  readonly retryDelayMs: number
  readonly counters: RequestCounters
  /** Aborts a retry's pause when the source stops. */
  readonly signal: AbortSignal
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const done = (): void => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })
}

export class ModbusClient {
  readonly #o: ClientOptions

  constructor(opts: ClientOptions) {
    this.#o = opts
  }

  /**
   * Reads `count` registers or bits of `table` from `address` and returns the response's data
   * bytes: registers high byte first, or bits packed 8 to a byte, least significant first.
   * Throws a `ModbusError`: `SHOPFLOOR_MODBUS_EXCEPTION` (with `exceptionCode`), `_TIMEOUT`,
   * `_CONNECTION_LOST`, `_PROTOCOL` or `_STOPPED`.
   */
  async read(table: RegisterTable, address: number, count: number): Promise<Buffer> {
    const o = this.#o
    const fc = readFunctionCodes[table]
    const pdu = readRequest(table, address, count)
    for (let attempt = 0; ; attempt++) {
      if (o.signal.aborted) throw this.#stopped()
      o.counters.requests++
      let response: Buffer
      try {
        response = await o.channel.request(o.device.unitId, pdu, o.timeoutMs, o.signal)
      } catch (err) {
        if (o.signal.aborted) throw this.#stopped()
        if (!(err instanceof LinkError)) throw err
        if (err.kind === 'timeout') {
          o.counters.timeouts++
          if (attempt < o.retries) {
            await this.#pause(attempt)
            continue
          }
        }
        throw this.#linkError(err, table, address, count)
      }
      let exception: { readonly exception: number } | undefined
      try {
        exception = checkReadResponse(fc, count, response)
      } catch (err) {
        o.counters.malformed++
        throw new ModbusError(
          'SHOPFLOOR_MODBUS_PROTOCOL',
          `${deviceLabel(o.device)}: ${describeRead(table, address, count)}: bad response (${(err as MalformedResponse).message}); the device or a gateway on the way sent a malformed frame`,
          { canRetry: true, cause: err },
        )
      }
      if (exception === undefined) return response.subarray(2)
      const code = exception.exception
      o.counters.exceptions[code] = (o.counters.exceptions[code] ?? 0) + 1
      if (exceptionCanRetry(code) && attempt < o.retries) {
        await this.#pause(attempt)
        continue
      }
      throw new ModbusError(
        'SHOPFLOOR_MODBUS_EXCEPTION',
        `${deviceLabel(o.device)}: ${describeRead(table, address, count)} answered ${exceptionStatus(code)}; ${exceptionHint(code)}`,
        { canRetry: exceptionCanRetry(code), exceptionCode: code },
      )
    }
  }

  async #pause(attempt: number): Promise<void> {
    this.#o.counters.retries++
    await sleep(this.#o.retryDelayMs * 2 ** attempt, this.#o.signal)
  }

  #stopped(): ModbusError {
    return new ModbusError('SHOPFLOOR_MODBUS_STOPPED', `${deviceLabel(this.#o.device)}: the source was stopped`)
  }

  #linkError(err: LinkError, table: RegisterTable, address: number, count: number): ModbusError {
    const o = this.#o
    const what = `${deviceLabel(o.device)}: ${describeRead(table, address, count)}`
    const tries = o.retries > 0 ? ` (${o.retries + 1} attempts)` : ''
    switch (err.kind) {
      case 'timeout':
        return new ModbusError(
          'SHOPFLOOR_MODBUS_TIMEOUT',
          `${what}: ${err.message}${tries}; check that unit ${o.device.unitId} is the right unit id and the device is up${o.channel.exclusive ? '' : ', its wiring (A/B swapped?) and the line settings'}, or raise timeout`,
          { canRetry: true, cause: err },
        )
      case 'malformed':
        return new ModbusError('SHOPFLOOR_MODBUS_PROTOCOL', `${what}: ${err.message}; the device or a gateway on the way sent a malformed frame`, { canRetry: true, cause: err })
      case 'connect':
        return new ModbusError('SHOPFLOOR_MODBUS_CONNECT', `${what}: ${err.message}`, { canRetry: true, cause: err })
      case 'closed':
        return new ModbusError('SHOPFLOOR_MODBUS_CONNECTION_LOST', `${what}: ${err.message}; the source reconnects by itself`, { canRetry: true, cause: err })
    }
  }
}

/** What to do about an exception answer. */
function exceptionHint(code: number): string {
  switch (code) {
    case 1: return 'the device does not support this function for that table: check the table (holding, input, coil, discrete)'
    case 2: return 'check the tag addresses against the device\'s register map (off by one? try addressBase: 1), or lower maxRegisters / maxGap if the device refuses long or gapped reads'
    case 3: return 'the device refuses this many registers in one request: lower maxRegisters'
    case 6: return 'the device is busy: raise retries or the poll interval'
    case 10:
    case 11: return 'the gateway cannot reach the unit behind it: check the unit id and the serial side of the gateway'
    default: return 'check the tag addresses and types against the device\'s register map'
  }
}
