import { once } from 'node:events'
import { connect, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { crc16 } from '../../connectors/modbus/crc.ts'
import { startModbusSimulator, type ModbusSimulator } from '../../connectors/modbus/simulator.ts'

/** A Modbus TCP request frame built by hand, so the simulator is tested against the spec, not against our client. */
function frame(tx: number, unitId: number, pdu: readonly number[]): Buffer {
  const b = Buffer.alloc(7 + pdu.length)
  b.writeUInt16BE(tx, 0)
  b.writeUInt16BE(0, 2)
  b.writeUInt16BE(pdu.length + 1, 4)
  b[6] = unitId
  Buffer.from(pdu).copy(b, 7)
  return b
}

interface Response {
  readonly tx: number
  readonly unitId: number
  readonly pdu: readonly number[]
}

/** A raw TCP client that parses response frames by their MBAP length. */
async function rawClient(port: number): Promise<{ socket: Socket; responses: Response[]; waitFor(n: number): Promise<Response[]> }> {
  const socket = connect({ host: '127.0.0.1', port })
  await once(socket, 'connect')
  socket.setNoDelay(true)
  const responses: Response[] = []
  let buf = Buffer.alloc(0)
  socket.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk])
    while (buf.length >= 7 && buf.length >= 6 + buf.readUInt16BE(4)) {
      const end = 6 + buf.readUInt16BE(4)
      responses.push({ tx: buf.readUInt16BE(0), unitId: buf[6] ?? -1, pdu: [...buf.subarray(7, end)] })
      buf = buf.subarray(end)
    }
  })
  const waitFor = async (n: number): Promise<Response[]> => {
    const deadline = Date.now() + 2000
    while (responses.length < n) {
      if (Date.now() > deadline) throw new Error(`expected ${n} responses, got ${responses.length}`)
      await new Promise((r) => setTimeout(r, 5))
    }
    return responses
  }
  return { socket, responses, waitFor }
}

const sims: ModbusSimulator[] = []
const sockets: Socket[] = []
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy()
  await Promise.all(sims.splice(0).map((s) => s.stop()))
})

async function sim(opts: Parameters<typeof startModbusSimulator>[0]): Promise<ModbusSimulator> {
  const s = await startModbusSimulator(opts)
  sims.push(s)
  return s
}

async function client(port: number): ReturnType<typeof rawClient> {
  const c = await rawClient(port)
  sockets.push(c.socket)
  return c
}

