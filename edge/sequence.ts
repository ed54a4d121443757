import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs'
import { join } from 'node:path'

/** Sequence numbers are reserved on disk in blocks of this size, so a restart never reuses one. */
const BLOCK = 100_000

/**
 * The agent's monotonic event sequence, kept across restarts: before handing out a number of a
 * new block, the block's end is written (and fsynced) to `<dir>/sequence`. After a crash the
 * agent resumes at that end, skipping at most one block: ids stay unique, order stays monotonic.
 */
export class Sequence {
  readonly #file: string
  #next: number
  #reservedUntil: number

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true })
    this.#file = join(dir, 'sequence')
    let start = 0
    try {
      const text = readFileSync(this.#file, 'utf8').trim()
      if (!/^\d+$/.test(text)) throw new Error(`${this.#file} holds "${text.slice(0, 40)}", not a sequence number: remove it only if this agent's id is changed too`)
      start = Number(text)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
    }
    this.#next = start
    this.#reservedUntil = start
  }

  next(): number {
    if (this.#next >= this.#reservedUntil) this.#reserve(this.#next + BLOCK)
    return this.#next++
  }

  #reserve(until: number): void {
    const tmp = `${this.#file}.tmp`
    const fd = openSync(tmp, 'w')
    try {
      writeSync(fd, `${until}\n`)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(tmp, this.#file)
    this.#reservedUntil = until
  }
}
