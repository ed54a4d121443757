import { createHash, randomBytes } from 'node:crypto'
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Logger } from '../../connectors/common/logger.ts'
import type { Principal } from './access.ts'
import type { ApiKeyStore } from './keys.ts'

/**
 * Browser sessions: the dashboard posts its API key once (`POST /api/v1/session`) and gets an
 * opaque session token in an HttpOnly, SameSite=Strict cookie, because EventSource cannot send an
 * Authorization header and a key kept in page storage is readable by any script on the page.
 *
 * The table is server-side: token SHA-256 -> key id, created, expiry. The token itself is never
 * stored, and the key never leaves the one sign-in request. A session ends at whichever comes
 * first: idle for {@link SessionOptions.idleMs}, {@link SessionOptions.maxAgeMs} after sign-in,
 * sign-out, or its key being revoked (checked on every request). With a file, sessions survive a
 * restart of the API (the shop-floor TV does not sign in again); the file is rewritten on sign-in
 * and sign-out only, so an idle expiry restarts from the API's start.
 */
export interface SessionOptions {
  /** Sign-out after this long without a request, ms. Default 12 h (a shift and a half). */
  idleMs?: number
  /** Sign-out this long after sign-in whatever the use, ms. Default 7 days. */
  maxAgeMs?: number
  /** At most this many open sessions per key; the oldest is ended beyond it. Default 50. */
  maxPerKey?: number
  /** Keep the table in this file (mode 0600, next to the keys file); default: memory only. */
  file?: string
  /** The clock, epoch ms (tests). Default Date.now. */
  now?: () => number
  /** Where a file that cannot be written is reported (sessions then live in memory only). Default: nowhere. */
  logger?: Logger
}

export const SESSION_DEFAULTS = { idleMs: 12 * 3600_000, maxAgeMs: 7 * 24 * 3600_000, maxPerKey: 50 } as const

/** The cookie's name. `__Host-` would forbid it on plain http, which the demo and most shop-floor LANs use. */
export const SESSION_COOKIE = 'shopfloor_session'

const TOKEN = /^[A-Za-z0-9_-]{43}$/

interface SessionRecord {
  keyId: string
  created: number
  expires: number
  lastSeen: number
}

/** A session as the sign-in answer and `GET /api/v1/session` describe it. */
export interface SessionInfo {
  principal: Principal
  /** Epoch ms: the hard end (maxAge); idle expiry may come first. */
  expires: number
}

const digest = (token: string): string => createHash('sha256').update(token).digest('base64url')

/** The server-side session table behind the dashboard's cookie. */
export class SessionStore {
  readonly #keys: ApiKeyStore
  readonly #opts: Required<Omit<SessionOptions, 'file' | 'logger'>>
  readonly #log: Logger | undefined
  #saveFailed = false
  readonly #file: string | undefined
  readonly #sessions = new Map<string, SessionRecord>()

