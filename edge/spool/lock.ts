// One owner per spool directory: a lock file holding the owner's PID (and, on Linux, the start
// time of that process, so a PID recycled by another program after a crash is not mistaken for it).
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { ioError, SpoolError } from './errors.ts'

export const LOCK_FILE = 'lock'

/** Lock files held by this process: the same PID in a lock file not held here is a previous life (a container restart). */
const heldHere = new Set<string>()

interface Owner {
  pid: number
  start: string | undefined
}

/** Start time of a process in clock ticks since boot (field 22 of /proc/PID/stat); undefined off Linux. */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
    // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}

function parseOwner(text: string): Owner | undefined {
  const m = /^(\d+)(?: (\d+|-))?\s*$/.exec(text)
  if (!m) return undefined
  return { pid: Number(m[1]), start: m[2] === '-' ? undefined : m[2] }
}

function alive(owner: Owner, file: string): boolean {
  if (owner.pid === process.pid) return heldHere.has(file)
  try {
    process.kill(owner.pid, 0)
  } catch (e) {
    // EPERM: it exists and belongs to another user.
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  if (owner.start === undefined) return true
  const now = processStart(owner.pid)
  return now === undefined || now === owner.start
}

export interface SpoolLock {
  /** A previous owner that had died and whose lock was taken over, for the log. */
  readonly tookOverFrom: number | undefined
  release(): void
}

/**
 * Takes the lock of `dir`, or throws SHOPFLOOR_SPOOL_LOCKED naming the live owner. A lock left by
 * a dead process (kill -9, power loss) is taken over. Two processes starting on the same stale
 * lock in the same instant may both see it dead; the service manager runs one agent per spool.
 */
export function acquireLock(dir: string): SpoolLock {
  const file = join(dir, LOCK_FILE)
  const me = `${process.pid} ${processStart(process.pid) ?? '-'}\n`
  let tookOverFrom: number | undefined
  for (let attempt = 0; attempt < 5; attempt++) {
    let fd: number
    try {
      fd = openSync(file, 'wx')
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError('creating the lock', file, e)
      let text: string
      try {
        text = readFileSync(file, 'latin1')
      } catch (e2) {
        if ((e2 as NodeJS.ErrnoException).code === 'ENOENT') continue
        throw ioError('reading the lock', file, e2)
      }
      const owner = parseOwner(text)
      if (owner && alive(owner, file)) {
        throw new SpoolError(
          'SHOPFLOOR_SPOOL_LOCKED',
          `spool ${dir} is in use by process ${owner.pid}${owner.pid === process.pid ? ' (this one)' : ''}: run one agent per spool directory, or give this one another stateDir`,
        )
      }
      // Dead owner, or a lock file torn by a power loss while it was written.
      tookOverFrom = owner?.pid
      try {
        unlinkSync(file)
      } catch (e3) {
        if ((e3 as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError('removing the stale lock', file, e3)
      }
      continue
    }
    try {
      writeSync(fd, me)
    } finally {
      closeSync(fd)
    }
    heldHere.add(file)
    return {
      tookOverFrom,
      release: () => {
        if (!heldHere.delete(file)) return
        try {
          if (readFileSync(file, 'latin1') === me) unlinkSync(file)
        } catch {
          // Already gone: nothing to release.
        }
      },
    }
  }
  throw new SpoolError('SHOPFLOOR_SPOOL_LOCKED', `spool ${dir}: could not take ${file}; other processes keep creating it`)
}