describe('startModbusSimulator', () => {
  it('answers two frames that arrive in one TCP write', async () => {
    const s = await sim({ units: { 1: { holding: 10, input: 10 } } })
    s.setRegisters(1, 'holding', 0, [0x1111, 0x2222])
    s.setRegisters(1, 'input', 5, [0xabcd])
    const c = await client(s.port)
    c.socket.write(Buffer.concat([frame(1, 1, [0x03, 0, 0, 0, 2]), frame(2, 1, [0x04, 0, 5, 0, 1])]))
    expect(await c.waitFor(2)).toStrictEqual([
      { tx: 1, unitId: 1, pdu: [0x03, 4, 0x11, 0x11, 0x22, 0x22] },
      { tx: 2, unitId: 1, pdu: [0x04, 2, 0xab, 0xcd] },
    ])
  })

  it('answers a frame split across TCP writes', async () => {
    const s = await sim({ units: { 1: { holding: 10 } } })
    s.setRegisters(1, 'holding', 3, [0xbeef])
    const c = await client(s.port)
    const f = frame(7, 1, [0x03, 0, 3, 0, 1])
    c.socket.write(f.subarray(0, 4))
    await new Promise((r) => setTimeout(r, 30))
    c.socket.write(f.subarray(4))
    expect(await c.waitFor(1)).toStrictEqual([{ tx: 7, unitId: 1, pdu: [0x03, 2, 0xbe, 0xef] }])
  })

  it('reads coils and discrete inputs packed low bit first', async () => {
    const s = await sim({ units: { 1: { coils: 20, discrete: 20 } } })
    s.setBits(1, 'coil', 0, [true, false, true, true, false, false, false, false, false, true])
    s.setBits(1, 'discrete', 10, [true])
    const c = await client(s.port)
    c.socket.write(Buffer.concat([frame(1, 1, [0x01, 0, 0, 0, 10]), frame(2, 1, [0x02, 0, 10, 0, 1])]))
    expect(await c.waitFor(2)).toStrictEqual([
      { tx: 1, unitId: 1, pdu: [0x01, 2, 0b00001101, 0b00000010] },
      { tx: 2, unitId: 1, pdu: [0x02, 1, 0b00000001] },
    ])
  })

  it('answers exceptions 01, 02, 03 and 0B', async () => {
    const s = await sim({ units: { 1: { holding: 10, coils: 8 } } })
    const c = await client(s.port)
    c.socket.write(
      Buffer.concat([
        frame(1, 1, [0x07]), // read exception status: not served -> 01
        frame(2, 1, [0x03, 0, 9, 0, 2]), // registers 9..10 of 10 -> 02
        frame(3, 1, [0x03, 0, 0, 0, 0]), // count 0 -> 03
        frame(4, 1, [0x03, 0, 0, 0, 126]), // count above 125 -> 03
        frame(5, 1, [0x01, 0, 0, 0x07, 0xd1]), // 2001 coils -> 03
        frame(6, 1, [0x05, 0, 0, 0x12, 0x34]), // coil value neither FF00 nor 0000 -> 03
        frame(7, 9, [0x03, 0, 0, 0, 1]), // unit 9 does not exist -> 0B
      ]),
    )
    expect((await c.waitFor(7)).map((r) => r.pdu)).toStrictEqual([
      [0x87, 0x01],
      [0x83, 0x02],
      [0x83, 0x03],
      [0x83, 0x03],
      [0x81, 0x03],
      [0x85, 0x03],
      [0x83, 0x0b],
    ])
  })

  it('does not answer an unknown unit when told to ignore it', async () => {
    const s = await sim({ units: { 1: { holding: 10 } }, unknownUnit: 'ignore' })
    const c = await client(s.port)
    c.socket.write(Buffer.concat([frame(1, 2, [0x03, 0, 0, 0, 1]), frame(2, 1, [0x03, 0, 0, 0, 1])]))
    // the answer to the known unit proves the first frame was read and dropped, not still pending
    expect(await c.waitFor(1)).toStrictEqual([{ tx: 2, unitId: 1, pdu: [0x03, 2, 0, 0] }])
  })

  it('serves writes FC 5, 6, 15 and 16 and echoes them', async () => {
    const s = await sim({ units: { 1: { holding: 10, coils: 16 } } })
    const c = await client(s.port)
    c.socket.write(
      Buffer.concat([
        frame(1, 1, [0x05, 0, 2, 0xff, 0x00]),
        frame(2, 1, [0x06, 0, 1, 0x12, 0x34]),
        frame(3, 1, [0x0f, 0, 8, 0, 3, 1, 0b101]),
        frame(4, 1, [0x10, 0, 4, 0, 2, 4, 0xaa, 0xbb, 0xcc, 0xdd]),
      ]),
    )
    expect((await c.waitFor(4)).map((r) => r.pdu)).toStrictEqual([
      [0x05, 0, 2, 0xff, 0x00],
      [0x06, 0, 1, 0x12, 0x34],
      [0x0f, 0, 8, 0, 3],
      [0x10, 0, 4, 0, 2],
    ])
    expect(s.getBits(1, 'coil', 0, 11)).toStrictEqual([false, false, true, false, false, false, false, false, true, false, true])
    expect(s.getRegisters(1, 'holding', 0, 6)).toStrictEqual([0, 0x1234, 0, 0, 0xaabb, 0xccdd])
  })

  it('calls beforeRead with the range before serving it', async () => {
    const calls: unknown[] = []
    let n = 0
    const s = await sim({
      units: { 3: { input: 4 } },
      beforeRead: (unitId, table, address, count) => {
        calls.push([unitId, table, address, count])
        s.setRegisters(3, 'input', 0, [++n])
      },
    })
    const c = await client(s.port)
    c.socket.write(Buffer.concat([frame(1, 3, [0x04, 0, 0, 0, 1]), frame(2, 3, [0x04, 0, 0, 0, 4])]))
    expect((await c.waitFor(2)).map((r) => r.pdu)).toStrictEqual([
      [0x04, 2, 0, 1],
      [0x04, 8, 0, 2, 0, 0, 0, 0, 0, 0],
    ])
    expect(calls).toStrictEqual([[3, 'input', 0, 1], [3, 'input', 0, 4]])
  })

  it('injects exceptions and delays per unit', async () => {
    const s = await sim({ units: { 1: { holding: 10, exceptionFor: (req) => (req.address === 5 ? 4 : undefined) }, 2: { holding: 10, delayMs: 150 } } })
    const c = await client(s.port)
    const t0 = Date.now()
    c.socket.write(Buffer.concat([frame(1, 2, [0x03, 0, 0, 0, 1]), frame(2, 1, [0x03, 0, 5, 0, 1]), frame(3, 1, [0x03, 0, 4, 0, 1])]))
    const responses = await c.waitFor(3)
    // the delayed unit answers last although it was asked first
    expect(responses.map((r) => [r.tx, r.pdu])).toStrictEqual([[2, [0x83, 0x04]], [3, [0x03, 2, 0, 0]], [1, [0x03, 2, 0, 0]]])
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140)
  })

  it('closes the connection on a corrupt MBAP header', async () => {
    const s = await sim({ units: { 1: { holding: 10 } } })
    const c = await client(s.port)
    const bad = frame(1, 1, [0x03, 0, 0, 0, 1])
    bad.writeUInt16BE(1000, 4)
    const closed = once(c.socket, 'close')
    c.socket.write(bad)
    await closed
  })

  it('frees its port on stop so a new simulator can take it', async () => {
    const s = await startModbusSimulator({ units: { 1: { holding: 1 } } })
    const c = await client(s.port)
    await s.stop()
    expect(c.socket.destroyed || (await Promise.race([once(c.socket, 'close').then(() => true), new Promise((r) => setTimeout(() => r(false), 1000))]))).toBe(true)
    const again = await sim({ port: s.port, units: { 1: { holding: 1 } } })
    expect(again.port).toBe(s.port)
  })
})