  constructor(keys: ApiKeyStore, opts: SessionOptions = {}) {
    this.#keys = keys
    this.#opts = {
      idleMs: opts.idleMs ?? SESSION_DEFAULTS.idleMs,
      maxAgeMs: opts.maxAgeMs ?? SESSION_DEFAULTS.maxAgeMs,
      maxPerKey: opts.maxPerKey ?? SESSION_DEFAULTS.maxPerKey,
      now: opts.now ?? Date.now,
    }
    for (const [k, v] of Object.entries({ idleMs: this.#opts.idleMs, maxAgeMs: this.#opts.maxAgeMs, maxPerKey: this.#opts.maxPerKey })) {
      if (!(Number.isInteger(v) && v > 0)) throw new TypeError(`sessions: ${k} must be a positive integer, got ${v}`)
    }
    this.#file = opts.file
    this.#log = opts.logger
    this.#load()
  }

  /** Opens a session for an authenticated key; returns the token for the cookie (shown only here). */
  create(principal: Principal): { token: string; expires: number } {
    const now = this.#opts.now()
    this.#sweep(now)
    const token = randomBytes(32).toString('base64url')
    const expires = now + this.#opts.maxAgeMs
    this.#sessions.set(digest(token), { keyId: principal.keyId, created: now, expires, lastSeen: now })
    const mine = [...this.#sessions].filter(([, s]) => s.keyId === principal.keyId).sort((a, b) => a[1].created - b[1].created)
    for (const [d] of mine.slice(0, Math.max(0, mine.length - this.#opts.maxPerKey))) this.#sessions.delete(d)
    this.#save()
    return { token, expires }
  }

  /** The caller behind a session token, or null when it is malformed, unknown, expired, signed out or its key revoked. */
  authenticate(token: string): SessionInfo | null {
    if (!TOKEN.test(token)) return null
    const d = digest(token)
    const s = this.#sessions.get(d)
    if (!s) return null
    const now = this.#opts.now()
    const principal = this.#keys.principalOf(s.keyId)
    if (now >= s.expires || now - s.lastSeen >= this.#opts.idleMs || !principal) {
      this.#sessions.delete(d)
      this.#save()
      return null
    }
    s.lastSeen = now
    return { principal, expires: s.expires }
  }

  /** Ends the session of this token (sign-out); false when there was none. */
  revoke(token: string): boolean {
    const gone = this.#sessions.delete(digest(token))
    if (gone) this.#save()
    return gone
  }

  /** Open sessions (expired ones not yet swept included). */
  get size(): number {
    return this.#sessions.size
  }

  #sweep(now: number): void {
    for (const [d, s] of this.#sessions) if (now >= s.expires || now - s.lastSeen >= this.#opts.idleMs) this.#sessions.delete(d)
  }

  #load(): void {
    if (!this.#file) return
    let text: string
    try {
      text = readFileSync(this.#file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.#log?.warn({ err, file: this.#file }, 'cannot read the session table: starting with none (browsers sign in again)')
      return
    }
    // A damaged table costs the users a sign-in, nothing more: start empty rather than refuse to start.
    let doc: { sessions?: Record<string, { keyId?: unknown; created?: unknown; expires?: unknown }> }
    try {
      doc = JSON.parse(text) as typeof doc
    } catch {
      return
    }
    const now = this.#opts.now()
    for (const [d, s] of Object.entries(doc.sessions ?? {})) {
      if (typeof s.keyId === 'string' && typeof s.created === 'number' && typeof s.expires === 'number') {
        this.#sessions.set(d, { keyId: s.keyId, created: s.created, expires: s.expires, lastSeen: now })
      }
    }
  }

  #save(): void {
    const file = this.#file
    if (!file) return
    const sessions = Object.fromEntries([...this.#sessions].map(([d, s]) => [d, { keyId: s.keyId, created: s.created, expires: s.expires }]))
    const tmp = `${file}.${process.pid}.tmp`
    // A table that cannot be written (a read-only image, a full disk) must not refuse sign-ins:
    // they then last until the API restarts. Said once, and again once it works.
    try {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
      writeFileSync(tmp, JSON.stringify({ version: 1, sessions }) + '\n', { mode: 0o600 })
      chmodSync(tmp, 0o600)
      renameSync(tmp, file)
      if (this.#saveFailed) this.#log?.info({ file }, 'session table written again')
      this.#saveFailed = false
    } catch (err) {
      if (!this.#saveFailed) this.#log?.warn({ err, file }, 'cannot write the session table: sessions are kept in memory only until it can be written (a restart signs browsers out)')
      this.#saveFailed = true
    }
  }
}

/** The value of one cookie in a Cookie header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0) continue
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

/** The Set-Cookie value of a session (or, with `token` null, the one that clears it). */
export function sessionCookie(token: string | null, opts: { secure: boolean; maxAgeS?: number }): string {
  const attrs = ['Path=/', 'HttpOnly', 'SameSite=Strict', ...(opts.secure ? ['Secure'] : [])]
  if (token === null) return [`${SESSION_COOKIE}=`, 'Max-Age=0', ...attrs].join('; ')
  return [`${SESSION_COOKIE}=${token}`, `Max-Age=${Math.max(1, Math.floor(opts.maxAgeS ?? 0))}`, ...attrs].join('; ')
}
