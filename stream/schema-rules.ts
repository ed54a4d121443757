/**
 * The house rules every event schema file follows, beyond being valid Avro (docs/events.md,
 * "Rules for a schema file"). Checked over the file's JSON, so docs and logical types count.
 */
import type { EventType } from './events.ts'

export const EVENT_NAMESPACE = 'shopfloor.events'

const SNAKE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/
const PASCAL = /^[A-Z][A-Za-z0-9]*$/
const UPPER_SNAKE = /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/

type Json = null | boolean | number | string | Json[] | { [k: string]: Json }
type Obj = { [k: string]: Json }

const isObj = (j: Json | undefined): j is Obj => typeof j === 'object' && j !== null && !Array.isArray(j)

const TIMESTAMP = { type: 'long', logicalType: 'timestamp-millis' }

/** The fields every event starts with (DESIGN.md: id, path, source and receive time). */
const HEADER: readonly { name: string; type: Json; machineOnly?: boolean }[] = [
  { name: 'event_id', type: 'string' },
  { name: 'agent_id', type: 'string' },
  { name: 'seq', type: 'long' },
  { name: 'machine', type: 'string', machineOnly: true },
  { name: 'source_ts', type: TIMESTAMP },
  { name: 'receive_ts', type: TIMESTAMP, machineOnly: true },
]

/** `machine_state` -> `MachineState` */
export function recordNameOf(eventType: EventType): string {
  return eventType
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('')
}

/** Every way `schema` breaks the house rules for `eventType`; empty when it follows them. */
export function lintEventSchema(eventType: EventType, schema: unknown): string[] {
  const out: string[] = []
  const root = schema as Json
  if (!isObj(root) || root['type'] !== 'record') return ['the schema must be a record']
  const expected = recordNameOf(eventType)
  if (root['name'] !== expected) out.push(`record name must be ${expected}, got ${JSON.stringify(root['name'])}`)
  if (root['namespace'] !== EVENT_NAMESPACE) out.push(`namespace must be ${EVENT_NAMESPACE}, got ${JSON.stringify(root['namespace'])}`)
  walk(root, String(root['name']), out)
  const fields = Array.isArray(root['fields']) ? root['fields'].filter(isObj) : []
  const machineEvent = eventType !== 'agent_heartbeat'
  for (const h of HEADER) {
    if (h.machineOnly && !machineEvent) continue
    const f = fields.find((x) => x['name'] === h.name)
    if (!f) out.push(`header field ${h.name} is missing`)
    else if (JSON.stringify(f['type']) !== JSON.stringify(h.type)) {
      out.push(`header field ${h.name} must have type ${JSON.stringify(h.type)}, got ${JSON.stringify(f['type'])}`)
    }
  }
  return out
}

/** Docs and naming of every named type and field, inline definitions included. */
function walk(t: Json | undefined, path: string, out: string[]): void {
  if (Array.isArray(t)) {
    t.forEach((b) => walk(b, path, out))
    return
  }
  if (!isObj(t)) return
  const type = t['type']
  if (type === 'record' || type === 'enum' || type === 'fixed') {
    const name = t['name']
    if (typeof name !== 'string' || !PASCAL.test(name)) out.push(`${path}: ${String(type)} name ${JSON.stringify(name)} must be PascalCase`)
    if (!nonEmpty(t['doc'])) out.push(`${path}: ${String(type)} ${String(name)} has no doc`)
  }
  if (type === 'record') {
    const fields = Array.isArray(t['fields']) ? t['fields'] : []
    for (const f of fields) {
      if (!isObj(f)) continue
      const name = String(f['name'])
      const fpath = `${path}.${name}`
      if (!SNAKE.test(name)) out.push(`${fpath}: field name must be snake_case`)
      if (!nonEmpty(f['doc'])) out.push(`${fpath}: field has no doc`)
      walk(f['type'], fpath, out)
    }
  } else if (type === 'enum') {
    const symbols = Array.isArray(t['symbols']) ? t['symbols'] : []
    for (const s of symbols) if (typeof s !== 'string' || !UPPER_SNAKE.test(s)) out.push(`${path}: enum symbol ${JSON.stringify(s)} must be UPPER_SNAKE_CASE`)
  } else if (type === 'array') {
    walk(t['items'], `${path}[]`, out)
  } else if (type === 'map') {
    walk(t['values'], `${path}{}`, out)
  }
}

function nonEmpty(doc: Json | undefined): boolean {
  return typeof doc === 'string' && doc.trim().length > 0
}
