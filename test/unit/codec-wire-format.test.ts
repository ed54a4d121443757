import { describe, expect, it } from 'vitest'
import { EventCodec } from '../../stream/codec.ts'
import { confluentFrame, parseFrame, singleObjectFrame } from '../../stream/framing.ts'
import type { ShopfloorEvent } from '../../stream/events.ts'
import { SchemaRegistryClient } from '../../stream/registry/client.ts'

const hex = (s: string): Buffer => Buffer.from(s.replaceAll(/\s+/g, ''), 'hex')

// An agent heartbeat without machines, worked byte by byte (Avro binary: strings are a zigzag
// varint length then UTF-8; longs are zigzag varints; an array is a block count, 0 ends it).
const heartbeat: ShopfloorEvent = {
  type: 'agent_heartbeat',
  event: { event_id: 'gw-2:1', agent_id: 'gw-2', seq: 1, source_ts: 1_795_000_000_123, version: '0.1.0', started_ts: 1_795_000_000_123, machines: [] },
}
const heartbeatBody = Buffer.concat(
  [
    ['0c 67772d323a31', 'event_id "gw-2:1": length 6 -> zigzag 12 = 0c, then UTF-8'],
    ['08 67772d32', 'agent_id "gw-2": length 4 -> 08'],
    ['02', 'seq 1 -> zigzag 2'],
    ['f6f9b2e5bd68', 'source_ts 1795000000123 -> zigzag 3590000000246, 7 bits a byte, low first'],
    ['0a 302e312e30', 'version "0.1.0"'],
    ['f6f9b2e5bd68', 'started_ts'],
    ['00', 'machines: no items, the block count 0 ends the array'],
  ].map(([bytes]) => hex(bytes as string)),
)
/** CRC-64-AVRO of agent-heartbeat.v1.avsc, little-endian (avro-tools `fingerprint` prints the same). */
const heartbeatFingerprint = hex('592ca127236e69e3')

describe('framing', () => {
  it.each([
    ['a one-byte body', hex('0102030405060708'), hex('02'), hex('c301 0102030405060708 02')],
    ['an empty body', hex('ffffffffffffffff'), hex(''), hex('c301 ffffffffffffffff')],
    ['the worked heartbeat', heartbeatFingerprint, heartbeatBody, Buffer.concat([hex('c301'), heartbeatFingerprint, heartbeatBody])],
  ])('singleObjectFrame frames %s as C3 01, fingerprint, body', (_name, fp, body, expected) => {
    expect(singleObjectFrame(fp, body)).toEqual(expected)
  })

  it.each([
    ['id 0', 0, hex('00 00000000 02')],
    ['id 1', 1, hex('00 00000001 02')],
    ['id 258 big-endian', 258, hex('00 00000102 02')],
    ['id 0x01020304', 0x01020304, hex('00 01020304 02')],
    ['the largest id', 0x7fffffff, hex('00 7fffffff 02')],
  ])('confluentFrame frames %s as magic 00, 4-byte big-endian id, body', (_name, id, expected) => {
    expect(confluentFrame(id, hex('02'))).toEqual(expected)
    expect(parseFrame(expected)).toEqual({ format: 'confluent', schemaId: id, body: hex('02') })
  })

  it.each([
    ['a negative id', -1],
    ['an id past int32', 0x80000000],
    ['a fractional id', 1.5],
  ])('confluentFrame rejects %s', (_name, id) => {
    expect(() => confluentFrame(id, hex('02'))).toThrowError(/schema registry id is an integer 0\.\.2147483647/)
  })

  it('singleObjectFrame rejects a fingerprint that is not 8 bytes', () => {
    expect(() => singleObjectFrame(hex('0102'), hex(''))).toThrowError(/8 bytes, got 2/)
  })

  it.each([
    ['empty', hex(''), /starts with \(empty\)/],
    ['JSON', Buffer.from('{"a":1}'), /starts with 7b226122: neither/],
    ['a short single-object header', hex('c301 010203'), /single-object header is 10 bytes, message has 5/],
    ['a short Confluent header', hex('00 0000'), /Confluent header is 5 bytes, message has 3/],
    ['a negative Confluent id', hex('00 ffffffff 02'), /negative as a Java int/],
    ['C3 without 01', hex('c302 0102030405060708'), /neither Avro single-object/],
  ])('parseFrame says why %s is neither framing', (_name, msg, reason) => {
    const f = parseFrame(msg)
    expect(f.format).toBe('unknown')
    expect(f.format === 'unknown' && f.reason).toMatch(reason)
  })

  it('parseFrame splits a single-object message without copying', () => {
    const msg = hex('c301 0102030405060708 0a0b')
    const f = parseFrame(msg)
    expect(f).toEqual({ format: 'single-object', fingerprint: hex('0102030405060708'), body: hex('0a0b') })
    expect(f.format === 'single-object' && f.body.buffer).toBe(msg.buffer)
  })
})

describe('EventCodec wire format', () => {
  const codec = new EventCodec()

  it('EventCodec writes the worked heartbeat byte for byte', () => {
    expect(codec.schemaOf('agent_heartbeat').fingerprint).toEqual(heartbeatFingerprint)
    expect(codec.encode(heartbeat).toString('hex')).toBe(Buffer.concat([hex('c301'), heartbeatFingerprint, heartbeatBody]).toString('hex'))
  })

  it('EventCodec without a registry rejects a Confluent-framed message and names SCHEMA_REGISTRY_URL', async () => {
    // Without a registry the id cannot be resolved: the error says what to configure.
    expect(() => codec.decode(confluentFrame(7, heartbeatBody))).toThrowError(
      expect.objectContaining({ code: 'SHOPFLOOR_CODEC_UNKNOWN_SCHEMA', canRetry: false, message: expect.stringMatching(/schema registry id 7.*SCHEMA_REGISTRY_URL/) as string }) as Error,
    )
    await expect(codec.decodeAsync(confluentFrame(7, heartbeatBody))).rejects.toMatchObject({ code: 'SHOPFLOOR_CODEC_UNKNOWN_SCHEMA' })
  })

  it('EventCodec with a registry refuses to encode before ready() and says so', () => {
    const withRegistry = new EventCodec({ registry: new SchemaRegistryClient({ url: 'http://127.0.0.1:9/apis/ccompat/v7' }) })
    expect(withRegistry.wireFormat).toBe('confluent')
    expect(() => withRegistry.encode(heartbeat)).toThrowError(
      expect.objectContaining({ code: 'SHOPFLOOR_CODEC_REGISTRY_NOT_READY', message: expect.stringContaining('await codec.ready()') as string }) as Error,
    )
  })

  it('EventCodec with a registry says a Confluent id not fetched yet can be retried through decodeAsync', () => {
    const withRegistry = new EventCodec({ registry: new SchemaRegistryClient({ url: 'http://127.0.0.1:9' }) })
    expect(() => withRegistry.decode(confluentFrame(3, heartbeatBody))).toThrowError(
      expect.objectContaining({ code: 'SHOPFLOOR_CODEC_UNKNOWN_SCHEMA', canRetry: true, message: expect.stringContaining('decodeAsync') as string }) as Error,
    )
  })

  it('EventCodec with a registry still reads single-object messages', () => {
    const withRegistry = new EventCodec({ registry: new SchemaRegistryClient({ url: 'http://127.0.0.1:9' }) })
    expect(withRegistry.decode(codec.encode(heartbeat))).toEqual(heartbeat)
  })
})
