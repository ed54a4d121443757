import { describe, expect, it } from 'vitest'
import { appendRows, type Row } from '../../stream/clickhouse/rows.ts'
import { insertStatement } from '../../stream/clickhouse/writer.ts'
import { deadLetterTopic } from '../../stream/index.ts'
import type { ShopfloorEvent } from '../../stream/index.ts'

const header = { event_id: 'gw-1:7', agent_id: 'gw-1', seq: 7, source_ts: 1_772_449_173_660, receive_ts: 1_772_449_173_663 }

describe('ingest rows', () => {
  it('appendRows gives a state row an empty interval for ingest to fill, and leaves factory and line to the table', () => {
    const out = new Map<string, Row[]>()
    appendRows({ type: 'machine_state', event: { ...header, machine: 'vn/p/f1/a/l1/m1', state: 'DOWN', reason: 'jam' } }, out)
    expect(out.get('machine_state')).toEqual([
      { event_id: 'gw-1:7', agent_id: 'gw-1', seq: 7, machine: 'vn/p/f1/a/l1/m1', ts: header.source_ts, received: header.receive_ts, state: 'DOWN', reason: 'jam', prev_state: null, prev_ts: null },
    ])
  })

  it.each<[string, ShopfloorEvent]>([
    ['a machine path with too few levels', { type: 'production_count', event: { ...header, machine: 'vn/p/m1', produced: 1, rejected: 0, ideal_cycle_s: 2, product: null } }],
    [
      'a heartbeat announcing one bad machine among good ones',
      {
        type: 'agent_heartbeat',
        event: { event_id: 'gw-1:7', agent_id: 'gw-1', seq: 7, source_ts: 1, version: '0.1.0', started_ts: 0, machines: [{ machine: 'vn/p/f1/a/l1/m1', name: 'm1', position: 0, ideal_cycle_s: 1, line_ideal_cycle_s: 1, end_of_line: false }, { machine: 'bad path', name: 'x', position: 1, ideal_cycle_s: 1, line_ideal_cycle_s: 1, end_of_line: true }] },
      },
    ],
  ])('appendRows rejects %s and leaves no row behind', (_name, event) => {
    const out = new Map<string, Row[]>()
    expect(() => appendRows(event, out)).toThrow(/machine path/)
    expect(out.size).toBe(0)
  })

  it('insertStatement names the columns once and writes one JSON array per row', () => {
    const sql = insertStatement('db.t', [
      { a: 1, b: 'x\ty', c: null },
      { a: 2, b: '"q"', c: true },
    ])
    expect(sql).toBe('INSERT INTO db.t (a, b, c) FORMAT JSONCompactEachRow\n[1,"x\\ty",null]\n[2,"\\"q\\"",true]\n')
  })

  it('deadLetterTopic names the topic after the prefix', () => {
    expect(deadLetterTopic()).toBe('shopfloor.dead-letter')
    expect(deadLetterTopic('plant-7')).toBe('plant-7.dead-letter')
  })
})
