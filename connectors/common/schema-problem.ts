/**
 * Turns TypeBox validation errors into one phrase a plant IT person can act on, with the field
 * path (`lines[0].machines[2].byteOrder must be one of ABCD, DCBA, BADC, CDAB (got "XYZW")`).
 * Shared by every YAML file the project reads: the edge agent's config and the API's seed files.
 */
import type { TSchema } from 'typebox'
import { Value } from 'typebox/value'
import type { TLocalizedValidationError } from 'typebox/error'

/** A problem found in a value: the field path (`['lines', 0, 'id']`) and what is wrong, as one phrase. */
export interface SchemaProblem {
  readonly path: Array<string | number>
  readonly problem: string
}

/** `['lines', 0, 'state', 'map', '6']` -> `lines[0].state.map["6"]`: array indexes in brackets, odd keys quoted. */
export function formatPath(path: ReadonlyArray<string | number>): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(p) ? (i === 0 ? p : `.${p}`) : `[${JSON.stringify(p)}]`))
    .join('')
}

/** A value as it appears in a message: strings quoted, a missing value as "nothing". */
export const showValue = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : v === undefined ? 'nothing' : JSON.stringify(v) ?? String(v))

/** A JSON pointer as a path; a segment is a number only where it indexes an array of `root`. */
function pointerToPath(pointer: string, root?: unknown): Array<string | number> {
  if (!pointer) return []
  const out: Array<string | number> = []
  let v: unknown = root
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replaceAll('~1', '/').replaceAll('~0', '~')
    const key = Array.isArray(v) && /^\d+$/.test(seg) ? Number(seg) : seg
    out.push(key)
    v = v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[key] : undefined
  }
  return out
}

function valueAt(root: unknown, path: ReadonlyArray<string | number>): unknown {
  let v: unknown = root
  for (const p of path) v = v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[p] : undefined
  return v
}

function schemaAt(root: unknown, schemaPointer: string): Record<string, unknown> | undefined {
  const v = valueAt(root, pointerToPath(schemaPointer.replace(/^#/, ''), root))
  return v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : undefined
}

/** One schema error of `value` against `schema` as a path and a phrase naming what is allowed. */
export function describeSchemaError(err: TLocalizedValidationError, schema: unknown, value: unknown): SchemaProblem {
  const path = pointerToPath(err.instancePath, value)
  const got = valueAt(value, path)
  const params = err.params as Record<string, unknown>
  switch (err.keyword) {
    case 'required': {
      const missing = (params['requiredProperties'] as string[]).filter((k) => valueAt(value, [...path, k]) === undefined)
      return { path: [...path, missing[0] ?? '?'], problem: 'is required' }
    }
    case 'additionalProperties': {
      const extra = (params['additionalProperties'] as string[])[0] ?? '?'
      const allowed = Object.keys((schemaAt(schema, err.schemaPath)?.['properties'] as object | undefined) ?? {})
      return { path: [...path, extra], problem: `is not a known key (allowed: ${allowed.join(', ')})` }
    }
    case 'enum':
      return { path, problem: `must be one of ${(params['allowedValues'] as unknown[]).join(', ')} (got ${showValue(got)})` }
    case 'const':
      return { path, problem: `must be ${showValue(params['allowedValue'])} (got ${showValue(got)})` }
    case 'type':
      return { path, problem: `must be ${String(params['type'])} (got ${showValue(got)})` }
    case 'pattern': {
      const hint = (schemaAt(schema, err.schemaPath)?.['description'] as string | undefined) ?? `matching ${String(params['pattern'])}`
      return { path, problem: `must be ${hint} (got ${showValue(got)})` }
    }
    default:
      return { path, problem: `${err.message} (got ${showValue(got)})` }
  }
}

const KEYWORD_RANK: Record<string, number> = { additionalProperties: 0, required: 1, enum: 2, const: 2, type: 3 }

/**
 * The most telling of a value's schema errors: the first failing place in document order, and
 * there an unknown key over the "schema is false" echo of it, a missing key over a type mismatch.
 */
export function pickSchemaError(errors: TLocalizedValidationError[]): TLocalizedValidationError | undefined {
  const useful = errors.filter((e) => e.keyword !== 'boolean' && e.keyword !== 'anyOf')
  if (useful.length === 0) return errors[0]
  const first = useful[0] as TLocalizedValidationError
  const samePlace = useful.filter((e) => e.instancePath === first.instancePath || (e.keyword === 'additionalProperties' && first.instancePath.startsWith(e.instancePath + '/')))
  return samePlace.sort((a, b) => (KEYWORD_RANK[a.keyword] ?? 9) - (KEYWORD_RANK[b.keyword] ?? 9))[0]
}

/** The first problem of `value` against `schema`, or undefined when it conforms. */
export function firstSchemaProblem(schema: TSchema, value: unknown): SchemaProblem | undefined {
  const first = pickSchemaError([...Value.Errors(schema, value)])
  return first ? describeSchemaError(first, schema, value) : undefined
}
