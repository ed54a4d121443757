// The golden cases' files themselves: every case reads and checks, turns into events, and its
// README works out every number its expected.yaml asks for. test/integration/golden.test.ts runs
// them through ingest, chDB and the API.
import { describe, expect, it } from 'vitest'
import { caseEvents, goldenCaseNames, loadGoldenCase, mismatches, select } from '../golden/golden-case.ts'

/** README text with thousands separators, emphasis and typographic minus signs taken out. */
const plain = (md: string): string => md.replaceAll(/(\d),(\d{3})/g, '$1$2').replaceAll(/(\d),(\d{3})/g, '$1$2').replaceAll('**', '').replaceAll('−', '-')

describe('golden cases', () => {
  const names = goldenCaseNames()

  it('golden cases include the ones issue 6 asks for', () => {
    expect(names).toEqual(expect.arrayContaining(['two-machine-aggregation', 'micro-stops', 'shift-boundary', 'counter-rollover', 'performance-above-100']))
  })

  for (const name of names) {
    it(`golden case ${name} reads, builds its events and works every expected number in its README`, () => {
      const c = loadGoldenCase(name)
      const events = caseEvents(c)
      expect(events[0]?.type).toBe('agent_heartbeat')
      const seqs = events.map((e) => e.event.seq)
      expect(seqs).toEqual(seqs.map((_, i) => i + 1))
      const text = plain(c.readme)
      expect(text.length, `${name}/README.md`).toBeGreaterThan(200)
      const missing: string[] = []
      for (const q of c.expected.queries) {
        for (const [selector, v] of Object.entries(q.expect)) {
          const shown = Array.isArray(v) ? v : [v === null ? 'null' : typeof v === 'boolean' ? String(v) : String(v)]
          for (const s of shown) if (!new RegExp(`(^|[^0-9./])${s.replaceAll(/[.*+?^${}()|[\]\\/]/g, '\\$&')}($|[^0-9/]|\\.(?![0-9]))`).test(text)) missing.push(`${q.name}: ${selector} = ${s}`)
        }
      }
      expect(missing, `numbers of expected.yaml that ${name}/README.md does not show`).toEqual([])
    })
  }

  it('golden case counter-rollover turns the raw readings into counts with the counter model', () => {
    const counts = caseEvents(loadGoldenCase('counter-rollover')).flatMap((e) => (e.type === 'production_count' ? [[new Date(e.event.source_ts).toISOString().slice(11, 16), e.event.produced, e.event.rejected]] : []))
    expect(counts).toEqual([
      ['01:15', 60, 0],
      ['01:15', 0, 1],
      ['01:25', 60, 0],
      ['01:35', 60, 0],
      ['01:35', 0, 2],
      ['01:45', 60, 0],
      ['01:45', 0, 1],
      ['01:55', 60, 0],
      ['02:05', 60, 0],
    ])
  })
})

describe('golden expectations', () => {
  const body = { oee: 0.76, flags: ['b', 'a'], machines: [{ machine: 'h/p/f/a/l/m1', oee: 0.85 }, { machine: 'h/p/f/a/l/m2', oee: null }], buckets: [{ key: '2026-11-17/A' }] }

  it('select picks by key, index and field, a path matching by its last segments', () => {
    expect(select(body, 'machines[machine=m1].oee')).toEqual({ value: 0.85 })
    expect(select(body, 'machines[machine=l/m2].oee')).toEqual({ value: null })
    expect(select(body, 'buckets[0].key')).toEqual({ value: '2026-11-17/A' })
    expect(select(body, 'buckets[key=2026-11-17/A].key')).toEqual({ value: '2026-11-17/A' })
    expect(select(body, 'machines[machine=m3].oee')).toEqual({ missing: 'machines has 0 elements with machine = m3 (h/p/f/a/l/m1, h/p/f/a/l/m2)' })
  })

  it('mismatches compares fractions exactly, flags as sets, and reports what differs', () => {
    expect(mismatches(body, { oee: '19/25', flags: ['a', 'b'], 'machines[machine=m2].oee': null })).toEqual([])
    expect(mismatches(body, { oee: '3/4', flags: ['a'], 'machines[machine=m1].oee': 0.85 + 1e-6, availability: 1 })).toEqual([
      'oee: expected 3/4 (0.75), got 0.76',
      'flags: expected ["a"] (any order), got ["b","a"]',
      'machines[machine=m1].oee: expected 0.850001, got 0.85',
      'availability: expected 1, but the body has no "availability"',
    ])
  })
})
