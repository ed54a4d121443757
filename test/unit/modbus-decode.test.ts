import { describe, expect, it } from 'vitest'
import { decodeBytes, decodeRegisters, registerCount } from '../../connectors/modbus/decode.ts'
import { shortestFloat32 } from '../../connectors/modbus/float32.ts'
import { encodeValue } from '../../connectors/modbus/encode.ts'
import type { ByteOrder, ModbusDataType } from '../../connectors/modbus/types.ts'
import type { ModbusValue } from '../../connectors/modbus/decode.ts'

interface Case {
  readonly type: ModbusDataType
  readonly value: ModbusValue
  readonly length?: number
  /** The register words on the wire for each byte order, worked out by hand from the ABCD bytes. */
  readonly words: Readonly<Record<ByteOrder, readonly number[]>>
}

// Each value is chosen so that every byte differs from its neighbours, or a swap could go unseen.
const cases: readonly Case[] = [
  // -12345 = 0xCFC7; 16-bit types have no word to swap, so CDAB = ABCD and DCBA = BADC.
  { type: 'INT16', value: -12345, words: { ABCD: [0xcfc7], CDAB: [0xcfc7], BADC: [0xc7cf], DCBA: [0xc7cf] } },
  { type: 'UINT16', value: 0x1234, words: { ABCD: [0x1234], CDAB: [0x1234], BADC: [0x3412], DCBA: [0x3412] } },
  // -123456789 = 0xF8A432EB (two's complement of 0x075BCD15)
  {
    type: 'INT32',
    value: -123456789,
    words: { ABCD: [0xf8a4, 0x32eb], CDAB: [0x32eb, 0xf8a4], BADC: [0xa4f8, 0xeb32], DCBA: [0xeb32, 0xa4f8] },
  },
  {
    type: 'UINT32',
    value: 0x12345678,
    words: { ABCD: [0x1234, 0x5678], CDAB: [0x5678, 0x1234], BADC: [0x3412, 0x7856], DCBA: [0x7856, 0x3412] },
  },
  // 123.456 as IEEE 754 single: 0x42F6E979
  {
    type: 'FLOAT32',
    value: 123.456,
    words: { ABCD: [0x42f6, 0xe979], CDAB: [0xe979, 0x42f6], BADC: [0xf642, 0x79e9], DCBA: [0x79e9, 0xf642] },
  },
  // -1234567890123 = 0xFFFFFEE08E04FB35; within the safe range, so a number
  {
    type: 'INT64',
    value: -1234567890123,
    words: {
      ABCD: [0xffff, 0xfee0, 0x8e04, 0xfb35],
      CDAB: [0xfb35, 0x8e04, 0xfee0, 0xffff],
      BADC: [0xffff, 0xe0fe, 0x048e, 0x35fb],
      DCBA: [0x35fb, 0x048e, 0xe0fe, 0xffff],
    },
  },
  // 0x0102030405060708 = 72623859790382856 > Number.MAX_SAFE_INTEGER, so a bigint
  {
    type: 'UINT64',
    value: 0x0102030405060708n,
    words: {
      ABCD: [0x0102, 0x0304, 0x0506, 0x0708],
      CDAB: [0x0708, 0x0506, 0x0304, 0x0102],
      BADC: [0x0201, 0x0403, 0x0605, 0x0807],
      DCBA: [0x0807, 0x0605, 0x0403, 0x0201],
    },
  },
  // 123.456 as IEEE 754 double: 0x405EDD2F1A9FBE77
  {
    type: 'FLOAT64',
    value: 123.456,
    words: {
      ABCD: [0x405e, 0xdd2f, 0x1a9f, 0xbe77],
      CDAB: [0xbe77, 0x1a9f, 0xdd2f, 0x405e],
      BADC: [0x5e40, 0x2fdd, 0x9f1a, 0x77be],
      DCBA: [0x77be, 0x9f1a, 0x2fdd, 0x5e40],
    },
  },
  // 'A' 0x41 'B' 0x42 'C' 0x43 'D' 0x44; text has no word order, only the byte swap applies
  { type: 'STRING', value: 'ABCD', length: 2, words: { ABCD: [0x4142, 0x4344], CDAB: [0x4142, 0x4344], BADC: [0x4241, 0x4443], DCBA: [0x4241, 0x4443] } },
  { type: 'BOOL', value: true, words: { ABCD: [0x0001], CDAB: [0x0001], BADC: [0x0001], DCBA: [0x0001] } },
]

