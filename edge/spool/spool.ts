// The durable spool: append-only segment files of checksummed frames, an acknowledgement cursor,
// bounds by size and age. docs/spool.md explains the mechanism and its guarantees.
import { mkdirSync } from 'node:fs'
import { silentLogger, type Logger } from '../../connectors/common/logger.ts'
import { writeCursor } from './cursor.ts'
import { ioError, SpoolError } from './errors.ts'
import { checkFrame, decodeFrame, encodeFrames, frameEnds, frameProblem, frameTs, type FrameInput, type SpoolRecord } from './frame.ts'
import { acquireLock, type SpoolLock } from './lock.ts'
import { resolveSpoolOptions, type ResolvedSpoolOptions, type SpoolOptions } from './options.ts'
import { recoverSpool } from './recover.ts'
import { READ_CHUNK, SEGMENT_HEADER, type Segment } from './segment-file.ts'
import { SegmentSet } from './segment-set.ts'

/** Why records left the spool without being acknowledged. */
export type DropReason = 'size' | 'age' | 'torn' | 'corrupt' | 'io'

export interface SpoolStats {
  /** Records appended and not yet acknowledged (nor dropped). */
  depth: number
  /** Size of the segment files, bytes. */
  bytes: number
  /** Age of the oldest record not yet acknowledged, ms; null when there is none. */
  oldestUnsentAgeMs: number | null
  /** Records appended since the spool was opened. */
  appended: number
  /** Records acknowledged since the spool was opened. */
  acked: number
  /**
   * Records dropped since the spool was opened, by reason: `size` and `age` at the bounds, `torn`
   * (one per damaged tail cut off on open), `corrupt` (unreadable records in an older segment),
   * `io` (appends the disk refused).
   */
  dropped: Record<DropReason, number>
  /** Bytes dropped, by the same reasons. */
  droppedBytes: Record<DropReason, number>
  /** Segment files on disk. */
  segments: number
  /** fsync calls made (data and directory). */
  fsyncs: number
}

/** Records read from the spool, and the position to acknowledge once they are delivered. */
export interface SpoolBatch {
  readonly records: SpoolRecord[]
  /** Pass to `ack` once every record of the batch is delivered. */
  readonly next: number
}


interface Pos {
  readonly base: number
  readonly offset: number
  readonly seq: number
}

type FrameVisitor = (buf: Buffer, off: number, size: number, seq: number) => boolean

const PEEK_CHUNK = 64 * 1024

function perReason(): Record<DropReason, number> {
  return { size: 0, age: 0, torn: 0, corrupt: 0, io: 0 }
}


/**
 * A durable, bounded, append-only queue of records on disk, for one consumer.
 *
 * `append` writes a burst of records with one `write` before it returns (so a crash of the
 * process never loses them) and never waits for the network. `read` hands out records in append
 * order from a read position; `ack` moves the persisted cursor, and segment files whose records
 * are all acknowledged are deleted. Reopened after a restart or a kill -9, the spool replays every
 * record not acknowledged, in order. Opening takes a lock: one owner per directory.
 */
export class Spool {
  readonly dir: string
  readonly #o: ResolvedSpoolOptions
  readonly #log: Logger
  readonly #lock: SpoolLock
  /** Set once the directory is recovered (the constructor). */
  #files!: SegmentSet
  /** Seq the next appended record gets. */
  #next = 0
  /** Seq of the first record not acknowledged (the persisted cursor). */
  #acked = 0
  #ackPos: Pos | undefined
  #read: Pos = { base: 0, offset: SEGMENT_HEADER, seq: 0 }
  /** Ends of recent reads, so `ack` knows where in the files its position lies. */
  #readEnds: Pos[] = []
  #gaps = 0
  #oldest: { seq: number; ts: number } | undefined
  #appended = 0
  #ackedCount = 0
  readonly #dropped = perReason()
  readonly #droppedBytes = perReason()
  #full = false
  #aging = false
  #ioFailing = false
  #cursorFailing = false
  #closed = false
  #waiters: Array<() => void> = []
  #ageTimer: NodeJS.Timeout | undefined

