// The schema registry client and the codec's Confluent wire format against a real registry:
// Apicurio Registry (in memory, from Maven Central via deploy/avro/avro-tools.sh) through its
// Confluent-compatible API /apis/ccompat/v7. Each test owns its subjects (a unique topic prefix).
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EventCodec } from '../../stream/codec.ts'
import { EVENT_TYPES, type ShopfloorEvent } from '../../stream/events.ts'
import { parseFrame } from '../../stream/framing.ts'
import { SCHEMA_DIR } from '../../stream/schema-catalog.ts'
import { topicFor } from '../../stream/topics.ts'
import { SchemaRegistryClient, schemaRegistryFromEnv, subjectFor } from '../../stream/registry/client.ts'
import { RegistryError } from '../../stream/registry/errors.ts'
import { startApicurio, type TestRegistry } from '../support/registry.ts'
import { freePort } from '../support/wait.ts'

const repo = resolve(import.meta.dirname, '..', '..')
const FIXTURES = join(repo, 'test', 'fixtures')
let registry: TestRegistry | undefined
let url = ''
const tmpDirs: string[] = []

beforeAll(async () => {
  registry = await startApicurio()
  url = registry.url
}, 600_000)

afterAll(async () => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true })
  await registry?.stop()
}, 30_000)

let n = 0
const uniquePrefix = (): string => `shopfloor-test-${process.pid}-${++n}`
const schemaText = (file: string): string => JSON.stringify(JSON.parse(readFileSync(join(SCHEMA_DIR, file), 'utf8')))

const header = { event_id: 'gw-1:7', agent_id: 'gw-1', seq: 7, source_ts: 1_795_000_000_123 }
const machine = 'hcmc/vsip-1/acme-pcb/smt/line-1/printer'
const samples: ShopfloorEvent[] = [
  { type: 'machine_state', event: { ...header, machine, receive_ts: 1_795_000_000_200, state: 'DOWN', reason: 'NOZZLE_CLOG' } },
  { type: 'production_count', event: { ...header, machine, receive_ts: 1, produced: 3, rejected: 1, ideal_cycle_s: 0.75, product: 'PCB-A17' } },
  { type: 'energy_reading', event: { ...header, machine, receive_ts: 1, kwh: 0.01, kwh_total: 1234.56, kw: 7.5, kvarh: 0.004, kvarh_total: 310.5 } },
  { type: 'tag_sample', event: { ...header, machine, receive_ts: 1, tag: 'zone3_temp', value_double: 245.5, value_string: null, quality: 'GOOD' } },
  {
    type: 'agent_heartbeat',
    event: { ...header, version: '0.1.0', started_ts: 5, machines: [{ machine, name: 'printer', position: 0, ideal_cycle_s: 0.75, line_ideal_cycle_s: 1, end_of_line: false }] },
  },
]

