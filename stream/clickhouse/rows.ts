import type { EventType, ShopfloorEvent } from '../events.ts'
import { parseMachinePath } from '../machine-path.ts'

/** Table of each event type. The machine registry is fed from heartbeats as well. */
export const TABLE_OF: Record<EventType, string> = {
  machine_state: 'machine_state',
  production_count: 'production_count',
  energy_reading: 'energy_reading',
  tag_sample: 'tag_sample',
  agent_heartbeat: 'agent_heartbeat',
}

export type Row = Record<string, string | number | boolean | null>

/**
 * Appends the rows of one event to `out` (by table): the event's own row, and for a heartbeat one
 * registry row per machine it announces. Times stay epoch milliseconds: ClickHouse reads an
 * integer into DateTime64(3) as milliseconds. Throws on a malformed machine path, before
 * appending anything, so a bad event never leaves half its rows behind.
 * A machine event row has no `factory` and `line`: the tables compute them from `machine`
 * (their DEFAULT, schema version 5), from the path checked here. The registry rows carry both.
 * A machine state row gets `prev_state`/`prev_ts` null: ingest fills them in order per machine.
 */
export function appendRows(e: ShopfloorEvent, out: Map<string, Row[]>): void {
  const push = (table: string, row: Row): void => {
    const rows = out.get(table)
    if (rows) rows.push(row)
    else out.set(table, [row])
  }
  if (e.type === 'agent_heartbeat') {
    const h = e.event
    const registry = h.machines.map((m) => {
      const p = parseMachinePath(m.machine)
      return {
        machine: m.machine,
        factory: p.factory,
        line: p.line,
        name: m.name,
        position: m.position,
        ideal_cycle_s: m.ideal_cycle_s,
        line_ideal_cycle_s: m.line_ideal_cycle_s,
        end_of_line: m.end_of_line,
        agent_id: h.agent_id,
        updated: h.source_ts,
      }
    })
    push('agent_heartbeat', {
      event_id: h.event_id,
      agent_id: h.agent_id,
      seq: h.seq,
      ts: h.source_ts,
      version: h.version,
      started: h.started_ts,
      machines: h.machines.length,
    })
    for (const r of registry) push('machines', r)
    return
  }
  const { machine } = parseMachinePath(e.event.machine)
  const base: Row = {
    event_id: e.event.event_id,
    agent_id: e.event.agent_id,
    seq: e.event.seq,
    machine,
    ts: e.event.source_ts,
    received: e.event.receive_ts,
  }
  switch (e.type) {
    case 'machine_state':
      push('machine_state', { ...base, state: e.event.state, reason: e.event.reason, prev_state: null, prev_ts: null })
      break
    case 'production_count':
      push('production_count', {
        ...base,
        produced: e.event.produced,
        rejected: e.event.rejected,
        ideal_cycle_s: e.event.ideal_cycle_s,
        product: e.event.product,
      })
      break
    case 'energy_reading':
      push('energy_reading', {
        ...base,
        kwh: e.event.kwh,
        kwh_total: e.event.kwh_total,
        kw: e.event.kw,
        kvarh: e.event.kvarh ?? null,
        kvarh_total: e.event.kvarh_total ?? null,
      })
      break
    case 'tag_sample':
      push('tag_sample', {
        ...base,
        tag: e.event.tag,
        value_double: e.event.value_double,
        value_string: e.event.value_string,
        quality: e.event.quality,
      })
      break
  }
}

/** Rows to insert for a batch of events, by table. */
export function rowsByTable(events: readonly ShopfloorEvent[]): Map<string, Row[]> {
  const out = new Map<string, Row[]>()
  for (const e of events) appendRows(e, out)
  return out
}
