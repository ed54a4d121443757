import type { Static } from 'typebox'
import type { DowntimeResponseSchema, OeeResponseSchema, TimelineResponseSchema } from '../../../schemas.ts'

/** The API's answers as JSON (the route schemas of api/schemas.ts). */
export type OeeResponse = Static<typeof OeeResponseSchema>
export type TimelineResponse = Static<typeof TimelineResponseSchema>
export type TimelineInterval = TimelineResponse['intervals'][number]
export type DowntimeResponse = Static<typeof DowntimeResponseSchema>
export type KpiFigures = Pick<OeeResponse, 'availability' | 'performance' | 'quality' | 'oee' | 'waterfall' | 'counts' | 'flags' | 'seconds'>

export interface Factory {
  path: string
  name: string
  timezone: string
  calendar: string
  lines: number
  machines: number
}

/** An error answer of the API: `{ error: { code, message } }`, or the network's. */
export class ApiFailure extends Error {
  readonly status: number
  readonly code: string
  constructor(status: number, code: string, message: string) {
    super(message)
    this.status = status
    this.code = code
  }
}

const KEY = 'shopfloor.apiKey'

/** The signed-in key lives in sessionStorage: gone with the tab, never in a cookie or the URL. */
export const session = {
  key: (): string | null => sessionStorage.getItem(KEY),
  signIn: (key: string): void => sessionStorage.setItem(KEY, key),
  signOut: (): void => sessionStorage.removeItem(KEY),
}

type Params = Record<string, string | number | undefined>

/** GET an API route with the session's key; a 401 signs out (the key was revoked or mistyped). */
export async function get<T>(path: string, params: Params = {}, key = session.key()): Promise<T> {
  const qs = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined) qs.set(k, String(v))
  const url = `${path}${qs.size ? `?${qs}` : ''}`
  const res = await fetch(url, { headers: { accept: 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) } })
  const body: unknown = await res.json().catch(() => null)
  if (!res.ok) {
    const err = (body as { error?: { code?: string; message?: string } } | null)?.error
    if (res.status === 401) session.signOut()
    throw new ApiFailure(res.status, err?.code ?? `HTTP_${res.status}`, err?.message ?? `${url}: HTTP ${res.status}`)
  }
  return body as T
}

export const factories = (key?: string): Promise<{ factories: Factory[] }> => get('/api/v1/factories', { limit: 1000 }, key ?? session.key())

export const oee = (params: { factory?: string; line?: string; machine?: string; from: string; to: string; bucket?: string }): Promise<OeeResponse> => get('/api/v1/oee', params)

export const downtime = (machine: string, from: string, to: string): Promise<DowntimeResponse> => get('/api/v1/downtime', { machine, from, to })

/** Every interval of a machine's timeline in the window, following the pages. */
export async function timeline(machine: string, from: string, to: string): Promise<TimelineInterval[]> {
  const out: TimelineInterval[] = []
  let cursor: string | undefined
  for (let page = 0; page < 50; page++) {
    const res = await get<TimelineResponse>('/api/v1/timeline', { machine, from, to, limit: 1000, cursor })
    out.push(...res.intervals)
    if (!res.next) break
    cursor = res.next
  }
  return out
}

/**
 * The shift in force now (or the last one, between shifts), from the calendar's shift buckets of
 * the last day: its start and name. Null when the calendar has no shift in that day.
 */
export async function currentShift(scope: { factory?: string; machine?: string }, now = Date.now()): Promise<{ key: string; start: number; end: number; live: boolean; timezone: string } | null> {
  const res = await oee({ ...scope, from: new Date(now - 24 * 3600_000).toISOString(), to: new Date(now).toISOString(), bucket: 'shift' })
  const last = res.buckets.at(-1)
  if (!last) return null
  const end = Date.parse(last.end)
  return { key: last.key, start: Date.parse(last.start), end, live: end >= now - 60_000, timezone: res.scope.timezone }
}
