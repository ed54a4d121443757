// Ingest's fast path (stream/clickhouse/avro-rows.ts) against the reference: avsc's decoding
// (with schema resolution for older writers) and appendRows, serialised as JSONCompactEachRow.
// Random records of every writer version of every covered schema must give byte-identical lines;
// malformed bodies must be declined (the avsc path then dead-letters them) or, where the fast path
// accepts, read exactly as avsc reads them.
import avro from 'avsc'
import { describe, expect, it } from 'vitest'
import { compileRowReader, FAST_COLUMNS, RowBuffer, type FastEventType } from '../../stream/clickhouse/avro-rows.ts'
import { appendRows, type Row } from '../../stream/clickhouse/rows.ts'
import { EventCodec } from '../../stream/codec.ts'
import type { ShopfloorEvent } from '../../stream/events.ts'
import { prng as rng } from '../../connectors/simulator/random.ts' // seeded: failures reproduce

type Rand = () => number
const pick = <T,>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T

const ODD_STRINGS = ['', 'a"b', 'back\\slash', 'tab\there', 'line\nbreak', 'nhiệt độ', '温度', '\u0001ctl', 'emoji 🙂', '\u007f', "it's"]
function randString(r: Rand): string {
  if (r() < 0.3) return pick(r, ODD_STRINGS)
  const n = Math.floor(r() * 12)
  let s = ''
  for (let i = 0; i < n; i++) s += String.fromCharCode(0x20 + Math.floor(r() * 95))
  return s
}
const SEGMENTS = ['vn-hcm', 'vsip-1', 'f0', 'acme_pcb', 'smt', 'line-1', 'm.7', 'printer']
function randMachine(r: Rand): string {
  if (r() < 0.1) return pick(r, ['', 'a/b', 'a/b/c/d/e/f/g', 'a/b/c/d/e/-f', 'a/b/c/d/e/f g', 'ä/b/c/d/e/f'])
  return Array.from({ length: 6 }, () => pick(r, SEGMENTS)).join('/')
}
function randDouble(r: Rand): number {
  const x = r()
  if (x < 0.05) return pick(r, [0, -0, 1e308, -1e-308, 5e-324, 1e21, 123456789.123456789, NaN, Infinity, -Infinity])
  if (x < 0.3) return Math.round((r() - 0.5) * 1e6)
  return (r() - 0.5) * 10 ** Math.floor(r() * 30 - 10)
}
function randLong(r: Rand): number {
  const x = r()
  if (x < 0.1) return pick(r, [0, -1, 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 - 2, -(2 ** 53) + 2])
  return Math.floor((r() - 0.3) * 2 ** Math.floor(r() * 53))
}

type Schema = string | { type: string; [k: string]: unknown } | Schema[]

/** A random value of an Avro type (the field types the event schemas use). */
function randValue(r: Rand, t: Schema, name: string): unknown {
  if (Array.isArray(t)) {
    const branch = pick(r, t)
    return branch === 'null' ? null : randValue(r, branch, name)
  }
  if (typeof t === 'object') {
    if (t.type === 'enum') return pick(r, t['symbols'] as string[])
    return randValue(r, t.type as Schema, name)
  }
  switch (t) {
    case 'string':
      return name === 'machine' ? randMachine(r) : randString(r)
    case 'long':
    case 'int':
      return t === 'int' ? Math.floor((r() - 0.5) * 2 ** 31) : randLong(r)
    case 'double':
      return randDouble(r)
    case 'float':
      return Math.fround(randDouble(r))
    case 'boolean':
      return r() < 0.5
    default:
      throw new Error(`no generator for ${t}`)
  }
}

function randRecord(r: Rand, schema: { fields: { name: string; type: Schema }[] }): Record<string, unknown> {
  return Object.fromEntries(schema.fields.map((f) => [f.name, randValue(r, f.type, f.name)]))
}

