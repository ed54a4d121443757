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

/** Who is signed in, as `GET /api/v1/session` says. */
export interface SessionInfo {
  name: string
  role: 'admin' | 'plant-engineer' | 'analyst'
  factories: string[]
  via: 'key' | 'session'
  expires?: string
}

type Params = Record<string, string | number | undefined>

async function failure(res: Response, url: string): Promise<ApiFailure> {
  const body: unknown = await res.json().catch(() => null)
  const err = (body as { error?: { code?: string; message?: string } } | null)?.error
  return new ApiFailure(res.status, err?.code ?? `HTTP_${res.status}`, err?.message ?? `${url}: HTTP ${res.status}`)
}

/**
 * The browser's session: the API key is sent once, to `POST /api/v1/session`, which answers with an
 * HttpOnly, SameSite=Strict cookie. The key is never kept (no storage, no cookie, no URL); scripts
 * on the page cannot read the session either. Every request below rides on the cookie.
 */
export const session = {
  /** Who is signed in, or null (no session, or it ended: signed out elsewhere, expired, key revoked). */
  async current(): Promise<SessionInfo | null> {
    const res = await fetch('/api/v1/session', { headers: { accept: 'application/json' }, credentials: 'same-origin' })
    if (res.status === 401) return null
    if (!res.ok) throw await failure(res, '/api/v1/session')
    return (await res.json()) as SessionInfo
  },
  /** Exchanges the key for the session cookie; throws ApiFailure (401 for a wrong key). */
  async signIn(key: string): Promise<SessionInfo> {
    const res = await fetch('/api/v1/session', { method: 'POST', headers: { accept: 'application/json', authorization: `Bearer ${key}` }, credentials: 'same-origin' })
    if (!res.ok) throw await failure(res, '/api/v1/session')
    return (await res.json()) as SessionInfo
  },
  /** Ends the session on the server and clears the cookie (the browser adds the Origin header the API checks). */
  async signOut(): Promise<void> {
    await fetch('/api/v1/session', { method: 'DELETE', credentials: 'same-origin' }).catch(() => undefined)
  },
}

/** GET an API route with the session cookie; throws ApiFailure (401: the session ended, sign in again). */
export async function get<T>(path: string, params: Params = {}): Promise<T> {
  const qs = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined) qs.set(k, String(v))
  const url = `${path}${qs.size ? `?${qs}` : ''}`
  const res = await fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin' })
  if (!res.ok) throw await failure(res, url)
  return (await res.json()) as T
}

export const factories = (): Promise<{ factories: Factory[] }> => get('/api/v1/factories', { limit: 1000 })

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

/** What a live subscription watches: one machine, one line, one factory, or (empty) every factory the caller may see. */
export interface LiveFilter {
  factory?: string
  line?: string
  machine?: string
}

/** A machine's state changed (or, with `snapshot`, the state it is in when the subscription (re)connects). */
export interface LiveStateEvent {
  type: 'state'
  factory: string
  line: string
  machine: string
  /** RUNNING, IDLE, DOWN, SETUP, PLANNED_STOP, OFFLINE. */
  state: string
  /** When the machine entered this state (ISO 8601). */
  since: string
  /** The event's own time (ISO 8601). */
  at: string
  /** True for the current states sent on (re)connect rather than a change seen live. */
  snapshot: boolean
}

/** New rows arrived for these machines: KPIs shown for them are out of date (debounce the refresh). */
export interface LiveKpiEvent {
  type: 'kpi'
  factories: string[]
  lines: string[]
  machines: string[]
  at: string
}

/** The connection opened (`connected: true`) or dropped and is being retried by the browser. */
export interface LiveStatusEvent {
  type: 'status'
  connected: boolean
}

export type LiveEvent = LiveStateEvent | LiveKpiEvent | LiveStatusEvent

/**
 * Follows `GET /api/v1/live` (server-sent events, authenticated by the session cookie) and calls
 * `onChange` for each event in the filter's scope. The browser reconnects by itself, sending the
 * last event id so missed changes are replayed (or a fresh snapshot sent). Returns the function that
 * closes the subscription: call it when the view is left.
 */
export function subscribeLive(filter: LiveFilter, onChange: (event: LiveEvent) => void): () => void {
  const qs = new URLSearchParams()
  for (const [k, v] of Object.entries(filter)) if (v) qs.set(k, v)
  const url = `/api/v1/live${qs.size ? `?${qs}` : ''}`
  const parse = (e: Event): Record<string, unknown> | null => {
    try {
      return JSON.parse((e as MessageEvent<string>).data) as Record<string, unknown>
    } catch {
      return null
    }
  }
  let source: EventSource | undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  let backoff = 1000
  let closed = false
  const open = (): void => {
    const es = new EventSource(url)
    source = es
    es.addEventListener('open', () => {
      backoff = 1000
      onChange({ type: 'status', connected: true })
    })
    es.addEventListener('error', () => {
      onChange({ type: 'status', connected: false })
      // The browser retries a dropped stream by itself (resuming with Last-Event-ID); a refused one
      // (429, 503, a session that ended) it gives up: try again, slower each time.
      if (es.readyState === EventSource.CLOSED && !closed) {
        timer = setTimeout(open, backoff)
        backoff = Math.min(backoff * 2, 60_000)
      }
    })
    es.addEventListener('state', (e) => {
      const d = parse(e)
      if (d) onChange({ ...(d as unknown as Omit<LiveStateEvent, 'type'>), type: 'state' })
    })
    es.addEventListener('kpi', (e) => {
      const d = parse(e)
      if (d) onChange({ ...(d as unknown as Omit<LiveKpiEvent, 'type'>), type: 'kpi' })
    })
  }
  open()
  return () => {
    closed = true
    clearTimeout(timer)
    source?.close()
  }
}
