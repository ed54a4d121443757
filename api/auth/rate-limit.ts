/**
 * Fixed-window request limits, one window per bucket (an API key's id, or `ip:<address>` for
 * requests without a valid key). Small on purpose: the ordering against authentication matters
 * (a flood of bad keys is refused before any scrypt work), which a generic plugin does not give.
 */

/** Limits of the API; `buildApp({ rateLimit: false })` turns limiting off. */
export interface RateLimitOptions {
  /** Requests per window for one API key. Default 600 (10 per second on average). */
  perKey?: number
  /** Requests per window from one address without a valid key: public routes and failed sign-ins. Default 120. */
  perAddress?: number
  /** Window length, ms. Default 60,000. */
  windowMs?: number
}

export const RATE_LIMIT_DEFAULTS = { perKey: 600, perAddress: 120, windowMs: 60_000 } as const

export interface RateDecision {
  allowed: boolean
  limit: number
  remaining: number
  /** Seconds until the window resets (the Retry-After of a 429). */
  resetS: number
}

interface Window {
  start: number
  count: number
}

export class RateLimiter {
  readonly windowMs: number
  readonly #now: () => number
  #windows = new Map<string, Window>()
  #swept = 0

  constructor(opts: { windowMs?: number; now?: () => number } = {}) {
    this.windowMs = opts.windowMs ?? RATE_LIMIT_DEFAULTS.windowMs
    if (!(this.windowMs >= 1000)) throw new RangeError(`rate limit window ${this.windowMs} ms must be at least 1000 ms`)
    this.#now = opts.now ?? Date.now
  }

  /** Counts one request against `bucket` unless it is over `limit` already. */
  hit(bucket: string, limit: number): RateDecision {
    const now = this.#now()
    this.#sweep(now)
    let w = this.#windows.get(bucket)
    if (!w || now - w.start >= this.windowMs) {
      w = { start: now, count: 0 }
      this.#windows.set(bucket, w)
    }
    const resetS = Math.max(1, Math.ceil((w.start + this.windowMs - now) / 1000))
    if (w.count >= limit) return { allowed: false, limit, remaining: 0, resetS }
    w.count++
    return { allowed: true, limit, remaining: limit - w.count, resetS }
  }

  /** Whether `bucket` is over `limit` now, without counting. */
  exceeded(bucket: string, limit: number): RateDecision | undefined {
    const now = this.#now()
    const w = this.#windows.get(bucket)
    if (!w || now - w.start >= this.windowMs || w.count < limit) return undefined
    return { allowed: false, limit, remaining: 0, resetS: Math.max(1, Math.ceil((w.start + this.windowMs - now) / 1000)) }
  }

  /** Buckets tracked now (for tests: expired windows are dropped). */
  get size(): number {
    return this.#windows.size
  }

  // Once a window, drop expired windows so a scan from many addresses does not grow memory for ever.
  #sweep(now: number): void {
    if (now - this.#swept < this.windowMs) return
    this.#swept = now
    for (const [k, w] of this.#windows) if (now - w.start >= this.windowMs) this.#windows.delete(k)
  }
}

/**
 * Limits from the environment: SHOPFLOOR_API_RATE_PER_KEY, SHOPFLOOR_API_RATE_PER_ADDRESS (requests
 * per window) and SHOPFLOOR_API_RATE_WINDOW_S; SHOPFLOOR_API_RATE_LIMIT=off turns limiting off.
 * Unset variables keep {@link RATE_LIMIT_DEFAULTS}. Throws a RangeError naming a bad variable.
 */
export function rateLimitFromEnv(env: NodeJS.ProcessEnv = process.env): RateLimitOptions | false {
  if (env['SHOPFLOOR_API_RATE_LIMIT'] === 'off') return false
  const read = (name: string, min: number): number | undefined => {
    const raw = env[name]
    if (raw === undefined || raw === '') return undefined
    const n = Number(raw)
    if (!Number.isInteger(n) || n < min) throw new RangeError(`${name}=${JSON.stringify(raw)} must be a whole number of at least ${min}`)
    return n
  }
  const perKey = read('SHOPFLOOR_API_RATE_PER_KEY', 1)
  const perAddress = read('SHOPFLOOR_API_RATE_PER_ADDRESS', 1)
  const windowS = read('SHOPFLOOR_API_RATE_WINDOW_S', 1)
  return {
    ...(perKey !== undefined ? { perKey } : {}),
    ...(perAddress !== undefined ? { perAddress } : {}),
    ...(windowS !== undefined ? { windowMs: windowS * 1000 } : {}),
  }
}
