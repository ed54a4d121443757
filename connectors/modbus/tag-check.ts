/**
 * Cross-field checks on Modbus tags, run before any socket is opened. The agent's config schema
 * checks shapes and allowed values too; these are the rules only the connector knows (a tag must
 * fit in one request and in the 16-bit address space, BOOL only in bit tables, ...), and they
 * protect callers that build tags in code.
 */
import { registerCount } from './decode.ts'
import { ModbusError } from './errors.ts'
import { byteOrders, isBitTable, modbusDataTypes, registerTables, type ModbusTag } from './types.ts'

/** Request size limits a tag must fit in (a bit tag always fits). */
export interface TagLimits {
  /** Registers per read request. Default 125 (the protocol limit for FC 3 and 4). */
  readonly maxRegisters?: number
}

function oneOf(list: readonly string[]): string {
  return list.join(', ')
}

/** Every problem with one tag, as text naming the field; empty when the tag is fine. */
export function tagProblems(tag: ModbusTag, limits: TagLimits = {}): string[] {
  const problems: string[] = []
  const maxRegisters = limits.maxRegisters ?? 125
  if (typeof tag.name !== 'string' || tag.name === '') problems.push('name must be a non-empty string')
  if (!registerTables.includes(tag.table)) problems.push(`table must be one of ${oneOf(registerTables)}, got ${JSON.stringify(tag.table)}`)
  if (!modbusDataTypes.includes(tag.type)) problems.push(`type must be one of ${oneOf(modbusDataTypes)}, got ${JSON.stringify(tag.type)}`)
  if (!Number.isInteger(tag.address) || tag.address < 0 || tag.address > 65535) {
    problems.push(`address must be an integer 0..65535 (0-based protocol address), got ${String(tag.address)}`)
  }
  if (tag.byteOrder !== undefined && !byteOrders.includes(tag.byteOrder)) {
    problems.push(`byteOrder must be one of ${oneOf(byteOrders)}, got ${JSON.stringify(tag.byteOrder)}`)
  }
  if (tag.scale !== undefined && !Number.isFinite(tag.scale)) problems.push(`scale must be a finite number, got ${String(tag.scale)}`)
  if (tag.offset !== undefined && !Number.isFinite(tag.offset)) problems.push(`offset must be a finite number, got ${String(tag.offset)}`)
  if (problems.length > 0) return problems

  if (isBitTable(tag.table)) {
    if (tag.type !== 'BOOL') problems.push(`type must be BOOL in the ${tag.table} table, got ${tag.type}`)
    if (tag.bit !== undefined) problems.push(`bit applies to BOOL in holding or input registers, not to the ${tag.table} table`)
    return problems
  }
  if (tag.bit !== undefined) {
    if (tag.type !== 'BOOL') problems.push(`bit applies to BOOL only, type is ${tag.type}`)
    else if (!Number.isInteger(tag.bit) || tag.bit < 0 || tag.bit > 15) problems.push(`bit must be an integer 0..15, got ${String(tag.bit)}`)
  }
  if (tag.type === 'STRING') {
    if (tag.length === undefined || !Number.isInteger(tag.length) || tag.length < 1) {
      problems.push(`length (registers) must be an integer >= 1 for STRING, got ${String(tag.length)}`)
      return problems
    }
  } else if (tag.length !== undefined) {
    problems.push(`length applies to STRING only, type is ${tag.type}`)
  }
  const count = registerCount(tag.type, tag.length)
  if (count > maxRegisters) problems.push(`needs ${count} registers, more than maxRegisters (${maxRegisters}) allows in one request`)
  if (tag.address + count > 65536) problems.push(`registers ${tag.address}..${tag.address + count - 1} run past the end of the table (65535)`)
  return problems
}

/**
 * Throws a `SHOPFLOOR_MODBUS_CONFIG` error listing every problem of every tag, and duplicate
 * names (values are delivered keyed by name, so a duplicate would hide a tag).
 *
 * @param where prefix for the message, such as `modbus source "meters"`
 */
export function assertTags(tags: readonly ModbusTag[], limits: TagLimits = {}, where?: string): void {
  const problems: string[] = []
  const seen = new Set<string>()
  tags.forEach((tag, i) => {
    const label = `tags[${i}]${typeof tag.name === 'string' ? ` (${JSON.stringify(tag.name)})` : ''}`
    for (const p of tagProblems(tag, limits)) problems.push(`${label}: ${p}`)
    if (seen.has(tag.name)) problems.push(`${label}: name is used by another tag of this source`)
    seen.add(tag.name)
  })
  if (problems.length > 0) {
    throw new ModbusError('SHOPFLOOR_MODBUS_CONFIG', `${where === undefined ? '' : `${where}: `}invalid tags; fix them in the config and restart:\n  ${problems.join('\n  ')}`, { canRetry: false })
  }
}
