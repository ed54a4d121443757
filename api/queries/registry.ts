import type { Clickhouse } from '../../stream/index.ts'

export interface MachineRow {
  machine: string
  factory: string
  line: string
  name: string
  position: number
  ideal_cycle_s: number
  line_ideal_cycle_s: number
  end_of_line: boolean
  agent_id: string
  updated: number
}

export interface MachineFilter {
  line?: string
  machine?: string
  /** Only machines of these factories (a caller's scope); an empty list matches none. */
  factories?: readonly string[]
  /** Keyset pagination: rows after this (line, position, machine), in the list's order. */
  after?: { line: string; position: number; machine: string }
  limit?: number
}

/** The machine registry as the agents last announced it, ordered by line and flow position. */
export async function listMachines(ch: Clickhouse, filter: MachineFilter = {}): Promise<MachineRow[]> {
  if (filter.factories && filter.factories.length === 0) return []
  const where: string[] = []
  const params: Record<string, unknown> = {}
  if (filter.line !== undefined) (where.push('line = {line:String}'), (params['line'] = filter.line))
  if (filter.machine !== undefined) (where.push('machine = {machine:String}'), (params['machine'] = filter.machine))
  if (filter.factories !== undefined) (where.push('factory IN {factories:Array(String)}'), (params['factories'] = filter.factories))
  if (filter.after !== undefined) {
    where.push('(line, position, machine) > ({afterLine:String}, {afterPosition:UInt16}, {afterMachine:String})')
    Object.assign(params, { afterLine: filter.after.line, afterPosition: filter.after.position, afterMachine: filter.after.machine })
  }
  const rs = await ch.client.query({
    query: `SELECT machine, factory, line, name, position, ideal_cycle_s, line_ideal_cycle_s, end_of_line, agent_id,
                   toUnixTimestamp64Milli(updated) AS updated
            FROM ${ch.database}.machines FINAL
            ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
            ORDER BY line, position, machine
            ${filter.limit !== undefined ? `LIMIT ${Math.floor(filter.limit)}` : ''}`,
    query_params: params,
    format: 'JSONEachRow',
  })
  const rows = await rs.json<MachineRow>()
  return rows.map((r) => ({ ...r, position: Number(r.position), updated: Number(r.updated), end_of_line: Boolean(r.end_of_line) }))
}

export interface LineRow {
  line: string
  factory: string
  machines: number
  /** The end-of-line machine (the last by position when none is marked). */
  end_of_line: string
  line_ideal_cycle_s: number
  updated: number
}

/** The lines of the registry (of these factories, or all), ordered by path. */
export async function listLines(ch: Clickhouse, factories: readonly string[] | 'all'): Promise<LineRow[]> {
  if (factories !== 'all' && factories.length === 0) return []
  const rs = await ch.client.query({
    query: `SELECT line, factory, count() AS machines,
                   argMax(machine, (end_of_line, position)) AS end_of_line,
                   max(line_ideal_cycle_s) AS line_ideal_cycle_s,
                   toUnixTimestamp64Milli(max(updated)) AS updated
            FROM ${ch.database}.machines FINAL
            ${factories === 'all' ? '' : 'WHERE factory IN {factories:Array(String)}'}
            GROUP BY factory, line
            ORDER BY line`,
    query_params: factories === 'all' ? {} : { factories },
    format: 'JSONEachRow',
  })
  const rows = await rs.json<LineRow>()
  return rows.map((r) => ({ ...r, machines: Number(r.machines), updated: Number(r.updated) }))
}
