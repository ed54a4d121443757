import { describe, expect, it } from 'vitest'
import { parseScope, parseTime, parseWindow } from '../../api/kpi/params.ts'

const ALL = ['machine', 'line', 'area', 'factory'] as const

describe('parseScope', () => {
  it.each([
    { q: { machine: 'hcmc/vsip-1/saigon-pcb/smt/line-1/aoi' }, want: { level: 'machine', path: 'hcmc/vsip-1/saigon-pcb/smt/line-1/aoi', factory: 'hcmc/vsip-1/saigon-pcb' } },
    { q: { line: 'hcmc/vsip-1/saigon-pcb/smt/line-1' }, want: { level: 'line', path: 'hcmc/vsip-1/saigon-pcb/smt/line-1', factory: 'hcmc/vsip-1/saigon-pcb' } },
    { q: { area: 'hcmc/vsip-1/saigon-pcb/smt' }, want: { level: 'area', path: 'hcmc/vsip-1/saigon-pcb/smt', factory: 'hcmc/vsip-1/saigon-pcb' } },
    { q: { factory: 'hcmc/vsip-1/saigon-pcb' }, want: { level: 'factory', path: 'hcmc/vsip-1/saigon-pcb', factory: 'hcmc/vsip-1/saigon-pcb' } },
  ])('parseScope reads $want.level', ({ q, want }) => {
    expect(parseScope(q, ALL)).toEqual(want)
  })

  it.each([
    { name: 'no scope', q: {}, param: 'machine', message: /give one of the query parameters "machine", "line", "area", "factory"/ },
    { name: 'two scopes', q: { machine: 'a/b/c/d/e/f', line: 'a/b/c/d/e' }, param: 'line', message: /give only one .* \(got "machine" and "line"\)/ },
    { name: 'a line path given as machine', q: { machine: 'a/b/c/d/e' }, param: 'machine', message: /"machine" must be a path region\/park\/factory\/area\/line\/machine/ },
    { name: 'a bad segment', q: { factory: 'a/b/c d' }, param: 'factory', message: /got "a\/b\/c d"/ },
    { name: 'an empty segment', q: { area: 'a//c/d' }, param: 'area', message: /"area" must be a path/ },
  ])('parseScope refuses $name naming the parameter', ({ q, param, message }) => {
    expect(() => parseScope(q, ALL)).toThrowError(expect.objectContaining({ code: 'SHOPFLOOR_API_BAD_PARAM', param, message: expect.stringMatching(message) as string }) as Error)
  })

  it('parseScope offers only the levels of the route', () => {
    expect(() => parseScope({ area: 'a/b/c/d' }, ['machine'])).toThrow(/give one of the query parameters "machine"$/)
  })
})

describe('parseTime and parseWindow', () => {
  it('parseTime reads an ISO date-time with a zone', () => {
    expect(parseTime('2026-11-21T08:00:00+07:00', 'from')).toBe(Date.UTC(2026, 10, 21, 1))
  })

  it.each([
    { name: 'a time without a zone', q: { from: '2026-11-21T08:00:00', to: '2026-11-21T09:00:00Z' }, param: 'from' },
    { name: 'a date only', q: { from: '2026-11-21T08:00:00Z', to: '2026-11-22' }, param: 'to' },
    { name: 'to before from', q: { from: '2026-11-21T08:00:00Z', to: '2026-11-21T07:00:00Z' }, param: 'to' },
    { name: 'to equal to from', q: { from: '2026-11-21T08:00:00Z', to: '2026-11-21T08:00:00Z' }, param: 'to' },
    { name: 'a window over 366 days', q: { from: '2025-01-01T00:00:00Z', to: '2026-01-03T00:00:00Z' }, param: 'to' },
  ])('parseWindow refuses $name naming the parameter', ({ q, param }) => {
    expect(() => parseWindow(q)).toThrowError(expect.objectContaining({ code: 'SHOPFLOOR_API_BAD_PARAM', param }) as Error)
  })
})
