// The acknowledgement cursor: the seq of the first record not yet acknowledged, kept in one small
// file replaced atomically (write a temp file, rename it over the old one).
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { ioError } from './errors.ts'
import { crc32 } from './frame.ts'

export const CURSOR_FILE = 'cursor'
const LINE = /^acked (\d+) crc ([0-9a-f]{8})\n?$/

function line(acked: number): string {
  const body = `acked ${acked}`
  return `${body} crc ${crc32(Buffer.from(body)).toString(16).padStart(8, '0')}\n`
}

/**
 * The stored cursor: a number, `undefined` when there is no file yet, or `{ damaged }` when the
 * file cannot be trusted (the caller then replays everything still on disk: duplicates, never loss).
 */
export function readCursor(dir: string): number | undefined | { damaged: string } {
  const file = join(dir, CURSOR_FILE)
  let text: string
  try {
    text = readFileSync(file, 'latin1')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw ioError('reading', file, e)
  }
  const m = LINE.exec(text)
  if (!m || line(Number(m[1])) !== (text.endsWith('\n') ? text : `${text}\n`)) return { damaged: JSON.stringify(text.slice(0, 60)) }
  return Number(m[1])
}

/**
 * Replaces the cursor file. With `sync`, the new file is fsynced before the rename and the caller
 * fsyncs the directory after it; without, a crash of the process still leaves the old or the new
 * cursor whole (rename is atomic), and a power loss may leave an older one (replay, not loss).
 */
export function writeCursor(dir: string, acked: number, sync: boolean): void {
  const file = join(dir, CURSOR_FILE)
  const tmp = `${file}.tmp`
  try {
    const fd = openSync(tmp, 'w')
    try {
      writeSync(fd, line(acked))
      if (sync) fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(tmp, file)
  } catch (e) {
    throw ioError('writing', file, e)
  }
}

/** fsyncs a directory, so file creations, renames and deletions in it survive a power loss. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined
  try {
    fd = openSync(dir, 'r')
    fsyncSync(fd)
  } catch (e) {
    throw ioError('fsync of directory', dir, e)
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}
