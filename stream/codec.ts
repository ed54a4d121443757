import avro from 'avsc'
import { StreamError } from './errors.ts'
import { EVENT_TYPES, type EventType, type ShopfloorEvent } from './events.ts'
import { fingerprintBytes } from './fingerprint.ts'
import { CONFLUENT_HEADER_LENGTH, CONFLUENT_MAGIC, SINGLE_OBJECT_HEADER_LENGTH, confluentFrame, parseFrame, singleObjectFrame } from './framing.ts'
import { SCHEMA_DIR, loadSchemaVersions, type SchemaVersion } from './schema-catalog.ts'
import { DEFAULT_TOPIC_PREFIX, topicFor } from './topics.ts'
import { subjectFor, type SchemaRegistryClient } from './registry/client.ts'

export { SCHEMA_DIR }

/** How the codec frames what it encodes. */
export type WireFormat = 'single-object' | 'confluent'

export interface EventCodecOptions {
  /** Folder of the `<event-type>.v<N>.avsc` files. Default: {@link SCHEMA_DIR} (`stream/schemas/`). */
  schemaDir?: string
  /**
   * A schema registry: encode in Confluent wire format with the ids it assigns, and read schema
   * ids it knows. Default: none, and events are Avro single-object encoded.
   */
  registry?: SchemaRegistryClient
  /** Prefix of the topics whose subjects (`<prefix>.<event-type>-value`) hold the schemas. Default: `shopfloor`. */
  topicPrefix?: string
  /**
   * With a registry: register the current schemas in {@link EventCodec.ready} (what a producer does).
   * false: only look them up, and fail if the registry does not have them (a locked-down registry
   * where schemas are registered by a deploy step). Default: true.
   */
  autoRegister?: boolean
}

/** What {@link EventCodec.writerOf} tells of a message. */
export interface MessageWriter {
  readonly eventType: EventType
  /** The writer schema. */
  readonly type: avro.Type
  /** Offset of the Avro body in the message (after the framing's header). */
  readonly bodyStart: number
}

/** A writer schema the codec can read, with its event type. */
interface Writer {
  readonly eventType: EventType
  /** The file, or `registry id N`, for messages. */
  readonly label: string
  readonly type: avro.Type
}

/**
 * Encodes and decodes events. Without a registry: Avro single-object encoding (`C3 01`, the
 * writer schema's CRC-64-AVRO fingerprint little-endian, the Avro binary body). With one: the
 * Confluent wire format (`00`, the registry's schema id big-endian, the same body).
 *
 * Encoding always writes the newest version of an event type's schema. Decoding reads both
 * framings; every version of every schema in the schema folder is known, so an event written
 * with any earlier version is read through the current one (Avro schema resolution). Through a
 * registry, events written with a newer schema this reader does not ship are resolved too.
 */
export class EventCodec {
  readonly #versions: Map<EventType, SchemaVersion[]>
  readonly #current = new Map<EventType, SchemaVersion>()
  readonly #byFingerprint = new Map<string, SchemaVersion>()
  readonly #resolvers = new Map<string, avro.Resolver>()
  readonly #registry: SchemaRegistryClient | undefined
  readonly #topicPrefix: string
  readonly #autoRegister: boolean
  /** Registry id of each event type's current schema, once {@link ready} resolved. */
  readonly #currentIds = new Map<EventType, number>()
  readonly #byId = new Map<number, Writer>()
  #ready: Promise<void> | undefined

  constructor(opts: string | EventCodecOptions = {}) {
    const o: EventCodecOptions = typeof opts === 'string' ? { schemaDir: opts } : opts
    this.#versions = loadSchemaVersions(o.schemaDir ?? SCHEMA_DIR)
    for (const [t, list] of this.#versions) {
      for (const sv of list) this.#byFingerprint.set(sv.fingerprint.toString('hex'), sv)
      this.#current.set(t, list[list.length - 1] as SchemaVersion)
    }
    this.#registry = o.registry
    this.#topicPrefix = o.topicPrefix ?? DEFAULT_TOPIC_PREFIX
    this.#autoRegister = o.autoRegister ?? true
  }

  /** `confluent` with a registry, else `single-object`. */
  get wireFormat(): WireFormat {
    return this.#registry ? 'confluent' : 'single-object'
  }

  /** The current (newest) schema of an event type: the one {@link encode} writes. */
  schemaOf(eventType: EventType): SchemaVersion {
    return this.#current.get(eventType) as SchemaVersion
  }

  /** Every version of an event type's schema, oldest first. */
  versionsOf(eventType: EventType): readonly SchemaVersion[] {
    return this.#versions.get(eventType) as SchemaVersion[]
  }

