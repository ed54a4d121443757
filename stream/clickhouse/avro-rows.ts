// Ingest's fast path: an event's Avro binary body read straight into the JSONCompactEachRow line
// of its table, with no event object, no row object and no JSON.stringify in between. avsc stays
// the reference: a unit test checks that every line written here equals what avsc's decoding and
// `appendRows` (rows.ts) give, for random events of every covered schema and of every earlier
// writer version, and whatever this reader does not cover (a writer schema with other field types,
// a malformed body, a non-ASCII string, a long beyond 2^53) it declines, so that the caller takes
// the avsc path, which stores the event or dead-letters it with avsc's reason.
import type { EventType } from '../events.ts'
import { parseMachinePath } from '../machine-path.ts'

/**
 * Columns of the event tables' header, in the order `appendRows` writes them: not `factory` and
 * `line`, which the tables compute from `machine` (schema.ts); the path is still checked here.
 */
const HEADER_COLUMNS = ['event_id', 'agent_id', 'seq', 'machine', 'ts', 'received'] as const

/** The event types the fast path writes, with their columns in `appendRows` order. */
export const FAST_COLUMNS = {
  tag_sample: [...HEADER_COLUMNS, 'tag', 'value_double', 'value_string', 'quality'],
  production_count: [...HEADER_COLUMNS, 'produced', 'rejected', 'ideal_cycle_s', 'product'],
  energy_reading: [...HEADER_COLUMNS, 'kwh', 'kwh_total', 'kw', 'kvarh', 'kvarh_total'],
} as const satisfies Partial<Record<EventType, readonly string[]>>

export type FastEventType = keyof typeof FAST_COLUMNS

export function isFastEventType(t: EventType): t is FastEventType {
  return t in FAST_COLUMNS
}

/** The event field each column comes from (the rest: the field of the column's name). */
const SOURCE_FIELD: Readonly<Record<string, string>> = { ts: 'source_ts', received: 'receive_ts' }

// Field decoders (writer side).
const STRING = 0
const LONG = 1 // int and long: both zigzag varints
const DOUBLE = 2
const FLOAT = 3
const BOOLEAN = 4
const ENUM = 5

// What a column holds for the current event.
const V_NULL = 0
const V_RANGE = 1 // string bytes [start, end) of the body, plain ASCII needing no JSON escape
const V_NUMBER = 2
const V_CONST = 3 // pre-encoded JSON text
const V_TEXT = 4 // a decoded string (non-ASCII or needing escapes)

interface FieldStep {
  readonly kind: number
  /** Union branch of null, or -1 when the writer's field is not a ["null", X] union. */
  readonly nullBranch: number
  /** Column index the value goes to, or -1 (field skipped). */
  readonly column: number
  /** ENUM: JSON text of the symbol of each writer symbol index. */
  readonly symbols?: readonly Buffer[]
}

type AvroSchema = string | { type: unknown; [k: string]: unknown } | unknown[]

interface FieldType {
  kind: number
  nullable: boolean
  nullBranch: number
  symbols?: readonly string[]
}

/** A primitive, enum or ["null", X] field type; undefined for anything else (records, arrays, maps, fixed, bytes, other unions). */
function fieldType(t: AvroSchema): FieldType | undefined {
  if (Array.isArray(t)) {
    if (t.length !== 2) return undefined
    const nullBranch = t.indexOf('null')
    if (nullBranch === -1) return undefined
    const inner = fieldType(t[1 - nullBranch] as AvroSchema)
    return inner && !inner.nullable ? { ...inner, nullable: true, nullBranch } : undefined
  }
  if (typeof t === 'object' && t !== null) {
    if (t.type === 'enum') return Array.isArray(t['symbols']) ? { kind: ENUM, nullable: false, nullBranch: -1, symbols: t['symbols'] as string[] } : undefined
    // A logical type over a primitive (timestamp-millis): read as the primitive, as avsc does without logical type hooks.
    return typeof t.type === 'string' && !['record', 'array', 'map', 'fixed', 'enum'].includes(t.type) ? fieldType(t.type) : undefined
  }
  switch (t) {
    case 'string':
      return { kind: STRING, nullable: false, nullBranch: -1 }
    case 'int':
    case 'long':
      return { kind: LONG, nullable: false, nullBranch: -1 }
    case 'double':
      return { kind: DOUBLE, nullable: false, nullBranch: -1 }
    case 'float':
      return { kind: FLOAT, nullable: false, nullBranch: -1 }
    case 'boolean':
      return { kind: BOOLEAN, nullable: false, nullBranch: -1 }
    default:
      return undefined
  }
}

