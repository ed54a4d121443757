/**
 * The data tables of one simulated Modbus unit, with the range checks both the protocol side
 * (exception 02) and the owner's setters (RangeError) rely on.
 */
import type { BitTable, WordTable } from './types.ts'

/** Table sizes of one simulated unit: how many registers or bits each table has, 0..65536. */
export interface UnitSizes {
  /** Holding registers (FC 3, 6, 16). Default 0: every access answers "illegal data address". */
  readonly holding?: number
  /** Input registers (FC 4). Default 0. */
  readonly input?: number
  /** Coils (FC 1, 5, 15). Default 0. */
  readonly coils?: number
  /** Discrete inputs (FC 2). Default 0. */
  readonly discrete?: number
}

function size(name: string, unitId: number, n: number | undefined): number {
  const v = n ?? 0
  if (!Number.isInteger(v) || v < 0 || v > 65536) throw new RangeError(`unit ${unitId}: ${name} size must be an integer 0..65536, got ${String(n)}`)
  return v
}

export class UnitMemory {
  readonly unitId: number
  readonly holding: Uint16Array
  readonly input: Uint16Array
  readonly coil: Uint8Array
  readonly discrete: Uint8Array

  constructor(unitId: number, sizes: UnitSizes) {
    this.unitId = unitId
    this.holding = new Uint16Array(size('holding', unitId, sizes.holding))
    this.input = new Uint16Array(size('input', unitId, sizes.input))
    this.coil = new Uint8Array(size('coils', unitId, sizes.coils))
    this.discrete = new Uint8Array(size('discrete', unitId, sizes.discrete))
  }

  words(table: WordTable): Uint16Array {
    return table === 'holding' ? this.holding : this.input
  }

  bits(table: BitTable): Uint8Array {
    return table === 'coil' ? this.coil : this.discrete
  }

  /** Whether `count` registers or bits from `address` all exist. */
  static inRange(store: ArrayLike<unknown>, address: number, count: number): boolean {
    return address >= 0 && count >= 0 && address + count <= store.length
  }

  checkRange(table: WordTable | BitTable, address: number, count: number): void {
    const store = table === 'holding' || table === 'input' ? this.words(table) : this.bits(table)
    if (!Number.isInteger(address) || !UnitMemory.inRange(store, address, count)) {
      throw new RangeError(`unit ${this.unitId}: ${table} ${address}..${address + count - 1} is outside the table (size ${store.length})`)
    }
  }

  setWords(table: WordTable, address: number, words: readonly number[]): void {
    this.checkRange(table, address, words.length)
    for (const w of words) {
      if (!Number.isInteger(w) || w < 0 || w > 0xffff) throw new RangeError(`unit ${this.unitId}: register values must be integers 0..65535, got ${w}`)
    }
    this.words(table).set(words, address)
  }

  getWords(table: WordTable, address: number, count: number): number[] {
    this.checkRange(table, address, count)
    return Array.from(this.words(table).subarray(address, address + count))
  }

  setBits(table: BitTable, address: number, bits: readonly boolean[]): void {
    this.checkRange(table, address, bits.length)
    const store = this.bits(table)
    bits.forEach((b, i) => { store[address + i] = b ? 1 : 0 })
  }

  getBits(table: BitTable, address: number, count: number): boolean[] {
    this.checkRange(table, address, count)
    return Array.from(this.bits(table).subarray(address, address + count), (b) => b === 1)
  }
}
