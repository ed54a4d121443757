import { describe, expect, it } from 'vitest'
import { inScope, sseComment, sseEvent, sseRetry, type LiveScope } from '../../api/live/index.ts'

const F = 'hcmc/vsip-1/saigon-pcb'
const M = `${F}/smt/smt-1/aoi`

describe('live scope and framing', () => {
  it.each<[string, LiveScope, boolean]>([
    ['admin, no filter', { factories: 'all' }, true],
    ['own factory', { factories: [F] }, true],
    ['another factory only', { factories: ['hanoi/thang-long/hn-assembly'] }, false],
    ['no factories (analyst)', { factories: [] }, false],
    ['the factory asked for', { factories: 'all', factory: F }, true],
    ['another factory asked for', { factories: 'all', factory: 'hcmc/vsip-1/other' }, false],
    ['its line', { factories: [F], line: `${F}/smt/smt-1` }, true],
    ['a line whose path is a prefix of its line', { factories: [F], line: `${F}/smt/smt` }, false],
    ['the machine', { factories: [F], machine: M }, true],
    ['another machine', { factories: [F], machine: `${M}-2` }, false],
    ['a machine asked for outside the caller\'s factories', { factories: ['x/y/z'], machine: M }, false],
  ])('inScope: %s -> %s', (_what, scope, expected) => {
    expect(inScope(scope, F, M)).toBe(expected)
  })

  it('sseEvent frames JSON on one data line, so no value can start another field or event', () => {
    expect(sseEvent('state', { machine: 'a\n\nevent: kpi\ndata: {}', n: 1 }, 'k1.2')).toBe('id: k1.2\nevent: state\ndata: {"machine":"a\\n\\nevent: kpi\\ndata: {}","n":1}\n\n')
    expect(sseEvent('kpi', {})).toBe('event: kpi\ndata: {}\n\n')
    expect(sseComment('ping\r\nid: 9')).toBe(': ping  id: 9\n\n')
    expect(sseRetry(1000.4)).toBe('retry: 1000\n\n')
  })
})