/** Can a writer's field type be read as the reader's (Avro resolution, the cases this reader covers)? */
function resolves(writer: FieldType, reader: FieldType): boolean {
  if (writer.nullable && !reader.nullable) return false
  if (writer.kind === ENUM || reader.kind === ENUM) return writer.kind === reader.kind
  if (writer.kind === reader.kind) return true
  // Numeric promotions: int/long to float/double, float to double (long stays long: both read as JS numbers).
  return (writer.kind === LONG && (reader.kind === DOUBLE || reader.kind === FLOAT)) || (writer.kind === FLOAT && reader.kind === DOUBLE)
}

interface RecordSchema {
  readonly type: 'record'
  readonly fields: readonly { name: string; type: AvroSchema; default?: unknown; aliases?: unknown }[]
}

const isRecord = (s: unknown): s is RecordSchema =>
  typeof s === 'object' && s !== null && (s as { type?: unknown }).type === 'record' && Array.isArray((s as { fields?: unknown }).fields)

/** The JSON text of a value as `JSON.stringify` writes it into a row (a non-finite number is null). */
const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v) ?? 'null')

const NULL_TEXT = Buffer.from('null')

/** Whether a machine path is well formed; false for a malformed path (the slow path dead-letters it). */
function isMachinePath(machine: string): boolean {
  try {
    parseMachinePath(machine) // remembers the paths it parsed
    return true
  } catch {
    return false
  }
}

/**
 * A growable byte buffer of JSONCompactEachRow lines: one per table and batch. {@link RowReader}
 * appends a line only once it has read the whole body, so a body it declines leaves no trace.
 */
export class RowBuffer {
  buf: Buffer
  length = 0
  rows = 0

  constructor(capacity = 1 << 16) {
    this.buf = Buffer.allocUnsafe(capacity)
  }

  ensure(extra: number): void {
    const need = this.length + extra
    if (need <= this.buf.length) return
    let size = Math.max(256, this.buf.length * 2)
    while (size < need) size *= 2
    const next = Buffer.allocUnsafe(size)
    this.buf.copy(next, 0, 0, this.length)
    this.buf = next
  }

  /** The lines written so far (a view, valid until the next append). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.length)
  }

  /** Appends text that may hold any character (a JSON-encoded string). */
  text(s: string): void {
    this.ensure(s.length * 3)
    this.length += this.buf.write(s, this.length, 'utf8')
  }

  copy(from: Uint8Array, start: number, end: number): void {
    const n = end - start
    this.ensure(n)
    if (n > 64) {
      this.buf.set(from.subarray(start, end), this.length)
      this.length += n
      return
    }
    const buf = this.buf
    let o = this.length
    for (let i = start; i < end; i++) buf[o++] = from[i] as number
    this.length = o
  }
}

/**
 * Who sent an event and about which machine, interned by the bytes of the two strings: the strings
 * (the machine path checked) and the caller's key (ingest's watermark key), made once per
 * (agent, machine) rather than once per message.
 */
export interface Ident {
  readonly agent: string
  readonly machine: string
  /** For the caller: ingest keeps its watermark key here. */
  key: string | undefined
  /** `<agent bytes> 00 <machine bytes>`, to tell apart idents of the same hash. */
  readonly bytes: Buffer
  readonly next: Ident | undefined
}

