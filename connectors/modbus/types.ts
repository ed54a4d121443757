/**
 * The Modbus tag model: where a value lives on the device and how its registers decode.
 *
 * The allowed values are exported as const arrays so that config validation (in `edge/`) can
 * build its schema and its messages ("must be one of ABCD, DCBA, BADC, CDAB") from the same
 * list the decoder switches on.
 */

export const modbusDataTypes = [
  'BOOL',
  'INT16',
  'UINT16',
  'INT32',
  'UINT32',
  'INT64',
  'UINT64',
  'FLOAT32',
  'FLOAT64',
  'STRING',
] as const

/** How a tag's registers (or bit) are interpreted. */
export type ModbusDataType = (typeof modbusDataTypes)[number]

/**
 * Byte orders, named after the bytes of a 32-bit value `A B C D` (A most significant) as they
 * appear on the wire, register by register. Two independent swaps make up the four orders, and
 * they extend to 64-bit values the same way (Telegraf calls those ABCDEFGH, GHEFCDAB, BADCFEHG,
 * HGFEDCBA):
 *
 * - `ABCD` big-endian words in big-endian order: the Modbus default.
 * - `CDAB` word-swapped: least significant word first (many Schneider and Siemens meters).
 * - `BADC` byte-swapped within each word, words in big-endian order.
 * - `DCBA` both swaps: the value little-endian byte for byte.
 */
export const byteOrders = ['ABCD', 'DCBA', 'BADC', 'CDAB'] as const

export type ByteOrder = (typeof byteOrders)[number]

/**
 * The four Modbus data tables: holding registers (FC 3, read/write), input registers (FC 4),
 * coils (FC 1, read/write bits) and discrete inputs (FC 2).
 */
export const registerTables = ['holding', 'input', 'coil', 'discrete'] as const

export type RegisterTable = (typeof registerTables)[number]

/** The tables addressed in 16-bit registers, as opposed to single bits. */
export type WordTable = 'holding' | 'input'

/** The tables addressed in single bits. */
export type BitTable = 'coil' | 'discrete'

export function isBitTable(table: RegisterTable): table is BitTable {
  return table === 'coil' || table === 'discrete'
}

/**
 * How requests reach a device:
 *
 * - `tcp` Modbus TCP: MBAP header, no CRC; a PLC, a meter with Ethernet, or a TCP-to-RTU gateway.
 * - `rtu` Modbus RTU on a serial port (RS-485 / RS-232): unit id, PDU, CRC-16. Several units
 *   share one line; the process owns the port once and takes turns among them.
 * - `rtu-over-tcp` RTU frames, CRC included, over a TCP stream: what a transparent
 *   serial-to-Ethernet converter passes to and from its RS-485 line. Shared like a serial port.
 */
export const modbusTransports = ['tcp', 'rtu', 'rtu-over-tcp'] as const

export type ModbusTransport = (typeof modbusTransports)[number]

/** Serial parity. The Modbus serial line spec makes `even` the default; many devices ship with `none`. */
export const serialParities = ['none', 'even', 'odd'] as const

export type SerialParity = (typeof serialParities)[number]

/** One value to read from a Modbus device. */
export interface ModbusTag {
  /** Unique within the source; the key under which the value is delivered. */
  readonly name: string
  readonly table: RegisterTable
  /**
   * 0-based protocol address, as it goes on the wire (0..65535). Register numbers in PLC
   * manuals are often 1-based and prefixed with the table (40001 = holding address 0); the
   * config layer converts those, the connector never guesses.
   */
  readonly address: number
  /** In the `coil` and `discrete` tables only `BOOL` is allowed. */
  readonly type: ModbusDataType
  /** Default `ABCD`. For 16-bit types only the byte swap applies (`CDAB` reads as `ABCD`). */
  readonly byteOrder?: ByteOrder
  /**
   * For `BOOL` inside a holding or input register: the bit, 0 (least significant) to 15, of the
   * register after the byte order is applied. Without it a `BOOL` register is true when non-zero.
   */
  readonly bit?: number
  /** For `STRING`: the length in registers (2 ASCII characters each). Required for `STRING`. */
  readonly length?: number
  /** Numeric types only: value = raw × scale + offset. Default 1. */
  readonly scale?: number
  /** Numeric types only: value = raw × scale + offset. Default 0. */
  readonly offset?: number
}
