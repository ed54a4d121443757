/**
 * The error of a file a person edits (the edge agent's config, the API's seed files) that cannot
 * be used: one line, `FILE:LINE: path problem`, so the fix is obvious from the message alone.
 */

/** `FILE:LINE: path problem` (`FILE: problem` when there is no line or path). */
export function formatFileProblem(file: string, path: string, problem: string, line?: number): string {
  const where = line === undefined ? file : `${file}:${line}`
  return `${where}: ${path ? `${path} ` : ''}${problem}`
}

/** Base of the errors of edited files; each subclass names its stable `code`. */
export abstract class FileProblemError extends Error {
  abstract readonly code: string
  readonly canRetry = false
  readonly file: string
  /** Field path such as `lines[0].machines[2].energy.kwh.byteOrder`; empty for the whole file. */
  readonly path: string
  readonly line: number | undefined

  constructor(file: string, path: string, problem: string, line?: number, cause?: unknown) {
    super(formatFileProblem(file, path, problem, line), cause === undefined ? undefined : { cause })
    this.file = file
    this.path = path
    this.line = line
  }
}