const IDENTS_MAX = 50_000

/**
 * Reads the Avro body of one writer schema into the JSONCompactEachRow line of one event table.
 * Build it with {@link compileRowReader}; {@link RowReader.read} is called once per message.
 */
export class RowReader {
  readonly eventType: FastEventType
  readonly columns: readonly string[]
  /** After a successful {@link read}: the event's agent and machine, and its sequence. */
  ident: Ident | undefined
  seq = 0
  // The writer's fields in order: decoder, union branch of null (-1: no union), column (-1: skipped).
  readonly #stepKind: Int8Array
  readonly #stepNull: Int8Array
  readonly #stepColumn: Int16Array
  readonly #stepSymbols: (readonly Buffer[] | undefined)[]
  // The current event's value of each column.
  readonly #kind: Uint8Array
  readonly #start: Int32Array
  readonly #end: Int32Array
  readonly #num: Float64Array
  readonly #const: (Buffer | undefined)[]
  readonly #text: string[]
  /** Column values fixed for every event (reader defaults of fields the writer lacks). */
  readonly #defaults: readonly (Buffer | undefined)[]
  readonly #colAgent: number
  readonly #colMachine: number
  readonly #colSeq: number
  #idents = new Map<number, Ident>()
  #pos = 0
  #endPos = 0

  constructor(eventType: FastEventType, steps: readonly FieldStep[], defaults: readonly (Buffer | undefined)[]) {
    this.eventType = eventType
    this.columns = FAST_COLUMNS[eventType]
    this.#stepKind = Int8Array.from(steps, (s) => s.kind)
    this.#stepNull = Int8Array.from(steps, (s) => s.nullBranch)
    this.#stepColumn = Int16Array.from(steps, (s) => s.column)
    this.#stepSymbols = steps.map((s) => s.symbols as readonly Buffer[] | undefined)
    const n = this.columns.length
    this.#kind = new Uint8Array(n)
    this.#start = new Int32Array(n)
    this.#end = new Int32Array(n)
    this.#num = new Float64Array(n)
    this.#const = new Array<Buffer | undefined>(n).fill(undefined)
    this.#text = new Array<string>(n).fill('')
    this.#defaults = defaults
    const at = (c: string): number => this.columns.indexOf(c)
    this.#colAgent = at('agent_id')
    this.#colMachine = at('machine')
    this.#colSeq = at('seq')
  }

