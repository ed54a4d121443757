// Opening a spool directory after a clean stop, a crash or a power loss: which segment files
// there are, whether their headers are sound, where the intact frames of the last one end (a torn
// tail is cut off there), and where the acknowledgement cursor stands.
import { closeSync, fdatasyncSync, ftruncateSync, openSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from '../../connectors/common/logger.ts'
import { CURSOR_FILE, readCursor } from './cursor.ts'
import { ioError } from './errors.ts'
import { checkFrame, frameProblem, frameTs } from './frame.ts'
import type { ResolvedSpoolOptions } from './options.ts'
import { parseSegmentName, READ_CHUNK, readAt, readFileAt, SEGMENT_HEADER, segmentHeaderProblem, segmentName, unlinkIfThere, type Segment } from './segment-file.ts'

export interface Recovered {
  /** In seq order; a segment whose header is damaged is kept (all of it a gap) until acknowledged past. */
  readonly segments: Segment[]
  /** Size of the segment files together. */
  readonly bytes: number
  /** Seq the next appended record gets. */
  readonly next: number
  /** Seq of the first record not acknowledged. */
  readonly acked: number
  /** Whether appends go on in the last segment; otherwise a new one begins at `next`. */
  readonly appendToTail: boolean
  readonly fsyncs: number
}

/** Counts what could not be kept, as the spool's `dropped` stats. */
export type LostCounter = (reason: 'torn' | 'corrupt', records: number, bytes: number) => void

export function recoverSpool(dir: string, o: ResolvedSpoolOptions, log: Logger, lost: LostCounter): Recovered {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch (e) {
    throw ioError('listing', dir, e)
  }
  const bases = names
    .map((n) => parseSegmentName(n))
    .filter((b): b is number => b !== undefined)
    .sort((a, b) => a - b)
  const segments: Segment[] = []
  let bytes = 0
  let fsyncs = 0
  for (let i = 0; i < bases.length; i++) {
    const base = bases[i] as number
    const file = join(dir, segmentName(base))
    let size: number
    let mtime: number
    let header: Buffer
    try {
      const st = statSync(file)
      size = st.size
      mtime = st.mtimeMs
      header = readFileAt(file, 0, Math.min(size, SEGMENT_HEADER))
    } catch (e) {
      throw ioError('reading', file, e)
    }
    const problem = segmentHeaderProblem(header, base)
    if (problem === undefined) {
      segments.push({ base, file, size, lastTs: mtime, gapFrom: undefined })
    } else if (i === bases.length - 1) {
      // A torn creation (power loss before the header reached the disk): nothing is readable.
      lost('torn', 0, size)
      log.warn({ file, bytes: size, problem: `segment header: ${problem}` }, 'spool: damaged tail cut off (torn write or garbage); the records before it are kept')
      unlinkIfThere(file)
      continue
    } else {
      const records = (bases[i + 1] as number) - base
      segments.push({ base, file, size, lastTs: mtime, gapFrom: base })
      lost('corrupt', records, size)
      log.error({ file, lost: records, bytes: size, problem }, 'spool: unreadable segment skipped; its records are lost')
    }
    bytes += size
  }
  // An unreadable segment at the end cannot be appended to: its records are already counted lost.
  for (let t = segments.at(-1); t?.gapFrom !== undefined; t = segments.at(-1)) {
    segments.pop()
    bytes -= t.size
    unlinkIfThere(t.file)
  }

  const stored = readCursor(dir)
  if (typeof stored === 'object') log.warn({ file: join(dir, CURSOR_FILE), content: stored.damaged }, 'spool cursor damaged: replaying every record still on disk (duplicates are dropped downstream by event id)')
  const first = segments[0]?.base ?? 0
  const acked = Math.max(typeof stored === 'number' ? stored : 0, first)

  const tail = segments.at(-1)
  let next = acked
  let tailEnd: number | undefined
  if (tail) {
    const r = recoverTail(tail, o, log, lost)
    bytes -= r.cut
    fsyncs += r.fsyncs
    tailEnd = tail.base + r.count
    if (r.count > 0) tail.lastTs = r.lastTs
    next = tailEnd
  }
  if (acked > next) {
    // The cursor reached the disk and the records it passed did not (power loss under fsync
    // 'interval' or 'never'): they had been delivered; carry on after them.
    log.warn({ acked, next }, 'spool cursor is past the last record on disk: continuing from the cursor')
    next = acked
  }
  return { segments, bytes, next, acked, appendToTail: tail !== undefined && tailEnd === next, fsyncs }
}

/**
 * Counts the intact frames of the last segment; cuts off a damaged frame and everything after
 * it (a write torn by a power loss, or garbage), keeping the frames before it.
 */
function recoverTail(seg: Segment, o: ResolvedSpoolOptions, log: Logger, lost: LostCounter): { count: number; lastTs: number; cut: number; fsyncs: number } {
  let fd: number
  try {
    fd = openSync(seg.file, 'r+')
  } catch (e) {
    throw ioError('opening', seg.file, e)
  }
  try {
    let off = SEGMENT_HEADER
    let count = 0
    let lastTs = 0
    let need = 0
    let why: string | undefined
    while (off < seg.size && why === undefined) {
      const len = Math.min(seg.size - off, Math.max(READ_CHUNK, need))
      let buf: Buffer
      try {
        buf = readAt(fd, off, len)
      } catch (e) {
        throw ioError('reading', seg.file, e)
      }
      let o2 = 0
      for (;;) {
        const size = checkFrame(buf, o2, buf.length)
        if (size > 0) {
          lastTs = frameTs(buf, o2)
          o2 += size
          count++
          continue
        }
        if (o2 === buf.length) break
        if (size < 0 && off + o2 - size <= seg.size && buf.length === len) {
          // The frame continues past this chunk: read on from it.
          need = o2 === 0 ? -size : 0
          break
        }
        why = size === 0 ? frameProblem(buf, o2, buf.length) : 'the file ends inside a frame'
        break
      }
      off += o2
    }
    if (off >= seg.size) return { count, lastTs, cut: 0, fsyncs: 0 }
    const cut = seg.size - off
    let fsyncs = 0
    try {
      ftruncateSync(fd, off)
      if (o.fsync !== 'never') {
        fdatasyncSync(fd)
        fsyncs++
      }
    } catch (e) {
      throw ioError('cutting the torn tail of', seg.file, e)
    }
    seg.size = off
    lost('torn', 1, cut)
    log.warn({ file: seg.file, at: off, bytes: cut, problem: why ?? 'the file ends inside a frame' }, 'spool: damaged tail cut off (torn write or garbage); the records before it are kept')
    return { count, lastTs, cut, fsyncs }
  } finally {
    closeSync(fd)
  }
}
