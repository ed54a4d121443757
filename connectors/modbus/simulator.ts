/**
 * A fast Modbus server for the demo factory, the tests and the benchmarks, over each transport
 * the connector speaks: Modbus TCP, RTU over TCP (as a serial-to-Ethernet converter passes it)
 * and RTU on a serial device (one end of a pseudo-terminal pair in tests, see pty-pair.ts).
 *
 * Written on plain sockets because modbus-serial's ServerTCP answers only about 800 requests/s:
 * a simulated factory of a few hundred meters polled every second needs more than that, and a
 * benchmark of the poller must not measure the server. The frames of one TCP chunk are answered
 * in one write.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { sealRtuFrame } from './crc.ts'
import type { ModbusValue } from './decode.ts'
import { modbusDefaults } from './defaults.ts'
import { encodeValue } from './encode.ts'
import { MbapReader, mbapHeaderLength, writeMbapHeader } from './mbap.ts'
import { RtuRequestReader } from './rtu-request-reader.ts'
import { openSerialPort } from './serial-port.ts'
import type { TargetOptions } from './source-target.ts'
import { UnitMemory, type UnitSizes } from './simulator-memory.ts'
import { servePdu, unknownUnitFrame, type BeforeRead, type SimUnit, type UnitFaults } from './simulator-serve.ts'
import { isBitTable, type BitTable, type ByteOrder, type ModbusDataType, type ModbusTag, type ModbusTransport, type RegisterTable, type WordTable } from './types.ts'

export type { BeforeRead, SimulatorRequest, UnitFaults } from './simulator-serve.ts'

export interface SimulatedUnit extends UnitSizes, UnitFaults {}

/** Serial settings (rtu): defaults as the connector's, 9600 baud, even parity, 1 stop bit. */
export interface ModbusSimulatorOptions extends Pick<TargetOptions, 'baudRate' | 'parity' | 'stopBits'> {
  /**
   * `tcp` (default): Modbus TCP. `rtu-over-tcp`: RTU frames, CRC included, over TCP. `rtu`: RTU
   * on the serial device `serialPort`.
   */
  readonly transport?: ModbusTransport
  /** Interface to listen on (tcp, rtu-over-tcp). Default `127.0.0.1`. */
  readonly host?: string
  /** TCP port (tcp, rtu-over-tcp). Default 0: an ephemeral port, read it back from the handle. */
  readonly port?: number
  /** Serial device to serve on (rtu), e.g. one end of a socat pty pair. */
  readonly serialPort?: string
  /** The units (slave ids 0..255) this server answers for, with their table sizes. */
  readonly units: Readonly<Record<number, SimulatedUnit>>
  /**
   * What a request for a unit not in `units` gets. `exception`: exception 0x0B "gateway target
   * device failed to respond", as a Modbus TCP gateway answers for a serial device that is not
   * there. `ignore`: no answer at all, as on an RTU line or from many plain TCP devices. Default:
   * `exception` over tcp, `ignore` for the RTU transports.
   */
  readonly unknownUnit?: 'exception' | 'ignore'
  /**
   * Called synchronously before each read (FC 1..4) is served, so the owner (a factory
   * simulation) can compute values as of the time of the request. A throw answers exception 04.
   */
  readonly beforeRead?: BeforeRead
}

export interface ModbusSimulator {
  readonly transport: ModbusTransport
  /** Listening address (tcp, rtu-over-tcp); empty for rtu. */
  readonly host: string
  /** Listening port (tcp, rtu-over-tcp); 0 for rtu. */
  readonly port: number
  /** The serial device served (rtu). */
  readonly serialPort: string | undefined
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
  /** Closes every connection and the listener (or the serial port); resolves when they are closed. */
  stop(): Promise<void>
}

