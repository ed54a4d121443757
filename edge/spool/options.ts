import type { Logger } from '../../connectors/common/logger.ts'
import { SpoolError } from './errors.ts'

/**
 * When appended records are forced to the disk (fsync). Against a crash of the process (kill -9,
 * OOM kill) every setting keeps every record whose `append` returned: the write is in the kernel
 * before `append` returns. They differ on a power loss or kernel panic:
 * - `always`: fsync before `append` returns; nothing that was appended is lost.
 * - `interval`: one fsync of everything appended in the last `fsyncIntervalMs`; up to that long
 *   of records (plus the time the fsync takes) can be lost.
 * - `never`: the kernel writes back when it likes (Linux: dirty pages older than 30 s, flushed
 *   every 5 s); about the last 35 s can be lost.
 */
export type FsyncPolicy = 'always' | 'interval' | 'never'

/**
 * What happens when the spool reaches `maxBytes`:
 * - `drop-oldest`: the oldest unsent records make room, a whole segment file at a time.
 * - `drop-newest`: what is appended beyond the bound is refused (and counted).
 */
export type OverflowPolicy = 'drop-oldest' | 'drop-newest'

export interface SpoolOptions {
  /** Largest size of the spool's segment files together, bytes. Default 1 GiB (1,073,741,824). */
  maxBytes?: number
  /** Records older than this are dropped (reason `age`), ms. Default 7 days (604,800,000), Kafka's default retention. */
  maxAgeMs?: number
  /** Policy at `maxBytes`. Default `drop-oldest`. */
  overflow?: OverflowPolicy
  /** When appends are fsynced. Default `interval`. */
  fsync?: FsyncPolicy
  /** Period of the group fsync under `fsync: 'interval'`, ms. Default 1000. */
  fsyncIntervalMs?: number
  /** A segment file is closed and a new one begun past this size, bytes. Default 32 MiB, and at most `maxBytes / 8`. */
  segmentBytes?: number
  /** Largest value of one record, bytes. Default 1 MiB, about Kafka's default `message.max.bytes`. */
  maxRecordBytes?: number
  /** Where drops, torn tails and I/O failures are logged. Default: nowhere. */
  logger?: Logger
}

export const SPOOL_DEFAULTS = {
  maxBytes: 1024 ** 3,
  maxAgeMs: 7 * 24 * 3600 * 1000,
  overflow: 'drop-oldest',
  fsync: 'interval',
  // One group fsync a second, as Redis' `appendfsync everysec`: the power-loss window is one
  // second of events (one poll at the usual 1 Hz) while the cost stays one fsync a second,
  // whatever the event rate; `always` costs one fsync per poll burst.
  fsyncIntervalMs: 1000,
  segmentBytes: 32 * 1024 ** 2,
  maxRecordBytes: 1024 ** 2,
} as const

/** Smallest `maxBytes` accepted: a few segments of the smallest size. */
const MIN_MAX_BYTES = 16 * 1024
const MIN_SEGMENT_BYTES = 4 * 1024

export interface ResolvedSpoolOptions {
  maxBytes: number
  maxAgeMs: number
  overflow: OverflowPolicy
  fsync: FsyncPolicy
  fsyncIntervalMs: number
  segmentBytes: number
  maxRecordBytes: number
}

function int(name: string, v: number | undefined, def: number, min: number): number {
  if (v === undefined) return def
  if (!Number.isSafeInteger(v) || v < min) throw new SpoolError('SHOPFLOOR_SPOOL_OPTION', `spool option ${name} is ${v}; it must be a whole number of at least ${min}`)
  return v
}

function oneOf<T extends string>(name: string, v: T | undefined, def: T, allowed: readonly T[]): T {
  if (v === undefined) return def
  if (!allowed.includes(v)) throw new SpoolError('SHOPFLOOR_SPOOL_OPTION', `spool option ${name} is "${String(v)}"; it must be one of ${allowed.join(', ')}`)
  return v
}

export function resolveSpoolOptions(o: SpoolOptions): ResolvedSpoolOptions {
  const maxBytes = int('maxBytes', o.maxBytes, SPOOL_DEFAULTS.maxBytes, MIN_MAX_BYTES)
  const segmentBytes = int('segmentBytes', o.segmentBytes, SPOOL_DEFAULTS.segmentBytes, MIN_SEGMENT_BYTES)
  return {
    maxBytes,
    maxAgeMs: int('maxAgeMs', o.maxAgeMs, SPOOL_DEFAULTS.maxAgeMs, 1),
    overflow: oneOf('overflow', o.overflow, SPOOL_DEFAULTS.overflow, ['drop-oldest', 'drop-newest']),
    fsync: oneOf('fsync', o.fsync, SPOOL_DEFAULTS.fsync, ['always', 'interval', 'never']),
    fsyncIntervalMs: int('fsyncIntervalMs', o.fsyncIntervalMs, SPOOL_DEFAULTS.fsyncIntervalMs, 1),
    // Several segments under the bound, so drop-oldest frees a small part of it at a time.
    segmentBytes: Math.min(segmentBytes, Math.max(MIN_SEGMENT_BYTES, Math.floor(maxBytes / 8))),
    maxRecordBytes: int('maxRecordBytes', o.maxRecordBytes, SPOOL_DEFAULTS.maxRecordBytes, 1),
  }
}
