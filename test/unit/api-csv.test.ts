import { describe, expect, it } from 'vitest'
import { csvCell, negotiate, plainNumber, toCsv } from '../../api/http/index.ts'

describe('CSV', () => {
  it.each<[number, string]>([
    [0, '0'],
    [-0, '0'],
    [42, '42'],
    [-3.25, '-3.25'],
    [0.1 + 0.2, '0.30000000000000004'],
    [1e-7, '0.0000001'],
    [-1.5e-9, '-0.0000000015'],
    [1.234e-10, '0.0000000001234'],
    [1e21, '1000000000000000000000'],
    [1.5e22, '15000000000000000000000'],
    [123456789012, '123456789012'],
    [Number.NaN, ''],
    [Number.POSITIVE_INFINITY, ''],
  ])('plainNumber writes %s as %s', (n, s) => {
    expect(plainNumber(n)).toBe(s)
    if (s !== '' && n !== 0) expect(Number(s)).toBe(n) // exact: reads back as the same double
  })

  it.each<[unknown, string]>([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['cr\r', '"cr\r"'],
    [' spaced ', ' spaced '],
    ['', ''],
    [null, ''],
    [undefined, ''],
    [true, 'true'],
    [12n, '12'],
    [new Date(Date.UTC(2026, 10, 21, 6)), '2026-11-21T06:00:00.000Z'],
    [['a', 'b'], '"[""a"",""b""]"'],
  ])('csvCell quotes %s as RFC 4180 asks', (v, s) => {
    expect(csvCell(v)).toBe(s)
  })

  it.each<[unknown, string]>([
    ['=HYPERLINK("http://evil.example","jam")', `"'=HYPERLINK(""http://evil.example"",""jam"")"`],
    ['+1+1', `"'+1+1"`],
    ['-2+3', `"'-2+3"`],
    ['@SUM(A1:A9)', `"'@SUM(A1:A9)"`],
    ['\t=1', `"'\t=1"`],
    ['\r=1', `"'\r=1"`],
    ['=a,b', `"'=a,b"`],
    // Not at the start, or a number: left as is.
    ['jam=1', 'jam=1'],
    ['a-b', 'a-b'],
    [-3.5, '-3.5'],
    [' =1', ' =1'],
  ])('csvCell escapes %j so a spreadsheet shows text, not a formula (OWASP CSV injection)', (v, s) => {
    expect(csvCell(v)).toBe(s)
  })

  it('toCsv escapes a formula in any cell, header included', () => {
    expect(toCsv([{ reason: '=cmd|\' /C calc\'!A0' }], ['reason', { header: '@h', value: () => 1 }])).toBe(`reason,"'@h"\r\n"'=cmd|' /C calc'!A0",1\r\n`)
  })

  it('toCsv writes a header row, CRLF after every record, nested paths and computed columns', () => {
    const rows = [
      { machine: 'a/b/c/d/e/printer', oee: 0.85, seconds: { running: 3600 } },
      { machine: 'x,y', oee: null, seconds: { running: 1e-7 } },
    ]
    const csv = toCsv(rows, ['machine', 'oee', 'seconds.running', { header: 'running h', value: (r) => r.seconds.running / 3600 }])
    expect(csv).toBe('machine,oee,seconds.running,running h\r\na/b/c/d/e/printer,0.85,3600,1\r\n"x,y",,0.0000001,0.000000000027777777777777777\r\n')
    expect(toCsv([], ['a', 'b'])).toBe('a,b\r\n')
  })

  it.each<[string | undefined, string | undefined]>([
    [undefined, 'application/json'],
    ['', 'application/json'],
    ['*/*', 'application/json'],
    ['text/csv', 'text/csv'],
    ['text/*', 'text/csv'],
    ['application/json', 'application/json'],
    ['text/csv, application/json', 'application/json'],
    ['text/csv;q=1, application/json;q=0.5', 'text/csv'],
    ['text/csv, */*;q=0.1', 'text/csv'],
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'application/json'],
    ['text/csv;q=0, application/json', 'application/json'],
    ['image/png', undefined],
    ['text/html', undefined],
  ])('negotiate picks from Accept %j: %s', (accept, offer) => {
    expect(negotiate(accept)).toBe(offer)
  })
})
