/** Errors of the Modbus connector: one class, a stable code per failure, a retry hint. */

export const modbusErrorCodes = [
  /** A tag or an option is invalid; found before any socket is opened. */
  'SHOPFLOOR_MODBUS_CONFIG',
  /** The TCP connection or the serial port could not be opened (refused, unreachable, connect timed out, no such port). */
  'SHOPFLOOR_MODBUS_CONNECT',
  /** The device did not answer a request within `timeoutMs`. */
  'SHOPFLOOR_MODBUS_TIMEOUT',
  /** The device closed or reset the connection, or the serial port went away, while in use. */
  'SHOPFLOOR_MODBUS_CONNECTION_LOST',
  /** The device answered with a Modbus exception response. */
  'SHOPFLOOR_MODBUS_EXCEPTION',
  /** The device answered with a frame the client could not parse. */
  'SHOPFLOOR_MODBUS_PROTOCOL',
  /** The source was stopped while the call was pending. */
  'SHOPFLOOR_MODBUS_STOPPED',
] as const

export type ModbusErrorCode = (typeof modbusErrorCodes)[number]

/** Names of the exception codes of the Modbus application protocol spec v1.1b3, section 7. */
export const modbusExceptionNames: Readonly<Record<number, string>> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  5: 'acknowledge',
  6: 'server device busy',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target device failed to respond',
}

/** The status text a tag carries when its read got an exception: `exception 2: illegal data address`. */
export function exceptionStatus(code: number): string {
  return `exception ${code}: ${modbusExceptionNames[code] ?? 'unknown exception'}`
}

/**
 * Exceptions worth retrying as they are: the device is busy or a gateway lost its target. The
 * others (illegal function, address, value) will not change until the config does.
 */
const retryableExceptions = new Set([5, 6, 10, 11])

export function exceptionCanRetry(code: number): boolean {
  return retryableExceptions.has(code)
}

export class ModbusError extends Error {
  readonly code: ModbusErrorCode
  /** Whether the same call may succeed if tried again later (device back up, busy no more). */
  readonly canRetry: boolean
  /** For `SHOPFLOOR_MODBUS_EXCEPTION`: the exception code the device answered with. */
  readonly exceptionCode: number | undefined

  constructor(code: ModbusErrorCode, message: string, opts: { canRetry?: boolean; cause?: unknown; exceptionCode?: number } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'ModbusError'
    this.code = code
    this.canRetry = opts.canRetry ?? false
    this.exceptionCode = opts.exceptionCode
  }
}

/** Where a device is, for error messages: `device "meters" (127.0.0.1:5020, unit 1)`. */
export interface DeviceContext {
  /** The source id. */
  readonly id: string
  /** `127.0.0.1:5020`, `/dev/ttyUSB0`, `10.0.4.9:4001 rtu-over-tcp`. */
  readonly endpoint: string
  readonly unitId: number
}

export function deviceLabel(d: DeviceContext): string {
  return `device "${d.id}" (${d.endpoint}, unit ${d.unitId})`
}

/** `value` if it is an integer in min..max; else throws `SHOPFLOOR_MODBUS_CONFIG` naming the option. */
export function integerOption(where: string | undefined, name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ModbusError('SHOPFLOOR_MODBUS_CONFIG', `${where === undefined ? '' : `${where}: `}${name} must be an integer ${min}..${max}, got ${String(value)}`)
  }
  return value
}