  /** Opens (creating when missing) the spool in `dir`, recovering from a crash or a torn write. */
  constructor(dir: string, opts: SpoolOptions = {}) {
    this.dir = dir
    this.#o = resolveSpoolOptions(opts)
    this.#log = (opts.logger ?? silentLogger).child({ component: 'spool', dir })
    try {
      mkdirSync(dir, { recursive: true })
    } catch (e) {
      throw ioError('creating the directory', dir, e)
    }
    this.#lock = acquireLock(dir)
    if (this.#lock.tookOverFrom !== undefined) this.#log.warn({ pid: this.#lock.tookOverFrom }, 'took over the lock of a process that is gone (crash or kill -9): replaying what it had not sent')
    try {
      this.#load()
    } catch (e) {
      this.#files?.close()
      this.#lock.release()
      throw e
    }
    this.#trimAge()
    this.#ageTimer = setInterval(() => this.#trimAge(), Math.max(10, Math.min(60_000, Math.floor(this.#o.maxAgeMs / 10)))).unref()
    this.#log.info({ depth: this.depth, bytes: this.#files.bytes, segments: this.#files.list.length, fsync: this.#o.fsync }, 'spool open')
  }

  /** Records appended and not yet acknowledged (nor dropped). */
  get depth(): number {
    let n = this.#next - this.#acked
    if (this.#gaps > 0) {
      const list = this.#files.list
      for (let i = 0; i < list.length - 1; i++) {
        const s = list[i] as Segment
        if (s.gapFrom !== undefined) n -= Math.max(0, (list[i + 1] as Segment).base - Math.max(s.gapFrom, this.#acked))
      }
    }
    return n
  }

  /** Seq the next appended record will get. */
  get nextSeq(): number {
    return this.#next
  }

  /** Seq of the first record not yet acknowledged: where a reopened spool starts reading. */
  get ackedSeq(): number {
    return this.#acked
  }

  get stats(): SpoolStats {
    const oldest = this.#closed ? undefined : this.#oldestTs()
    return {
      depth: this.depth,
      bytes: this.#files.bytes,
      oldestUnsentAgeMs: oldest === undefined ? null : Math.max(0, Date.now() - oldest),
      appended: this.#appended,
      acked: this.#ackedCount,
      dropped: { ...this.#dropped },
      droppedBytes: { ...this.#droppedBytes },
      segments: this.#files.list.length,
      fsyncs: this.#files.fsyncs,
    }
  }

  /**
   * Appends records with one write and returns how many were taken: all of them, except under
   * `overflow: 'drop-newest'` at `maxBytes`, where the rest are refused and counted. Throws
   * SHOPFLOOR_SPOOL_RECORD_TOO_LARGE (nothing written) or SHOPFLOOR_SPOOL_IO (nothing written;
   * the records are counted as dropped, reason `io`).
   */
  append(records: readonly FrameInput[]): number {
    this.#assertOpen()
    if (records.length === 0) return 0
    const now = Date.now()
    let buf = encodeFrames(records, now, this.#o.maxRecordBytes)
    let count = records.length
    if (this.#files.bytes + buf.length > this.#o.maxBytes) {
      if (this.#o.overflow === 'drop-oldest') this.#makeRoom(buf.length)
      const room = this.#o.maxBytes - this.#files.bytes
      if (buf.length > room) {
        // drop-newest, or one burst larger than the whole bound: keep what fits.
        const ends = frameEnds(buf, count)
        let k = 0
        while (k < count && (ends[k] as number) <= room) k++
        const kept = k === 0 ? 0 : (ends[k - 1] as number)
        this.#lost('size', count - k, buf.length - kept)
        buf = buf.subarray(0, kept)
        count = k
      }
      this.#setFull(true)
    }
    if (count === 0) return 0
    let active = this.#files.active
    if (active.size > SEGMENT_HEADER && active.size + buf.length > this.#o.segmentBytes) active = this.#files.roll(this.#next)
    try {
      this.#files.append(buf)
    } catch (e) {
      this.#lost('io', count, buf.length)
      if (!this.#ioFailing) {
        this.#ioFailing = true
        this.#log.error({ err: (e as Error).message, code: (e as SpoolError).code }, 'spool cannot write: events are being dropped (reason io)')
      }
      throw e
    }
    if (this.#ioFailing) {
      this.#ioFailing = false
      this.#log.info({ dropped: this.#dropped.io }, 'spool writes again')
    }
    active.lastTs = Math.max(active.lastTs, records[count - 1]?.ts ?? now)
    this.#next += count
    this.#appended += count
    for (const w of this.#waiters.splice(0)) w()
    return count
  }

  /**
   * The next records after those already read (not after those acknowledged: a reader that keeps
   * a batch it could not deliver sends it again itself), at most `maxRecords` and, beyond the
   * first, `maxBytes` of frames. Empty when the reader has caught up.
   */
  read(maxRecords = 5000, maxBytes = READ_CHUNK): SpoolBatch {
    this.#assertOpen()
    const records: SpoolRecord[] = []
    const until = Math.min(this.#next, this.#read.seq + maxRecords)
    const pos = this.#walk(this.#read, until, maxBytes, Math.min(READ_CHUNK, Math.max(PEEK_CHUNK, maxBytes)), (buf, off, size, seq) => {
      records.push(decodeFrame(buf, off, size, seq))
      return true
    })
    this.#read = pos
    this.#readEnds.push(pos)
    if (this.#readEnds.length > 8) this.#readEnds.shift()
    return { records, next: pos.seq }
  }

  /** Resolves once there are records the reader has not read, or the spool is closed. */
  whenReadable(): Promise<void> {
    if (this.#closed || this.#read.seq < this.#next) return Promise.resolve()
    return new Promise((resolve) => this.#waiters.push(resolve))
  }

  /**
   * Acknowledges every record before `next` (a `SpoolBatch.next`): persists the cursor and
   * deletes segment files with nothing left to send. Acknowledging less than before does nothing.
   */
  ack(next: number): void {
    this.#assertOpen()
    if (!Number.isSafeInteger(next) || next > this.#read.seq) {
      throw new SpoolError('SHOPFLOOR_SPOOL_ACK', `spool: ack(${next}) is past what was read (${this.#read.seq}); acknowledge a SpoolBatch.next`)
    }
    if (next <= this.#acked) return
    const before = this.depth
    const pos = this.#readEnds.find((p) => p.seq === next)
    this.#setAcked(next, pos)
    this.#ackedCount += before - this.depth
  }

  /** fsyncs what is pending (per the fsync policy), closes the files and releases the lock. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#ageTimer)
    this.#files.close()
    this.#lock.release()
    for (const w of this.#waiters.splice(0)) w()
  }

  // --- opening -------------------------------------------------------------------------------

  #load(): void {
    const r = recoverSpool(this.dir, this.#o, this.#log, (reason, records, bytes) => this.#lost(reason, records, bytes))
    this.#files = new SegmentSet(this.dir, { fsync: this.#o.fsync, fsyncIntervalMs: this.#o.fsyncIntervalMs, log: this.#log }, r)
    this.#gaps = r.segments.filter((seg) => seg.gapFrom !== undefined).length
    this.#next = r.next
    this.#acked = r.acked
    if (r.appendToTail) this.#files.continueTail()
    else this.#files.create(this.#next)
    this.#deleteAcked()
    this.#read = this.#ackPosition()
  }

  // --- walking the frames --------------------------------------------------------------------

  /**
   * Moves from `pos` over intact frames in append order until `until` (exclusive) or `maxBytes`
   * of frames (at least one), crossing segment files and stepping over damaged parts (counted
   * once, as `corrupt`). `visit` sees each frame before it is passed; false stops at it.
   */
  #walk(pos: Pos, until: number, maxBytes: number, chunk: number, visit: FrameVisitor): Pos {
    let { base, offset, seq } = pos
    let bytes = 0
    let need = 0
    let stop = false
    while (!stop && seq < until) {
      const idx = this.#files.indexOf(base)
      const seg = this.#files.list[idx] as Segment
      const isLast = idx === this.#files.list.length - 1
      const end = isLast ? this.#next : (this.#files.list[idx + 1] as Segment).base
      if (seq >= end && isLast) break
      if (seq >= end || offset >= seg.size || (seg.gapFrom !== undefined && seq >= seg.gapFrom)) {
        // Records missing from the active file (cut by someone else): seal it and go past them.
        if (isLast) this.#files.roll(this.#next)
        if (seq < this.#endOf(idx)) this.#foundGap(seg, seq, this.#endOf(idx), offset, 'the file ends before its last record')
        const nxt = this.#files.list[idx + 1] as Segment
        base = nxt.base
        offset = SEGMENT_HEADER
        seq = nxt.base
        need = 0
        continue
      }
      const len = Math.min(seg.size - offset, Math.max(chunk, need))
      const buf = this.#files.readAt(seg, offset, len)
      let o = 0
      while (seq < until && seq < end) {
        const size = checkFrame(buf, o, buf.length)
        if (size > 0) {
          if (bytes > 0 && bytes + size > maxBytes) {
            stop = true
            break
          }
          if (!visit(buf, o, size, seq)) {
            stop = true
            break
          }
          o += size
          seq++
          bytes += size
          continue
        }
        if (size < 0 && offset + o - size <= seg.size && buf.length === len) {
          // The frame continues past this chunk: read on from it.
          need = o === 0 ? -size : 0
          break
        }
        const why = size === 0 ? frameProblem(buf, o, buf.length) : 'the file ends inside a frame'
        if (isLast) this.#files.roll(this.#next) // seal it, so its end is fixed and appends go to a sound file
        this.#foundGap(seg, seq, this.#endOf(idx), offset + o, why)
        break
      }
      offset += o
    }
    return { base, offset, seq }
  }

  #endOf(idx: number): number {
    return idx === this.#files.list.length - 1 ? this.#next : (this.#files.list[idx + 1] as Segment).base
  }

  #foundGap(seg: Segment, seq: number, end: number, offset: number, why: string): void {
    if (seg.gapFrom !== undefined && seg.gapFrom <= seq) return
    if (seg.gapFrom === undefined) this.#gaps++
    seg.gapFrom = seq
    const lost = Math.max(0, end - Math.max(seq, this.#acked))
    const bytes = Math.max(0, seg.size - offset)
    this.#lost('corrupt', lost, bytes)
    this.#log.error({ file: seg.file, at: offset, lost, bytes, problem: why }, 'spool: damaged frame in a segment; skipping to the next segment, its remaining records are lost')
  }

  /** Where the first unacknowledged record is (past any damage). */
  #ackPosition(): Pos {
    if (this.#ackPos && this.#ackPos.seq >= this.#acked && this.#files.indexOf(this.#ackPos.base) >= 0) return this.#ackPos
    const list = this.#files.list
    let idx = list.length - 1
    while (idx > 0 && (list[idx] as Segment).base > this.#acked) idx--
    const seg = list[idx] as Segment
    const start: Pos = { base: seg.base, offset: SEGMENT_HEADER, seq: seg.base }
    this.#ackPos = this.#walk(start, this.#acked, Infinity, READ_CHUNK, () => true)
    return this.#ackPos
  }

  #oldestTs(): number | undefined {
    if (this.depth === 0) return undefined
    if (this.#oldest?.seq === this.#acked) return this.#oldest.ts
    let ts: number | undefined
    this.#walk(this.#ackPosition(), this.#next, Infinity, PEEK_CHUNK, (buf, off) => {
      ts = frameTs(buf, off)
      return false
    })
    if (ts !== undefined) this.#oldest = { seq: this.#acked, ts }
    return ts
  }

  // --- acknowledging and dropping ------------------------------------------------------------

  #setAcked(seq: number, pos: Pos | undefined): void {
    this.#acked = seq
    this.#ackPos = pos
    const sync = this.#o.fsync === 'always'
    try {
      writeCursor(this.dir, seq, sync)
      this.#files.directoryChanged()
      if (this.#cursorFailing) {
        this.#cursorFailing = false
        this.#log.info({ acked: seq }, 'spool cursor written again')
      }
    } catch (e) {
      // The records stay delivered; a restart before the cursor is written again replays them.
      if (!this.#cursorFailing) {
        this.#cursorFailing = true
        this.#log.error({ err: (e as Error).message }, 'spool cannot write its cursor: a restart would send some events again')
      }
    }
    this.#deleteAcked()
    if (this.#read.seq < seq) this.#read = this.#ackPosition()
    if (this.#full && this.#files.bytes <= this.#o.maxBytes - 2 * this.#o.segmentBytes) this.#setFull(false)
  }

  /** Deletes the closed segment files whose records are all acknowledged. */
  #deleteAcked(): void {
    while (this.#files.list.length > 1 && (this.#files.list[1] as Segment).base <= this.#acked) this.#deleteFirst()
  }

  #deleteFirst(): void {
    if (this.#files.deleteFirst().gapFrom !== undefined) this.#gaps--
  }

  /** Drops the oldest segment for `reason`; returns the unacknowledged records it held. */
  #dropFirst(reason: 'size' | 'age'): number {
    const seg = this.#files.list[0] as Segment
    const end = (this.#files.list[1] as Segment).base
    const lost = Math.max(0, (seg.gapFrom ?? end) - Math.max(this.#acked, seg.base))
    this.#lost(reason, lost, seg.size)
    this.#deleteFirst()
    if (this.#acked < end) this.#setAcked(end, { base: end, offset: SEGMENT_HEADER, seq: end })
    return lost
  }

  /** drop-oldest: deletes the oldest segments until `need` more bytes fit. */
  #makeRoom(need: number): void {
    while (this.#files.bytes + need > this.#o.maxBytes && this.#files.list.length > 1) this.#dropFirst('size')
    if (this.#files.bytes + need > this.#o.maxBytes && this.#next > this.#files.active.base) {
      this.#files.roll(this.#next)
      this.#dropFirst('size')
    }
  }

  #setFull(full: boolean): void {
    if (full === this.#full) return
    this.#full = full
    if (full) this.#log.warn({ maxBytes: this.#o.maxBytes, policy: this.#o.overflow, dropped: this.#dropped.size }, `spool reached maxBytes: ${this.#o.overflow === 'drop-oldest' ? 'dropping the oldest unsent events' : 'refusing new events'}`)
    else this.#log.info({ bytes: this.#files.bytes, dropped: this.#dropped.size }, 'spool back under maxBytes')
  }

  /** Drops what is older than maxAgeMs: whole segments, then records at the head. */
  #trimAge(): void {
    if (this.#closed) return
    const cutoff = Date.now() - this.#o.maxAgeMs
    let n = 0
    while (this.#files.list.length > 1 && (this.#files.list[0] as Segment).lastTs < cutoff) n += this.#dropFirst('age')
    const oldest = this.#oldestTs()
    if (oldest !== undefined && oldest < cutoff) {
      let k = 0
      let bytes = 0
      const pos = this.#walk(this.#ackPosition(), this.#next, Infinity, READ_CHUNK, (buf, off, size) => {
        if (frameTs(buf, off) >= cutoff) return false
        k++
        bytes += size
        return true
      })
      if (pos.seq > this.#acked) {
        this.#lost('age', k, bytes)
        n += k
        this.#setAcked(pos.seq, pos)
      }
    }
    if (n > 0 && !this.#aging) {
      this.#aging = true
      this.#log.warn({ maxAgeMs: this.#o.maxAgeMs, dropped: this.#dropped.age }, 'spool dropping events older than maxAgeMs')
    } else if (n === 0 && this.#aging) {
      this.#aging = false
      this.#log.info({ dropped: this.#dropped.age }, 'spool holds no events older than maxAgeMs any more')
    }
  }

  #lost(reason: DropReason, records: number, bytes: number): void {
    this.#dropped[reason] += records
    this.#droppedBytes[reason] += bytes
  }

  #assertOpen(): void {
    if (this.#closed) throw new SpoolError('SHOPFLOOR_SPOOL_CLOSED', `spool ${this.dir} is closed`)
  }
}

