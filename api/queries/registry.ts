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

/** The machine registry as the agents last announced it, ordered by line and flow position. */
export async function listMachines(ch: Clickhouse, filter: { line?: string; machine?: string } = {}): Promise<MachineRow[]> {
  const where: string[] = []
  if (filter.line !== undefined) where.push('line = {line:String}')
  if (filter.machine !== undefined) where.push('machine = {machine:String}')
  const rs = await ch.client.query({
    query: `SELECT machine, factory, line, name, position, ideal_cycle_s, line_ideal_cycle_s, end_of_line, agent_id,
                   toUnixTimestamp64Milli(updated) AS updated
            FROM ${ch.database}.machines FINAL
            ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
            ORDER BY line, position, machine`,
    query_params: filter,
    format: 'JSONEachRow',
  })
  const rows = await rs.json<MachineRow>()
  return rows.map((r) => ({ ...r, position: Number(r.position), updated: Number(r.updated), end_of_line: Boolean(r.end_of_line) }))
}
