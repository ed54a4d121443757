/**
 * A fast Modbus TCP server for the demo factory, the tests and the benchmarks.
 *
 * Written on plain `node:net` sockets because modbus-serial's ServerTCP answers only about 800
 * requests/s: a simulated factory of a few hundred meters polled every second needs more than
 * that, and a benchmark of the poller must not measure the server. Requests are served
 * synchronously from typed arrays; the frames of one TCP chunk are answered in one write.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net'
import { encodeValue, type ModbusValue } from './decode.ts'
import { allocFrame, MbapReader, mbapHeaderLength } from './mbap.ts'
import { UnitMemory, type UnitSizes } from './simulator-memory.ts'
import { isBitTable, type BitTable, type ByteOrder, type ModbusDataType, type ModbusTag, type RegisterTable, type WordTable } from './types.ts'

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
  /**
   * Called for each valid request; a returned exception code (1..255) is answered instead of
   * serving the request. Default: none.
   */
  readonly exceptionFor?: (req: SimulatorRequest) => number | undefined
}

export interface SimulatedUnit extends UnitSizes, UnitFaults {}

export type BeforeRead = (unitId: number, table: RegisterTable, address: number, count: number) => void

export interface ModbusSimulatorOptions {
  /** Interface to listen on. Default `127.0.0.1`. */
  readonly host?: string
  /** TCP port. Default 0: an ephemeral port, read it back from the handle. */
  readonly port?: number
  /** The units (slave ids 0..255) this server answers for, with their table sizes. */
  readonly units: Readonly<Record<number, SimulatedUnit>>
  /**
   * What a request for a unit not in `units` gets. `exception` (default): exception 0x0B
   * "gateway target device failed to respond", as a Modbus TCP gateway answers for a serial
   * device that is not there. `ignore`: no answer at all, as many plain TCP devices behave, so the
   * client times out.
   */
  readonly unknownUnit?: 'exception' | 'ignore'
  /**
   * Called synchronously before each read (FC 1..4) is served, so the owner (a factory
   * simulation) can compute values as of the time of the request. A throw answers exception 04.
   */
  readonly beforeRead?: BeforeRead
}

export interface ModbusSimulator {
  readonly host: string
  readonly port: number
  /** Requests received and connections open, for tests and benchmarks. */
  readonly stats: { readonly requests: number; readonly connections: number }
  setRegisters(unitId: number, table: WordTable, address: number, words: readonly number[]): void
  setBits(unitId: number, table: BitTable, address: number, bits: readonly boolean[]): void
  /** Encodes a raw value (no scale) with `encodeValue` and stores it; in bit tables `value` is the bit. */
  setValue(unitId: number, table: RegisterTable, address: number, value: ModbusValue, type: ModbusDataType, byteOrder?: ByteOrder, length?: number): void
  /** Stores an engineering value for a tag: scale and offset reversed, a `bit` set in its register. */
  setTagValue(unitId: number, tag: ModbusTag, value: ModbusValue): void
  getRegisters(unitId: number, table: WordTable, address: number, count: number): number[]
  getBits(unitId: number, table: BitTable, address: number, count: number): boolean[]
  /** Replaces the faults of a unit while running. */
  setFaults(unitId: number, faults: UnitFaults): void
  /** Closes every connection and the listener; resolves when the port is free. */
  stop(): Promise<void>
}

interface Unit {
  readonly memory: UnitMemory
  faults: UnitFaults
}

const tableOf: Readonly<Record<number, RegisterTable>> = { 1: 'coil', 2: 'discrete', 3: 'holding', 4: 'input', 5: 'coil', 6: 'holding', 15: 'coil', 16: 'holding' }

function exception(tx: number, unitId: number, fc: number, code: number): Buffer {
  const frame = allocFrame(tx, unitId, 2)
  frame[7] = (fc | 0x80) & 0xff
  frame[8] = code
  return frame
}

/** Echo of the request's first 4 data bytes: the FC 5, 6, 15 and 16 response shape. */
function echo(tx: number, unitId: number, pdu: Buffer): Buffer {
  const frame = allocFrame(tx, unitId, 5)
  pdu.copy(frame, mbapHeaderLength, 0, 5)
  return frame
}

