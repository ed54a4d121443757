// The spool's segment files on disk: the one appended to, the older ones read from, and when
// each is forced to the disk (the fsync policy). What the records mean is the Spool's business.
import { closeSync, fdatasync, fdatasyncSync, ftruncateSync, openSync } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from '../../connectors/common/logger.ts'
import { fsyncDir } from './cursor.ts'
import { ioError } from './errors.ts'
import type { FsyncPolicy } from './options.ts'
import { encodeSegmentHeader, readAt, SEGMENT_HEADER, segmentName, unlinkIfThere, writeAll, type Segment } from './segment-file.ts'

export class SegmentSet {
  /** In seq order; the last one is appended to. */
  readonly list: Segment[]
  /** Size of the files together. */
  bytes: number
  /** fsync calls made (data and directory). */
  fsyncs: number
  readonly #dir: string
  readonly #fsync: FsyncPolicy
  readonly #log: Logger
  #activeFd = -1
  #readFd: { base: number; fd: number } | undefined
  /** Appended since the last fsync of the active file. */
  #dirty = false
  /** Files created, renamed or deleted since the last fsync of the directory. */
  #dirDirty = false
  /** The descriptor a group fsync is running on (on the thread pool). */
  #syncing: number | undefined
  #closeAfterSync = false
  #timer: NodeJS.Timeout | undefined
  #closed = false

  constructor(dir: string, opts: { fsync: FsyncPolicy; fsyncIntervalMs: number; log: Logger }, recovered: { segments: Segment[]; bytes: number; fsyncs: number }) {
    this.#dir = dir
    this.#fsync = opts.fsync
    this.#log = opts.log
    this.list = recovered.segments
    this.bytes = recovered.bytes
    this.fsyncs = recovered.fsyncs
    if (opts.fsync === 'interval') this.#timer = setInterval(() => this.#groupSync(), opts.fsyncIntervalMs).unref()
  }

  get active(): Segment {
    return this.list.at(-1) as Segment
  }

  /** Appends go on in the last file found on disk. */
  continueTail(): void {
    const tail = this.active
    try {
      this.#activeFd = openSync(tail.file, 'r+')
    } catch (e) {
      throw ioError('opening', tail.file, e)
    }
  }