describe('SchemaRegistryClient against Apicurio Registry', () => {
  it('SchemaRegistryClient registers a schema once and finds it by subject and by id', async () => {
    const client = new SchemaRegistryClient({ url })
    const subject = subjectFor(`${uniquePrefix()}.machine-state`)
    const text = schemaText('machine-state.v1.avsc')
    expect(await client.lookup(subject, text)).toBeUndefined()
    const id = await client.register(subject, text)
    expect(id).toBeGreaterThanOrEqual(0)
    // Another client (no shared cache) gets the same id: the registry deduplicates.
    const other = new SchemaRegistryClient({ url: `${url}/` })
    expect(await other.register(subject, text)).toBe(id)
    expect(await other.lookup(subject, text)).toBe(id)
    expect(JSON.parse(await other.schemaById(id))).toEqual(JSON.parse(text))
    expect(await other.latest(subject)).toMatchObject({ id, version: 1 })
  })

  it('SchemaRegistryClient sees the registry enforce FULL_TRANSITIVE: v2 accepted, a breaking candidate refused with 409', async () => {
    const client = new SchemaRegistryClient({ url })
    const subject = subjectFor(`${uniquePrefix()}.energy-reading`)
    await client.setCompatibility(subject, 'FULL_TRANSITIVE')
    await client.register(subject, schemaText('energy-reading.v1.avsc'))
    const v2 = schemaText('energy-reading.v2.avsc')
    expect(await client.testCompatibility(subject, v2)).toBe(true)
    await client.register(subject, v2)
    const bad = readFileSync(join(FIXTURES, 'schema-evolution', 'field-added-without-default', 'candidate.avsc'), 'utf8')
    expect(await client.testCompatibility(subject, bad)).toBe(false)
    const err = await client.register(subject, bad).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RegistryError)
    expect(err).toMatchObject({ code: 'SHOPFLOOR_REGISTRY_INCOMPATIBLE', status: 409, canRetry: false })
    expect((err as Error).message).toMatch(new RegExp(`registering a schema under ${subject.replaceAll('.', '\\.')}: .* answered 409`))
  })

  it.each([
    ['an unknown schema id', (c: SchemaRegistryClient) => c.schemaById(987_654), 'SHOPFLOOR_REGISTRY_NOT_FOUND', 404],
    ['an unknown subject', (c: SchemaRegistryClient) => c.latest('no-such-subject-value'), 'SHOPFLOOR_REGISTRY_NOT_FOUND', 404],
    ['a schema that is not Avro', (c: SchemaRegistryClient) => c.register(subjectFor(uniquePrefix()), '{"type": "no-such-type"}'), 'SHOPFLOOR_REGISTRY_INVALID', 422],
  ] as const)('SchemaRegistryClient maps %s to a precise error', async (_name, call, code, status) => {
    await expect(call(new SchemaRegistryClient({ url }))).rejects.toMatchObject({ code, status })
  })

  it('SchemaRegistryClient says a registry that does not answer is unreachable and retryable', async () => {
    const port = await freePort()
    const client = new SchemaRegistryClient({ url: `http://127.0.0.1:${port}`, timeoutMs: 2000 })
    await expect(client.schemaById(1)).rejects.toMatchObject({ code: 'SHOPFLOOR_REGISTRY_UNREACHABLE', canRetry: true })
  })

  it.each([
    ['not a URL', { url: '://registry:8081' }, /is not a URL/],
    ['another scheme', { url: 'ftp://registry' }, /must be http:\/\/ or https:\/\//],
    ['a zero timeout', { url: 'http://registry', timeoutMs: 0 }, /timeoutMs must be a positive integer/],
  ])('SchemaRegistryClient rejects %s in its options', (_name, opts, message) => {
    expect(() => new SchemaRegistryClient(opts)).toThrowError(expect.objectContaining({ code: 'SHOPFLOOR_REGISTRY_CONFIG', message: expect.stringMatching(message) as string }) as Error)
  })

  it('schemaRegistryFromEnv reads SCHEMA_REGISTRY_URL and keeps credentials out of describe', () => {
    expect(schemaRegistryFromEnv({})).toBeUndefined()
    const c = schemaRegistryFromEnv({ SCHEMA_REGISTRY_URL: 'https://u:secret@registry.example:8081/', SCHEMA_REGISTRY_USERNAME: 'v' })
    expect(c?.describe).toBe('https://registry.example:8081')
  })
})

