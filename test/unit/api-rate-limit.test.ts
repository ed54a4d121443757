import { describe, expect, it } from 'vitest'
import { RateLimiter, rateLimitFromEnv } from '../../api/auth/index.ts'

describe('RateLimiter', () => {
  it('RateLimiter allows `limit` requests a window per bucket, then says when to retry', () => {
    let now = 1_000_000
    const rl = new RateLimiter({ windowMs: 10_000, now: () => now })
    for (let i = 0; i < 3; i++) expect(rl.hit('a', 3)).toMatchObject({ allowed: true, remaining: 2 - i })
    expect(rl.hit('a', 3)).toEqual({ allowed: false, limit: 3, remaining: 0, resetS: 10 })
    expect(rl.hit('b', 3).allowed).toBe(true) // buckets are independent
    now += 7_500
    expect(rl.hit('a', 3)).toMatchObject({ allowed: false, resetS: 3 })
    expect(rl.exceeded('a', 3)).toMatchObject({ allowed: false, resetS: 3 })
    now += 2_500
    expect(rl.exceeded('a', 3)).toBeUndefined()
    expect(rl.hit('a', 3)).toMatchObject({ allowed: true, remaining: 2 })
  })

  it('RateLimiter forgets expired windows, so many addresses do not grow memory for ever', () => {
    let now = 0
    const rl = new RateLimiter({ windowMs: 1_000, now: () => now })
    for (let i = 0; i < 1000; i++) rl.hit(`ip:${i}`, 5)
    expect(rl.size).toBe(1000)
    now += 1_000
    rl.hit('ip:x', 5)
    expect(rl.size).toBe(1)
  })

  it('RateLimiter refuses a window under a second', () => {
    expect(() => new RateLimiter({ windowMs: 10 })).toThrow(/at least 1000 ms/)
  })
})

describe('rateLimitFromEnv', () => {
  it.each<[Record<string, string>, unknown]>([
    [{}, {}],
    [{ SHOPFLOOR_API_RATE_PER_KEY: '50', SHOPFLOOR_API_RATE_PER_ADDRESS: '5', SHOPFLOOR_API_RATE_WINDOW_S: '10' }, { perKey: 50, perAddress: 5, windowMs: 10_000 }],
    [{ SHOPFLOOR_API_RATE_LIMIT: 'off', SHOPFLOOR_API_RATE_PER_KEY: '50' }, false],
  ])('rateLimitFromEnv reads %j', (env, expected) => {
    expect(rateLimitFromEnv(env)).toEqual(expected)
  })

  it.each([['SHOPFLOOR_API_RATE_PER_KEY', '0'], ['SHOPFLOOR_API_RATE_PER_ADDRESS', '1.5'], ['SHOPFLOOR_API_RATE_WINDOW_S', 'soon']])('rateLimitFromEnv names a bad %s=%s', (name, value) => {
    expect(() => rateLimitFromEnv({ [name]: value })).toThrow(`${name}="${value}" must be a whole number`)
  })
})
