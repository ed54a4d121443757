import { FileProblemError } from '../../connectors/index.ts'

/** A configuration file that cannot be used. The message is one line: file, line, field path, what is allowed. */
export class ConfigError extends FileProblemError {
  readonly code = 'SHOPFLOOR_CONFIG'

  constructor(file: string, path: string, problem: string, line?: number, cause?: unknown) {
    super(file, path, problem, line, cause)
    this.name = 'ConfigError'
  }
}