const orders: readonly ByteOrder[] = ['ABCD', 'CDAB', 'BADC', 'DCBA']
const table = cases.flatMap((c) => orders.map((byteOrder) => ({ ...c, byteOrder, wire: c.words[byteOrder] })))

describe('decodeRegisters', () => {
  it.each(table)('decodes $type $byteOrder from its wire words', ({ type, byteOrder, length, wire, value }) => {
    expect(decodeRegisters(wire, { type, byteOrder, length })).toStrictEqual(value)
  })

  it.each(table)('decodeBytes reads $type $byteOrder from the bytes of a response, at an offset', ({ type, byteOrder, length, wire, value }) => {
    // A response's data: one register before the tag, one after, high byte first.
    const bytes = Buffer.alloc((wire.length + 2) * 2, 0xee)
    wire.forEach((w, i) => bytes.writeUInt16BE(w, 2 + i * 2))
    expect(decodeBytes(bytes, 2, { type, byteOrder, length })).toStrictEqual(value)
  })

  it('decodeBytes rejects a tag that runs past the bytes', () => {
    expect(() => decodeBytes(Buffer.alloc(6), 4, { type: 'FLOAT32' })).toThrow(/FLOAT32 needs 2 register\(s\) from byte 4, got 6 byte\(s\)/)
  })

  // BOOL in a register: bit 0 is the least significant bit of the register as decoded.
  const bits: readonly { word: number; byteOrder: ByteOrder; bit: number; value: boolean }[] = [
    { word: 0x8001, byteOrder: 'ABCD', bit: 0, value: true },
    { word: 0x8001, byteOrder: 'ABCD', bit: 15, value: true },
    { word: 0x8001, byteOrder: 'ABCD', bit: 7, value: false },
    { word: 0x8001, byteOrder: 'CDAB', bit: 15, value: true }, // no word to swap in one register
    { word: 0x8001, byteOrder: 'BADC', bit: 7, value: true }, // 0x8001 byte-swapped is 0x0180: bits 7 and 8
    { word: 0x8001, byteOrder: 'BADC', bit: 8, value: true },
    { word: 0x8001, byteOrder: 'DCBA', bit: 0, value: false },
    { word: 0x8001, byteOrder: 'DCBA', bit: 15, value: false },
  ]
  it.each(bits)('reads BOOL bit $bit of 0x8001 in $byteOrder as $value', ({ word, byteOrder, bit, value }) => {
    expect(decodeRegisters([word], { type: 'BOOL', byteOrder, bit })).toBe(value)
  })

  // Scale and offset apply after the byte order, to every numeric type.
  const scaled: readonly { type: ModbusDataType; byteOrder: ByteOrder; words: number[]; scale: number; offset: number; value: number }[] = [
    { type: 'UINT16', byteOrder: 'BADC', words: [0xe803], scale: 0.1, offset: 0, value: 100 }, // 0x03E8 = 1000
    { type: 'INT32', byteOrder: 'DCBA', words: [0x18fc, 0xffff], scale: 0.001, offset: 0, value: -1 }, // 0xFFFFFC18 = -1000
    { type: 'FLOAT32', byteOrder: 'CDAB', words: [0x0000, 0x4120], scale: 2, offset: -1, value: 19 }, // 0x41200000 = 10
    { type: 'UINT64', byteOrder: 'CDAB', words: [0x2710, 0, 0, 0], scale: 0.01, offset: 5, value: 105 }, // 10000
    { type: 'FLOAT64', byteOrder: 'ABCD', words: [0x4059, 0, 0, 0], scale: 0.5, offset: 0.25, value: 50.25 }, // 100
  ]
  it.each(scaled)('applies scale $scale and offset $offset to $type $byteOrder', ({ type, byteOrder, words, scale, offset, value }) => {
    expect(decodeRegisters(words, { type, byteOrder, scale, offset })).toBeCloseTo(value, 12)
  })

  it('decodes FLOAT32 specials as they are', () => {
    expect(decodeRegisters([0x7fc0, 0], { type: 'FLOAT32' })).toBeNaN()
    expect(decodeRegisters([0x7f80, 0], { type: 'FLOAT32' })).toBe(Infinity)
    expect(decodeRegisters([0xff80, 0], { type: 'FLOAT32' })).toBe(-Infinity)
    expect(Object.is(decodeRegisters([0x8000, 0], { type: 'FLOAT32' }), -0)).toBe(true)
    expect(decodeRegisters([0, 1], { type: 'FLOAT32' })).toBe(1e-45) // the smallest denormal, shortest form
  })

  it('decodes from an offset into a longer response', () => {
    const response = [0xdead, 0x42f6, 0xe979, 0xbeef]
    expect(decodeRegisters(response, { type: 'FLOAT32' }, 1)).toBe(123.456)
  })

  it('applies scale and offset to numeric types', () => {
    expect(decodeRegisters([0x0000, 0x3039], { type: 'UINT32', scale: 0.01 })).toBe(123.45)
    expect(decodeRegisters([2731], { type: 'INT16', scale: 0.1, offset: -273.1 })).toBeCloseTo(0, 10)
    expect(decodeRegisters([0xffff], { type: 'INT16', scale: 10, offset: 5 })).toBe(-5)
  })

  it('reads a BOOL from one bit of a register', () => {
    // 0x0104: bits 2 and 8 set
    expect(decodeRegisters([0x0104], { type: 'BOOL', bit: 2 })).toBe(true)
    expect(decodeRegisters([0x0104], { type: 'BOOL', bit: 8 })).toBe(true)
    expect(decodeRegisters([0x0104], { type: 'BOOL', bit: 0 })).toBe(false)
    expect(decodeRegisters([0x0104], { type: 'BOOL', bit: 15 })).toBe(false)
    // bits number the register after the byte swap: 0x0104 swapped is 0x0401, bits 0 and 10
    expect(decodeRegisters([0x0104], { type: 'BOOL', bit: 0, byteOrder: 'BADC' })).toBe(true)
    expect(decodeRegisters([0x0104], { type: 'BOOL', bit: 10, byteOrder: 'BADC' })).toBe(true)
    expect(decodeRegisters([0x0104], { type: 'BOOL', bit: 8, byteOrder: 'BADC' })).toBe(false)
  })

  it('reads a BOOL register without a bit as register != 0', () => {
    expect(decodeRegisters([0], { type: 'BOOL' })).toBe(false)
    expect(decodeRegisters([0x8000], { type: 'BOOL' })).toBe(true)
  })

  it('trims trailing NULs and spaces from a STRING', () => {
    // 'PUMP 1' then a space and NULs of padding
    expect(decodeRegisters([0x5055, 0x4d50, 0x2031, 0x2000, 0x0000], { type: 'STRING', length: 5 })).toBe('PUMP 1')
    expect(decodeRegisters([0x0000, 0x0000], { type: 'STRING', length: 2 })).toBe('')
  })

  it('returns INT64 and UINT64 as number inside the safe range and bigint outside it', () => {
    // 2^53 - 1 = 0x001FFFFFFFFFFFFF: the largest safe integer stays a number
    expect(decodeRegisters([0x001f, 0xffff, 0xffff, 0xffff], { type: 'UINT64' })).toBe(Number.MAX_SAFE_INTEGER)
    // 2^53 = 0x0020000000000000: one past, a bigint
    expect(decodeRegisters([0x0020, 0, 0, 0], { type: 'UINT64' })).toBe(2n ** 53n)
    expect(decodeRegisters([0xffff, 0xffff, 0xffff, 0xffff], { type: 'UINT64' })).toBe(2n ** 64n - 1n)
    expect(decodeRegisters([0xffff, 0xffff, 0xffff, 0xffff], { type: 'INT64' })).toBe(-1)
    // -2^53 = 0xFFE0000000000000: just below the safe range
    expect(decodeRegisters([0xffe0, 0, 0, 0], { type: 'INT64' })).toBe(-(2n ** 53n))
    expect(decodeRegisters([0x8000, 0, 0, 0], { type: 'INT64' })).toBe(-(2n ** 63n))
  })

  it('turns a bigint into a number when a scale applies', () => {
    expect(decodeRegisters([0xffff, 0xffff, 0xffff, 0xffff], { type: 'UINT64', scale: 0.001 })).toBe(18446744073709552)
  })

  it('rejects too few words', () => {
    expect(() => decodeRegisters([0x42f6], { type: 'FLOAT32' })).toThrow(RangeError)
  })
})

