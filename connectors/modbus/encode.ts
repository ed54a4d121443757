/**
 * Register encoding: a typed value -> the register words a device would hold for it. The exact
 * inverse of `decodeRegisters`; used by the simulator and the tests.
 */
import { orderSwaps, registerCount, type ModbusValue } from './decode.ts'
import type { ByteOrder, ModbusDataType } from './types.ts'

const integerRanges: Partial<Record<ModbusDataType, readonly [bigint, bigint]>> = {
  INT16: [-(2n ** 15n), 2n ** 15n - 1n],
  UINT16: [0n, 2n ** 16n - 1n],
  INT32: [-(2n ** 31n), 2n ** 31n - 1n],
  UINT32: [0n, 2n ** 32n - 1n],
  INT64: [-(2n ** 63n), 2n ** 63n - 1n],
  UINT64: [0n, 2n ** 64n - 1n],
}

/** Big-endian bytes -> wire words in the given order. */
function fromCanonical(view: DataView, n: number, wordSwap: boolean, byteSwap: boolean): number[] {
  const words = new Array<number>(n)
  for (let i = 0; i < n; i++) {
    const hi = view.getUint8(2 * i)
    const lo = view.getUint8(2 * i + 1)
    words[wordSwap ? n - 1 - i : i] = byteSwap ? (lo << 8) | hi : (hi << 8) | lo
  }
  return words
}

function toBigInt(value: ModbusValue, type: ModbusDataType): bigint {
  if (typeof value === 'bigint') return value
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value)
  throw new TypeError(`${type} needs an integer, got ${typeof value} ${String(value)}`)
}

/**
 * Encodes a raw value (scale and offset not applied) into the register words a device would
 * hold for it.
 *
 * Integers out of the type's range throw a `RangeError` rather than wrap, so a simulation bug
 * shows up at its source instead of as a strange value in a dashboard. A `STRING` is padded with
 * NULs to `length` registers (default: just long enough) and throws if it does not fit.
 */
export function encodeValue(value: ModbusValue, type: ModbusDataType, byteOrder: ByteOrder = 'ABCD', length?: number): number[] {
  const order = orderSwaps(byteOrder)

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