/** The reference line: avsc (resolving from the writer) and appendRows; undefined when either rejects. */
function referenceLine(type: FastEventType, writer: avro.Type, reader: avro.Type, body: Buffer): string | undefined {
  let event: unknown
  try {
    event = writer === reader ? reader.fromBuffer(body) : reader.fromBuffer(body, reader.createResolver(writer))
  } catch {
    return undefined
  }
  const rows = new Map<string, Row[]>()
  try {
    appendRows({ type, event } as ShopfloorEvent, rows)
  } catch {
    return undefined
  }
  const row = rows.get(type)?.[0] as Row
  expect(Object.keys(row)).toEqual(FAST_COLUMNS[type])
  return `${JSON.stringify(Object.values(row))}\n`
}

function fastLine(type: FastEventType, writer: avro.Type, reader: avro.Type, body: Buffer): string | undefined {
  const rr = compileRowReader(type, writer.schema(), reader.schema({ exportAttrs: true }))
  expect(rr, `a fast reader for ${type}`).toBeDefined()
  const out = new RowBuffer(16)
  if (!rr?.read(body, 0, out)) {
    expect(out.length).toBe(0)
    return undefined
  }
  return out.bytes().toString('utf8')
}

const codec = new EventCodec()
const FAST_TYPES = Object.keys(FAST_COLUMNS) as FastEventType[]

