/**
 * What every connector's config module shares: the shape of a source id and the error a tag's
 * config raises. Each connector folder has a `config.ts` with the TypeBox schema of its source
 * entry and of its keys in a tag reference, and the mapping from them to its source's options;
 * the edge agent's config composes those schemas and never learns a protocol's keys.
 */
import Type from 'typebox'

/** Letters, digits, ".", "_", "-": the same alphabet as a machine path segment. */
export const SOURCE_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]*$'

/** A source's `id`. */
export const SourceIdSchema = Type.String({ pattern: SOURCE_ID_PATTERN, description: 'letters, digits, ".", "_", "-"' })

/** A positive whole number of milliseconds. */
export const MsSchema = (description: string) => Type.Integer({ minimum: 1, description })

/**
 * Keys of a source entry or tag reference that are fine one by one but wrong together; `key`
 * names the field (relative to the entry) that the agent's config error points at, and `path`
 * the whole way to it when it sits deeper (`['groups', 1, 'name']`; `[key]` otherwise).
 */
export class ConfigKeyProblem extends Error {
  readonly key: string
  readonly path: ReadonlyArray<string | number>
  constructor(key: string | ReadonlyArray<string | number>, problem: string) {
    super(problem)
    this.path = typeof key === 'string' ? [key] : key
    this.key = String(this.path[0])
  }
}