  /** A zigzag varint (int or long); throws RANGE past the body or beyond what a JS number holds exactly. */
  #long(b: Buffer): number {
    let p = this.#pos
    const end = this.#endPos
    if (p >= end) throw RANGE
    // The first 28 bits with bit operations, the next 28 (at most) by multiplication.
    let byte = b[p++] as number
    let lo = byte & 0x7f
    let shift = 7
    while (byte & 0x80 && shift < 28) {
      if (p >= end) throw RANGE
      byte = b[p++] as number
      lo |= (byte & 0x7f) << shift
      shift += 7
    }
    let hi = 0
    let scale = 1
    while (byte & 0x80) {
      if (p >= end || scale > 2 ** 21) throw RANGE
      byte = b[p++] as number
      hi += (byte & 0x7f) * scale
      scale *= 128
    }
    this.#pos = p
    const magnitude = (lo >>> 1) + hi * 2 ** 27
    if (magnitude > Number.MAX_SAFE_INTEGER) throw RANGE
    return lo & 1 ? -magnitude - 1 : magnitude
  }

  /**
   * Reads the body `buf[start..]` and appends the event's line to `out`, returning true; or
   * returns false, leaving `out` as it was, when the body is malformed or holds something this
   * reader leaves to avsc.
   */
  read(buf: Buffer, start: number, out: RowBuffer): boolean {
    this.#pos = start
    this.#endPos = buf.length
    const kind = this.#kind
    const ncols = kind.length
    const defaults = this.#defaults
    for (let c = 0; c < ncols; c++) {
      const d = defaults[c]
      if (d) {
        kind[c] = V_CONST
        this.#const[c] = d
      }
    }
    const stepKind = this.#stepKind
    const stepNull = this.#stepNull
    const stepColumn = this.#stepColumn
    let textBytes = 0
    try {
      for (let i = 0; i < stepKind.length; i++) {
        const c = stepColumn[i] as number
        const nullBranch = stepNull[i] as number
        if (nullBranch !== -1) {
          const branch = this.#long(buf)
          if (branch !== 0 && branch !== 1) return false
          if (branch === nullBranch) {
            if (c !== -1) kind[c] = V_NULL
            continue
          }
        }
        switch (stepKind[i]) {
          case STRING: {
            const len = this.#long(buf)
            const s = this.#pos
            const e = s + len
            if (len < 0 || e > this.#endPos) return false
            this.#pos = e
            if (c === -1) break
            let plain = true
            for (let k = s; k < e; k++) {
              const ch = buf[k] as number
              if (ch < 0x20 || ch === 0x22 || ch === 0x5c || ch >= 0x7f) {
                plain = false
                break
              }
            }
            if (plain) {
              kind[c] = V_RANGE
              this.#start[c] = s
              this.#end[c] = e
            } else {
              // Escapes, or bytes beyond ASCII: decoded as avsc decodes them (invalid UTF-8 becomes U+FFFD).
              kind[c] = V_TEXT
              const text = buf.toString('utf8', s, e)
              this.#text[c] = text
              textBytes += text.length * 6 + 2
            }
            break
          }
          case LONG: {
            const v = this.#long(buf)
            if (c !== -1) {
              kind[c] = V_NUMBER
              this.#num[c] = v
            }
            break
          }
          case DOUBLE: {
            const p = this.#pos
            if (p + 8 > this.#endPos) return false
            this.#pos = p + 8
            if (c !== -1) {
              kind[c] = V_NUMBER
              this.#num[c] = buf.readDoubleLE(p)
            }
            break
          }
          case FLOAT: {
            const p = this.#pos
            if (p + 4 > this.#endPos) return false
            this.#pos = p + 4
            if (c !== -1) {
              kind[c] = V_NUMBER
              this.#num[c] = buf.readFloatLE(p)
            }
            break
          }
          case BOOLEAN: {
            if (this.#pos >= this.#endPos) return false
            const v = buf[this.#pos++] as number
            if (v > 1) return false
            if (c !== -1) {
              kind[c] = V_CONST
              this.#const[c] = v ? TRUE_TEXT : FALSE_TEXT
            }
            break
          }
          case ENUM: {
            const k = this.#long(buf)
            const symbols = this.#stepSymbols[i] as readonly Buffer[]
            if (k < 0 || k >= symbols.length) return false
            if (c !== -1) {
              kind[c] = V_CONST
              this.#const[c] = symbols[k]
            }
            break
          }
        }
      }
    } catch (err) {
      if (err === RANGE) return false
      throw err
    }
    if (this.#pos !== this.#endPos) return false // trailing bytes: let avsc judge
    if (kind[this.#colSeq] !== V_NUMBER) return false
    const ident = this.#identOf(buf)
    if (!ident) return false
    this.ident = ident
    this.seq = this.#num[this.#colSeq] as number

    // Room for the line: string bytes at most the body's, a number at most 24 characters, text
    // escaped at most 6 bytes a character; then written without checks.
    out.ensure(buf.length - start + ncols * 26 + textBytes + 2)
    const dst = out.buf
    let o = out.length
    dst[o++] = 0x5b // [
    for (let c = 0; c < ncols; c++) {
      if (c > 0) dst[o++] = 0x2c // ,
      switch (kind[c]) {
        case V_NULL:
          dst[o++] = 0x6e // null
          dst[o++] = 0x75
          dst[o++] = 0x6c
          dst[o++] = 0x6c
          break
        case V_RANGE: {
          dst[o++] = 0x22
          const e = this.#end[c] as number
          for (let k = this.#start[c] as number; k < e; k++) dst[o++] = buf[k] as number
          dst[o++] = 0x22
          break
        }
        case V_TEXT:
          o += dst.write(JSON.stringify(this.#text[c]), o, 'utf8')
          break
        case V_NUMBER:
          o = writeNumber(dst, o, this.#num[c] as number)
          break
        case V_CONST: {
          const t = this.#const[c] as Buffer
          for (let k = 0; k < t.length; k++) dst[o++] = t[k] as number
          break
        }
      }
    }
    dst[o++] = 0x5d // ]
    dst[o++] = 0x0a
    out.length = o
    out.rows++
    return true
  }

  /** The interned (agent, machine) of the current event; undefined for a malformed machine path (avsc's path dead-letters it). */
  #identOf(buf: Buffer): Ident | undefined {
    const kind = this.#kind
    const a = this.#colAgent
    const m = this.#colMachine
    if (kind[a] !== V_RANGE || kind[m] !== V_RANGE) {
      if ((kind[a] !== V_RANGE && kind[a] !== V_TEXT) || (kind[m] !== V_RANGE && kind[m] !== V_TEXT)) return undefined
      // Non-ASCII or escaped: not interned (rare; agents and paths are ASCII by the path rules).
      return makeIdent(this.#string(buf, a), this.#string(buf, m), Buffer.alloc(0), undefined)
    }
    const as = this.#start[a] as number
    const ae = this.#end[a] as number
    const ms = this.#start[m] as number
    const me = this.#end[m] as number
    // FNV-1a over agent, a 0 byte, machine.
    let h = 0x811c9dc5
    for (let k = as; k < ae; k++) h = Math.imul(h ^ (buf[k] as number), 0x01000193)
    h = Math.imul(h, 0x01000193)
    for (let k = ms; k < me; k++) h = Math.imul(h ^ (buf[k] as number), 0x01000193)
    const first = this.#idents.get(h)
    const len = ae - as + 1 + me - ms
    for (let id = first; id; id = id.next) {
      const b = id.bytes
      if (b.length !== len) continue
      let same = true
      let j = 0
      for (let k = as; k < ae && same; k++) same = b[j++] === buf[k]
      j++
      for (let k = ms; k < me && same; k++) same = b[j++] === buf[k]
      if (same) return id
    }
    const bytes = Buffer.alloc(len)
    buf.copy(bytes, 0, as, ae)
    buf.copy(bytes, ae - as + 1, ms, me)
    const ident = makeIdent(buf.toString('latin1', as, ae), buf.toString('latin1', ms, me), bytes, first)
    if (!ident) return undefined
    if (this.#idents.size >= IDENTS_MAX) this.#idents = new Map()
    this.#idents.set(h, ident)
    return ident
  }

  #string(buf: Buffer, c: number): string {
    return this.#kind[c] === V_RANGE ? buf.toString('latin1', this.#start[c]!, this.#end[c]!) : (this.#text[c] as string)
  }
}

function makeIdent(agent: string, machine: string, bytes: Buffer, next: Ident | undefined): Ident | undefined {
  return isMachinePath(machine) ? { agent, machine, key: undefined, bytes, next } : undefined
}

/** Writes a number as JSON.stringify does (a non-finite one as null); returns the new offset. */
function writeNumber(dst: Buffer, o: number, v: number): number {
  if (Number.isSafeInteger(v)) {
    if (v < 0) {
      dst[o++] = 0x2d
      v = -v
    }
    if (v >= 1e9) {
      const hi = Math.floor(v / 1e9)
      o = writeDigits(dst, o, hi)
      return writeDigits9(dst, o, v - hi * 1e9)
    }
    return writeDigits(dst, o, v)
  }
  const s = Number.isFinite(v) ? String(v) : 'null'
  for (let k = 0; k < s.length; k++) dst[o++] = s.charCodeAt(k)
  return o
}

/** 0 <= v < 2^31, without leading zeros. */
function writeDigits(dst: Buffer, o: number, v: number): number {
  let n = 1
  for (let x = v; x >= 10; x = (x / 10) | 0) n++
  let e = o + n
  const end = e
  do {
    const q = (v / 10) | 0
    dst[--e] = 0x30 + v - q * 10
    v = q
  } while (v > 0)
  return end
}

/** 0 <= v < 1e9, as exactly 9 digits. */
function writeDigits9(dst: Buffer, o: number, v: number): number {
  for (let e = o + 8; e >= o; e--) {
    const q = (v / 10) | 0
    dst[e] = 0x30 + v - q * 10
    v = q
  }
  return o + 9
}

const RANGE = new Error('out of range')
const TRUE_TEXT = Buffer.from('true')
const FALSE_TEXT = Buffer.from('false')

/**
 * The fast reader of bodies written with `writer` into the table of `eventType`, read as the
 * current schema `reader` would read them (Avro schema resolution: fields matched by name, writer
 * fields the reader lacks skipped, reader fields the writer lacks from their defaults, numeric
 * promotions, enum symbols by name). Undefined when either schema holds something this reader
 * does not cover: the avsc path reads those events.
 */
export function compileRowReader(eventType: EventType, writer: unknown, reader: unknown): RowReader | undefined {
  if (!isFastEventType(eventType) || !isRecord(writer) || !isRecord(reader)) return undefined
  const columns: readonly string[] = FAST_COLUMNS[eventType]
  const readerFields = new Map(reader.fields.map((f) => [f.name, f]))
  if (reader.fields.some((f) => f.aliases !== undefined)) return undefined
  const fieldOfColumn = (c: string): string => SOURCE_FIELD[c] ?? c
  const columnOfField = new Map<string, number>()
  columns.forEach((c, i) => columnOfField.set(fieldOfColumn(c), i))
  // Every column must be a reader field, and every reader field a column.
  for (const f of columnOfField.keys()) if (!readerFields.has(f)) return undefined
  for (const f of readerFields.keys()) if (!columnOfField.has(f)) return undefined

  const steps: FieldStep[] = []
  const seen = new Set<string>()
  for (const wf of writer.fields) {
    const wt = fieldType(wf.type)
    if (!wt) return undefined
    const rf = readerFields.get(wf.name)
    let column = -1
    let symbols: Buffer[] | undefined
    if (rf) {
      const rt = fieldType(rf.type)
      if (!rt || !resolves(wt, rt)) return undefined
      column = columnOfField.get(wf.name) as number
      seen.add(wf.name)
      if (wt.kind === ENUM) {
        // A writer symbol the reader lacks: avsc resolves it only through the reader enum's default; not covered here.
        const readerSymbols = new Set(rt.symbols)
        if (!(wt.symbols ?? []).every((s) => readerSymbols.has(s))) return undefined
        symbols = (wt.symbols ?? []).map((s) => json(s))
      }
    } else if (wt.kind === ENUM) {
      symbols = (wt.symbols ?? []).map(() => NULL_TEXT) // skipped: any valid index will do
    }
    steps.push({ kind: wt.kind, nullBranch: wt.nullable ? wt.nullBranch : -1, column, ...(symbols ? { symbols } : {}) })
  }
  const defaults: (Buffer | undefined)[] = columns.map(() => undefined)
  for (const [name, rf] of readerFields) {
    if (seen.has(name)) continue
    if (!('default' in rf)) return undefined // avsc cannot resolve these schemas either
    defaults[columnOfField.get(name) as number] = json(rf.default)
  }
  return new RowReader(eventType, steps, defaults)
}
