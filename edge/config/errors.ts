/** A configuration file that cannot be used. The message is one line: file, line, field path, what is allowed. */
export class ConfigError extends Error {
  readonly code = 'SHOPFLOOR_CONFIG'
  readonly canRetry = false
  readonly file: string
  /** Field path such as `lines[0].machines[2].energy.kwh.byteOrder`; empty for the whole file. */
  readonly path: string
  readonly line: number | undefined

  constructor(file: string, path: string, problem: string, line?: number, cause?: unknown) {
    const where = line === undefined ? file : `${file}:${line}`
    super(`${where}: ${path ? `${path} ` : ''}${problem}`, cause === undefined ? undefined : { cause })
    this.name = 'ConfigError'
    this.file = file
    this.path = path
    this.line = line
  }
}
