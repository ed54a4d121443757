// The event contract over time. Versions are discovered from stream/schemas/ (a new
// `<type>.v<N>.avsc` is tested without touching this file), every pair of versions must read
// each other's events as PROMISED_COMPATIBILITY says, every file follows the house rules, and
// every payload ever recorded under test/fixtures/events/ still decodes with today's codec.
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import avro from 'avsc'
import type { types } from 'avsc'
import { afterAll, describe, expect, it } from 'vitest'
import { EventCodec } from '../../stream/codec.ts'
import { EVENT_TYPES, type EventType } from '../../stream/events.ts'
import { parseFrame } from '../../stream/framing.ts'
import { SCHEMA_DIR, loadSchemaVersions, schemaFileName, schemaVersionOf, type SchemaVersion } from '../../stream/schema-catalog.ts'
import { PROMISED_COMPATIBILITY, checkCandidate, checkCompatibility, checkHistory, formatIssue } from '../../stream/schema-compat.ts'
import { lintEventSchema } from '../../stream/schema-rules.ts'

const FIXTURES = join(import.meta.dirname, '..', 'fixtures')
const CORPUS = join(FIXTURES, 'events')
const CASES = join(FIXTURES, 'schema-evolution')

const versions = loadSchemaVersions()
const codec = new EventCodec()
const forwardPromised = PROMISED_COMPATIBILITY.startsWith('FULL') || PROMISED_COMPATIBILITY.startsWith('FORWARD')

/** Every failure the suite reports for a schema folder: house rules, then compatibility. */
function contractFailures(dir: string): string[] {
  const all = loadSchemaVersions(dir)
  const out: string[] = []
  for (const [type, list] of all) {
    for (const sv of list) out.push(...lintEventSchema(type, sv.schema).map((m) => `${sv.file}: ${m}`))
    out.push(...checkHistory(list).map(formatIssue))
  }
  return out
}

/** `value` as a reader of `type` sees it: fields it lacks get the reader's defaults. */
function withDefaults(type: avro.Type, value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const f of (type as types.RecordType).fields) {
    out[f.name] = f.name in value ? value[f.name] : f.defaultValue()
  }
  return out
}

/** Random datums of a writer type, plus the recorded payload bodies of that version. */
function datumsOf(writer: SchemaVersion): unknown[] {
  const recorded = corpus.filter((p) => p.record.schema === writer.file).map((p) => writer.type.fromBuffer(p.body))
  return [...recorded, ...Array.from({ length: 25 }, () => writer.type.random())]
}

interface Recorded {
  readonly name: string
  readonly bytes: Buffer
  readonly body: Buffer
  readonly fingerprint: string
  readonly record: { type: EventType; schema: string; fingerprint: string; event: Record<string, unknown> }
}

const corpus: Recorded[] = EVENT_TYPES.flatMap((type) =>
  readdirSync(join(CORPUS, type))
    .filter((f) => f.endsWith('.bin'))
    .map((f) => {
      const bytes = readFileSync(join(CORPUS, type, f))
      const frame = parseFrame(bytes)
      if (frame.format !== 'single-object') throw new Error(`${type}/${f}: not single-object encoded`)
      const record = JSON.parse(readFileSync(join(CORPUS, type, f.replace(/\.bin$/, '.json')), 'utf8')) as Recorded['record']
      return { name: `${type}/${f}`, bytes, body: frame.body, fingerprint: frame.fingerprint.toString('hex'), record }
    }),
)

describe.each(EVENT_TYPES)('event type %s', (type) => {
  const list = versions.get(type) as SchemaVersion[]

  it(`${type}: every schema version follows the house rules (docs, snake_case, namespace, header fields)`, () => {
    expect(list.flatMap((sv) => lintEventSchema(type, sv.schema).map((m) => `${sv.file}: ${m}`))).toEqual([])
  })

  it(`${type}: every version reads every other version's events as ${PROMISED_COMPATIBILITY} promises`, () => {
    expect(checkHistory(list).map(formatIssue)).toEqual([])
  })

  const pairs = list.flatMap((newer, i) => list.slice(0, i).map((older) => [older, newer] as const))
  it.skipIf(pairs.length === 0).each(pairs.map(([o, n]) => [o.file, n.file, o, n] as const))(
    'events written with %s are read through %s (and the reverse where promised)',
    (_o, _n, older, newer) => {
      for (const datum of datumsOf(older)) {
        const read = newer.type.fromBuffer(older.type.toBuffer(datum), newer.type.createResolver(older.type)) as Record<string, unknown>
        expect(read).toEqual(withDefaults(newer.type, datum as Record<string, unknown>))
      }
      if (!forwardPromised) return
      for (const datum of datumsOf(newer)) {
        const read = older.type.fromBuffer(newer.type.toBuffer(datum), older.type.createResolver(newer.type)) as Record<string, unknown>
        expect(read).toEqual(withDefaults(older.type, datum as Record<string, unknown>))
      }
    },
  )

  it(`${type}: docs/events.md lists every field of the newest version`, () => {
    const docs = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'events.md'), 'utf8')
    const section = docs.split(/^### /m).find((s) => s.startsWith(`${type}:`)) ?? ''
    const fields = ((list.at(-1) as SchemaVersion).type as types.RecordType).fields.map((f) => f.name)
    expect(fields.filter((f) => !section.includes(`| \`${f}\` |`))).toEqual([])
  })

  it(`${type}: every version has recorded payloads (node test/fixtures/events/record.ts records the newest)`, () => {
    for (const sv of list) expect(corpus.filter((p) => p.record.schema === sv.file).map((p) => p.name), sv.file).not.toEqual([])
  })
})

