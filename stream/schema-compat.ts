/**
 * Schema compatibility by the Avro specification's resolution rules ("Schema Resolution"): can
 * a reader with one schema read every datum written with another? Stricter than a reader at run
 * time in one place, as Confluent's checker is: a writer union branch the reader cannot take is
 * an error here, although Avro only fails when such a datum actually arrives.
 */
import type avro from 'avsc'
import type { types } from 'avsc'
import type { SchemaVersion } from './schema-catalog.ts'

/** Which way compatibility is promised (the Confluent Schema Registry's names). */
export type CompatibilityMode = 'BACKWARD' | 'BACKWARD_TRANSITIVE' | 'FORWARD' | 'FORWARD_TRANSITIVE' | 'FULL' | 'FULL_TRANSITIVE'

/**
 * What shopfloor promises for every event type: a reader of any version reads events written
 * with any other version, older (BACKWARD) or newer (FORWARD). docs/events.md explains why.
 */
export const PROMISED_COMPATIBILITY: CompatibilityMode = 'FULL_TRANSITIVE'

/** One reason a reader cannot read a writer's data; `path` names the place in the reader schema. */
export interface Incompatibility {
  readonly path: string
  readonly message: string
}

/** Promotions the Avro specification allows: writer type -> reader types. */
const PROMOTIONS: Record<string, readonly string[]> = {
  int: ['long', 'float', 'double'],
  long: ['float', 'double'],
  float: ['double'],
  string: ['bytes'],
  bytes: ['string'],
}

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string'])

function kind(t: avro.Type): string {
  const n = t.typeName
  return n.startsWith('union:') ? 'union' : n
}

function describeType(t: avro.Type): string {
  const k = kind(t)
  if (k === 'union') return `[${(t as types.UnwrappedUnionType).types.map(describeType).join(', ')}]`
  if (k === 'array') return `array<${describeType((t as types.ArrayType).itemsType)}>`
  if (k === 'map') return `map<${describeType((t as types.MapType).valuesType as avro.Type)}>`
  return t.name ?? k
}

/** Unqualified name: the spec matches named types on it (Java and avsc do too, with aliases). */
function shortName(name: string | undefined): string {
  return (name ?? '').split('.').pop() as string
}

function namesMatch(reader: avro.Type, writer: avro.Type): boolean {
  const w = shortName(writer.name)
  return shortName(reader.name) === w || (reader.aliases ?? []).some((a) => shortName(a) === w)
}

/** Whether a value of `writer` can be read as `reader` without looking into a union. */
function matchesShallow(reader: avro.Type, writer: avro.Type): boolean {
  const r = kind(reader)
  const w = kind(writer)
  if (PRIMITIVES.has(w)) return r === w || (PROMOTIONS[w] ?? []).includes(r)
  if (r !== w) return false
  if (r === 'record' || r === 'enum' || r === 'fixed') return namesMatch(reader, writer)
  return true
}

/**
 * Every reason `reader` cannot read data written with `writer`; empty when it can.
 * `path` prefixes the paths in the result.
 */
export function checkCompatibility(reader: avro.Type, writer: avro.Type, path = ''): Incompatibility[] {
  const out: Incompatibility[] = []
  check(reader, writer, path || shortName(reader.name) || kind(reader), out, new Set())
  return out
}

