import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import avro from 'avsc'
import { StreamError } from './errors.ts'
import { EVENT_TYPES, type EventType } from './events.ts'
import { fingerprintBytes } from './fingerprint.ts'

/** Where the `.avsc` files live: `stream/schemas/`, one file per event type and version. */
export const SCHEMA_DIR = join(import.meta.dirname, 'schemas')

/** One version of one event type's schema, as found in the schema folder. */
export interface SchemaVersion {
  readonly eventType: EventType
  readonly version: number
  /** File name, e.g. `machine-state.v1.avsc`. */
  readonly file: string
  /** The schema as written in the file (with docs and logical types): what a registry gets. */
  readonly schema: avro.Schema
  /** The file's text, unchanged. */
  readonly text: string
  readonly type: avro.Type
  /** Parsing Canonical Form: what the fingerprint is computed over. */
  readonly canonical: string
  /** CRC-64-AVRO of the canonical form, the 8 little-endian bytes of single-object encoding. */
  readonly fingerprint: Buffer
}

/** The schema file name of a version: `machine_state`, 2 -> `machine-state.v2.avsc`. */
export function schemaFileName(eventType: EventType, version: number): string {
  return `${eventType.replaceAll('_', '-')}.v${version}.avsc`
}

/** `machine-state.v1.avsc` -> machine_state, 1; undefined for any other name. */
export function parseSchemaFileName(file: string): { eventType: EventType; version: number } | undefined {
  const m = /^([a-z-]+)\.v([1-9]\d*)\.avsc$/.exec(file)
  if (!m) return undefined
  const eventType = (m[1] as string).replaceAll('-', '_')
  if (!(EVENT_TYPES as readonly string[]).includes(eventType)) return undefined
  return { eventType: eventType as EventType, version: Number(m[2]) }
}

/** Parses one schema text into a {@link SchemaVersion}; `file` names it in errors. */
export function schemaVersionOf(eventType: EventType, version: number, file: string, text: string): SchemaVersion {
  let schema: avro.Schema
  let type: avro.Type
  try {
    schema = JSON.parse(text) as avro.Schema
    type = avro.Type.forSchema(schema)
  } catch (cause) {
    throw new StreamError('SHOPFLOOR_SCHEMA_FILES', `${file}: not a valid Avro schema: ${(cause as Error).message}`, { cause })
  }
  // avsc's schema() is the Parsing Canonical Form (checked against Apache Avro's own test vectors).
  const canonical = JSON.stringify(type.schema())
  return { eventType, version, file, schema, text, type, canonical, fingerprint: fingerprintBytes(canonical) }
}

/**
 * Every version of every event type's schema in a folder, oldest first per type. Files whose
 * names are not `<event-type>.v<N>.avsc` are ignored; a missing event type, a gap in the
 * version numbers or two versions with the same canonical form are errors.
 */
export function loadSchemaVersions(schemaDir: string = SCHEMA_DIR): Map<EventType, SchemaVersion[]> {
  let files: string[]
  try {
    files = readdirSync(schemaDir).filter((f) => f.endsWith('.avsc'))
  } catch (cause) {
    throw new StreamError('SHOPFLOOR_SCHEMA_FILES', `cannot read the event schemas in ${schemaDir}: reinstall shopfloor`, { cause })
  }
  const byType = new Map<EventType, SchemaVersion[]>()
  for (const file of files.sort()) {
    const parsed = parseSchemaFileName(file)
    if (!parsed) continue
    const sv = schemaVersionOf(parsed.eventType, parsed.version, file, readFileSync(join(schemaDir, file), 'utf8'))
    const list = byType.get(parsed.eventType)
    if (list) list.push(sv)
    else byType.set(parsed.eventType, [sv])
  }
  for (const t of EVENT_TYPES) {
    const list = byType.get(t)
    if (!list) throw new StreamError('SHOPFLOOR_SCHEMA_FILES', `no schema file for event type ${t} in ${schemaDir}`)
    list.sort((a, b) => a.version - b.version)
    list.forEach((sv, i) => {
      if (sv.version !== i + 1) {
        throw new StreamError(
          'SHOPFLOOR_SCHEMA_FILES',
          `${schemaDir}: versions of ${t} must run 1, 2, 3 … without gaps; found ${list.map((v) => v.file).join(', ')}`,
        )
      }
      const twin = list.find((o) => o !== sv && o.canonical === sv.canonical)
      if (twin) {
        throw new StreamError('SHOPFLOOR_SCHEMA_FILES', `${sv.file} and ${twin.file} have the same canonical form: a new version must change the schema`)
      }
    })
  }
  return byType
}