export async function startModbusSimulator(opts: ModbusSimulatorOptions): Promise<ModbusSimulator> {
  const transport = opts.transport ?? 'tcp'
  const rtu = transport !== 'tcp'
  const answerUnknown = (opts.unknownUnit ?? (rtu ? 'ignore' : 'exception')) === 'exception'
  const beforeRead = opts.beforeRead
  // Indexed by unit id: a lookup per request, so an array rather than a Map.
  const units: (SimUnit | undefined)[] = new Array(256).fill(undefined)
  for (const [key, spec] of Object.entries(opts.units)) {
    const id = Number(key)
    if (!Number.isInteger(id) || id < 0 || id > 255) throw new RangeError(`unit ids are 0..255, got ${key}`)
    units[id] = { memory: new UnitMemory(id, spec), faults: { delayMs: spec.delayMs, silent: spec.silent, exceptionFor: spec.exceptionFor } }
  }
  const unit = (id: number): SimUnit => {
    const u = units[id]
    if (u === undefined) throw new RangeError(`unit ${id} is not simulated; add it to units`)
    return u
  }

  let requests = 0
  const streams = new Set<Duplex>()
  const timers = new Set<NodeJS.Timeout>()

  /** The response frame to one request, or undefined for no answer. */
  const respond = (unitId: number, pdu: Buffer, head: number, tail: number): Buffer | undefined => {
    requests++
    const u = units[unitId]
    if (u === undefined) return answerUnknown ? unknownUnitFrame(pdu, head, tail) : undefined
    if (u.faults.silent === true) return undefined
    return servePdu(u, unitId, pdu, head, tail, beforeRead)
  }

  const send = (stream: Duplex, unitId: number, frame: Buffer): void => {
    const delayMs = units[unitId]?.faults.delayMs ?? 0
    if (delayMs <= 0) {
      stream.write(frame)
      return
    }
    const timer = setTimeout(() => {
      timers.delete(timer)
      if (!stream.destroyed) stream.write(frame)
    }, delayMs)
    timers.add(timer)
  }

  /** Serves one stream: a TCP connection or the serial port. */
  const serveStream = (stream: Duplex, cork: (() => void) | undefined, uncork: (() => void) | undefined): void => {
    streams.add(stream)
    const mbap = rtu ? undefined : new MbapReader()
    const rtuReader = rtu ? new RtuRequestReader() : undefined
    stream.on('data', (chunk: Buffer) => {
      cork?.()
      try {
        if (mbap !== undefined) {
          mbap.push(chunk, (tx, unitId, pdu) => {
            const frame = respond(unitId, pdu, mbapHeaderLength, 0)
            if (frame !== undefined) send(stream, unitId, writeMbapHeader(frame, tx, unitId))
          })
        } else {
          rtuReader?.push(chunk, (unitId, pdu) => {
            const frame = respond(unitId, pdu, 1, 2)
            if (frame !== undefined) send(stream, unitId, sealRtuFrame(frame, unitId))
          })
        }
      } catch {
        // A corrupt MBAP header: the stream cannot be resynchronised, as a real device would not.
        stream.destroy()
      } finally {
        uncork?.()
      }
    })
    stream.on('error', () => { /* client resets are normal; 'close' follows */ })
    stream.on('close', () => streams.delete(stream))
  }

  let server: Server | undefined
  let host = ''
  let port = 0
  let serialPort: string | undefined
  if (transport === 'rtu') {
    if (opts.serialPort === undefined) throw new RangeError('transport rtu needs serialPort: the device to serve on')
    serialPort = opts.serialPort
    const stream = await openSerialPort({
      path: opts.serialPort,
      baudRate: opts.baudRate ?? modbusDefaults.baudRate,
      parity: opts.parity ?? modbusDefaults.parity,
      dataBits: 8,
      stopBits: opts.stopBits ?? modbusDefaults.stopBits,
    })
    serveStream(stream, undefined, undefined)
  } else {
    const listener = createServer({ noDelay: true }, (socket: Socket) => {
      // Nagle would hold each small response until the client's delayed ACK: ~40 ms per request.
      socket.setNoDelay(true)
      serveStream(socket, () => socket.cork(), () => socket.uncork())
    })
    server = listener
    host = opts.host ?? '127.0.0.1'
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject)
      listener.listen({ host, port: opts.port ?? 0 }, () => {
        listener.off('error', reject)
        resolve()
      })
    })
    port = (listener.address() as AddressInfo).port
  }

  let stopped: Promise<void> | undefined
  return {
    transport,
    host,
    port,
    serialPort,
    get stats() {
      return { requests, connections: transport === 'rtu' ? 0 : streams.size }
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
      stopped ??= (async () => {
        for (const t of timers) clearTimeout(t)
        timers.clear()
        const closing = [...streams].map((s) => (s.closed ? Promise.resolve() : new Promise<void>((resolve) => s.once('close', () => resolve()))))
        for (const s of streams) s.destroy()
        await Promise.all([...closing, server === undefined ? undefined : new Promise<void>((resolve) => server.close(() => resolve()))])
      })()
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
