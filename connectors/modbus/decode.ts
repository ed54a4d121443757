/**
 * Register decoding: the bytes of a read response (or 16-bit words) -> typed values.
 *
 * Pure functions with no I/O. The poller decodes straight from the response's bytes
 * (`decodeBytes`), without building an array of words or a DataView per value: at 100,000s of
 * values a second the allocations would cost more than the decoding. `encodeValue` (encode.ts)
 * is the inverse, so the simulator, the tests and the poller share one definition of each byte
 * order.
 */
import { shortestFloat32 } from './float32.ts'
import type { ByteOrder, ModbusDataType, ModbusTag } from './types.ts'

/** What a decoded tag can be. 64-bit integers are `bigint` only outside the safe-integer range. */
export type ModbusValue = number | bigint | string | boolean

/** The parts of a tag that decoding needs. */
export type DecodeSpec = Pick<ModbusTag, 'type' | 'byteOrder' | 'bit' | 'length' | 'scale' | 'offset'>

const maxSafe = BigInt(Number.MAX_SAFE_INTEGER)
const minSafe = BigInt(Number.MIN_SAFE_INTEGER)

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
export function orderSwaps(order: ByteOrder): { readonly words: boolean; readonly bytes: boolean } {
  return { words: order === 'CDAB' || order === 'DCBA', bytes: order === 'BADC' || order === 'DCBA' }
}

/** 64-bit integers come back as `number` while that is exact, so most counters stay plain numbers. */
function narrow(v: bigint): number | bigint {
  return v >= minSafe && v <= maxSafe ? Number(v) : v
}

// One scratch buffer for the float and 64-bit conversions: decoding is synchronous, so it is
// never shared between two calls.
const scratch = new DataView(new ArrayBuffer(8))

/** Decodes one tag's value from response bytes at a byte offset; built once per tag by {@link compileDecoder}. */
export type TagDecoder = (bytes: Uint8Array, byteOffset: number) => ModbusValue

/**
 * Where each byte of an `n`-register value sits on the wire, most significant first: the byte
 * order resolved once, so decoding a value is a handful of indexed reads.
 */
function bytePositions(n: number, order: ByteOrder): number[] {
  const { words, bytes } = orderSwaps(order)
  return Array.from({ length: 2 * n }, (_, k) => 2 * (words ? n - 1 - (k >> 1) : k >> 1) + (bytes ? 1 - (k & 1) : k & 1))
}

/**
 * A decoder for one tag, specialised to its type and byte order. It reads without bounds
 * checks: the caller has checked that the response holds the tag (a poller checks the byte count
 * of each response). See {@link decodeBytes} for what each type gives.
 */
export function compileDecoder(tag: DecodeSpec): TagDecoder {
  const type = tag.type
  const order = tag.byteOrder ?? 'ABCD'
  if (type === 'STRING') {
    const n = registerCount(type, tag.length)
    // Text has no word order: only the byte swap applies.
    const swap = orderSwaps(order).bytes ? 1 : 0
    return (b, o) => {
      let end = n * 2
      while (end > 0 && (b[o + ((end - 1) ^ swap)] === 0 || b[o + ((end - 1) ^ swap)] === 0x20)) end--
      let text = ''
      for (let i = 0; i < end; i++) text += String.fromCharCode(b[o + (i ^ swap)] as number)
      return text
    }
  }
  const p = bytePositions(widths[type], order)
  const [p0, p1, p2, p3, p4, p5, p6, p7] = p as [number, number, number, number, number, number, number, number]
  let raw: TagDecoder
  switch (type) {
    case 'BOOL': {
      const bit = tag.bit
      return bit === undefined
        ? (b, o) => (((b[o + p0] as number) << 8) | (b[o + p1] as number)) !== 0
        : (b, o) => (((((b[o + p0] as number) << 8) | (b[o + p1] as number)) >>> bit) & 1) === 1
    }
    case 'INT16': raw = (b, o) => (((b[o + p0] as number) << 24) | ((b[o + p1] as number) << 16)) >> 16; break
    case 'UINT16': raw = (b, o) => ((b[o + p0] as number) << 8) | (b[o + p1] as number); break
    case 'INT32': raw = (b, o) => ((b[o + p0] as number) << 24) | ((b[o + p1] as number) << 16) | ((b[o + p2] as number) << 8) | (b[o + p3] as number); break
    case 'UINT32': raw = (b, o) => (((b[o + p0] as number) << 24) | ((b[o + p1] as number) << 16) | ((b[o + p2] as number) << 8) | (b[o + p3] as number)) >>> 0; break
    case 'FLOAT32':
      raw = (b, o) => {
        // One 32-bit store beats four byte stores into the DataView.
        scratch.setUint32(0, (((b[o + p0] as number) << 24) | ((b[o + p1] as number) << 16) | ((b[o + p2] as number) << 8) | (b[o + p3] as number)) >>> 0)
        return shortestFloat32(scratch.getFloat32(0))
      }
      break
    default: {
      const load = (b: Uint8Array, o: number): void => {
        scratch.setUint32(0, (((b[o + p0] as number) << 24) | ((b[o + p1] as number) << 16) | ((b[o + p2] as number) << 8) | (b[o + p3] as number)) >>> 0)
        scratch.setUint32(4, (((b[o + p4] as number) << 24) | ((b[o + p5] as number) << 16) | ((b[o + p6] as number) << 8) | (b[o + p7] as number)) >>> 0)
      }
      if (type === 'FLOAT64') {
        raw = (b, o) => {
          load(b, o)
          return scratch.getFloat64(0)
        }
        break
      }
      const signed = type === 'INT64'
      raw = (b, o) => {
        load(b, o)
        const high = signed ? scratch.getInt32(0) : scratch.getUint32(0)
        // |high| < 2^21 keeps high × 2^32 + low within the safe range: no BigInt needed.
        if (high > -0x200000 && high < 0x200000) return high * 0x1_0000_0000 + scratch.getUint32(4)
        return narrow(signed ? scratch.getBigInt64(0) : scratch.getBigUint64(0))
      }
    }
  }
  const scale = tag.scale ?? 1
  const offset = tag.offset ?? 0
  if (scale === 1 && offset === 0) return raw
  const unscaled = raw
  return (b, o) => Number(unscaled(b, o)) * scale + offset
}

