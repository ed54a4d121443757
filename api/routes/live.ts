import type { ServerResponse } from 'node:http'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import Type, { type Static } from 'typebox'
import { allowedFactories, requireFactory } from '../auth/index.ts'
import { parseScope } from '../kpi/params.ts'
import { LiveFeed, sseComment, sseEvent, sseRetry, type LiveFeedOptions, type LiveScope, type MachineLive } from '../live/index.ts'

/** Options of the live route and its feed (ApiOptions.live). */
export interface LiveOptions extends Omit<LiveFeedOptions, 'clickhouse' | 'logger'> {
  /** A feed made by the caller (the demo wires ingest's onStored to its notify); default: one of the app's own, closed with it. */
  feed?: LiveFeed
  /** A comment line is sent after this long without an event, ms. Default 15,000. */
  heartbeatMs?: number
  /** KPI nudges to one client are coalesced into at most one per this many ms. Default 1,000. */
  nudgeMs?: number
  /** The browser reconnects this long after a dropped stream, ms. Default 1,000. */
  retryMs?: number
  /**
   * Asked at every heartbeat whether the caller may still listen (its key not revoked, its
   * session not ended); a stream whose caller may not is closed, and the browser's reconnect then
   * meets the 401. Default: always (buildApp passes the key and session check).
   */
  stillValid?: (req: FastifyRequest) => boolean
}

export const LIVE_ROUTE_DEFAULTS = { heartbeatMs: 15_000, nudgeMs: 1_000, retryMs: 1_000 } as const

/** A client that reads slower than this many bytes pile up is dropped (it reconnects and resumes). */
const MAX_BUFFERED = 1 << 20

const LiveQuerystring = Type.Object(
  {
    factory: Type.Optional(Type.String({ description: 'Only this factory (region/park/factory)' })),
    line: Type.Optional(Type.String({ description: 'Only this line (region/park/factory/area/line)' })),
    machine: Type.Optional(Type.String({ description: 'Only this machine (its full path)' })),
  },
  { additionalProperties: false },
)

const stateData = (s: MachineLive, snapshot: boolean) => ({
  factory: s.factory,
  line: s.line,
  machine: s.machine,
  state: s.state,
  since: new Date(s.since).toISOString(),
  at: new Date(s.at).toISOString(),
  snapshot,
})

/**
 * `GET /api/v1/live[?factory=|line=|machine=]`: server-sent events for the caller's factories (or
 * the one factory, line or machine asked for). On connect: a `state` event per machine in scope
 * (`snapshot: true`), or, when the browser resumes with Last-Event-ID, the changes it missed. Then
 * a `state` event per state change and a `kpi` event (coalesced) when new rows move the KPIs.
 * Comment lines every 15 s keep the stream open through proxies; at each, a caller whose key was
 * revoked or whose session ended is cut off.
 */
export function registerLive(app: FastifyInstance, feed: LiveFeed, opts: LiveOptions = {}): void {
  const heartbeatMs = opts.heartbeatMs ?? LIVE_ROUTE_DEFAULTS.heartbeatMs
  const nudgeMs = opts.nudgeMs ?? LIVE_ROUTE_DEFAULTS.nudgeMs
  const retryMs = opts.retryMs ?? LIVE_ROUTE_DEFAULTS.retryMs
  const stillValid = opts.stillValid ?? (() => true)
  const open = new Set<() => void>()
  // Open streams would keep app.close() waiting forever: end them first.
  app.addHook('preClose', async () => {
    for (const end of [...open]) end()
  })

  app.get<{ Querystring: Static<typeof LiveQuerystring> }>(
    '/api/v1/live',
    {
      config: { access: 'plant' },
      schema: {
        summary: 'Live machine states and KPI nudges (server-sent events)',
        description:
          'text/event-stream. Events: `state` {factory, line, machine, state, since, at, snapshot} and `kpi` {factories, lines, machines, at}. Send Last-Event-ID to resume; without it (or when the changes are no longer kept) the current states come first, marked snapshot. Browsers authenticate with the session cookie (EventSource sends no headers).',
        tags: ['live'],
        querystring: LiveQuerystring,
        produces: ['text/event-stream'],
        response: { '4xx': { $ref: 'ErrorBody#' } },
      },
    },
    async (req, reply) => {
      const q = req.query
      const given = (['factory', 'line', 'machine'] as const).filter((k) => q[k] !== undefined)
      const scope: LiveScope = { factories: allowedFactories(req) }
      if (given.length > 0) {
        const s = parseScope(q, ['factory', 'line', 'machine'])
        requireFactory(req, s.factory)
        scope[s.level as 'factory' | 'line' | 'machine'] = s.path
      }
      const principal = req.principal
      const key = principal?.keyId ?? req.ip
      const lastEventId = req.headers['last-event-id']
      const res: ServerResponse = reply.raw

      let ended = false
      let heartbeat: NodeJS.Timeout | undefined
      let nudgeTimer: NodeJS.Timeout | undefined
      const pending = { factories: new Set<string>(), lines: new Set<string>(), machines: new Set<string>() }
      let unsubscribe: (() => void) | undefined
      let headed = false

      const end = (): void => {
        if (ended) return
        ended = true
        clearTimeout(heartbeat)
        clearTimeout(nudgeTimer)
        unsubscribe?.()
        open.delete(end)
        if (!res.writableEnded) res.end()
      }
      const write = (text: string): void => {
        if (ended) return
        if (res.writableLength > MAX_BUFFERED) {
          req.log.warn({ buffered: res.writableLength }, 'live client too slow; dropped (it resumes with Last-Event-ID)')
          res.destroy()
          return end()
        }
        res.write(text)
        clearTimeout(heartbeat)
        heartbeat = setTimeout(() => {
          if (!stillValid(req)) return end()
          write(sseComment(`ping ${new Date().toISOString()}`))
        }, heartbeatMs)
      }
      const flushNudge = (): void => {
        nudgeTimer = undefined
        if (pending.machines.size === 0) return
        write(sseEvent('kpi', { factories: [...pending.factories], lines: [...pending.lines], machines: [...pending.machines], at: new Date().toISOString() }))
        pending.factories.clear()
        pending.lines.clear()
        pending.machines.clear()
      }
      // Events the feed delivers while subscribing (the snapshot) wait for the headers.
      const early: string[] = []
      const send = (text: string): void => (headed ? write(text) : void early.push(text))

      res.on('close', end)
      open.add(end)
      unsubscribe = await feed.subscribe(
        key,
        scope,
        {
          state: (s, id, snapshot) => send(sseEvent('state', stateData(s, snapshot), id)),
          rows: (machines) => {
            for (const m of machines) {
              pending.factories.add(m.factory)
              pending.lines.add(m.line)
              pending.machines.add(m.machine)
            }
            nudgeTimer ??= setTimeout(flushNudge, nudgeMs)
          },
        },
        typeof lastEventId === 'string' && lastEventId !== '' ? lastEventId : undefined,
      )
      if (ended) {
        unsubscribe()
        return reply.hijack()
      }
      reply.hijack()
      res.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-store',
        'x-accel-buffering': 'no',
      })
      headed = true
      write(sseRetry(retryMs))
      for (const text of early.splice(0)) write(text)
    },
  )
}
