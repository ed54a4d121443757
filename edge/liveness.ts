import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * When the agent was last known to run, in `<stateDir>/alive`, rewritten every `intervalMs`. The
 * next start reads it: if the previous run did not stop cleanly (kill -9, power loss, OOM), its
 * machines were not observed from about then until now, and the agent reports that time OFFLINE.
 */
export class Liveness {
  readonly #file: string
  readonly #intervalMs: number
  #timer: NodeJS.Timeout | undefined
  /**
   * The latest time the previous run may have been alive (its last beat plus one interval), when
   * it ended without a clean stop; undefined after a clean stop or on a first start.
   */
  readonly crashedRunEnd: number | undefined

  constructor(dir: string, intervalMs = 1000) {
    this.#file = join(dir, 'alive')
    this.#intervalMs = intervalMs
    let previous: { ts?: unknown; clean?: unknown } | undefined
    try {
      previous = JSON.parse(readFileSync(this.#file, 'utf8')) as { ts?: unknown; clean?: unknown }
    } catch {
      previous = undefined // first start, or a file torn by a power loss: nothing to report
    }
    this.crashedRunEnd = previous && previous.clean !== true && typeof previous.ts === 'number' ? previous.ts + intervalMs : undefined
  }

  start(): void {
    this.#write(false)
    this.#timer = setInterval(() => this.#write(false), this.#intervalMs)
    this.#timer.unref()
  }

  /** A clean stop: the next start has no gap to report. */
  stop(): void {
    clearInterval(this.#timer)
    this.#write(true)
  }

  #write(clean: boolean): void {
    const tmp = `${this.#file}.tmp`
    writeFileSync(tmp, JSON.stringify({ ts: Date.now(), clean }) + '\n')
    renameSync(tmp, this.#file)
  }
}
