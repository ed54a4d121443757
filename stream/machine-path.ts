/**
 * Machine paths name a machine by its place in the plant: `region/park/factory/area/line/machine`.
 * Tables store the factory and line prefixes beside the full path so queries filter on them.
 */

export const PATH_LEVELS = ['region', 'park', 'factory', 'area', 'line', 'machine'] as const

/** A path segment: letters, digits, `-`, `_` and `.`; it starts with a letter or digit. */
export const SEGMENT_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]*$'
const SEGMENT = new RegExp(SEGMENT_PATTERN)

export interface MachinePath {
  readonly machine: string
  readonly line: string
  readonly factory: string
}

// Ingest parses the path of every event; a site has a few thousand machines at most.
const PARSED = new Map<string, MachinePath>()
const PARSED_MAX = 50_000

/** Splits a machine path into its factory and line prefixes; throws on a malformed path. */
export function parseMachinePath(path: string): MachinePath {
  const known = PARSED.get(path)
  if (known) return known
  const parts = path.split('/')
  if (parts.length !== PATH_LEVELS.length || !parts.every((p) => SEGMENT.test(p))) {
    throw new Error(`machine path "${path}" must have the form ${PATH_LEVELS.join('/')} with segments matching ${SEGMENT_PATTERN}`)
  }
  const parsed = Object.freeze({ machine: path, line: parts.slice(0, 5).join('/'), factory: parts.slice(0, 3).join('/') })
  if (PARSED.size >= PARSED_MAX) PARSED.clear()
  PARSED.set(path, parsed)
  return parsed
}

export function isSegment(s: string): boolean {
  return SEGMENT.test(s)
}
