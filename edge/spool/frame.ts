// The on-disk frame of one spool record, and its checksum. See docs/spool.md for the layout.
import { crc32 as zlibCrc32 } from 'node:zlib'
import { SpoolError } from './errors.ts'

/**
 * CRC-32 (IEEE 802.3, the polynomial of zlib, gzip and PNG), computed natively by zlib: one
 * call per frame costs less than copying the frame. `crc32('123456789') === 0xcbf43926`.
 */
export function crc32(data: Uint8Array, initial = 0): number {
  return zlibCrc32(data, initial) >>> 0
}

/**
 * Bytes before the topic: crc32 (4) | length of the rest (4) | ts float64 (8) | topic length u16 (2) |
 * key length u16 (2). All little-endian. The CRC covers everything after itself.
 */
export const FRAME_HEADER = 20
/** The part of the header counted by the length field. */
const LENGTH_COVERED = FRAME_HEADER - 8
/** Longest topic or key, bytes (u16 length field). */
export const MAX_NAME_BYTES = 0xffff
/** Sanity cap on a frame's length field when reading: larger means the length itself is damaged. */
export const MAX_FRAME_BODY = 1024 * 1024 * 1024

/** What a caller appends. `ts` (ms since the epoch) defaults to the time of the append. */
export interface FrameInput {
  readonly topic: string
  readonly key: string
  readonly value: Buffer
  readonly ts?: number
}

/** A record read back from the spool. */
export interface SpoolRecord {
  /** Position of the record in the spool: consecutive in append order, never reused. */
  readonly seq: number
  readonly topic: string
  readonly key: string
  readonly value: Buffer
  /** When it was appended (or the `ts` given to `append`), ms since the epoch. */
  readonly ts: number
}

/**
 * Encodes records as consecutive frames in one buffer, so a burst is one write. Throws
 * SHOPFLOOR_SPOOL_RECORD_TOO_LARGE before encoding anything when a record does not fit.
 */
export function encodeFrames(records: readonly FrameInput[], now: number, maxRecordBytes: number): Buffer {
  let total = 0
  const topicLens = new Array<number>(records.length)
  const keyLens = new Array<number>(records.length)
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as FrameInput
    const tl = Buffer.byteLength(r.topic)
    const kl = Buffer.byteLength(r.key)
    if (tl > MAX_NAME_BYTES || kl > MAX_NAME_BYTES) {
      throw new SpoolError(
        'SHOPFLOOR_SPOOL_RECORD_TOO_LARGE',
        `spool: record ${i} has a ${tl > MAX_NAME_BYTES ? `topic of ${tl}` : `key of ${kl}`} bytes; at most ${MAX_NAME_BYTES} are allowed`,
      )
    }
    if (r.value.length > maxRecordBytes) {
      throw new SpoolError(
        'SHOPFLOOR_SPOOL_RECORD_TOO_LARGE',
        `spool: record ${i} (topic "${r.topic}", key "${r.key}") has a value of ${r.value.length} bytes; maxRecordBytes is ${maxRecordBytes}`,
      )
    }
    topicLens[i] = tl
    keyLens[i] = kl
    total += FRAME_HEADER + tl + kl + r.value.length
  }
  const buf = Buffer.allocUnsafe(total)
  let off = 0
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as FrameInput
    const tl = topicLens[i] as number
    const kl = keyLens[i] as number
    const body = LENGTH_COVERED + tl + kl + r.value.length
    buf.writeUInt32LE(body, off + 4)
    buf.writeDoubleLE(r.ts ?? now, off + 8)
    buf.writeUInt16LE(tl, off + 16)
    buf.writeUInt16LE(kl, off + 18)
    let p = off + FRAME_HEADER
    p += buf.write(r.topic, p, tl, 'utf8')
    p += buf.write(r.key, p, kl, 'utf8')
    p += r.value.copy(buf, p)
    buf.writeUInt32LE(crc32(buf.subarray(off + 4, p)), off)
    off = p
  }
  return buf
}

/**
 * Checks the frame at `off` of `buf` (valid bytes end at `end`). Returns its size (> 0) when
 * whole and intact; `-n` when only part of it is there and `n` bytes from `off` are needed;
 * 0 when it is damaged (length out of range, lengths that disagree, or a checksum mismatch).
 */
export function checkFrame(buf: Buffer, off: number, end: number): number {
  const have = end - off
  if (have < 8) return -8
  const body = buf.readUInt32LE(off + 4)
  if (body < LENGTH_COVERED || body > MAX_FRAME_BODY) return 0
  const size = 8 + body
  if (have < size) return -size
  if (LENGTH_COVERED + buf.readUInt16LE(off + 16) + buf.readUInt16LE(off + 18) > body) return 0
  if (crc32(buf.subarray(off + 4, off + size)) !== buf.readUInt32LE(off)) return 0
  return size
}

/** Why the frame at `off` is damaged, for logs; `checkFrame` must have returned 0 for it. */
export function frameProblem(buf: Buffer, off: number, end: number): string {
  if (end - off < 8) return 'incomplete header'
  const body = buf.readUInt32LE(off + 4)
  if (body < LENGTH_COVERED || body > MAX_FRAME_BODY) return `length ${body} out of range`
  if (end - off < 8 + body) return `length ${body} runs past the end of the data`
  if (LENGTH_COVERED + buf.readUInt16LE(off + 16) + buf.readUInt16LE(off + 18) > body) return 'topic and key lengths exceed the frame'
  return 'checksum mismatch'
}

/** The ts of the intact frame at `off`. */
export function frameTs(buf: Buffer, off: number): number {
  return buf.readDoubleLE(off + 8)
}

/** Decodes the intact frame at `off` (its value shares `buf`'s memory). */
export function decodeFrame(buf: Buffer, off: number, size: number, seq: number): SpoolRecord {
  const tl = buf.readUInt16LE(off + 16)
  const kl = buf.readUInt16LE(off + 18)
  const t = off + FRAME_HEADER
  const k = t + tl
  const v = k + kl
  return { seq, topic: buf.toString('utf8', t, k), key: buf.toString('utf8', k, v), value: buf.subarray(v, off + size), ts: buf.readDoubleLE(off + 8) }
}

/** Offsets just past each of the first `count` frames of an encoded buffer (all intact). */
export function frameEnds(buf: Buffer, count: number): number[] {
  const ends: number[] = []
  let off = 0
  for (let i = 0; i < count && off < buf.length; i++) {
    off += 8 + buf.readUInt32LE(off + 4)
    ends.push(off)
  }
  return ends
}
