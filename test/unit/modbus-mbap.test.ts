import { describe, expect, it } from 'vitest'
import { allocFrame, MbapFrameError, MbapReader } from '../../connectors/modbus/mbap.ts'

/** An MBAP frame: transaction id, protocol id, length (unit + PDU), unit id, PDU. */
function frame(tx: number, unitId: number, pdu: readonly number[], protocol = 0): Buffer {
  const b = Buffer.alloc(7 + pdu.length)
  b.writeUInt16BE(tx, 0)
  b.writeUInt16BE(protocol, 2)
  b.writeUInt16BE(pdu.length + 1, 4)
  b[6] = unitId
  Buffer.from(pdu).copy(b, 7)
  return b
}

function collect(reader: MbapReader, chunks: readonly Buffer[]): { tx: number; unitId: number; pdu: number[] }[] {
  const out: { tx: number; unitId: number; pdu: number[] }[] = []
  for (const c of chunks) reader.push(c, (tx, unitId, pdu) => out.push({ tx, unitId, pdu: [...pdu] }))
  return out
}

const a = frame(1, 1, [0x03, 0x00, 0x00, 0x00, 0x0a])
const b = frame(2, 7, [0x04, 0x00, 0x10, 0x00, 0x02])
const expected = [
  { tx: 1, unitId: 1, pdu: [0x03, 0x00, 0x00, 0x00, 0x0a] },
  { tx: 2, unitId: 7, pdu: [0x04, 0x00, 0x10, 0x00, 0x02] },
]

describe('MbapReader', () => {
  it('cuts two frames out of one chunk', () => {
    expect(collect(new MbapReader(), [Buffer.concat([a, b])])).toStrictEqual(expected)
  })

  it('joins a frame split at every possible byte', () => {
    const both = Buffer.concat([a, b])
    for (let cut = 1; cut < both.length; cut++) {
      expect(collect(new MbapReader(), [both.subarray(0, cut), both.subarray(cut)])).toStrictEqual(expected)
    }
  })

  it('joins a frame fed one byte at a time', () => {
    const both = Buffer.concat([a, b])
    expect(collect(new MbapReader(), [...both].map((byte) => Buffer.from([byte])))).toStrictEqual(expected)
  })

  it('drops frames whose protocol id is not Modbus', () => {
    expect(collect(new MbapReader(), [Buffer.concat([frame(9, 1, [0x03, 0, 0, 0, 1], 1), a])])).toStrictEqual([expected[0]])
  })

  it('throws on an impossible length field', () => {
    const bad = frame(1, 1, [0x03])
    bad.writeUInt16BE(300, 4)
    expect(() => collect(new MbapReader(), [bad])).toThrow(MbapFrameError)
  })
})

describe('allocFrame', () => {
  it('writes the MBAP header with the length of unit id and PDU', () => {
    const f = allocFrame(0x1234, 5, 3)
    expect([...f.subarray(0, 7)]).toStrictEqual([0x12, 0x34, 0, 0, 0, 4, 5])
    expect(f.length).toBe(10)
  })
})