/** An RTU frame built by hand: unit id, PDU, CRC-16 low byte first. */
function rtuFrame(unitId: number, pdu: readonly number[]): Buffer {
  const body = Buffer.from([unitId, ...pdu])
  const crc = crc16(body)
  return Buffer.concat([body, Buffer.from([crc & 0xff, crc >>> 8])])
}

describe('startModbusSimulator over RTU over TCP', () => {
  async function rtuClient(port: number): Promise<{ socket: Socket; received(): Buffer; waitForBytes(n: number): Promise<Buffer> }> {
    const socket = connect({ host: '127.0.0.1', port })
    await once(socket, 'connect')
    sockets.push(socket)
    let buf = Buffer.alloc(0)
    socket.on('data', (chunk: Buffer) => (buf = Buffer.concat([buf, chunk])))
    return {
      socket,
      received: () => buf,
      async waitForBytes(n) {
        const deadline = Date.now() + 2000
        while (buf.length < n) {
          if (Date.now() > deadline) throw new Error(`expected ${n} bytes, got ${buf.length}`)
          await new Promise((r) => setTimeout(r, 5))
        }
        return buf
      },
    }
  }

  it('answers RTU frames with their CRC, several units on one stream, noise skipped', async () => {
    const s = await sim({ transport: 'rtu-over-tcp', units: { 1: { holding: 4 }, 2: { input: 4, exceptionFor: () => 2 } } })
    s.setRegisters(1, 'holding', 0, [0x1234])
    const c = await rtuClient(s.port)
    c.socket.write(Buffer.concat([Buffer.from([0x00, 0xff]), rtuFrame(1, [0x03, 0, 0, 0, 1]), rtuFrame(2, [0x04, 0, 0, 0, 1])]))
    const expected = Buffer.concat([rtuFrame(1, [0x03, 2, 0x12, 0x34]), rtuFrame(2, [0x84, 0x02])])
    expect(await c.waitForBytes(expected.length)).toStrictEqual(expected)
  })

  it('stays silent for a unit that is not on the line, for a silent unit and for a frame with a bad CRC', async () => {
    const s = await sim({ transport: 'rtu-over-tcp', units: { 1: { holding: 4 }, 3: { holding: 4, silent: true } } })
    const c = await rtuClient(s.port)
    const bad = rtuFrame(1, [0x03, 0, 0, 0, 1])
    bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 0xff
    c.socket.write(Buffer.concat([rtuFrame(7, [0x03, 0, 0, 0, 1]), rtuFrame(3, [0x03, 0, 0, 0, 1]), bad, rtuFrame(1, [0x03, 0, 1, 0, 1])]))
    // Only the last, valid request to a present unit is answered.
    const expected = rtuFrame(1, [0x03, 2, 0, 0])
    expect(await c.waitForBytes(expected.length)).toStrictEqual(expected)
    await new Promise((r) => setTimeout(r, 50))
    expect(c.received()).toStrictEqual(expected)
    expect(s.stats.requests).toBe(3)
  })
})
