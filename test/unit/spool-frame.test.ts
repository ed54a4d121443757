import { describe, expect, it } from 'vitest'
import { checkFrame, crc32, decodeFrame, encodeFrames, FRAME_HEADER, frameEnds, frameProblem, type FrameInput } from '../../edge/spool/frame.ts'
import { encodeSegmentHeader, parseSegmentName, segmentHeaderProblem, segmentName } from '../../edge/spool/segment-file.ts'

describe('crc32', () => {
  // Check values of CRC-32/ISO-HDLC (the zlib/gzip CRC).
  it.each([
    ['', 0x00000000],
    ['a', 0xe8b7be43],
    ['abc', 0x352441c2],
    ['123456789', 0xcbf43926],
    ['The quick brown fox jumps over the lazy dog', 0x414fa339],
  ])('crc32 of %j is the standard check value', (text, want) => {
    expect(crc32(Buffer.from(text))).toBe(want)
  })

  it('crc32 continues from an initial value as over the concatenation', () => {
    const a = Buffer.from('shop')
    const b = Buffer.from('floor')
    expect(crc32(b, crc32(a))).toBe(crc32(Buffer.concat([a, b])))
  })
})

const cases: Array<[string, FrameInput]> = [
  ['a typical event', { topic: 'shopfloor.machine_state', key: 'vn/bd/vsip1/f1/smt/l1/printer', value: Buffer.alloc(150, 7), ts: 1_751_328_000_123 }],
  ['an empty key and value', { topic: 't', key: '', value: Buffer.alloc(0), ts: 0 }],
  ['multi-byte UTF-8 names', { topic: 'nhà-máy.sự-kiện', key: 'bình-dương/máy-ép-3', value: Buffer.from([0, 255, 1]), ts: 1.5 }],
  ['a 200 kB value', { topic: 'x', key: 'k', value: Buffer.alloc(200_000, 0xab), ts: 42 }],
]

describe('frame codec', () => {
  it.each(cases)('frame codec round-trips %s', (_name, rec) => {
    const buf = encodeFrames([rec], 999, 1024 * 1024)
    expect(buf.length).toBe(FRAME_HEADER + Buffer.byteLength(rec.topic) + Buffer.byteLength(rec.key) + rec.value.length)
    expect(checkFrame(buf, 0, buf.length)).toBe(buf.length)
    expect(decodeFrame(buf, 0, buf.length, 17)).toEqual({ seq: 17, topic: rec.topic, key: rec.key, value: rec.value, ts: rec.ts })
  })

  it('frame codec stamps records without a ts with the append time', () => {
    const buf = encodeFrames([{ topic: 't', key: 'k', value: Buffer.from('v') }], 1234.5, 100)
    expect(decodeFrame(buf, 0, buf.length, 0).ts).toBe(1234.5)
  })

  it('frame codec puts a burst into one buffer whose frames end where frameEnds says', () => {
    const recs = cases.slice(0, 3).map(([, r]) => r)
    const buf = encodeFrames(recs, 0, 1024)
    const ends = frameEnds(buf, recs.length)
    expect(ends.at(-1)).toBe(buf.length)
    let off = 0
    recs.forEach((r, i) => {
      const size = checkFrame(buf, off, buf.length)
      expect(off + size).toBe(ends[i])
      expect(decodeFrame(buf, off, size, i).key).toBe(r.key)
      off += size
    })
  })

  const good = encodeFrames([{ topic: 'shopfloor.count', key: 'vn/bd/p/f/a/l/m', value: Buffer.alloc(40, 3), ts: 5 }], 0, 1024)
  const damaged = (at: number, xor = 0x01): Buffer => {
    const b = Buffer.from(good)
    b[at] = (b[at] as number) ^ xor
    return b
  }
  it.each([
    ['a flipped bit in the value', damaged(good.length - 1), 'checksum mismatch'],
    ['a flipped bit in the ts', damaged(9), 'checksum mismatch'],
    ['a flipped bit in the key', damaged(FRAME_HEADER + 20), 'checksum mismatch'],
    ['a flipped bit in the checksum', damaged(0), 'checksum mismatch'],
    ['a topic length past the frame', (() => { const b = Buffer.from(good); b.writeUInt16LE(0xffff, 16); return b })(), 'topic and key lengths exceed the frame'],
    ['a length below the header', (() => { const b = Buffer.from(good); b.writeUInt32LE(3, 4); return b })(), 'length 3 out of range'],
    ['a length of 2^31', (() => { const b = Buffer.from(good); b.writeUInt32LE(2 ** 31, 4); return b })(), `length ${2 ** 31} out of range`],
    ['all zeros', Buffer.alloc(good.length), 'length 0 out of range'],
  ])('checkFrame rejects %s', (_name, buf, problem) => {
    expect(checkFrame(buf, 0, buf.length)).toBe(0)
    expect(frameProblem(buf, 0, buf.length)).toBe(problem)
  })

  it.each([1, 7, 8, FRAME_HEADER, good.length - 1])('checkFrame asks for the whole frame when only %i bytes are there', (cut) => {
    const need = cut < 8 ? 8 : good.length
    expect(checkFrame(good, 0, cut)).toBe(-need)
  })

  it.each([
    ['a value over maxRecordBytes', { topic: 't', key: 'k', value: Buffer.alloc(101) }, /value of 101 bytes; maxRecordBytes is 100/],
    ['a topic over 65,535 bytes', { topic: 'x'.repeat(65_536), key: 'k', value: Buffer.alloc(1) }, /topic of 65536 bytes/],
    ['a key over 65,535 bytes', { topic: 't', key: 'é'.repeat(40_000), value: Buffer.alloc(1) }, /key of 80000 bytes/],
  ])('encodeFrames refuses %s with SHOPFLOOR_SPOOL_RECORD_TOO_LARGE', (_name, rec, message) => {
    expect(() => encodeFrames([rec], 0, 100)).toThrow(expect.objectContaining({ code: 'SHOPFLOOR_SPOOL_RECORD_TOO_LARGE', message: expect.stringMatching(message) }))
  })
})

describe('segment file', () => {
  it.each([0, 1, 123_456_789, Number.MAX_SAFE_INTEGER])('segment name and header carry base %i', (base) => {
    expect(parseSegmentName(segmentName(base))).toBe(base)
    expect(segmentHeaderProblem(encodeSegmentHeader(base), base)).toBeUndefined()
  })

  it.each([
    ['a short header', encodeSegmentHeader(5).subarray(0, 10), 5, 'header incomplete (10 of 20 bytes)'],
    ['another base', encodeSegmentHeader(5), 6, 'header names base 5, file name 6'],
    ['no magic', Buffer.alloc(20), 0, 'not a spool segment (bad magic)'],
    ['a damaged header', (() => { const b = encodeSegmentHeader(5); b[9] = 1; return b })(), 5, 'header checksum mismatch'],
  ])('segment header check reports %s', (_name, buf, base, problem) => {
    expect(segmentHeaderProblem(buf, base)).toBe(problem)
  })

  it.each(['cursor', 'lock', '12.seg', '00000000000000001.seg', '000000000000000a.seg'])('parseSegmentName ignores %j', (name) => {
    expect(parseSegmentName(name)).toBeUndefined()
  })
})
