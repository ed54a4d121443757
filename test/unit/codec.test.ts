import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import avro from 'avsc'
import { describe, expect, it } from 'vitest'
import { EventCodec, SCHEMA_DIR } from '../../stream/codec.ts'
import { rabinFingerprint64 } from '../../stream/fingerprint.ts'
import type { ShopfloorEvent } from '../../stream/events.ts'
import { StreamError } from '../../stream/errors.ts'

const signed = (u: bigint): bigint => BigInt.asIntN(64, u)
const fp = (s: string): bigint => signed(rabinFingerprint64(Buffer.from(s, 'utf8')))

describe('rabinFingerprint64', () => {
  // Vectors from Apache Avro's share/test/data/schema-tests.txt (signed 64-bit as published).
  it('matches the Avro specification test vectors', () => {
    expect(fp('"null"')).toBe(7195948357588979594n)
    expect(fp('"boolean"')).toBe(-6970731678124411036n)
    expect(fp('"int"')).toBe(8247732601305521295n)
    expect(fp('"long"')).toBe(-3434872931120570953n)
    expect(fp('{"name":"foo","type":"fixed","size":15}')).toBe(1756455273707447556n)
  })

  it('is computed over the Parsing Canonical Form that avsc produces', () => {
    const t = avro.Type.forSchema({ type: 'record', name: 'foo', doc: 'ignored', fields: [{ name: 'f1', type: 'boolean', default: true }] })
    expect(JSON.stringify(t.schema())).toBe('{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"}]}')
    expect(fp(JSON.stringify(t.schema()))).toBe(7843277075252814651n)
  })
})

const header = { event_id: 'gw-1:7', agent_id: 'gw-1', seq: 7, source_ts: 1_795_000_000_123 }
const machine = 'hcmc/vsip-1/acme-pcb/smt/line-1/printer'
const samples: ShopfloorEvent[] = [
  { type: 'machine_state', event: { ...header, machine, receive_ts: 1_795_000_000_200, state: 'DOWN', reason: 'NOZZLE_CLOG' } },
  { type: 'production_count', event: { ...header, machine, receive_ts: 1, produced: 3, rejected: 1, ideal_cycle_s: 0.75, product: null } },
  { type: 'energy_reading', event: { ...header, machine, receive_ts: 1, kwh: 0.01, kwh_total: 1234.56, kw: 7.5, kvarh: 0.004, kvarh_total: 310.5 } },
  { type: 'tag_sample', event: { ...header, machine, receive_ts: 1, tag: 'zone3_temp', value_double: 245.5, value_string: null, quality: 'GOOD' } },
  {
    type: 'agent_heartbeat',
    event: { ...header, version: '0.1.0', started_ts: 5, machines: [{ machine, name: 'printer', position: 0, ideal_cycle_s: 0.75, line_ideal_cycle_s: 1, end_of_line: false }] },
  },
]

describe('EventCodec', () => {
  const codec = new EventCodec()

  it.each(samples.map((s) => [s.type, s] as const))('EventCodec round-trips a %s event', (_t, sample) => {
    const buf = codec.encode(sample)
    expect([buf[0], buf[1]]).toEqual([0xc3, 0x01])
    expect(buf.subarray(2, 10)).toEqual(codec.schemaOf(sample.type).fingerprint)
    expect(codec.decode(buf)).toEqual(sample)
  })

  it('EventCodec writes the newest version of each schema', () => {
    expect(codec.schemaOf('energy_reading').file).toBe('energy-reading.v2.avsc')
    expect(codec.versionsOf('energy_reading').map((v) => v.file)).toEqual(['energy-reading.v1.avsc', 'energy-reading.v2.avsc'])
    const energy = samples[2] as ShopfloorEvent
    expect(codec.encode(energy).subarray(2, 10)).toEqual(codec.schemaOf('energy_reading').fingerprint)
  })

  it('EventCodec writes a v2 field the producer left out as its default, null', () => {
    const { kvarh: _k, kvarh_total: _t, ...v1Shaped } = (samples[2] as unknown as { event: Record<string, unknown> }).event
    const e = { type: 'energy_reading', event: v1Shaped } as unknown as ShopfloorEvent
    expect(codec.decode(codec.encode(e)).event).toEqual({ ...v1Shaped, kvarh: null, kvarh_total: null })
  })

  it('EventCodec reads an event written with an older version through the newest', () => {
    const v1 = codec.versionsOf('energy_reading')[0]!
    const event = { ...header, machine, receive_ts: 1, kwh: 0.01, kwh_total: 1234.56, kw: null }
    const buf = Buffer.concat([Buffer.from([0xc3, 0x01]), v1.fingerprint, v1.type.toBuffer(event)])
    expect(codec.decode(buf)).toEqual({ type: 'energy_reading', event: { ...event, kvarh: null, kvarh_total: null } })
  })

  it('EventCodec still takes the schema folder as a plain string', () => {
    expect(new EventCodec(SCHEMA_DIR).schemaOf('tag_sample').file).toBe('tag-sample.v1.avsc')
  })

  it('EventCodec writes the fingerprint of the schema file little-endian', () => {
    const schema = JSON.parse(readFileSync(join(SCHEMA_DIR, 'machine-state.v1.avsc'), 'utf8')) as avro.Schema
    const canonical = JSON.stringify(avro.Type.forSchema(schema).schema())
    const le = Buffer.alloc(8)
    le.writeBigUInt64LE(rabinFingerprint64(Buffer.from(canonical)))
    expect(codec.encode(samples[0] as ShopfloorEvent).subarray(2, 10)).toEqual(le)
  })

  it('EventCodec rejects a message without the single-object marker', () => {
    expect(() => codec.decode(Buffer.from('{"json":true}'))).toThrowError(
      expect.objectContaining({ code: 'SHOPFLOOR_CODEC_NOT_SINGLE_OBJECT' }) as Error,
    )
  })

  it('EventCodec rejects an unknown schema fingerprint with the fingerprint in the message', () => {
    const buf = Buffer.from([0xc3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 0])
    try {
      codec.decode(buf)
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(StreamError)
      expect((e as StreamError).code).toBe('SHOPFLOOR_CODEC_UNKNOWN_SCHEMA')
      expect((e as StreamError).message).toContain('0102030405060708')
    }
  })

  it('EventCodec reports a truncated body as a decode error', () => {
    const buf = codec.encode(samples[0] as ShopfloorEvent)
    expect(() => codec.decode(buf.subarray(0, buf.length - 5))).toThrowError(expect.objectContaining({ code: 'SHOPFLOOR_CODEC_DECODE' }) as Error)
  })

  it('EventCodec names the field that does not fit the schema', () => {
    const bad = { type: 'machine_state', event: { ...(samples[0] as { event: object }).event, state: 'SLEEPING' } } as unknown as ShopfloorEvent
    expect(() => codec.encode(bad)).toThrowError(/state/)
  })
})