describe('encodeValue', () => {
  it.each(table)('encodes $type $byteOrder to its wire words', ({ type, byteOrder, length, wire, value }) => {
    expect(encodeValue(value, type, byteOrder, length)).toStrictEqual(wire)
  })

  const roundTrips: readonly { type: ModbusDataType; value: ModbusValue; length?: number }[] = [
    { type: 'INT16', value: -32768 },
    { type: 'INT16', value: 32767 },
    { type: 'UINT16', value: 65535 },
    { type: 'INT32', value: -2147483648 },
    { type: 'UINT32', value: 4294967295 },
    { type: 'INT64', value: -(2n ** 63n) },
    { type: 'INT64', value: 2n ** 63n - 1n },
    { type: 'UINT64', value: 2n ** 64n - 1n },
    { type: 'UINT64', value: 42 },
    { type: 'FLOAT32', value: -0.1 },
    { type: 'FLOAT32', value: 3.4028235e38 }, // the largest float32, as its shortest decimal
    { type: 'FLOAT64', value: Math.PI },
    { type: 'FLOAT64', value: -1e-300 },
    { type: 'STRING', value: 'SMT-LINE-3', length: 8 },
    { type: 'STRING', value: 'odd', length: 2 },
    { type: 'BOOL', value: false },
  ]
  it.each(roundTrips.flatMap((c) => orders.map((byteOrder) => ({ ...c, byteOrder }))))(
    'round-trips $type $value $byteOrder through decodeRegisters',
    ({ type, value, length, byteOrder }) => {
      expect(decodeRegisters(encodeValue(value, type, byteOrder, length), { type, byteOrder, length })).toStrictEqual(value)
    },
  )

  it('pads a STRING with NULs to its length', () => {
    expect(encodeValue('AB', 'STRING', 'ABCD', 3)).toStrictEqual([0x4142, 0, 0])
    expect(encodeValue('ABC', 'STRING')).toStrictEqual([0x4142, 0x4300])
  })

  it('refuses values outside the type instead of wrapping them', () => {
    expect(() => encodeValue(32768, 'INT16')).toThrow(RangeError)
    expect(() => encodeValue(-1, 'UINT32')).toThrow(RangeError)
    expect(() => encodeValue(2n ** 64n, 'UINT64')).toThrow(RangeError)
    expect(() => encodeValue('TOO LONG', 'STRING', 'ABCD', 2)).toThrow(RangeError)
    expect(() => encodeValue(1.5, 'INT32')).toThrow(TypeError)
    expect(() => encodeValue('1', 'UINT16')).toThrow(TypeError)
  })
})

