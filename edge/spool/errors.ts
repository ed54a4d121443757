/** Errors of the spool: each carries a stable code, whether retrying may help, and the cause. */

export type SpoolErrorCode =
  /** A read, write, fsync, rename or delete in the spool directory failed (disk full, I/O error, permissions). */
  | 'SHOPFLOOR_SPOOL_IO'
  /** Another live process owns the spool directory. */
  | 'SHOPFLOOR_SPOOL_LOCKED'
  /** A record is larger than `maxRecordBytes`, or its topic or key longer than 65,535 bytes. */
  | 'SHOPFLOOR_SPOOL_RECORD_TOO_LARGE'
  /** An option has a value outside what is allowed. */
  | 'SHOPFLOOR_SPOOL_OPTION'
  /** `ack` was given a position the reader has not reached. */
  | 'SHOPFLOOR_SPOOL_ACK'
  /** The spool was used after `close()`. */
  | 'SHOPFLOOR_SPOOL_CLOSED'

export class SpoolError extends Error {
  readonly code: SpoolErrorCode
  /** Whether the same call may succeed later (space freed on the disk, the other owner gone). */
  readonly canRetry: boolean

  constructor(code: SpoolErrorCode, message: string, opts: { canRetry?: boolean; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'SpoolError'
    this.code = code
    this.canRetry = opts.canRetry ?? false
  }
}

/** Wraps a failed fs call as SHOPFLOOR_SPOOL_IO, naming what was done to which file. */
export function ioError(what: string, file: string, cause: unknown): SpoolError {
  const errno = (cause as NodeJS.ErrnoException).code
  const hint =
    errno === 'ENOSPC'
      ? ': the disk is full; free space or lower the spool maxBytes'
      : errno === 'EACCES' || errno === 'EPERM'
        ? ': the agent user may not write there; fix the owner or mode of the spool directory'
        : errno === 'EROFS'
          ? ': the file system is read-only'
          : ''
  return new SpoolError('SHOPFLOOR_SPOOL_IO', `spool: ${what} ${file} failed (${errno ?? (cause as Error).message})${hint}`, {
    canRetry: errno !== 'EACCES' && errno !== 'EPERM' && errno !== 'EROFS',
    cause,
  })
}