describe('recorded payload corpus', () => {
  it('holds payloads of every event type', () => {
    expect(new Set(corpus.map((p) => p.record.type))).toEqual(new Set(EVENT_TYPES))
  })

  it.each(corpus.map((p) => [p.name, p] as const))('%s decodes with the current codec to the recorded event', (_name, p) => {
    const writer = (versions.get(p.record.type) as SchemaVersion[]).find((sv) => sv.file === p.record.schema)
    expect(writer, `${p.record.schema} is gone from stream/schemas: schema versions are kept forever`).toBeDefined()
    // The header names the schema file it says it does, as that file is today.
    expect(p.fingerprint).toBe(p.record.fingerprint)
    expect(writer?.fingerprint.toString('hex'), `${p.record.schema} changed its canonical form: add a new version instead`).toBe(p.fingerprint)
    // Read as written, and through today's newest version.
    expect(writer?.type.fromBuffer(p.body)).toEqual(withDefaults(writer!.type, p.record.event))
    expect(codec.decode(p.bytes)).toEqual({ type: p.record.type, event: withDefaults(codec.schemaOf(p.record.type).type, p.record.event) })
  })
})

describe('recorded payloads of the current versions', () => {
  const current = corpus.filter((p) => codec.schemaOf(p.record.type).file === p.record.schema)
  it.each(current.map((p) => [p.name, p] as const))('today\'s codec writes %s byte for byte', (_name, p) => {
    expect(codec.encode({ type: p.record.type, event: p.record.event } as unknown as Parameters<EventCodec['encode']>[0]).toString('hex')).toBe(p.bytes.toString('hex'))
  })
})

interface EvolutionCase {
  description: string
  eventType: EventType
  backward: boolean
  forward: boolean
  expect: string[]
  lint?: string[]
}

const cases = readdirSync(CASES, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map(({ name }) => {
  const dir = join(CASES, name)
  const c = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as EvolutionCase
  const text = readFileSync(join(dir, 'candidate.avsc'), 'utf8')
  return { name, ...c, text }
})
const tmpDirs: string[] = []
afterAll(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true })
})

describe('compatibility checker', () => {
  it.each(cases.map((c) => [c.name, c] as const))('checkCandidate judges the candidate in test/fixtures/schema-evolution/%s', (_name, c) => {
    const history = versions.get(c.eventType) as SchemaVersion[]
    const next = history.length + 1
    const candidate = schemaVersionOf(c.eventType, next, `candidate ${c.name}`, c.text)
    const issues = checkCandidate(candidate, history, PROMISED_COMPATIBILITY)
    const backward = issues.filter((i) => i.direction === 'BACKWARD')
    const forward = issues.filter((i) => i.direction === 'FORWARD')
    expect({ backward: backward.length === 0, forward: forward.length === 0 }).toEqual({ backward: c.backward, forward: c.forward })
    const lines = issues.map((i) => `${i.path}: ${i.message}`)
    for (const e of c.expect) expect(lines.some((l) => l.includes(e)), `no issue contains "${e}" in:\n${lines.join('\n')}`).toBe(true)
    expect(lintEventSchema(c.eventType, candidate.schema)).toEqual(c.lint ?? [])
  })

  it.each(cases.map((c) => [c.name, c] as const))('avsc, resolving real data, agrees with the checker on %s', (_name, c) => {
    const history = versions.get(c.eventType) as SchemaVersion[]
    const candidate = avro.Type.forSchema(JSON.parse(c.text) as avro.Schema)
    const resolves = (reader: avro.Type, writer: avro.Type): boolean => {
      try {
        reader.createResolver(writer)
        return true
      } catch {
        return false
      }
    }
    for (const old of history) {
      expect(resolves(candidate, old.type), `candidate reads ${old.file}`).toBe(checkCompatibility(candidate, old.type).length === 0)
      expect(resolves(old.type, candidate), `${old.file} reads candidate`).toBe(checkCompatibility(old.type, candidate).length === 0)
    }
  })

  it.each(cases.map((c) => [c.name, c] as const))('the suite fails when %s is added to the schema folder as the next version', (_name, c) => {
    const dir = mkdtempSync(join(tmpdir(), 'shopfloor-schemas-'))
    tmpDirs.push(dir)
    for (const f of readdirSync(SCHEMA_DIR)) copyFileSync(join(SCHEMA_DIR, f), join(dir, f))
    expect(contractFailures(dir)).toEqual([])
    const next = (versions.get(c.eventType) as SchemaVersion[]).length + 1
    copyFileSync(join(CASES, c.name, 'candidate.avsc'), join(dir, schemaFileName(c.eventType, next)))
    const failures = contractFailures(dir)
    const broken = !(c.backward && c.forward) || (c.lint ?? []).length > 0
    expect(failures.length > 0, failures.join('\n')).toBe(broken)
  })

  it('has incompatible and compatible cases, so it is seen to both reject and accept', () => {
    expect(cases.filter((c) => !c.backward || !c.forward).length).toBeGreaterThanOrEqual(5)
    expect(cases.filter((c) => c.backward && c.forward && !c.lint).length).toBeGreaterThanOrEqual(2)
  })
})