  /**
   * With a registry: registers (or, with `autoRegister: false`, looks up) the current schema of
   * every event type under its topic's subject and keeps the ids, so {@link encode} can frame.
   * Without one it has nothing to do. Safe to call more than once; a failed call can be retried.
   */
  ready(): Promise<void> {
    const registry = this.#registry
    if (!registry) return Promise.resolve()
    this.#ready ??= (async () => {
      await Promise.all(
        EVENT_TYPES.map(async (t) => {
          const sv = this.schemaOf(t)
          const subject = subjectFor(topicFor(t, this.#topicPrefix))
          const text = JSON.stringify(sv.schema)
          const id = this.#autoRegister ? await registry.register(subject, text) : await registry.lookup(subject, text)
          if (id === undefined) {
            throw new StreamError(
              'SHOPFLOOR_CODEC_REGISTRY_NOT_READY',
              `schema registry ${registry.describe} has no ${sv.file} under subject ${subject}: register it (or let a producer with autoRegister do so)`,
            )
          }
          this.#currentIds.set(t, id)
          this.#byId.set(id, { eventType: t, label: sv.file, type: sv.type })
        }),
      )
    })()
    this.#ready.catch(() => {
      this.#ready = undefined
    })
    return this.#ready
  }

  /** Encodes an event with its type's newest schema, in the codec's {@link wireFormat}. */
  encode(e: ShopfloorEvent): Buffer {
    const sv = this.#current.get(e.type)
    if (!sv) throw new StreamError('SHOPFLOOR_CODEC_ENCODE', `unknown event type ${JSON.stringify((e as { type: unknown }).type)}; expected one of ${EVENT_TYPES.join(', ')}`)
    let id: number | undefined
    if (this.#registry) {
      id = this.#currentIds.get(e.type)
      if (id === undefined) {
        throw new StreamError(
          'SHOPFLOOR_CODEC_REGISTRY_NOT_READY',
          `no schema registry id for ${sv.file} yet: await codec.ready() once before encoding with a registry (${this.#registry.describe})`,
        )
      }
    }
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
    return id === undefined ? singleObjectFrame(sv.fingerprint, body) : confluentFrame(id, body)
  }

  /**
   * Decodes a message in either framing. A Confluent-framed message whose schema id this codec
   * has not seen yet fails with SHOPFLOOR_CODEC_UNKNOWN_SCHEMA (canRetry: true): use
   * {@link decodeAsync}, which fetches it from the registry.
   */
  decode(buf: Uint8Array): ShopfloorEvent {
    const frame = parseFrame(buf)
    switch (frame.format) {
      case 'single-object': {
        const fp = frame.fingerprint.toString('hex')
        const writer = this.#byFingerprint.get(fp)
        if (!writer) {
          throw new StreamError(
            'SHOPFLOOR_CODEC_UNKNOWN_SCHEMA',
            `message was written with an unknown schema (fingerprint ${fp}): upgrade this reader to a shopfloor version that ships it`,
          )
        }
        return this.#read({ eventType: writer.eventType, label: writer.file, type: writer.type }, frame.body)
      }
      case 'confluent': {
        const writer = this.#byId.get(frame.schemaId)
        if (!writer) {
          throw new StreamError(
            'SHOPFLOOR_CODEC_UNKNOWN_SCHEMA',
            this.#registry
              ? `message names schema registry id ${frame.schemaId}, not fetched yet: decode it with decodeAsync`
              : `message is in Confluent wire format (schema registry id ${frame.schemaId}) but no schema registry is configured: set SCHEMA_REGISTRY_URL`,
            { canRetry: this.#registry !== undefined },
          )
        }
        return this.#read(writer, frame.body)
      }
      default:
        throw new StreamError('SHOPFLOOR_CODEC_NOT_SINGLE_OBJECT', `message is not Avro single-object encoded (no C3 01 marker): ${frame.reason}`)
    }
  }

  /**
   * The writer schema of a message and where its Avro body starts, without decoding the body:
   * what ingest's fast path (clickhouse/avro-rows.ts) needs. The object returned is the codec's
   * own, shared between calls. Undefined when the framing is neither, or names a schema this codec
   * does not know yet: {@link decode}/{@link decodeAsync} then say why, or fetch it.
   */
  writerOf(buf: Uint8Array): MessageWriter | undefined {
    if (buf.length >= SINGLE_OBJECT_HEADER_LENGTH && buf[0] === 0xc3 && buf[1] === 0x01) {
      // Consecutive messages mostly share their writer (one topic per event type): compare the 8
      // fingerprint bytes with the last one before looking the fingerprint up by its hex text.
      let w = this.#lastSingle
      if (w) {
        const fp = w.fingerprint
        for (let i = 0; i < 8; i++) {
          if (fp[i] !== buf[2 + i]) {
            w = undefined
            break
          }
        }
      }
      if (!w) {
        const sv = this.#byFingerprint.get(Buffer.from(buf.buffer, buf.byteOffset + 2, 8).toString('hex'))
        if (!sv) return undefined
        w = { eventType: sv.eventType, type: sv.type, bodyStart: SINGLE_OBJECT_HEADER_LENGTH, fingerprint: sv.fingerprint }
        this.#singleWriters.set(sv, w)
      }
      this.#lastSingle = w
      return w
    }
    if (buf.length >= CONFLUENT_HEADER_LENGTH && buf[0] === CONFLUENT_MAGIC) {
      const id = ((buf[1] as number) * 2 ** 24) + (((buf[2] as number) << 16) | ((buf[3] as number) << 8) | (buf[4] as number))
      const writer = this.#byId.get(id)
      if (!writer) return undefined
      let w = this.#confluentWriters.get(writer)
      if (!w) this.#confluentWriters.set(writer, (w = { eventType: writer.eventType, type: writer.type, bodyStart: CONFLUENT_HEADER_LENGTH }))
      return w
    }
    return undefined
  }

  #lastSingle: (MessageWriter & { readonly fingerprint: Buffer }) | undefined
  readonly #singleWriters = new Map<SchemaVersion, MessageWriter>()
  readonly #confluentWriters = new Map<Writer, MessageWriter>()

  /** {@link decode}, first fetching from the registry a schema id not seen yet. */
  async decodeAsync(buf: Uint8Array): Promise<ShopfloorEvent> {
    const frame = parseFrame(buf)
    if (frame.format === 'confluent' && this.#registry && !this.#byId.has(frame.schemaId)) {
      await this.#loadId(this.#registry, frame.schemaId)
    }
    return this.decode(buf)
  }

  async #loadId(registry: SchemaRegistryClient, id: number): Promise<void> {
    const text = await registry.schemaById(id)
    let type: avro.Type
    try {
      type = avro.Type.forSchema(JSON.parse(text) as avro.Schema)
    } catch (cause) {
      throw new StreamError('SHOPFLOOR_CODEC_UNKNOWN_SCHEMA', `schema registry id ${id} is not a valid Avro schema: ${(cause as Error).message}`, { cause })
    }
    const known = this.#byFingerprint.get(fingerprintBytes(JSON.stringify(type.schema())).toString('hex'))
    if (known) {
      this.#byId.set(id, { eventType: known.eventType, label: `${known.file} (registry id ${id})`, type: known.type })
      return
    }
    // A version this reader does not ship (a newer producer): find its event type by record name.
    const name = (type as { name?: string }).name
    const current = [...this.#current.values()].find((sv) => (sv.type as { name?: string }).name === name)
    if (!current) {
      throw new StreamError('SHOPFLOOR_CODEC_UNKNOWN_SCHEMA', `schema registry id ${id} is ${name ?? 'an unnamed schema'}, not a shopfloor event`)
    }
    const writer: Writer = { eventType: current.eventType, label: `registry id ${id}`, type }
    try {
      this.#resolver(current, writer)
    } catch (cause) {
      throw new StreamError(
        'SHOPFLOOR_CODEC_INCOMPATIBLE_SCHEMA',
        `schema registry id ${id} (${name}) cannot be read as ${current.file}: ${(cause as Error).message}; the producer broke the compatibility rules of docs/events.md`,
        { cause },
      )
    }
    this.#byId.set(id, writer)
  }

  #read(writer: Writer, body: Buffer): ShopfloorEvent {
    const reader = this.#current.get(writer.eventType) as SchemaVersion
    try {
      const event = reader.type === writer.type ? reader.type.fromBuffer(body) : reader.type.fromBuffer(body, this.#resolver(reader, writer))
      return { type: writer.eventType, event } as ShopfloorEvent
    } catch (cause) {
      throw new StreamError('SHOPFLOOR_CODEC_DECODE', `cannot decode ${writer.label} body: ${(cause as Error).message}`, { cause })
    }
  }

  #resolver(reader: SchemaVersion, writer: Writer): avro.Resolver {
    const key = `${reader.file}<${writer.label}`
    let r = this.#resolvers.get(key)
    if (!r) {
      r = reader.type.createResolver(writer.type)
      this.#resolvers.set(key, r)
    }
    return r
  }
}
