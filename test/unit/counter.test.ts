import { describe, expect, it } from 'vitest'
import { counterStep } from '../../edge/model/counter.ts'

describe('counterStep', () => {
  it.each([
    // prev, cur, rollover, expected
    [10, 15, 2 ** 32, { kind: 'increase', delta: 5 }],
    [10, 10, 2 ** 32, { kind: 'increase', delta: 0 }],
    [4294967290, 3, 2 ** 32, { kind: 'rollover', delta: 9 }], // 6 to the top, then 0..3
    [65530, 4, 65536, { kind: 'rollover', delta: 10 }],
    [1200, 7, 2 ** 32, { kind: 'reset', delta: 7 }], // low value dropped: the PLC reset it
    [65530, 40000, 65536, { kind: 'reset', delta: 40000 }], // not near zero: a reset, not a wrap
    [9_999.5, 0.25, 10_000, { kind: 'rollover', delta: 0.75 }], // kWh register wrapping at 10,000
  ] as const)('counterStep(%d -> %d, rollover %d) gives %j', (prev, cur, rollover, expected) => {
    expect(counterStep(prev, cur, rollover)).toEqual(expected)
  })

  it('counterStep never returns a negative delta', () => {
    for (let i = 0; i < 1000; i++) {
      const prev = Math.floor(Math.random() * 70000)
      const cur = Math.floor(Math.random() * 70000) % 65536
      expect(counterStep(prev % 65536, cur, 65536).delta).toBeGreaterThanOrEqual(0)
    }
  })
})
