import { Duplex } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { crc16, crcMatches } from '../../connectors/modbus/crc.ts'
import { LinkError } from '../../connectors/modbus/link.ts'
import { interFrameMs, RtuLink } from '../../connectors/modbus/rtu-link.ts'
import { RtuRequestReader } from '../../connectors/modbus/rtu-request-reader.ts'

/** An RTU frame: unit id, PDU, CRC low byte first. */
function rtu(unitId: number, pdu: readonly number[]): Buffer {
  const body = Buffer.from([unitId, ...pdu])
  const crc = crc16(body)
  return Buffer.concat([body, Buffer.from([crc & 0xff, crc >>> 8])])
}

/** The line side of a link: what the link wrote, and a way to make bytes arrive. */
function line(): { stream: Duplex; written: Buffer[]; arrive(bytes: Buffer): void } {
  const written: Buffer[] = []
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      written.push(Buffer.from(chunk))
      cb()
    },
  })
  return { stream, written, arrive: (bytes) => stream.push(bytes) }
}

const readHolding = (address: number, count: number): Buffer => Buffer.from([3, address >> 8, address & 0xff, count >> 8, count & 0xff])

describe('crc16', () => {
  it('crc16 matches the Modbus spec example', () => {
    // Modbus over serial line spec, 6.2.2: 01 03 00 00 00 0A has CRC C5 CD (low byte first).
    expect(rtu(1, [0x03, 0x00, 0x00, 0x00, 0x0a]).subarray(-2)).toStrictEqual(Buffer.from([0xc5, 0xcd]))
    expect(crcMatches(Buffer.from([0x01, 0x03, 0x00, 0x00, 0x00, 0x0a, 0xc5, 0xcd]), 0, 8)).toBe(true)
    expect(crcMatches(Buffer.from([0x01, 0x03, 0x00, 0x00, 0x00, 0x0b, 0xc5, 0xcd]), 0, 8)).toBe(false)
  })
})

describe('interFrameMs', () => {
  it.each([
    [9600, 5], // 3.5 × 11 bits / 9600 baud = 4.01 ms
    [19_200, 3],
    [38_400, 2], // above 19200 the spec fixes 1.75 ms
    [115_200, 2],
  ])('interFrameMs gives %i baud a silence of %i ms', (baud, ms) => {
    expect(interFrameMs(baud)).toBe(ms)
  })
})

