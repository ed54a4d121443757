import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import avro from 'avsc'
import { StreamError } from './errors.ts'
import { fingerprintBytes } from './fingerprint.ts'
import { EVENT_TYPES, type EventType, type ShopfloorEvent } from './events.ts'

/** The two marker bytes of Avro single-object encoding. */
const MARKER = Buffer.from([0xc3, 0x01])
const HEADER_LENGTH = 10

/** Where the `.avsc` files live: `stream/schemas/`, one file per event type and version. */
export const SCHEMA_DIR = join(import.meta.dirname, 'schemas')

interface SchemaVersion {
  readonly eventType: EventType
  readonly version: number
  readonly type: avro.Type
  readonly fingerprint: Buffer
  readonly file: string
}

/** `machine-state.v1.avsc` -> machine_state, 1 */
function parseSchemaFileName(file: string): { eventType: EventType; version: number } | undefined {
  const m = /^([a-z-]+)\.v(\d+)\.avsc$/.exec(file)
  if (!m) return undefined
  const eventType = (m[1] as string).replaceAll('-', '_')
  if (!(EVENT_TYPES as readonly string[]).includes(eventType)) return undefined
  return { eventType: eventType as EventType, version: Number(m[2]) }
}

/**
 * Encodes and decodes events with Avro single-object encoding: `C3 01`, the writer schema's
 * CRC-64-AVRO fingerprint (little-endian), then the Avro binary body.
 *
 * Every version of every schema found in the schema folder is known, so events written with an
 * older version are read through the current one (Avro schema resolution).
 */
export class EventCodec {
  readonly #current = new Map<EventType, SchemaVersion>()
  readonly #byFingerprint = new Map<string, SchemaVersion>()
  readonly #resolvers = new Map<string, avro.Resolver>()

  constructor(schemaDir: string = SCHEMA_DIR) {
    let files: string[]
    try {
      files = readdirSync(schemaDir).filter((f) => f.endsWith('.avsc'))
    } catch (cause) {
      throw new StreamError('SHOPFLOOR_SCHEMA_FILES', `cannot read the event schemas in ${schemaDir}: reinstall shopfloor`, { cause })
    }
    for (const file of files) {
      const parsed = parseSchemaFileName(file)
      if (!parsed) continue
      let type: avro.Type
      try {
        type = avro.Type.forSchema(JSON.parse(readFileSync(join(schemaDir, file), 'utf8')) as avro.Schema)
      } catch (cause) {
        throw new StreamError('SHOPFLOOR_SCHEMA_FILES', `${file}: not a valid Avro schema: ${(cause as Error).message}`, { cause })
      }
      const fingerprint = fingerprintBytes(JSON.stringify(type.schema()))
      const sv: SchemaVersion = { ...parsed, type, fingerprint, file }
      this.#byFingerprint.set(fingerprint.toString('hex'), sv)
      const cur = this.#current.get(parsed.eventType)
      if (!cur || cur.version < parsed.version) this.#current.set(parsed.eventType, sv)
    }
    for (const t of EVENT_TYPES) {
      if (!this.#current.has(t)) {
        throw new StreamError('SHOPFLOOR_SCHEMA_FILES', `no schema file for event type ${t} in ${schemaDir}`)
      }
    }
  }

  /** The current schema of an event type. */
  schemaOf(eventType: EventType): { version: number; type: avro.Type; fingerprint: Buffer } {
    return this.#current.get(eventType) as SchemaVersion
  }

  encode(e: ShopfloorEvent): Buffer {
    const sv = this.#current.get(e.type) as SchemaVersion
    let body: Buffer
    try {
      body = sv.type.toBuffer(e.event)
    } catch (cause) {
      const paths: string[] = []
      sv.type.isValid(e.event, { errorHook: (path) => paths.push(path.join('.')) })
      throw new StreamError(
        'SHOPFLOOR_CODEC_ENCODE',
        `${e.type} event does not fit ${sv.file}${paths.length ? `: bad field(s) ${paths.join(', ')}` : ''}`,
        { cause },
      )
    }
    return Buffer.concat([MARKER, sv.fingerprint, body])
  }

  decode(buf: Uint8Array): ShopfloorEvent {
    const bytes = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)
    if (bytes.length < HEADER_LENGTH || bytes[0] !== 0xc3 || bytes[1] !== 0x01) {
      throw new StreamError('SHOPFLOOR_CODEC_NOT_SINGLE_OBJECT', 'message is not Avro single-object encoded (no C3 01 marker)')
    }
    const fp = bytes.subarray(2, HEADER_LENGTH).toString('hex')
    const writer = this.#byFingerprint.get(fp)
    if (!writer) {
      throw new StreamError(
        'SHOPFLOOR_CODEC_UNKNOWN_SCHEMA',
        `message was written with an unknown schema (fingerprint ${fp}): upgrade this reader to a shopfloor version that ships it`,
      )
    }
    const reader = this.#current.get(writer.eventType) as SchemaVersion
    try {
      const body = bytes.subarray(HEADER_LENGTH)
      const event =
        reader === writer ? reader.type.fromBuffer(body) : reader.type.fromBuffer(body, this.#resolver(reader, writer))
      return { type: writer.eventType, event } as ShopfloorEvent
    } catch (cause) {
      throw new StreamError('SHOPFLOOR_CODEC_DECODE', `cannot decode ${writer.file} body: ${(cause as Error).message}`, { cause })
    }
  }

  #resolver(reader: SchemaVersion, writer: SchemaVersion): avro.Resolver {
    const key = `${reader.file}<${writer.file}`
    let r = this.#resolvers.get(key)
    if (!r) {
      r = reader.type.createResolver(writer.type)
      this.#resolvers.set(key, r)
    }
    return r
  }
}
