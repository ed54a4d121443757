/**
 * Checks and encodes the JS values the simulator is asked to serve, per OPC UA data type.
 */
import { DataType, StatusCodes, type StatusCode } from 'node-opcua'
import type { Quality, TagScalar } from '../common/tag-value.ts'
import { OpcuaError } from './errors.ts'
import { int64ToParts } from './value-codec.ts'

/** The scalar data types the simulator can serve. */
export const SIMULATOR_DATA_TYPES = [
  'Boolean',
  'Int16',
  'Int32',
  'UInt16',
  'UInt32',
  'Int64',
  'UInt64',
  'Float',
  'Double',
  'String',
] as const

export type SimulatorDataType = (typeof SIMULATOR_DATA_TYPES)[number]

/** Any OPC UA status code name node-opcua knows, such as `BadSensorFailure` or `UncertainLastUsableValue`. */
export type StatusCodeName = Exclude<keyof typeof StatusCodes, 'prototype' | 'GoodWithOverflowBit'>

/**
 * What `setValue` may claim about a value: one of the agent's three levels (served as the generic
 * `Good`, `Uncertain` and `Bad` codes) or a precise status code name.
 */
export type SimulatedQuality = Quality | StatusCodeName

const INTEGER_RANGES: Partial<Record<SimulatorDataType, readonly [bigint, bigint]>> = {
  Int16: [-(2n ** 15n), 2n ** 15n - 1n],
  UInt16: [0n, 2n ** 16n - 1n],
  Int32: [-(2n ** 31n), 2n ** 31n - 1n],
  UInt32: [0n, 2n ** 32n - 1n],
  Int64: [-(2n ** 63n), 2n ** 63n - 1n],
  UInt64: [0n, 2n ** 64n - 1n],
}

export function isSimulatorDataType(name: string): name is SimulatorDataType {
  return (SIMULATOR_DATA_TYPES as readonly string[]).includes(name)
}

export function opcuaDataType(dataType: SimulatorDataType): DataType {
  return DataType[dataType]
}

/**
 * The value as node-opcua wants it in a Variant of `dataType`; throws a config error naming the
 * node when the value does not fit, since a silently truncated simulator value makes a test lie.
 */
export function encodeSimulatorValue(nodeId: string, dataType: SimulatorDataType, value: TagScalar): unknown {
  const fail = (why: string): never => {
    throw new OpcuaError('SHOPFLOOR_OPCUA_CONFIG', `simulator node "${nodeId}" (${dataType}): ${why}`, {
      canRetry: false,
      nodeId,
    })
  }
  switch (dataType) {
    case 'Boolean':
      return typeof value === 'boolean' ? value : fail(`expects a boolean, got ${typeof value} ${String(value)}`)
    case 'String':
      return typeof value === 'string' ? value : fail(`expects a string, got ${typeof value} ${String(value)}`)
    case 'Float':
    case 'Double':
      return typeof value === 'number' ? value : fail(`expects a number, got ${typeof value} ${String(value)}`)
    default: {
      const big = toInteger(value)
      const range = INTEGER_RANGES[dataType]
      if (big === undefined || range === undefined) return fail(`expects an integer, got ${typeof value} ${String(value)}`)
      if (big < range[0] || big > range[1]) return fail(`${String(value)} is outside ${range[0]}..${range[1]}`)
      return dataType === 'Int64' || dataType === 'UInt64' ? int64ToParts(big) : Number(big)
    }
  }
}

export function statusCodeFor(quality: SimulatedQuality): StatusCode {
  if (quality === 'good') return StatusCodes.Good
  if (quality === 'uncertain') return StatusCodes.Uncertain
  if (quality === 'bad') return StatusCodes.Bad
  return StatusCodes[quality]
}

function toInteger(value: TagScalar): bigint | undefined {
  if (typeof value === 'bigint') return value
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value)
  return undefined
}
