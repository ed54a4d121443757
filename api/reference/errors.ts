import { FileProblemError } from '../../connectors/index.ts'

/**
 * A seed file (regions, factories, calendars, tariffs, ...) that cannot be used. The message is
 * one line, `FILE:LINE: path problem`, like the agent's config errors: fix the file and restart.
 */
export class SeedError extends FileProblemError {
  readonly code = 'SHOPFLOOR_SEED_INVALID'

  constructor(file: string, path: string, problem: string, line?: number, cause?: unknown) {
    super(file, path, problem, line, cause)
    this.name = 'SeedError'
  }
}
