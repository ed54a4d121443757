// Segment files: their names, the header that opens each one, and reading and writing them.
// See docs/spool.md.
import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs'
import { ioError } from './errors.ts'
import { crc32 } from './frame.ts'

/** 'SFSP' | version u16 | reserved u16 | base seq u64 | crc32 of the 16 bytes before it. */
export const SEGMENT_HEADER = 20
const MAGIC = 0x50534653 // 'SFSP' read as a little-endian u32
const VERSION = 1
const NAME = /^(\d{16})\.seg$/

/** `0000000000001234.seg`: the seq of its first record, zero-padded so names sort in order. */
export function segmentName(base: number): string {
  return `${String(base).padStart(16, '0')}.seg`
}

/** The base seq a segment file name stands for, or undefined for any other file. */
export function parseSegmentName(name: string): number | undefined {
  const m = NAME.exec(name)
  return m ? Number(m[1]) : undefined
}

export function encodeSegmentHeader(base: number): Buffer {
  const b = Buffer.alloc(SEGMENT_HEADER)
  b.writeUInt32LE(MAGIC, 0)
  b.writeUInt16LE(VERSION, 4)
  b.writeBigUInt64LE(BigInt(base), 8)
  b.writeUInt32LE(crc32(b.subarray(0, 16)), 16)
  return b
}

/** Why a segment header is not the one for `base`, or undefined when it is. */
export function segmentHeaderProblem(b: Buffer, base: number): string | undefined {
  if (b.length < SEGMENT_HEADER) return `header incomplete (${b.length} of ${SEGMENT_HEADER} bytes)`
  if (b.readUInt32LE(0) !== MAGIC) return 'not a spool segment (bad magic)'
  if (crc32(b.subarray(0, 16)) !== b.readUInt32LE(16)) return 'header checksum mismatch'
  const version = b.readUInt16LE(4)
  if (version !== VERSION) return `segment format version ${version}; this agent reads version ${VERSION}`
  const stored = Number(b.readBigUInt64LE(8))
  if (stored !== base) return `header names base ${stored}, file name ${base}`
  return undefined
}

/** A segment file as the spool tracks it. */
export interface Segment {
  /** Seq of its first record (its name). */
  readonly base: number
  readonly file: string
  /** Bytes of the file that hold the header and intact frames. */
  size: number
  /** ts of its newest record (for files of an earlier run: their mtime). */
  lastTs: number
  /** First seq that cannot be read from it (damage found), once found; records from there to its end are lost. */
  gapFrom: number | undefined
}

/** Bytes read from a segment at a time. */
export const READ_CHUNK = 1024 * 1024

/** Writes all of `buf` at `position` (a write to a regular file can come back short only on errors such as ENOSPC). */
export function writeAll(fd: number, buf: Buffer, position: number): void {
  let done = 0
  while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done, position + done)
}

/** Reads up to `len` bytes at `position`; fewer at the end of the file. */
export function readAt(fd: number, position: number, len: number): Buffer {
  const buf = Buffer.allocUnsafe(len)
  let got = 0
  for (let n = -1; got < len && n !== 0; got += n) n = readSync(fd, buf, got, len - got, position + got)
  return got < len ? buf.subarray(0, got) : buf
}

/** Reads up to `len` bytes of `file` at `position`. */
export function readFileAt(file: string, position: number, len: number): Buffer {
  const fd = openSync(file, 'r')
  try {
    return readAt(fd, position, len)
  } finally {
    closeSync(fd)
  }
}

/** Deletes `file`; one already gone is fine. */
export function unlinkIfThere(file: string): void {
  try {
    unlinkSync(file)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError('deleting', file, e)
  }
}
