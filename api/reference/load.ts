/**
 * Reads one seed file: YAML validated against a TypeBox schema (unknown keys rejected where the
 * schema says `additionalProperties: false`), errors as one line `FILE:LINE: path problem` with the
 * allowed values, the same shape as the edge agent's config errors.
 */
import { readFileSync } from 'node:fs'
import type { Static, TSchema } from 'typebox'
import { firstSchemaProblem, formatPath, parseYamlDocument } from '../../connectors/index.ts'
import { SeedError } from './errors.ts'

export { SeedError } from './errors.ts'

/** A validated seed file that can still point at its own lines, for checks across files. */
export interface SeedFile<T> {
  readonly file: string
  readonly value: T
  /** Line (1-based) of the deepest existing node of `path`. */
  lineOf(path: ReadonlyArray<string | number>): number | undefined
  /** A {@link SeedError} at `path` in this file, for rules a schema cannot express. */
  error(path: ReadonlyArray<string | number>, problem: string): SeedError
}

/** Reads, parses and validates a seed file; keeps its line numbers for later errors. Throws {@link SeedError}. */
export function readSeedFile<S extends TSchema>(file: string, schema: S): SeedFile<Static<S>> {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message
    throw new SeedError(file, '', `cannot be read (${code}): check the seed directory (SHOPFLOOR_SEED_DIR)`, undefined, cause)
  }
  return parseSeedText(text, file, schema)
}

/** {@link readSeedFile} on YAML text already in memory; `file` names it in errors. */
export function parseSeedText<S extends TSchema>(text: string, file: string, schema: S): SeedFile<Static<S>> {
  const parsed = parseYamlDocument(text)
  if (!('doc' in parsed)) throw new SeedError(file, '', parsed.problem, parsed.line)
  const { doc } = parsed
  const problem = firstSchemaProblem(schema, doc.value)
  if (problem) throw new SeedError(file, formatPath(problem.path), problem.problem, doc.lineOf(problem.path))
  return {
    file,
    value: doc.value as Static<S>,
    lineOf: (path) => doc.lineOf(path),
    error: (path, text) => new SeedError(file, formatPath(path), text, doc.lineOf(path)),
  }
}

/**
 * Reads, parses and validates a YAML file against `schema`. Throws {@link SeedError}
 * (`SHOPFLOOR_SEED_INVALID`) whose message is one line: `FILE:LINE: path problem`.
 */
export function loadYamlFile<T = never, S extends TSchema = TSchema>(file: string, schema: S): [T] extends [never] ? Static<S> : T {
  return readSeedFile(file, schema).value as [T] extends [never] ? Static<S> : T
}
