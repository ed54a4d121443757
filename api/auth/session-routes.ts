import type { FastifyInstance, FastifyRequest } from 'fastify'
import Type from 'typebox'
import { ApiError } from '../errors.ts'
import type { Principal } from './access.ts'
import { SESSION_COOKIE, cookieValue, sessionCookie, type SessionStore } from './sessions.ts'

const SessionBody = Type.Object(
  {
    name: Type.String({ description: 'The name of the key the session was opened with' }),
    role: Type.Union([Type.Literal('admin'), Type.Literal('plant-engineer'), Type.Literal('analyst')]),
    factories: Type.Array(Type.String(), { description: "A plant engineer's factories; empty for the other roles" }),
    via: Type.Union([Type.Literal('key'), Type.Literal('session')], { description: 'How this request was authenticated' }),
    expires: Type.Optional(Type.String({ format: 'date-time', description: "The session's hard end (it ends earlier when idle for 12 h)" })),
  },
  { additionalProperties: false },
)

const body = (p: Principal, expires?: number) => ({
  name: p.name,
  role: p.role,
  factories: [...p.factories],
  via: p.via ?? 'key',
  ...(expires !== undefined ? { expires: new Date(expires).toISOString() } : {}),
})

function principal(req: FastifyRequest): Principal {
  if (!req.principal) throw new ApiError('SHOPFLOOR_API_UNAUTHORIZED', 'this needs an API key or a session')
  return req.principal
}

/**
 * The dashboard's session routes: `POST /api/v1/session` exchanges the API key (in the
 * Authorization header, once) for the HttpOnly session cookie; `GET` says who is signed in;
 * `DELETE` signs out (ends the session server-side and clears the cookie).
 */
export function registerSessionRoutes(app: FastifyInstance, sessions: SessionStore): void {
  const secure = (req: FastifyRequest): boolean => req.protocol === 'https'
  app.post(
    '/api/v1/session',
    {
      config: { access: 'any' },
      schema: {
        summary: 'Sign in: exchange the API key for a session cookie',
        description:
          'Send the API key in the Authorization (or X-API-Key) header; the answer sets an HttpOnly, SameSite=Strict session cookie that every route accepts instead of the key (EventSource cannot send headers). The key itself is never put in a cookie.',
        tags: ['session'],
        response: { 201: SessionBody },
      },
    },
    async (req, reply) => {
      const p = principal(req)
      if (p.via === 'session') throw new ApiError('SHOPFLOOR_API_UNAUTHORIZED', 'sign-in takes the API key in the Authorization header, not a session cookie')
      const { token, expires } = sessions.create(p)
      const old = cookieValue(req.headers.cookie, SESSION_COOKIE)
      if (old !== undefined) sessions.revoke(old)
      return reply
        .status(201)
        .header('cache-control', 'no-store')
        .header('set-cookie', sessionCookie(token, { secure: secure(req), maxAgeS: (expires - Date.now()) / 1000 }))
        .send(body({ ...p, via: 'session' }, expires))
    },
  )
  app.get(
    '/api/v1/session',
    { config: { access: 'any' }, schema: { summary: 'Who is signed in (the key or session of this request)', tags: ['session'], response: { 200: SessionBody } } },
    async (req, reply) => reply.header('cache-control', 'no-store').send(body(principal(req))),
  )
  app.delete(
    '/api/v1/session',
    {
      config: { access: 'any' },
      schema: { summary: 'Sign out: end the session and clear its cookie', tags: ['session'], response: { 204: Type.Null({ description: 'Signed out' }) } },
    },
    async (req, reply) => {
      principal(req)
      const token = cookieValue(req.headers.cookie, SESSION_COOKIE)
      if (token !== undefined) sessions.revoke(token)
      return reply.status(204).header('set-cookie', sessionCookie(null, { secure: secure(req) })).send()
    },
  )
}
