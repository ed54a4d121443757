import { ApiError } from '../errors.ts'

/** Levels of the plant a KPI can be asked for, with the number of path segments of each. */
export const SCOPE_LEVELS = { factory: 3, area: 4, line: 5, machine: 6 } as const
export type ScopeLevel = keyof typeof SCOPE_LEVELS

/** What to compute for: a machine, line, area or factory, by its path. */
export interface Scope {
  readonly level: ScopeLevel
  readonly path: string
  /** The factory path (`region/park/factory`) the scope lies in. */
  readonly factory: string
}

/** Default micro-stop threshold, seconds (KPI.md), when neither the request nor the factory's seed sets one. */
export const DEFAULT_MICRO_STOP_S = 120
/** Longest window one request may ask for, days. */
export const MAX_WINDOW_DAYS = 366

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/
// ISO 8601 date-time with an explicit zone: a bare local time would be read in the server's zone.
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/

/** An ISO 8601 date-time with a zone as epoch ms; 400 naming `param` otherwise. */
export function parseTime(value: string, param: string): number {
  const t = ISO.test(value) ? Date.parse(value) : NaN
  if (Number.isNaN(t)) {
    throw new ApiError('SHOPFLOOR_API_BAD_PARAM', `query parameter "${param}" must be an ISO 8601 date-time with a zone, e.g. 2026-11-21T08:00:00+07:00 (got "${value}")`, param)
  }
  return t
}

/** `from` and `to` as epoch ms: `to` after `from`, at most {@link MAX_WINDOW_DAYS} apart. */
export function parseWindow(q: { from: string; to: string }): { from: number; to: number } {
  const from = parseTime(q.from, 'from')
  const to = parseTime(q.to, 'to')
  if (to <= from) throw new ApiError('SHOPFLOOR_API_BAD_PARAM', `query parameter "to" (${q.to}) must be after "from" (${q.from})`, 'to')
  if (to - from > MAX_WINDOW_DAYS * 86_400_000) throw new ApiError('SHOPFLOOR_API_BAD_PARAM', `the window from "from" to "to" may span at most ${MAX_WINDOW_DAYS} days`, 'to')
  return { from, to }
}

/**
 * The one scope of a request among the parameters `levels` allows (e.g. `machine`, `line`,
 * `factory`): exactly one must be given, as a path with that level's number of segments.
 */
export function parseScope(q: Partial<Record<ScopeLevel, string>>, levels: readonly ScopeLevel[]): Scope {
  const given = levels.filter((l) => q[l] !== undefined)
  const names = levels.map((l) => `"${l}"`).join(', ')
  if (given.length !== 1) {
    throw new ApiError(
      'SHOPFLOOR_API_BAD_PARAM',
      given.length === 0 ? `give one of the query parameters ${names}` : `give only one of the query parameters ${names} (got ${given.map((l) => `"${l}"`).join(' and ')})`,
      given[1] ?? levels[0],
    )
  }
  const level = given[0] as ScopeLevel
  const path = q[level] as string
  const parts = path.split('/')
  if (parts.length !== SCOPE_LEVELS[level] || !parts.every((p) => SEGMENT.test(p))) {
    const shape = ['region', 'park', 'factory', 'area', 'line', 'machine'].slice(0, SCOPE_LEVELS[level]).join('/')
    throw new ApiError('SHOPFLOOR_API_BAD_PARAM', `query parameter "${level}" must be a path ${shape} of segments of letters, digits, ".", "_", "-" (got "${path}")`, level)
  }
  return { level, path, factory: parts.slice(0, 3).join('/') }
}