function check(reader: avro.Type, writer: avro.Type, path: string, out: Incompatibility[], seen: Set<string>): void {
  const r = kind(reader)
  const w = kind(writer)
  if (w === 'union') {
    // Every branch the writer may have taken must be readable.
    for (const branch of (writer as types.UnwrappedUnionType).types) check(reader, branch, path, out, seen)
    return
  }
  if (r === 'union') {
    const branches = (reader as types.UnwrappedUnionType).types
    const match = branches.find((b) => kind(b) === w && matchesShallow(b, writer)) ?? branches.find((b) => matchesShallow(b, writer))
    if (!match) {
      out.push({ path, message: `writer type ${describeType(writer)} matches no branch of the reader union ${describeType(reader)}` })
      return
    }
    check(match, writer, path, out, seen)
    return
  }
  if (!matchesShallow(reader, writer)) {
    const named = (r === 'record' || r === 'enum' || r === 'fixed') && r === w
    out.push({
      path,
      message: named
        ? `${r} name changed: writer ${writer.name}, reader ${reader.name} (add the old name to the reader's aliases)`
        : `type changed: writer ${describeType(writer)}, reader ${describeType(reader)}${
            PROMOTIONS[w] ? ` (${w} may only be read as ${PROMOTIONS[w].join(', ')})` : ''
          }`,
    })
    return
  }
  switch (r) {
    case 'record': {
      const key = `${reader.name}<${writer.name}`
      if (seen.has(key)) return
      seen.add(key)
      const wf = (writer as types.RecordType).fields
      for (const f of (reader as types.RecordType).fields) {
        const match = wf.find((x) => x.name === f.name) ?? wf.find((x) => f.aliases.includes(x.name))
        const fpath = `${path}.${f.name}`
        if (match) check(f.type, match.type, fpath, out, seen)
        else if (f.defaultValue() === undefined) {
          out.push({ path: fpath, message: `reader field ${f.name} is not in the writer schema and has no default` })
        }
      }
      return
    }
    case 'enum': {
      const rs = (reader as types.EnumType).symbols
      const def = (reader as types.EnumType & { default?: string }).default
      const unknown = (writer as types.EnumType).symbols.filter((s) => !rs.includes(s))
      if (unknown.length > 0 && def === undefined) {
        out.push({ path, message: `writer enum symbol(s) ${unknown.join(', ')} unknown to the reader, which has no enum default` })
      }
      return
    }
    case 'fixed':
      if ((reader as types.FixedType).size !== (writer as types.FixedType).size) {
        out.push({ path, message: `fixed size changed: writer ${(writer as types.FixedType).size}, reader ${(reader as types.FixedType).size}` })
      }
      return
    case 'array':
      check((reader as types.ArrayType).itemsType, (writer as types.ArrayType).itemsType, `${path}[]`, out, seen)
      return
    case 'map':
      check((reader as types.MapType).valuesType as avro.Type, (writer as types.MapType).valuesType as avro.Type, `${path}{}`, out, seen)
      return
    default:
      return
  }
}

/** One failed check between two versions of a schema. */
export interface EvolutionIssue extends Incompatibility {
  /** `BACKWARD`: the newer version cannot read the older's events; `FORWARD`: the reverse. */
  readonly direction: 'BACKWARD' | 'FORWARD'
  readonly reader: string
  readonly writer: string
}

/**
 * Checks a candidate version against the versions before it, in the directions `mode` promises:
 * BACKWARD (the candidate reads their events), FORWARD (they read the candidate's), FULL (both);
 * `_TRANSITIVE` against every earlier version, otherwise against the latest only.
 */
export function checkCandidate(
  candidate: Pick<SchemaVersion, 'file' | 'type'>,
  earlier: readonly Pick<SchemaVersion, 'file' | 'type'>[],
  mode: CompatibilityMode = PROMISED_COMPATIBILITY,
): EvolutionIssue[] {
  const against = mode.endsWith('_TRANSITIVE') ? earlier : earlier.slice(-1)
  const backward = mode.startsWith('BACKWARD') || mode.startsWith('FULL')
  const forward = mode.startsWith('FORWARD') || mode.startsWith('FULL')
  const out: EvolutionIssue[] = []
  for (const old of against) {
    if (backward) {
      for (const i of checkCompatibility(candidate.type, old.type)) out.push({ ...i, direction: 'BACKWARD', reader: candidate.file, writer: old.file })
    }
    if (forward) {
      for (const i of checkCompatibility(old.type, candidate.type)) out.push({ ...i, direction: 'FORWARD', reader: old.file, writer: candidate.file })
    }
  }
  return out
}

/** Every version of a type checked against those before it: the whole history must hold `mode`. */
export function checkHistory(versions: readonly SchemaVersion[], mode: CompatibilityMode = PROMISED_COMPATIBILITY): EvolutionIssue[] {
  return versions.flatMap((v, i) => checkCandidate(v, versions.slice(0, i), mode))
}

/** An issue as one line: `energy-reading.v3.avsc cannot read energy-reading.v1.avsc (BACKWARD): EnergyReading.x: …`. */
export function formatIssue(i: EvolutionIssue): string {
  return `${i.reader} cannot read ${i.writer} (${i.direction}): ${i.path}: ${i.message}`
}
