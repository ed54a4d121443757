import { DataType, DataValue, StatusCodes, Variant, VariantArrayType } from 'node-opcua'
import { describe, expect, it } from 'vitest'
import { decodeVariant, int64FromParts, int64ToParts, qualityOf, toTagValue } from '../../connectors/opcua/value-codec.ts'

const RECEIVED = Date.UTC(2025, 6, 1, 8, 0, 0, 0)

function dataValue(options: ConstructorParameters<typeof DataValue>[0]): DataValue {
  return new DataValue(options)
}

describe('int64 conversion', () => {
  it.each([
    [0n, [0, 0]],
    [1n, [0, 1]],
    [-1n, [0xffff_ffff, 0xffff_ffff]],
    [2n ** 32n, [1, 0]],
    [-(2n ** 63n), [0x8000_0000, 0]],
    [2n ** 63n - 1n, [0x7fff_ffff, 0xffff_ffff]],
  ] as const)('int64ToParts turns %s into its two 32-bit halves and int64FromParts turns them back', (value, parts) => {
    expect(int64ToParts(value)).toEqual(parts)
    const back = int64FromParts(parts, true)
    expect(BigInt(back)).toBe(value)
  })

  it('int64FromParts returns a number inside the safe integer range and a bigint beyond it', () => {
    expect(int64FromParts(int64ToParts(Number.MAX_SAFE_INTEGER), true)).toBe(Number.MAX_SAFE_INTEGER)
    expect(int64FromParts(int64ToParts(-Number.MAX_SAFE_INTEGER), true)).toBe(-Number.MAX_SAFE_INTEGER)
    expect(int64FromParts(int64ToParts(2n ** 53n), true)).toBe(2n ** 53n)
  })

  it('int64FromParts reads the same halves as unsigned for UInt64', () => {
    expect(int64FromParts([0xffff_ffff, 0xffff_ffff], false)).toBe(2n ** 64n - 1n)
    expect(int64FromParts([0xffff_ffff, 0xffff_ffff], true)).toBe(-1)
  })
})

describe('qualityOf', () => {
  it('qualityOf folds the status code severity bits into good, uncertain and bad', () => {
    expect(qualityOf(StatusCodes.Good.value)).toBe('good')
    expect(qualityOf(StatusCodes.GoodLocalOverride.value)).toBe('good')
    expect(qualityOf(StatusCodes.UncertainLastUsableValue.value)).toBe('uncertain')
    expect(qualityOf(StatusCodes.BadSensorFailure.value)).toBe('bad')
    expect(qualityOf(StatusCodes.BadNodeIdUnknown.value)).toBe('bad')
  })
})

describe('decodeVariant', () => {
  it('decodeVariant turns scalars into JS values and refuses arrays and structures', () => {
    expect(decodeVariant(new Variant({ dataType: DataType.Float, value: 1.5 }))).toEqual({ value: 1.5 })
    expect(decodeVariant(new Variant({ dataType: DataType.Byte, value: 200 }))).toEqual({ value: 200 })
    expect(decodeVariant(new Variant({ dataType: DataType.DateTime, value: new Date(RECEIVED) }))).toEqual({ value: RECEIVED })
    expect(decodeVariant(new Variant({ dataType: DataType.LocalizedText, value: { text: 'Chạy' } }))).toEqual({ value: 'Chạy' })
    expect(decodeVariant(new Variant({ dataType: DataType.UInt64, arrayType: VariantArrayType.Scalar, value: [0, 42] }))).toEqual({ value: 42 })
    expect(decodeVariant(null)).toEqual({ value: null })
    expect(
      decodeVariant(new Variant({ dataType: DataType.Double, arrayType: VariantArrayType.Array, value: [1, 2] })),
    ).toEqual({ unsupported: 'array of Double' })
    expect(decodeVariant(new Variant({ dataType: DataType.ByteString, value: Buffer.from('ab') }))).toEqual({ unsupported: 'ByteString' })
  })
})

describe('toTagValue', () => {
  const value = new Variant({ dataType: DataType.Int32, value: 7 })

  it('toTagValue takes the source timestamp, else the server timestamp, else the receive time', () => {
    const source = new Date(RECEIVED - 1000)
    const server = new Date(RECEIVED - 500)
    expect(toTagValue(dataValue({ value, sourceTimestamp: source, serverTimestamp: server }), RECEIVED)).toEqual({
      value: 7,
      sourceTs: RECEIVED - 1000,
      receiveTs: RECEIVED,
      quality: 'good',
    })
    expect(toTagValue(dataValue({ value, serverTimestamp: server }), RECEIVED).sourceTs).toBe(RECEIVED - 500)
    expect(toTagValue(dataValue({ value }), RECEIVED).sourceTs).toBe(RECEIVED)
  })

  it('toTagValue drops the value of a Bad status and names every status that is not plain Good', () => {
    expect(toTagValue(dataValue({ value, statusCode: StatusCodes.BadSensorFailure }), RECEIVED)).toMatchObject({
      value: null,
      quality: 'bad',
      status: 'BadSensorFailure',
    })
    expect(toTagValue(dataValue({ value, statusCode: StatusCodes.UncertainLastUsableValue }), RECEIVED)).toMatchObject({
      value: 7,
      quality: 'uncertain',
      status: 'UncertainLastUsableValue',
    })
    expect(toTagValue(dataValue({ value, statusCode: StatusCodes.GoodLocalOverride }), RECEIVED)).toMatchObject({
      value: 7,
      quality: 'good',
      status: 'GoodLocalOverride',
    })
  })

  it('toTagValue reports a value it cannot represent as bad, with the reason', () => {
    const array = new Variant({ dataType: DataType.Int32, arrayType: VariantArrayType.Array, value: [1, 2, 3] })
    expect(toTagValue(dataValue({ value: array }), RECEIVED)).toMatchObject({
      value: null,
      quality: 'bad',
      status: 'unsupported value: array of Int32',
    })
  })
})