  /** Begins a new file for records from `base` on and appends to it from now on. */
  create(base: number): Segment {
    const file = join(this.#dir, segmentName(base))
    try {
      this.#activeFd = openSync(file, 'wx+')
      writeAll(this.#activeFd, encodeSegmentHeader(base), 0)
    } catch (e) {
      throw ioError('creating', file, e)
    }
    const seg: Segment = { base, file, size: SEGMENT_HEADER, lastTs: Date.now(), gapFrom: undefined }
    this.list.push(seg)
    this.bytes += SEGMENT_HEADER
    this.#dirty = true
    this.#dirDirty = true
    if (this.#fsync === 'always') this.syncNow()
    return seg
  }

  /** Closes the active file (fsynced first, unless `never`) and begins a new one at `base`. */
  roll(base: number): Segment {
    if (this.#fsync !== 'never') this.syncNow()
    this.#closeActive()
    return this.create(base)
  }

  /**
   * Writes `buf` at the end of the active file (fsynced under `always`). On failure the file is
   * cut back to where it was, and the error is SHOPFLOOR_SPOOL_IO.
   */
  append(buf: Buffer): void {
    const active = this.active
    const at = active.size
    try {
      writeAll(this.#activeFd, buf, at)
      this.#dirty = true
      if (this.#fsync === 'always') this.syncNow()
    } catch (e) {
      try {
        ftruncateSync(this.#activeFd, at)
      } catch {
        // Left as it is, the frames past `at` are cut off on the next open (a torn tail).
      }
      throw ioError('appending to', active.file, e)
    }
    active.size += buf.length
    this.bytes += buf.length
  }

  /** Removes the oldest file. */
  deleteFirst(): Segment {
    const seg = this.list.shift() as Segment
    if (this.#readFd?.base === seg.base) {
      closeSync(this.#readFd.fd)
      this.#readFd = undefined
    }
    this.bytes -= seg.size
    unlinkIfThere(seg.file)
    this.#dirDirty = true
    if (this.#fsync === 'always') this.#syncDir()
    return seg
  }

  /** Index of the segment whose first record is `base`, or -1. */
  indexOf(base: number): number {
    let lo = 0
    let hi = this.list.length - 1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      const b = (this.list[mid] as Segment).base
      if (b === base) return mid
      if (b < base) lo = mid + 1
      else hi = mid - 1
    }
    return -1
  }

  /** Up to `len` bytes of `seg` at `offset`. A file found shorter than known is taken at its word. */
  readAt(seg: Segment, offset: number, len: number): Buffer {
    let fd: number
    if (seg === this.active) fd = this.#activeFd
    else {
      if (this.#readFd?.base !== seg.base) {
        if (this.#readFd) closeSync(this.#readFd.fd)
        this.#readFd = undefined
        try {
          this.#readFd = { base: seg.base, fd: openSync(seg.file, 'r') }
        } catch (e) {
          throw ioError('opening', seg.file, e)
        }
      }
      fd = this.#readFd.fd
    }
    let buf: Buffer
    try {
      buf = readAt(fd, offset, len)
    } catch (e) {
      throw ioError('reading', seg.file, e)
    }
    // Shorter than we knew it (cut by someone else): what is missing reads as damage.
    if (buf.length < len) seg.size = offset + buf.length
    return buf
  }

  /** A file was created, renamed or deleted in the directory (the cursor): fsync it as the policy says. */
  directoryChanged(): void {
    this.#dirDirty = true
    if (this.#fsync === 'always') this.#syncDir()
  }

  /** fsyncs the active file, and the directory when it changed. */
  syncNow(): void {
    try {
      fdatasyncSync(this.#activeFd)
    } catch (e) {
      throw ioError('fsync of', this.active.file, e)
    }
    this.fsyncs++
    this.#dirty = false
    if (this.#dirDirty) this.#syncDir()
  }

  /** Stops the group fsync, fsyncs what is pending (unless `never`) and closes the files. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#timer)
    if (this.#fsync !== 'never' && this.#activeFd >= 0) {
      try {
        this.syncNow()
      } catch (e) {
        this.#log.error({ err: (e as Error).message }, 'spool: final fsync failed')
      }
    }
    this.#closeActive()
    if (this.#readFd) closeSync(this.#readFd.fd)
    this.#readFd = undefined
  }

  #syncDir(): void {
    fsyncDir(this.#dir)
    this.fsyncs++
    this.#dirDirty = false
  }

  /** fsync 'interval': one fsync of the active file (on the thread pool, off the event loop) and of the directory. */
  #groupSync(): void {
    if (this.#closed || this.#syncing !== undefined) return
    if (this.#dirDirty) {
      try {
        this.#syncDir()
      } catch (e) {
        this.#log.error({ err: (e as Error).message }, 'spool: fsync of the directory failed')
      }
    }
    if (!this.#dirty || this.#activeFd < 0) return
    this.#dirty = false
    const fd = this.#activeFd
    this.#syncing = fd
    fdatasync(fd, (err) => {
      this.#syncing = undefined
      this.fsyncs++
      if (err) this.#log.error({ err: err.message }, 'spool: group fsync failed; a power loss now could lose the last events')
      if (this.#closeAfterSync) {
        this.#closeAfterSync = false
        closeSync(fd)
      }
    })
  }

  #closeActive(): void {
    if (this.#activeFd < 0) return
    // An fsync in flight on the thread pool still uses the descriptor: close it when that ends.
    if (this.#syncing === this.#activeFd) this.#closeAfterSync = true
    else closeSync(this.#activeFd)
    this.#activeFd = -1
  }
}