export async function startModbusSimulator(opts: ModbusSimulatorOptions): Promise<ModbusSimulator> {
  const host = opts.host ?? '127.0.0.1'
  const unknownUnit = opts.unknownUnit ?? 'exception'
  const beforeRead = opts.beforeRead
  // Indexed by unit id: a lookup per request, so an array rather than a Map.
  const units: (Unit | undefined)[] = new Array(256).fill(undefined)
  for (const [key, spec] of Object.entries(opts.units)) {
    const id = Number(key)
    if (!Number.isInteger(id) || id < 0 || id > 255) throw new RangeError(`unit ids are 0..255, got ${key}`)
    units[id] = { memory: new UnitMemory(id, spec), faults: { delayMs: spec.delayMs, exceptionFor: spec.exceptionFor } }
  }
  const unit = (id: number): Unit => {
    const u = units[id]
    if (u === undefined) throw new RangeError(`unit ${id} is not simulated; add it to units`)
    return u
  }

  let requests = 0
  const sockets = new Set<Socket>()
  const timers = new Set<NodeJS.Timeout>()

  function serve(tx: number, unitId: number, pdu: Buffer): Buffer | undefined {
    const fc = pdu[0] ?? 0
    const u = units[unitId]
    if (u === undefined) return unknownUnit === 'exception' ? exception(tx, unitId, fc, 0x0b) : undefined
    const table = tableOf[fc]
    if (table === undefined) return exception(tx, unitId, fc, 1)
    if (pdu.length < 5) return exception(tx, unitId, fc, 3)
    const address = pdu.readUInt16BE(1)
    const field = pdu.readUInt16BE(3)
    const m = u.memory

    let count: number
    switch (fc) {
      case 1: case 2: count = field; if (pdu.length !== 5 || count < 1 || count > 2000) return exception(tx, unitId, fc, 3); break
      case 3: case 4: count = field; if (pdu.length !== 5 || count < 1 || count > 125) return exception(tx, unitId, fc, 3); break
      case 5: count = 1; if (pdu.length !== 5 || (field !== 0xff00 && field !== 0)) return exception(tx, unitId, fc, 3); break
      case 6: count = 1; if (pdu.length !== 5) return exception(tx, unitId, fc, 3); break
      case 15: count = field; if (count < 1 || count > 1968 || pdu[5] !== (count + 7) >> 3 || pdu.length !== 6 + ((count + 7) >> 3)) return exception(tx, unitId, fc, 3); break
      default: count = field; if (count < 1 || count > 123 || pdu[5] !== count * 2 || pdu.length !== 6 + count * 2) return exception(tx, unitId, fc, 3)
    }
    const store = isBitTable(table) ? m.bits(table) : m.words(table)
    if (!UnitMemory.inRange(store, address, count)) return exception(tx, unitId, fc, 2)
    const rule = u.faults.exceptionFor
    if (rule !== undefined) {
      const code = rule({ unitId, functionCode: fc, table, address, count })
      if (code !== undefined) return exception(tx, unitId, fc, code)
    }

    if (fc <= 4) {
      if (beforeRead !== undefined) {
        try {
          beforeRead(unitId, table, address, count)
        } catch {
          return exception(tx, unitId, fc, 4)
        }
      }
      if (fc >= 3) {
        const words = store as Uint16Array
        const frame = allocFrame(tx, unitId, 2 + count * 2)
        frame[7] = fc
        frame[8] = count * 2
        for (let i = 0; i < count; i++) frame.writeUInt16BE(words[address + i] ?? 0, 9 + i * 2)
        return frame
      }
      const bytes = (count + 7) >> 3
      const frame = allocFrame(tx, unitId, 2 + bytes)
      frame[7] = fc
      frame[8] = bytes
      frame.fill(0, 9)
      for (let i = 0; i < count; i++) {
        if (store[address + i] === 1) frame[9 + (i >> 3)] = (frame[9 + (i >> 3)] ?? 0) | (1 << (i & 7))
      }
      return frame
    }
    if (fc === 5) m.coil[address] = field === 0xff00 ? 1 : 0
    else if (fc === 6) m.holding[address] = field
    else if (fc === 15) for (let i = 0; i < count; i++) m.coil[address + i] = ((pdu[6 + (i >> 3)] ?? 0) >> (i & 7)) & 1
    else for (let i = 0; i < count; i++) m.holding[address + i] = pdu.readUInt16BE(6 + i * 2)
    return echo(tx, unitId, pdu)
  }

  const server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket)
    // Nagle would hold each small response until the client's delayed ACK: ~40 ms per request.
    socket.setNoDelay(true)
    const reader = new MbapReader()
    socket.on('data', (chunk: Buffer) => {
      socket.cork()
      try {
        reader.push(chunk, (tx, unitId, pdu) => {
          requests++
          const response = serve(tx, unitId, pdu)
          if (response === undefined) return
          const delayMs = units[unitId]?.faults.delayMs ?? 0
          if (delayMs <= 0) {
            socket.write(response)
            return
          }
          const timer = setTimeout(() => {
            timers.delete(timer)
            if (!socket.destroyed) socket.write(response)
          }, delayMs)
          timers.add(timer)
        })
      } catch {
        // A corrupt MBAP header: the stream cannot be resynchronised, as a real device would not.
        socket.destroy()
      } finally {
        socket.uncork()
      }
    })
    socket.on('error', () => { /* client resets are normal; 'close' follows */ })
    socket.on('close', () => sockets.delete(socket))
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host, port: opts.port ?? 0 }, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port

  let stopped: Promise<void> | undefined
  return {
    host,
    port,
    get stats() {
      return { requests, connections: sockets.size }
    },
    setRegisters: (unitId, table, address, words) => unit(unitId).memory.setWords(table, address, words),
    setBits: (unitId, table, address, bits) => unit(unitId).memory.setBits(table, address, bits),
    getRegisters: (unitId, table, address, count) => unit(unitId).memory.getWords(table, address, count),
    getBits: (unitId, table, address, count) => unit(unitId).memory.getBits(table, address, count),
    setValue(unitId, table, address, value, type, byteOrder = 'ABCD', length) {
      const m = unit(unitId).memory
      if (isBitTable(table)) m.setBits(table, address, [value === true || value === 1])
      else m.setWords(table, address, encodeValue(value, type, byteOrder, length))
    },
    setTagValue(unitId, tag, value) {
      const m = unit(unitId).memory
      if (isBitTable(tag.table)) return m.setBits(tag.table, tag.address, [value === true || value === 1])
      m.setWords(tag.table, tag.address, encodeTagValue(tag, value, m.getWords(tag.table, tag.address, 1)[0] ?? 0))
    },
    setFaults(unitId, faults) {
      unit(unitId).faults = faults
    },
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t)
        timers.clear()
        server.close(() => resolve())
        for (const s of sockets) s.destroy()
      })
      return stopped
    },
  }
}

/** The register words for an engineering value of a register tag. `current` is the register a `bit` lives in. */
function encodeTagValue(tag: ModbusTag, value: ModbusValue, current: number): number[] {
  const order = tag.byteOrder ?? 'ABCD'
  if (tag.type === 'BOOL' && tag.bit !== undefined) {
    // The bit numbers the register as decoded, so undo and redo the byte swap around the change.
    const swapped = order === 'BADC' || order === 'DCBA'
    let w = swapped ? ((current & 0xff) << 8) | (current >> 8) : current
    w = value === true || value === 1 ? w | (1 << tag.bit) : w & ~(1 << tag.bit) & 0xffff
    return encodeValue(w, 'UINT16', order)
  }
  if (tag.type === 'STRING' || tag.type === 'BOOL') return encodeValue(value, tag.type, order, tag.length)
  const scale = tag.scale ?? 1
  const offset = tag.offset ?? 0
  if (scale === 1 && offset === 0) return encodeValue(value, tag.type, order)
  const raw = (Number(value) - offset) / scale
  const integer = tag.type !== 'FLOAT32' && tag.type !== 'FLOAT64'
  return encodeValue(integer ? Math.round(raw) : raw, tag.type, order)
}