/**
 * Decodes one tag from the bytes of a read response: registers as they arrive on the wire, two
 * bytes each, high byte first. `byteOffset` is where the tag's first register starts.
 *
 * - Numeric types return raw × scale + offset. `INT64`/`UINT64` return a `number` when the raw
 *   value lies within ±`Number.MAX_SAFE_INTEGER` and a `bigint` outside it, so no digit is ever
 *   silently lost; with a scale or offset other than 1/0 the result is always a `number`.
 *   `FLOAT32` returns the shortest decimal that is the same float32 (123.456, not
 *   123.45600128173828).
 * - `BOOL` is the `bit` of the register (after the byte swap) or, without `bit`, register != 0.
 * - `STRING` reads 2 characters per register (Latin-1), high byte first unless the byte order
 *   swaps bytes (`BADC`, `DCBA`); word order does not apply to text. Trailing NULs and spaces
 *   are trimmed, because PLCs pad fixed-length string fields with either.
 *
 * Throws a `RangeError` when the bytes end before the tag does. A poller decoding the same tag
 * every cycle builds its decoder once with {@link compileDecoder} instead.
 */
export function decodeBytes(bytes: Uint8Array, byteOffset: number, tag: DecodeSpec): ModbusValue {
  const n = tag.type === 'STRING' ? registerCount(tag.type, tag.length) : widths[tag.type]
  if (byteOffset < 0 || byteOffset + n * 2 > bytes.length) {
    throw new RangeError(`${tag.type} needs ${n} register(s) from byte ${byteOffset}, got ${bytes.length} byte(s)`)
  }
  return compileDecoder(tag)(bytes, byteOffset)
}

const widths: Readonly<Record<Exclude<ModbusDataType, 'STRING'>, number>> = {
  BOOL: 1, INT16: 1, UINT16: 1, INT32: 2, UINT32: 2, FLOAT32: 2, INT64: 4, UINT64: 4, FLOAT64: 4,
}

/**
 * Decodes one tag from register words (0..65535 each) as read from the device; see
 * {@link decodeBytes} for what each type gives.
 *
 * @param start index in `words` of the tag's first register (default 0)
 */
export function decodeRegisters(words: ArrayLike<number>, tag: DecodeSpec, start = 0): ModbusValue {
  const n = registerCount(tag.type, tag.length)
  if (start < 0 || start + n > words.length) {
    throw new RangeError(`${tag.type} needs ${n} register(s) from index ${start}, got ${words.length} word(s)`)
  }
  const bytes = new Uint8Array(n * 2)
  for (let i = 0; i < n; i++) {
    const w = words[start + i] ?? 0
    bytes[2 * i] = (w >>> 8) & 0xff
    bytes[2 * i + 1] = w & 0xff
  }
  return decodeBytes(bytes, 0, tag)
}