describe('RtuLink', () => {
  // Each case: what arrives on the line after the request "unit 1, read holding 0..1"; what the link answers.
  const answer = rtu(1, [3, 4, 0x12, 0x34, 0x56, 0x78])
  const cases: readonly { name: string; chunks: Buffer[]; pdu: number[] }[] = [
    { name: 'a whole answer', chunks: [answer], pdu: [3, 4, 0x12, 0x34, 0x56, 0x78] },
    { name: 'an answer split over three chunks', chunks: [answer.subarray(0, 2), answer.subarray(2, 5), answer.subarray(5)], pdu: [3, 4, 0x12, 0x34, 0x56, 0x78] },
    { name: 'noise before the answer', chunks: [Buffer.from([0x00, 0xff, 0x01]), answer], pdu: [3, 4, 0x12, 0x34, 0x56, 0x78] },
    { name: 'a late answer of unit 2 before it', chunks: [rtu(2, [3, 2, 0, 9]), answer], pdu: [3, 4, 0x12, 0x34, 0x56, 0x78] },
    { name: 'a frame with a bad CRC before it', chunks: [Buffer.from([1, 3, 4, 0, 0, 0, 0, 0xde, 0xad]), answer], pdu: [3, 4, 0x12, 0x34, 0x56, 0x78] },
    { name: 'an exception answer', chunks: [rtu(1, [0x83, 0x02])], pdu: [0x83, 0x02] },
  ]

  it.each(cases)('RtuLink takes the answer out of $name', async ({ chunks, pdu }) => {
    const l = line()
    const link = new RtuLink(l.stream, 0)
    const pending = link.request(1, readHolding(0, 2), 1000)
    expect(l.written).toStrictEqual([rtu(1, [3, 0, 0, 0, 2])])
    for (const c of chunks) l.arrive(c)
    expect([...(await pending)]).toStrictEqual(pdu)
    await link.close()
  })

  it('RtuLink times out and says that bytes arrived that were not the answer', async () => {
    const l = line()
    const link = new RtuLink(l.stream, 0)
    const pending = link.request(1, readHolding(0, 2), 50)
    l.arrive(Buffer.from([0x55, 0xaa, 0x55, 0xaa, 0x55, 0xaa, 0x55]))
    const err = await pending.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(LinkError)
    expect(err).toMatchObject({ kind: 'timeout' })
    expect((err as Error).message).toMatch(/no answer within 50 ms, and 7 byte\(s\) that were not the answer arrived \(wrong baudRate/)
    await link.close()
  })

  it('RtuLink sends one request at a time, in arrival order, with a silence between them', async () => {
    const l = line()
    const link = new RtuLink(l.stream, 20)
    const first = link.request(1, readHolding(0, 1), 1000)
    const second = link.request(2, readHolding(5, 1), 1000)
    expect(l.written).toHaveLength(1)
    l.arrive(rtu(1, [3, 2, 0, 7]))
    expect([...(await first)]).toStrictEqual([3, 2, 0, 7])
    const t0 = performance.now()
    while (l.written.length < 2) await new Promise((r) => setTimeout(r, 1))
    expect(performance.now() - t0).toBeGreaterThanOrEqual(15)
    expect(l.written[1]).toStrictEqual(rtu(2, [3, 0, 5, 0, 1]))
    l.arrive(rtu(2, [3, 2, 0, 8]))
    expect([...(await second)]).toStrictEqual([3, 2, 0, 8])
    await link.close()
  })

  it('RtuLink drops an abandoned request from its queue and rejects the rest when closed', async () => {
    const l = line()
    const link = new RtuLink(l.stream, 0)
    const first = link.request(1, readHolding(0, 1), 1000)
    const abort = new AbortController()
    const second = link.request(2, readHolding(0, 1), 1000, abort.signal)
    abort.abort()
    await expect(second).rejects.toMatchObject({ kind: 'closed', message: /abandoned/ })
    await link.close()
    await expect(first).rejects.toMatchObject({ kind: 'closed' })
    expect(l.written).toHaveLength(1)
    await expect(link.request(1, readHolding(0, 1), 1000)).rejects.toMatchObject({ kind: 'closed' })
  })
})

describe('RtuRequestReader', () => {
  const read = rtu(3, [3, 0, 10, 0, 4])
  const write = rtu(3, [16, 0, 1, 0, 2, 4, 0, 1, 0, 2])
  const cases: readonly { name: string; chunks: Buffer[]; frames: [number, number[]][] }[] = [
    { name: 'two requests in one chunk', chunks: [Buffer.concat([read, write])], frames: [[3, [3, 0, 10, 0, 4]], [3, [16, 0, 1, 0, 2, 4, 0, 1, 0, 2]]] },
    { name: 'a request split byte by byte', chunks: [...read].map((b) => Buffer.from([b])), frames: [[3, [3, 0, 10, 0, 4]]] },
    { name: 'garbage before a request', chunks: [Buffer.from([0xff, 0x00, 0x13]), read], frames: [[3, [3, 0, 10, 0, 4]]] },
    { name: 'a function code it does not serve', chunks: [rtu(9, [0x2b, 0x0e, 0x01, 0x00])], frames: [[9, [0x2b, 0x0e, 0x01, 0x00]]] },
  ]
  it.each(cases)('RtuRequestReader cuts out $name', ({ chunks, frames }) => {
    const reader = new RtuRequestReader()
    const out: [number, number[]][] = []
    for (const c of chunks) reader.push(c, (unitId, pdu) => out.push([unitId, [...pdu]]))
    expect(out).toStrictEqual(frames)
  })
})
