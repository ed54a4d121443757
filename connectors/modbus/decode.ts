/**
 * Register decoding and encoding: 16-bit words as they come off the wire <-> typed values.
 *
 * Pure functions with no I/O: the poller decodes with them, the simulator and the tests encode
 * with them, so both sides of every integration test agree on one definition of each byte order.
 */
import type { ByteOrder, ModbusDataType, ModbusTag } from './types.ts'

/** What a decoded tag can be. 64-bit integers are `bigint` only outside the safe-integer range. */
export type ModbusValue = number | bigint | string | boolean

/** The parts of a tag that decoding needs. */
export type DecodeSpec = Pick<ModbusTag, 'type' | 'byteOrder' | 'bit' | 'length' | 'scale' | 'offset'>

const maxSafe = BigInt(Number.MAX_SAFE_INTEGER)
const minSafe = BigInt(Number.MIN_SAFE_INTEGER)

const integerRanges: Partial<Record<ModbusDataType, readonly [bigint, bigint]>> = {
  INT16: [-(2n ** 15n), 2n ** 15n - 1n],
  UINT16: [0n, 2n ** 16n - 1n],
  INT32: [-(2n ** 31n), 2n ** 31n - 1n],
  UINT32: [0n, 2n ** 32n - 1n],
  INT64: [-(2n ** 63n), 2n ** 63n - 1n],
  UINT64: [0n, 2n ** 64n - 1n],
}

/**
 * How many 16-bit registers a value of `type` occupies. `STRING` needs `length` (registers).
 * A `BOOL` occupies one register, or one bit in the coil and discrete tables.
 */
export function registerCount(type: ModbusDataType, length?: number): number {
  switch (type) {
    case 'BOOL':
    case 'INT16':
    case 'UINT16':
      return 1
    case 'INT32':
    case 'UINT32':
    case 'FLOAT32':
      return 2
    case 'INT64':
    case 'UINT64':
    case 'FLOAT64':
      return 4
    case 'STRING':
      if (length === undefined || !Number.isInteger(length) || length < 1) {
        throw new RangeError(`STRING needs a length in registers (an integer >= 1), got ${String(length)}`)
      }
      return length
  }
}

/** Word swap: least significant word first. Byte swap: low byte first within each word. */
function swaps(order: ByteOrder): { words: boolean; bytes: boolean } {
  return { words: order === 'CDAB' || order === 'DCBA', bytes: order === 'BADC' || order === 'DCBA' }
}

/** Wire words -> bytes in big-endian (ABCD...) order, ready for a DataView. */
function toCanonical(words: ArrayLike<number>, start: number, n: number, wordSwap: boolean, byteSwap: boolean): DataView {
  const bytes = new Uint8Array(n * 2)
  for (let i = 0; i < n; i++) {
    const w = words[start + (wordSwap ? n - 1 - i : i)] ?? 0
    const hi = (w >>> 8) & 0xff
    const lo = w & 0xff
    bytes[2 * i] = byteSwap ? lo : hi
    bytes[2 * i + 1] = byteSwap ? hi : lo
  }
  return new DataView(bytes.buffer)
}

/** Big-endian bytes -> wire words; the exact inverse of `toCanonical`. */
function fromCanonical(view: DataView, n: number, wordSwap: boolean, byteSwap: boolean): number[] {
  const words = new Array<number>(n)
  for (let i = 0; i < n; i++) {
    const hi = view.getUint8(2 * i)
    const lo = view.getUint8(2 * i + 1)
    words[wordSwap ? n - 1 - i : i] = byteSwap ? (lo << 8) | hi : (hi << 8) | lo
  }
  return words
}

/** 64-bit integers come back as `number` while that is exact, so most counters stay plain numbers. */
function narrow(v: bigint): number | bigint {
  return v >= minSafe && v <= maxSafe ? Number(v) : v
}

/**
 * The shortest decimal that reads back as the same float32: 123.456 rather than
 * 123.45600128173828. Lossless (9 significant digits always round-trip a float32), and it is
 * what the PLC's own HMI shows, so dashboards and the PLC agree.
 */
function shortestFloat32(v: number): number {
  if (!Number.isFinite(v) || v === 0) return v
  for (let p = 1; p < 9; p++) {
    const x = Number(v.toPrecision(p))
    if (Math.fround(x) === v) return x
  }
  return v
}

/**
 * Decodes one tag from register words as read from the device.
 *
 * - Numeric types return raw × scale + offset. `INT64`/`UINT64` return a `number` when the raw
 *   value lies within ±`Number.MAX_SAFE_INTEGER` and a `bigint` outside it, so no digit is ever
 *   silently lost; with a scale or offset other than 1/0 the result is always a `number`.
 *   `FLOAT32` returns the shortest decimal that is the same float32 (123.456, not
 *   123.45600128173828).
 * - `BOOL` is the `bit` of the register (after the byte swap) or, without `bit`, register != 0.
 *   For coils and discrete inputs pass the bit as a word, 0 or 1.
 * - `STRING` reads 2 characters per register (Latin-1), high byte first unless the byte order
 *   swaps bytes (`BADC`, `DCBA`); word order does not apply to text. Trailing NULs and spaces
 *   are trimmed, because PLCs pad fixed-length string fields with either.
 *
 * @param words the register values, 0..65535 each
 * @param start index in `words` of the tag's first register (default 0), so a poller can decode
 *   every tag of one read without copying
 */
