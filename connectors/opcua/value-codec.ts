/**
 * Conversions between OPC UA DataValues and the connector-neutral `TagValue`.
 */
import { DataType, VariantArrayType, type DataValue, type Variant } from 'node-opcua'
import type { Quality, TagScalar, TagValue } from '../common/tag-value.ts'

const TWO_POW_64 = 1n << 64n
const INT64_SIGN_BIT = 0x8000_0000

/**
 * node-opcua carries Int64/UInt64 as `[high, low]` 32-bit halves (JavaScript numbers cannot hold
 * 64 bits). Counters and energy meters fit a double for years, so they come back as `number`;
 * beyond 2^53 a `number` would silently round, so those come back as `bigint`.
 */
export function int64FromParts(parts: readonly [number, number], signed: boolean): number | bigint {
  const [high, low] = parts
  let big = (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0)
  if (signed && (high & INT64_SIGN_BIT) !== 0) big -= TWO_POW_64
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big
}

/** The inverse of {@link int64FromParts}: two's complement halves for a signed or unsigned 64-bit integer. */
export function int64ToParts(value: number | bigint): [number, number] {
  let big = typeof value === 'bigint' ? value : BigInt(value)
  if (big < 0n) big += TWO_POW_64
  return [Number((big >> 32n) & 0xffff_ffffn), Number(big & 0xffff_ffffn)]
}

/** OPC UA StatusCode severity (its two top bits) folded to the three levels the agent knows. */
export function qualityOf(statusCode: number): Quality {
  const severity = statusCode >>> 30
  if (severity === 0) return 'good'
  if (severity === 1) return 'uncertain'
  return 'bad'
}

export type DecodedVariant = { readonly value: TagScalar | null } | { readonly unsupported: string }

/** A Variant's value as a JS scalar, or why it cannot be one (arrays, structures, byte strings). */
export function decodeVariant(variant: Variant | null | undefined): DecodedVariant {
  if (!variant || variant.dataType === DataType.Null) return { value: null }
  const typeName = DataType[variant.dataType] ?? `DataType ${variant.dataType}`
  if (variant.arrayType !== VariantArrayType.Scalar) return { unsupported: `array of ${typeName}` }
  const raw: unknown = variant.value
  switch (variant.dataType) {
    case DataType.Boolean:
      return { value: raw === true }
    case DataType.SByte:
    case DataType.Byte:
    case DataType.Int16:
    case DataType.UInt16:
    case DataType.Int32:
    case DataType.UInt32:
    case DataType.Float:
    case DataType.Double:
      return typeof raw === 'number' ? { value: raw } : { unsupported: `${typeName} holding ${typeof raw}` }
    case DataType.Int64:
    case DataType.UInt64:
      return isInt64Parts(raw)
        ? { value: int64FromParts(raw, variant.dataType === DataType.Int64) }
        : { unsupported: `${typeName} holding ${typeof raw}` }
    case DataType.String:
      return { value: typeof raw === 'string' ? raw : null }
    case DataType.DateTime:
      return { value: raw instanceof Date ? raw.getTime() : null }
    case DataType.LocalizedText:
      return { value: isLocalizedText(raw) ? (raw.text ?? null) : null }
    default:
      return { unsupported: typeName }
  }
}

/**
 * A DataValue as the agent sees it. Timestamps: the PLC's sourceTimestamp when it sent one, else
 * the serverTimestamp (an aggregating server may only stamp on its side), else the arrival time.
 * Bad values carry `value: null`: OPC UA says a Bad value must not be used, and a PLC that lost
 * its sensor often still sends the last number.
 */
export function toTagValue(dataValue: DataValue, receiveTs: number): TagValue {
  const code = dataValue.statusCode.value
  const quality = qualityOf(code)
  const sourceTs = epochMs(dataValue.sourceTimestamp) ?? epochMs(dataValue.serverTimestamp) ?? receiveTs
  const decoded = decodeVariant(dataValue.value)
  if ('unsupported' in decoded) {
    return { value: null, sourceTs, receiveTs, quality: 'bad', status: `unsupported value: ${decoded.unsupported}` }
  }
  // Built without a spread: this runs for every notification.
  if (code === 0) return { value: decoded.value, sourceTs, receiveTs, quality }
  return { value: quality === 'bad' ? null : decoded.value, sourceTs, receiveTs, quality, status: dataValue.statusCode.name }
}

/** OPC UA encodes "no timestamp" as DateTime 0, which node-opcua may hand back as null or as 1601-01-01. */
function epochMs(date: Date | null | undefined): number | undefined {
  if (!date) return undefined
  const ms = date.getTime()
  return Number.isFinite(ms) && ms > 0 ? ms : undefined
}

function isInt64Parts(raw: unknown): raw is [number, number] {
  return Array.isArray(raw) && raw.length === 2 && typeof raw[0] === 'number' && typeof raw[1] === 'number'
}

function isLocalizedText(raw: unknown): raw is { text?: string | null } {
  return typeof raw === 'object' && raw !== null && 'text' in raw
}
