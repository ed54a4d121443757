/**
 * The read planner: turns one device's tags into as few read requests as the protocol allows.
 *
 * Each request costs a round trip, and a round trip to a PLC over a plant network costs far more
 * than the bytes of a few extra registers, so tags are merged into ranges: sorted by address,
 * overlapping and adjacent ranges merged, ranges no more than `maxGap` unused registers apart
 * merged across the gap, and a range closed before it would exceed the per-request maximum. A
 * tag is never split over two requests. Starting each request at the lowest unplaced tag and
 * taking every tag that fits is optimal for this problem (an exchange argument: any other plan's
 * first request can be shifted to start there without covering fewer tags).
 */
import { registerCount } from './decode.ts'
import { modbusDefaults } from './defaults.ts'
import { integerOption } from './errors.ts'
import { assertTags } from './tag-check.ts'
import { isBitTable, registerTables, type ModbusTag, type RegisterTable } from './types.ts'

/** One read: function code 3, 4, 1 or 2 by table, `count` registers or bits from `address`. */
export interface ReadRequest {
  readonly table: RegisterTable
  /** 0-based protocol address of the first register or bit. */
  readonly address: number
  /** Registers (holding, input) or bits (coil, discrete). */
  readonly count: number
  /** The tags this read delivers, by address; `tag.address - address` is its index in the response. */
  readonly tags: readonly ModbusTag[]
}

export interface PlanOptions {
  /**
   * Registers per request, 1..125. Default 125, the protocol limit of FC 3 and 4; some PLCs
   * accept fewer (older Modicon and many meters cap at 64 or even 32).
   */
  readonly maxRegisters?: number
  /** Bits per request, 1..2000. Default 2000, the protocol limit of FC 1 and 2. */
  readonly maxBits?: number
  /**
   * How many unused registers (bits, in the coil and discrete tables) one request may read across
   * to merge two ranges. Default 0: only overlapping or adjacent ranges merge, because some PLCs
   * answer "illegal data address" for holes in their register map.
   */
  readonly maxGap?: number
  /**
   * A request per tag, nothing merged: for devices that answer multi-register reads wrongly or
   * refuse reads that span two of their variables. Default false.
   */
  readonly oneRequestPerTag?: boolean
}

/** Registers (or bits) a tag occupies in its table. */
export function tagSpan(tag: ModbusTag): number {
  return isBitTable(tag.table) ? 1 : registerCount(tag.type, tag.length)
}

/**
 * Plans the reads for one device's tags: requests grouped by table (holding, input, coil,
 * discrete), each table's in address order. Throws `SHOPFLOOR_MODBUS_CONFIG` for invalid tags or
 * options.
 */
export function planReads(tags: readonly ModbusTag[], opts: PlanOptions = {}): ReadRequest[] {
  const maxRegisters = opts.maxRegisters ?? modbusDefaults.maxRegisters
  const maxBits = opts.maxBits ?? modbusDefaults.maxBits
  const maxGap = opts.maxGap ?? modbusDefaults.maxGap
  integerOption(undefined, 'maxRegisters', maxRegisters, 1, 125)
  integerOption(undefined, 'maxBits', maxBits, 1, 2000)
  integerOption(undefined, 'maxGap', maxGap, 0, 65535)
  assertTags(tags, { maxRegisters })

  const requests: ReadRequest[] = []
  for (const table of registerTables) {
    const max = isBitTable(table) ? maxBits : maxRegisters
    const spans = tags
      .filter((t) => t.table === table)
      .map((tag) => ({ tag, start: tag.address, end: tag.address + tagSpan(tag) }))
      .sort((a, b) => a.start - b.start || a.end - b.end)

    if (opts.oneRequestPerTag === true) {
      for (const s of spans) requests.push({ table, address: s.start, count: s.end - s.start, tags: [s.tag] })
      continue
    }
    let current: { start: number; end: number; tags: ModbusTag[] } | undefined
    for (const s of spans) {
      if (current !== undefined && s.start - current.end <= maxGap && Math.max(current.end, s.end) - current.start <= max) {
        current.end = Math.max(current.end, s.end)
        current.tags.push(s.tag)
        continue
      }
      if (current !== undefined) requests.push({ table, address: current.start, count: current.end - current.start, tags: current.tags })
      current = { start: s.start, end: s.end, tags: [s.tag] }
    }
    if (current !== undefined) requests.push({ table, address: current.start, count: current.end - current.start, tags: current.tags })
  }
  return requests
}