export function decodeRegisters(words: ArrayLike<number>, tag: DecodeSpec, start = 0): ModbusValue {
  const n = registerCount(tag.type, tag.length)
  if (start < 0 || start + n > words.length) {
    throw new RangeError(`${tag.type} needs ${n} register(s) from index ${start}, got ${words.length} word(s)`)
  }
  const order = swaps(tag.byteOrder ?? 'ABCD')

  if (tag.type === 'STRING') {
    const view = toCanonical(words, start, n, false, order.bytes)
    let end = n * 2
    while (end > 0 && (view.getUint8(end - 1) === 0 || view.getUint8(end - 1) === 0x20)) end--
    let text = ''
    for (let i = 0; i < end; i++) text += String.fromCharCode(view.getUint8(i))
    return text
  }

  const view = toCanonical(words, start, n, order.words, order.bytes)
  if (tag.type === 'BOOL') {
    const w = view.getUint16(0)
    return tag.bit === undefined ? w !== 0 : ((w >>> tag.bit) & 1) === 1
  }

  let raw: number | bigint
  switch (tag.type) {
    case 'INT16': raw = view.getInt16(0); break
    case 'UINT16': raw = view.getUint16(0); break
    case 'INT32': raw = view.getInt32(0); break
    case 'UINT32': raw = view.getUint32(0); break
    case 'INT64': raw = narrow(view.getBigInt64(0)); break
    case 'UINT64': raw = narrow(view.getBigUint64(0)); break
    case 'FLOAT32': raw = shortestFloat32(view.getFloat32(0)); break
    case 'FLOAT64': raw = view.getFloat64(0); break
  }
  const scale = tag.scale ?? 1
  const offset = tag.offset ?? 0
  if (scale === 1 && offset === 0) return raw
  return Number(raw) * scale + offset
}

function toBigInt(value: ModbusValue, type: ModbusDataType): bigint {
  if (typeof value === 'bigint') return value
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value)
  throw new TypeError(`${type} needs an integer, got ${typeof value} ${String(value)}`)
}

/**
 * Encodes a raw value (scale and offset not applied) into the register words a device would
 * hold for it: the inverse of `decodeRegisters`. Used by the simulator and the tests.
 *
 * Integers out of the type's range throw a `RangeError` rather than wrap, so a simulation bug
 * shows up at its source instead of as a strange value in a dashboard. A `STRING` is padded with
 * NULs to `length` registers (default: just long enough) and throws if it does not fit.
 */
export function encodeValue(value: ModbusValue, type: ModbusDataType, byteOrder: ByteOrder = 'ABCD', length?: number): number[] {
  const order = swaps(byteOrder)

  if (type === 'BOOL') {
    if (typeof value !== 'boolean' && typeof value !== 'number') throw new TypeError(`BOOL needs a boolean, got ${typeof value}`)
    return [value === true || (typeof value === 'number' && value !== 0) ? 1 : 0]
  }

  if (type === 'STRING') {
    if (typeof value !== 'string') throw new TypeError(`STRING needs a string, got ${typeof value}`)
    const n = registerCount(type, length ?? Math.max(1, Math.ceil(value.length / 2)))
    if (value.length > n * 2) throw new RangeError(`"${value}" needs ${Math.ceil(value.length / 2)} registers, STRING length is ${n}`)
    const view = new DataView(new ArrayBuffer(n * 2))
    for (let i = 0; i < value.length; i++) {
      const code = value.charCodeAt(i)
      if (code > 0xff) throw new RangeError(`STRING holds Latin-1 text only, "${value}" has U+${code.toString(16).toUpperCase()}`)
      view.setUint8(i, code)
    }
    return fromCanonical(view, n, false, order.bytes)
  }

  const n = registerCount(type)
  const view = new DataView(new ArrayBuffer(n * 2))
  if (type === 'FLOAT32' || type === 'FLOAT64') {
    if (typeof value !== 'number' && typeof value !== 'bigint') throw new TypeError(`${type} needs a number, got ${typeof value}`)
    if (type === 'FLOAT32') view.setFloat32(0, Number(value))
    else view.setFloat64(0, Number(value))
    return fromCanonical(view, n, order.words, order.bytes)
  }

  const big = toBigInt(value, type)
  const range = integerRanges[type]
  if (range === undefined) throw new TypeError(`cannot encode type ${String(type)}`)
  if (big < range[0] || big > range[1]) throw new RangeError(`${type} holds ${range[0]}..${range[1]}, got ${big}`)
  switch (type) {
    case 'INT16': view.setInt16(0, Number(big)); break
    case 'UINT16': view.setUint16(0, Number(big)); break
    case 'INT32': view.setInt32(0, Number(big)); break
    case 'UINT32': view.setUint32(0, Number(big)); break
    case 'INT64': view.setBigInt64(0, big); break
    case 'UINT64': view.setBigUint64(0, big); break
  }
  return fromCanonical(view, n, order.words, order.bytes)
}
