/**
 * The simulator's application layer: one request PDU in, one response PDU out, for function
 * codes 1, 2, 3, 4, 5, 6, 15 and 16, the same whatever framing carried the request. Requests are
 * served synchronously from typed arrays; the response is written straight into the frame the
 * transport sends, so a read costs one allocation.
 */
import { UnitMemory } from './simulator-memory.ts'
import { isBitTable, type RegisterTable } from './types.ts'

/** A request as the simulator understood it, passed to fault rules. */
export interface SimulatorRequest {
  readonly unitId: number
  readonly functionCode: number
  readonly table: RegisterTable
  readonly address: number
  readonly count: number
}

/** Faults to inject into one unit, for tests of the poller's error paths. */
export interface UnitFaults {
  /** Delay every response of the unit by this many milliseconds. Default 0. */
  readonly delayMs?: number
  /** Answer nothing at all, as a unit that is switched off or has the wrong address. Default false. */
  readonly silent?: boolean
  /**
   * Called for each valid request; a returned exception code (1..255) is answered instead of
   * serving the request. Default: none.
   */
  readonly exceptionFor?: (req: SimulatorRequest) => number | undefined
}

export type BeforeRead = (unitId: number, table: RegisterTable, address: number, count: number) => void

export interface SimUnit {
  readonly memory: UnitMemory
  faults: UnitFaults
}

const tableOf: Readonly<Record<number, RegisterTable>> = { 1: 'coil', 2: 'discrete', 3: 'holding', 4: 'input', 5: 'coil', 6: 'holding', 15: 'coil', 16: 'holding' }

/**
 * Serves `pdu` for `unit` and returns the response frame: `head` bytes of room before the
 * response PDU and `tail` after it, for the transport to fill (MBAP header; RTU unit id and CRC).
 */
export function servePdu(unit: SimUnit, unitId: number, pdu: Buffer, head: number, tail: number, beforeRead: BeforeRead | undefined): Buffer {
  const fc = pdu[0] ?? 0
  const exception = (code: number): Buffer => {
    const frame = Buffer.allocUnsafe(head + 2 + tail)
    frame[head] = (fc | 0x80) & 0xff
    frame[head + 1] = code
    return frame
  }
  const table = tableOf[fc]
  if (table === undefined) return exception(1)
  if (pdu.length < 5) return exception(3)
  const address = pdu.readUInt16BE(1)
  const field = pdu.readUInt16BE(3)
  const m = unit.memory

  let count: number
  switch (fc) {
    case 1: case 2: count = field; if (pdu.length !== 5 || count < 1 || count > 2000) return exception(3); break
    case 3: case 4: count = field; if (pdu.length !== 5 || count < 1 || count > 125) return exception(3); break
    case 5: count = 1; if (pdu.length !== 5 || (field !== 0xff00 && field !== 0)) return exception(3); break
    case 6: count = 1; if (pdu.length !== 5) return exception(3); break
    case 15: count = field; if (count < 1 || count > 1968 || pdu[5] !== (count + 7) >> 3 || pdu.length !== 6 + ((count + 7) >> 3)) return exception(3); break
    default: count = field; if (count < 1 || count > 123 || pdu[5] !== count * 2 || pdu.length !== 6 + count * 2) return exception(3)
  }
  const store = isBitTable(table) ? m.bits(table) : m.words(table)
  if (!UnitMemory.inRange(store, address, count)) return exception(2)
  const rule = unit.faults.exceptionFor
  if (rule !== undefined) {
    const code = rule({ unitId, functionCode: fc, table, address, count })
    if (code !== undefined) return exception(code)
  }

  if (fc <= 4) {
    if (beforeRead !== undefined) {
      try {
        beforeRead(unitId, table, address, count)
      } catch {
        return exception(4)
      }
    }
    if (fc >= 3) {
      const words = store as Uint16Array
      const frame = Buffer.allocUnsafe(head + 2 + count * 2 + tail)
      frame[head] = fc
      frame[head + 1] = count * 2
      for (let i = 0; i < count; i++) frame.writeUInt16BE(words[address + i] ?? 0, head + 2 + i * 2)
      return frame
    }
    const bytes = (count + 7) >> 3
    const frame = Buffer.allocUnsafe(head + 2 + bytes + tail)
    frame[head] = fc
    frame[head + 1] = bytes
    frame.fill(0, head + 2, head + 2 + bytes)
    for (let i = 0; i < count; i++) {
      if (store[address + i] === 1) frame[head + 2 + (i >> 3)] = (frame[head + 2 + (i >> 3)] ?? 0) | (1 << (i & 7))
    }
    return frame
  }
  if (fc === 5) m.coil[address] = field === 0xff00 ? 1 : 0
  else if (fc === 6) m.holding[address] = field
  else if (fc === 15) for (let i = 0; i < count; i++) m.coil[address + i] = ((pdu[6 + (i >> 3)] ?? 0) >> (i & 7)) & 1
  else for (let i = 0; i < count; i++) m.holding[address + i] = pdu.readUInt16BE(6 + i * 2)
  // FC 5, 6, 15 and 16 answer with the request's first 4 data bytes.
  const frame = Buffer.allocUnsafe(head + 5 + tail)
  pdu.copy(frame, head, 0, 5)
  return frame
}

/** The frame of an exception for a unit the server does not know (a gateway's 0x0B). */
export function unknownUnitFrame(pdu: Buffer, head: number, tail: number): Buffer {
  const frame = Buffer.allocUnsafe(head + 2 + tail)
  frame[head] = ((pdu[0] ?? 0) | 0x80) & 0xff
  frame[head + 1] = 0x0b
  return frame
}