describe('shortestFloat32', () => {
  /** The definition: the fewest significant digits whose decimal is the same float32. */
  function reference(v: number): number {
    if (!Number.isFinite(v) || v === 0) return v
    for (let p = 1; p <= 9; p++) {
      const x = Number(v.toPrecision(p))
      if (Math.fround(x) === v) return x
    }
    return v
  }

  it('shortestFloat32 agrees with the toPrecision definition on 200,000 float32 bit patterns', () => {
    const view = new DataView(new ArrayBuffer(4))
    let seed = 12345
    const mismatches: string[] = []
    for (let i = 0; i < 200_000; i++) {
      // xorshift32: every exponent, both signs, denormals, NaN and infinities
      seed ^= seed << 13
      seed ^= seed >>> 17
      seed ^= seed << 5
      view.setUint32(0, seed >>> 0)
      const v = view.getFloat32(0)
      const got = shortestFloat32(v)
      if (!Object.is(got, reference(v))) mismatches.push(`${v}: ${got} vs ${reference(v)}`)
    }
    expect(mismatches.slice(0, 5)).toStrictEqual([])
  })

  it('shortestFloat32 agrees with the definition on meter-like values and powers of ten', () => {
    for (let i = 0; i < 20_000; i++) {
      const v = Math.fround((i * 7919) / 1000 - 50)
      expect(shortestFloat32(v)).toBe(reference(v))
    }
    for (let e = -38; e <= 38; e++) {
      const v = Math.fround(Number(`1e${e}`))
      expect(shortestFloat32(v)).toBe(reference(v))
    }
  })
})

describe('registerCount', () => {
  it('counts the registers of each type', () => {
    expect(['BOOL', 'INT16', 'UINT16'].map((t) => registerCount(t as ModbusDataType))).toStrictEqual([1, 1, 1])
    expect(['INT32', 'UINT32', 'FLOAT32'].map((t) => registerCount(t as ModbusDataType))).toStrictEqual([2, 2, 2])
    expect(['INT64', 'UINT64', 'FLOAT64'].map((t) => registerCount(t as ModbusDataType))).toStrictEqual([4, 4, 4])
    expect(registerCount('STRING', 10)).toBe(10)
  })

  it('needs a length for STRING', () => {
    expect(() => registerCount('STRING')).toThrow(/length/)
  })
})