describe('EventCodec in Confluent wire format', () => {
  it('EventCodec registers every current schema under <topic>-value and frames events with the ids', async () => {
    const prefix = uniquePrefix()
    const client = new SchemaRegistryClient({ url })
    const producer = new EventCodec({ registry: client, topicPrefix: prefix })
    await producer.ready()
    for (const s of samples) {
      const subject = subjectFor(topicFor(s.type, prefix))
      const latest = await client.latest(subject)
      expect(JSON.parse(latest.schema)).toEqual(producer.schemaOf(s.type).schema)
      const bytes = producer.encode(s)
      expect([...bytes.subarray(0, 5)]).toEqual([0, ...u32(latest.id)])
      // The body after the 5-byte header is the same Avro binary single-object encoding carries.
      const single = new EventCodec().encode(s)
      expect(bytes.subarray(5)).toEqual(single.subarray(10))
      expect(producer.decode(bytes)).toEqual(s)
    }
    const res = await fetch(`${url}/subjects`)
    const subjects = (await res.json()) as string[]
    expect(subjects.filter((x) => x.startsWith(`${prefix}.`)).sort()).toEqual(EVENT_TYPES.map((t) => `${topicFor(t, prefix)}-value`).sort())
  })

  it('EventCodec on the reading side fetches an unseen schema id once, then decodes without the registry', async () => {
    const prefix = uniquePrefix()
    const producer = new EventCodec({ registry: new SchemaRegistryClient({ url }), topicPrefix: prefix })
    await producer.ready()
    const consumer = new EventCodec({ registry: new SchemaRegistryClient({ url }), topicPrefix: prefix, autoRegister: false })
    for (const s of samples) {
      const bytes = producer.encode(s)
      expect(() => consumer.decode(bytes)).toThrowError(expect.objectContaining({ code: 'SHOPFLOOR_CODEC_UNKNOWN_SCHEMA', canRetry: true }) as Error)
      expect(await consumer.decodeAsync(bytes)).toEqual(s)
      expect(consumer.decode(bytes)).toEqual(s)
    }
    // Single-object events (gateways without a registry, recorded history) still decode beside them.
    const old = readFileSync(join(FIXTURES, 'events', 'energy_reading', 'v1-with-kw.bin'))
    expect((await consumer.decodeAsync(old)).event).toMatchObject({ event_id: 'gw-1:11', kvarh: null })
  })

  it('EventCodec with autoRegister false finds registered schemas, and says which one is missing otherwise', async () => {
    const prefix = uniquePrefix()
    const reader = new EventCodec({ registry: new SchemaRegistryClient({ url }), topicPrefix: prefix, autoRegister: false })
    await expect(reader.ready()).rejects.toMatchObject({ code: 'SHOPFLOOR_CODEC_REGISTRY_NOT_READY', message: expect.stringContaining(`under subject ${prefix}.`) as string })
    await new EventCodec({ registry: new SchemaRegistryClient({ url }), topicPrefix: prefix }).ready()
    await reader.ready()
    expect(reader.decode(reader.encode(samples[0] as ShopfloorEvent))).toEqual(samples[0])
  })

  it('an old reader that ships only v1 reads v2 events through the registry (FORWARD)', async () => {
    const oldDir = mkdtempSync(join(tmpdir(), 'shopfloor-v1-schemas-'))
    tmpDirs.push(oldDir)
    for (const f of readdirSync(SCHEMA_DIR).filter((x) => x.includes('.v1.'))) copyFileSync(join(SCHEMA_DIR, f), join(oldDir, f))
    const prefix = uniquePrefix()
    const producer = new EventCodec({ registry: new SchemaRegistryClient({ url }), topicPrefix: prefix })
    await producer.ready()
    expect(producer.schemaOf('energy_reading').version).toBe(2)
    const oldReader = new EventCodec({ schemaDir: oldDir, registry: new SchemaRegistryClient({ url }), topicPrefix: prefix, autoRegister: false })
    const energy = samples[2] as ShopfloorEvent & { type: 'energy_reading' }
    const { kvarh: _k, kvarh_total: _t, ...v1View } = energy.event
    expect(await oldReader.decodeAsync(producer.encode(energy))).toEqual({ type: 'energy_reading', event: v1View })
    // Without the registry the same old reader cannot know the v2 fingerprint: upgrade readers first.
    expect(() => new EventCodec(oldDir).decode(new EventCodec().encode(energy))).toThrowError(expect.objectContaining({ code: 'SHOPFLOOR_CODEC_UNKNOWN_SCHEMA' }) as Error)
  })

  it('EventCodec refuses a registry schema that is not a shopfloor event, or that breaks the rules', async () => {
    const client = new SchemaRegistryClient({ url })
    const codec = new EventCodec({ registry: client, topicPrefix: uniquePrefix() })
    const otherId = await client.register(subjectFor(uniquePrefix()), JSON.stringify({ type: 'record', name: 'Invoice', namespace: 'erp', fields: [{ name: 'n', type: 'long' }] }))
    await expect(codec.decodeAsync(Buffer.from([0, ...u32(otherId), 2]))).rejects.toMatchObject({
      code: 'SHOPFLOOR_CODEC_UNKNOWN_SCHEMA',
      message: expect.stringContaining('erp.Invoice, not a shopfloor event') as string,
    })
    // A producer that ignored the rules (kwh as a string), registered under a subject of its own.
    const broken = JSON.parse(readFileSync(join(SCHEMA_DIR, 'energy-reading.v2.avsc'), 'utf8')) as { fields: { name: string; type: unknown }[] }
    broken.fields = broken.fields.map((f) => (f.name === 'kwh' ? { ...f, type: 'string' } : f))
    const subject = subjectFor(uniquePrefix())
    const brokenId = await client.register(subject, JSON.stringify(broken))
    const frame = Buffer.from([0, ...u32(brokenId), 2])
    expect(parseFrame(frame)).toMatchObject({ format: 'confluent', schemaId: brokenId })
    await expect(codec.decodeAsync(frame)).rejects.toMatchObject({
      code: 'SHOPFLOOR_CODEC_INCOMPATIBLE_SCHEMA',
      message: expect.stringContaining(`schema registry id ${brokenId} (shopfloor.events.EnergyReading) cannot be read as energy-reading.v2.avsc`) as string,
    })
  })
})

function u32(n: number): number[] {
  return [3, 2, 1, 0].map((i) => (n >>> (8 * i)) & 0xff)
}