describe('ingest fast path: Avro bytes to JSONCompactEachRow lines', () => {
  for (const type of FAST_TYPES) {
    const reader = codec.schemaOf(type).type
    for (const version of codec.versionsOf(type)) {
      it(`${type}: writer ${version.file} read as ${codec.schemaOf(type).file} gives the lines avsc and appendRows give`, () => {
        const r = rng(version.version * 7919 + type.length)
        let accepted = 0
        let declined = 0
        for (let i = 0; i < 2000; i++) {
          const record = randRecord(r, version.type.schema() as { fields: { name: string; type: Schema }[] })
          const body = version.type.toBuffer(record)
          const expected = referenceLine(type, version.type, reader, body)
          const got = fastLine(type, version.type, reader, body)
          expect(got, JSON.stringify(record)).toBe(expected)
          if (got === undefined) declined++
          else accepted++
        }
        // Declined here only for malformed machine paths (about one in ten).
        expect(accepted).toBeGreaterThan(1500)
        expect(declined).toBeGreaterThan(50)
      })

      it(`${type}: writer ${version.file}, malformed bodies are declined or read exactly as avsc reads them`, () => {
        const r = rng(version.version * 104729 + type.length)
        for (let i = 0; i < 2000; i++) {
          const record = randRecord(r, version.type.schema() as { fields: { name: string; type: Schema }[] })
          const good = version.type.toBuffer(record)
          let body: Buffer
          const how = i % 4
          if (how === 0) body = good.subarray(0, Math.floor(r() * good.length)) // truncated
          else if (how === 1) body = Buffer.concat([good, Buffer.from([Math.floor(r() * 256)])]) // trailing byte
          else if (how === 2) {
            body = Buffer.from(good)
            for (let k = 0; k < 3; k++) body[Math.floor(r() * body.length)] = Math.floor(r() * 256) // flipped bytes
          } else body = Buffer.from(Array.from({ length: Math.floor(r() * 80) }, () => Math.floor(r() * 256))) // noise
          const got = fastLine(type, version.type, reader, body)
          if (got !== undefined) expect(got).toBe(referenceLine(type, version.type, reader, body))
          if (how < 2) expect(got).toBeUndefined()
        }
      })
    }
  }

  // Writers this repository never shipped, as a newer or foreign producer might register them.
  const tag = codec.schemaOf('tag_sample')
  const tagSchema = tag.type.schema({ exportAttrs: true }) as { name: string; namespace?: string; type: 'record'; fields: { name: string; type: Schema; default?: unknown }[] }
  const variant = (edit: (fields: { name: string; type: Schema; default?: unknown }[]) => { name: string; type: Schema; default?: unknown }[]): avro.Type =>
    avro.Type.forSchema({ ...tagSchema, fields: edit(tagSchema.fields.map((f) => ({ ...f }))) } as avro.Schema)
  const cases: { name: string; writer: avro.Type; fast: boolean }[] = [
    { name: 'an extra field the reader skips', writer: variant((fs) => [...fs.slice(0, 7), { name: 'unit', type: 'string' }, { name: 'scale', type: ['null', 'double'] }, ...fs.slice(7)]), fast: true },
    { name: 'a nullable field missing (reader default null)', writer: variant((fs) => fs.filter((f) => f.name !== 'value_string')), fast: true },
    { name: 'fields in another order', writer: variant((fs) => [...fs].reverse()), fast: true },
    { name: 'a long written as int', writer: variant((fs) => fs.map((f) => (f.name === 'seq' ? { ...f, type: 'int' } : f))), fast: true },
    { name: 'a double written as float', writer: variant((fs) => fs.map((f) => (f.name === 'value_double' ? { ...f, type: ['null', 'float'] } : f))), fast: true },
    { name: 'a non-null writer of a nullable field', writer: variant((fs) => fs.map((f) => (f.name === 'value_double' ? { name: f.name, type: 'double' } : f))), fast: true },
    { name: 'the union branches swapped', writer: variant((fs) => fs.map((f) => (f.name === 'value_string' ? { ...f, type: ['string', 'null'], default: 'x' } : f))), fast: true },
    {
      name: 'an enum with a symbol the reader lacks',
      writer: variant((fs) => fs.map((f) => (f.name === 'quality' ? { ...f, type: { type: 'enum', name: 'Quality', symbols: ['GOOD', 'UNCERTAIN', 'BAD', 'STALE'] } } : f))),
      fast: false,
    },
    { name: 'a field of a type the fast path leaves to avsc (array)', writer: variant((fs) => [...fs, { name: 'history', type: { type: 'array', items: 'double' } as unknown as Schema }]), fast: false },
  ]
  for (const c of cases) {
    it(`tag_sample from a writer with ${c.name}: ${c.fast ? 'the same lines as avsc' : 'left to avsc'}`, () => {
      const rr = compileRowReader('tag_sample', c.writer.schema(), tag.schema)
      expect(rr !== undefined).toBe(c.fast)
      if (!rr) return
      const r = rng(c.name.length)
      for (let i = 0; i < 500; i++) {
        const body = c.writer.toBuffer(randRecord(r, c.writer.schema() as { fields: { name: string; type: Schema }[] }))
        const out = new RowBuffer(16)
        const got = rr.read(body, 0, out) ? out.bytes().toString('utf8') : undefined
        const expected = referenceLine('tag_sample', c.writer, tag.type, body)
        // Declining is always safe (avsc then decides); accepting must match avsc exactly.
        if (got !== undefined) expect(got).toBe(expected)
        else expect(expected).toBeUndefined()
      }
    })
  }

  it('reports the agent, machine and sequence of the event it read', () => {
    const e = { event_id: 'gw-1:7', agent_id: 'gw-1', seq: 7, machine: 'r/p/f/a/l/m', source_ts: 1, receive_ts: 2, tag: 't', value_double: 1.5, value_string: null, quality: 'GOOD' }
    const rr = compileRowReader('tag_sample', tag.type.schema(), tag.schema)
    const out = new RowBuffer(4) // grows as needed
    const framed = Buffer.concat([Buffer.from('0a0b0c', 'hex'), tag.type.toBuffer(e)]) // a body after a 3-byte header
    expect(rr?.read(framed, 3, out)).toBe(true)
    expect([rr?.ident?.agent, rr?.ident?.machine, rr?.seq]).toEqual(['gw-1', 'r/p/f/a/l/m', 7])
    // The same agent and machine again: the same interned ident.
    const first = rr?.ident
    expect(rr?.read(framed, 3, out)).toBe(true)
    expect(rr?.ident).toBe(first)
    expect(out.bytes().toString()).toBe('["gw-1:7","gw-1",7,"r/p/f/a/l/m",1,2,"t",1.5,null,"GOOD"]\n'.repeat(2))
  })

  it('leaves heartbeats and machine states to avsc', () => {
    for (const t of ['agent_heartbeat', 'machine_state'] as const) {
      const s = codec.schemaOf(t)
      expect(compileRowReader(t, s.type.schema(), s.schema)).toBeUndefined()
    }
  })
})
