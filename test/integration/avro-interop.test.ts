// Readers nobody here wrote read our events: Apache Avro's Java tools (avro-tools, from Maven
// Central via deploy/avro/avro-tools.sh) and ClickHouse's own Avro input format (in chDB).
//
// Both read Avro object container files, not single messages, so the test checks the 10-byte
// single-object header itself (marker, and the fingerprint avro-tools computes for the schema
// file the payload claims), then packs the bytes AFTER the header, unchanged, as the objects of
// a container whose schema is that file. If those bytes are plain Avro binary of the declared
// schema, both readers return exactly the events we wrote.
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import type avro from 'avsc'
import type { types } from 'avsc'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EventCodec } from '../../stream/codec.ts'
import { EVENT_TYPES, type EventType, type ShopfloorEvent } from '../../stream/events.ts'
import { parseFrame } from '../../stream/framing.ts'
import { SCHEMA_DIR, type SchemaVersion } from '../../stream/schema-catalog.ts'

const run = promisify(execFile)
const repo = resolve(import.meta.dirname, '..', '..')
const CORPUS = join(repo, 'test', 'fixtures', 'events')
const codec = new EventCodec()
const work = mkdtempSync(join(tmpdir(), 'shopfloor-avro-interop-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

let avroToolsJar = ''
beforeAll(async () => {
  const { stdout } = await run('bash', [join(repo, 'deploy', 'avro', 'avro-tools.sh'), 'jar'], { cwd: repo, maxBuffer: 1 << 20 })
  avroToolsJar = stdout.trim().split('\n').at(-1) ?? ''
  expect(avroToolsJar).toMatch(/avro-tools-[\d.]+\.jar$/)
}, 600_000)

async function avroTools(...args: string[]): Promise<string> {
  const { stdout } = await run('java', ['-Xmx256m', '-jar', avroToolsJar, ...args], { maxBuffer: 64 << 20 })
  return stdout
}

/** One payload: the message bytes and the event it must decode to, as written. */
interface Payload {
  readonly name: string
  readonly bytes: Buffer
  readonly event: Record<string, unknown>
}

/** The recorded corpus, by writer schema file. */
function recorded(): Map<string, Payload[]> {
  const out = new Map<string, Payload[]>()
  for (const type of EVENT_TYPES) {
    for (const f of readdirSync(join(CORPUS, type)).filter((x) => x.endsWith('.bin'))) {
      const rec = JSON.parse(readFileSync(join(CORPUS, type, f.replace(/\.bin$/, '.json')), 'utf8')) as { schema: string; event: Record<string, unknown> }
      const list = out.get(rec.schema) ?? []
      list.push({ name: `${type}/${f}`, bytes: readFileSync(join(CORPUS, type, f)), event: rec.event })
      out.set(rec.schema, list)
    }
  }
  return out
}

/** Events freshly encoded today: random values of every current schema (seeded by avsc). */
function fresh(type: EventType, n: number): Payload[] {
  const sv = codec.schemaOf(type)
  return Array.from({ length: n }, (_, i) => {
    const event = sv.type.random() as unknown as Record<string, unknown>
    return { name: `${type} random #${i}`, bytes: codec.encode({ type, event } as unknown as ShopfloorEvent), event }
  })
}

// --- an Avro object container file, written by hand so the objects are our bytes, unchanged ---

function zigzag(n: number): Buffer {
  let v = BigInt(n) >= 0n ? BigInt(n) << 1n : (-BigInt(n) << 1n) - 1n
  const out: number[] = []
  do {
    const b = Number(v & 0x7fn)
    v >>= 7n
    out.push(v > 0n ? b | 0x80 : b)
  } while (v > 0n)
  return Buffer.from(out)
}
const avroBytes = (b: Buffer): Buffer => Buffer.concat([zigzag(b.length), b])

/** Container file (Avro spec, "Object Container Files"): header with schema, one block of `objects`. */
function containerFile(schemaText: string, objects: readonly Buffer[]): Buffer {
  const sync = randomBytes(16)
  const meta = [
    ['avro.schema', Buffer.from(schemaText, 'utf8')],
    ['avro.codec', Buffer.from('null')],
  ] as const
  const header = Buffer.concat([
    Buffer.from('Obj\x01', 'latin1'),
    zigzag(meta.length),
    ...meta.flatMap(([k, v]) => [avroBytes(Buffer.from(k)), avroBytes(v)]),
    zigzag(0),
    sync,
  ])
  const data = Buffer.concat(objects)
  return Buffer.concat([header, zigzag(objects.length), zigzag(data.length), data, sync])
}

// --- Avro's JSON encoding (what avro-tools prints) back to plain values ---

/** Unwraps union branches (`{"double": 7.5}` -> 7.5) guided by the schema; all else is as printed. */
function fromAvroJson(type: avro.Type, json: unknown): unknown {
  const kind = type.typeName
  if (kind.startsWith('union:')) {
    if (json === null) return null
    const [branch, value] = Object.entries(json as Record<string, unknown>)[0] as [string, unknown]
    const t = (type as types.UnwrappedUnionType).types.find((b) => (b.branchName ?? b.typeName) === branch)
    if (!t) throw new Error(`avro-tools printed union branch ${branch}, not in ${JSON.stringify(type.schema())}`)
    return fromAvroJson(t, value)
  }
  if (kind === 'record') {
    const o = json as Record<string, unknown>
    return Object.fromEntries((type as types.RecordType).fields.map((f) => [f.name, fromAvroJson(f.type, o[f.name])]))
  }
  if (kind === 'array') return (json as unknown[]).map((x) => fromAvroJson((type as types.ArrayType).itemsType, x))
  return json
}

/** What a reader with `type` sees of `event`: fields it lacks get its defaults, extra ones are dropped. */
function asReadBy(type: avro.Type, event: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries((type as types.RecordType).fields.map((f) => [f.name, f.name in event ? event[f.name] : f.defaultValue()]))
}

const byFile = new Map<string, SchemaVersion>(EVENT_TYPES.flatMap((t) => codec.versionsOf(t).map((sv) => [sv.file, sv] as const)))
const groups = recorded()
for (const t of EVENT_TYPES) {
  const sv = codec.schemaOf(t)
  groups.set(sv.file, [...(groups.get(sv.file) ?? []), ...fresh(t, 40)])
}
const cases = [...groups.entries()].map(([file, payloads]) => {
  const writer = byFile.get(file)
  if (!writer) throw new Error(`${file}: recorded payloads name a schema file that is gone`)
  return [file, writer, payloads] as const
})

describe('avro-tools (Apache Avro, Java)', () => {
  const javaFingerprints = new Map<string, string>()
  beforeAll(async () => {
    // One call per version number: the tool parses all its files into one name space, where two
    // versions of the same record would clash.
    const byVersion = new Map<number, string[]>()
    for (const sv of byFile.values()) byVersion.set(sv.version, [...(byVersion.get(sv.version) ?? []), join(SCHEMA_DIR, sv.file)])
    for (const files of byVersion.values()) {
      const out = await avroTools('fingerprint', ...files)
      for (const line of out.trim().split('\n')) {
        const [fp, path] = line.trim().split(/\s+/)
        javaFingerprints.set(path?.split('/').at(-1) ?? '', fp ?? '')
      }
    }
  }, 120_000)

  it('avro-tools computes the same CRC-64-AVRO fingerprint as ours for every schema version', () => {
    expect(Object.fromEntries(javaFingerprints)).toEqual(Object.fromEntries([...byFile].map(([f, sv]) => [f, sv.fingerprint.toString('hex')])))
  })

  it.each(cases)('avro-tools reads the %s payloads after their header, as written and through the newest version', async (file, writer, payloads) => {
    const bodies = payloads.map((p) => {
      const frame = parseFrame(p.bytes)
      expect(frame.format, p.name).toBe('single-object')
      if (frame.format !== 'single-object') throw new Error('unreachable')
      expect(frame.fingerprint.toString('hex'), `${p.name}: header fingerprint vs avro-tools fingerprint of ${file}`).toBe(javaFingerprints.get(file))
      return frame.body
    })
    const container = join(work, `${file}.java.avro`)
    writeFileSync(container, containerFile(writer.text, bodies))

    const asWritten = (await avroTools('tojson', container)).trim().split('\n')
    expect(asWritten).toHaveLength(payloads.length)
    asWritten.forEach((line, i) => {
      const p = payloads[i] as Payload
      expect(fromAvroJson(writer.type, JSON.parse(line)), p.name).toEqual(asReadBy(writer.type, p.event))
    })

    // Java's schema resolution, old events read through the newest schema: BACKWARD, independently.
    const current = codec.schemaOf(writer.eventType)
    const resolved = (await avroTools('tojson', '--reader-schema-file', join(SCHEMA_DIR, current.file), container)).trim().split('\n')
    resolved.forEach((line, i) => {
      const p = payloads[i] as Payload
      expect(fromAvroJson(current.type, JSON.parse(line)), `${p.name} read as ${current.file}`).toEqual(asReadBy(current.type, p.event))
    })
  })
})

/** `"1795000000.123"` -> 1795000000123, exactly (no float arithmetic). */
function millisOf(seconds: string): number {
  const m = /^(-?)(\d+)(?:\.(\d{1,3}))?$/.exec(seconds)
  if (!m) throw new Error(`chDB printed a DateTime64 as ${seconds}`)
  const ms = Number(m[2]) * 1000 + Number((m[3] ?? '').padEnd(3, '0'))
  return m[1] ? -ms : ms
}

describe("ClickHouse's Avro input format (chDB)", () => {
  let query: (sql: string, format?: string) => string
  beforeAll(async () => {
    ;({ query } = (await import('chdb')) as { query: (sql: string, format?: string) => string })
  })

  it.each(cases)('chDB reads the %s payloads after their header with format Avro', (file, writer, payloads) => {
    const bodies = payloads.map((p) => {
      const frame = parseFrame(p.bytes)
      if (frame.format !== 'single-object') throw new Error(`${p.name}: not single-object`)
      return frame.body
    })
    const container = join(work, `${file}.chdb.avro`)
    writeFileSync(container, containerFile(writer.text, bodies))
    const out = query(
      `SELECT * FROM file('${container}', 'Avro')
       SETTINGS output_format_json_quote_64bit_integers = 0, date_time_output_format = 'unix_timestamp'`,
      'JSONEachRow',
    )
    // ClickHouse maps timestamp-millis to DateTime64(3), printed as "seconds.millis".
    const timestamps = (writer.schema as { fields: { name: string; type: unknown }[] }).fields
      .filter((f) => (f.type as { logicalType?: string }).logicalType === 'timestamp-millis')
      .map((f) => f.name)
    const rows = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .map((r) => ({ ...r, ...Object.fromEntries(timestamps.map((n) => [n, millisOf(String(r[n]))])) }))
    expect(rows).toHaveLength(payloads.length)
    rows.forEach((row, i) => {
      const p = payloads[i] as Payload
      expect(row, p.name).toEqual(asReadBy(writer.type, p.event))
    })
  })
})
