import type { Clickhouse } from '../stream/index.ts'
import { computeOee, type OeeResult } from './kpi/oee.ts'
import { stateTime, type StateTime } from './kpi/state-time.ts'
import { ApiError } from './errors.ts'
import { countTotals, energyTotals, NO_COUNTS, stateEvents } from './queries/oee.ts'
import { listMachines, type MachineRow } from './queries/registry.ts'

export interface OeeQuery {
  machine?: string
  line?: string
  from: number
  to: number
  /** DOWN stops shorter than this are micro-stops, seconds. */
  microStopS: number
  now?: number
}

export interface MachineOee extends OeeResult {
  machine: string
  name: string
  line: string
  energy: { kwh: number; kwhPerGoodUnit: number | null }
}

export interface OeeResponse extends OeeResult {
  scope: { machine?: string; line?: string; from: string; to: string; microStopS: number }
  /** For a line: the machine whose good output is the line's, judged at the line's ideal cycle time. */
  judgedBy?: { machine: string; idealCycleS: number }
  energy: { kwh: number; kwhPerGoodUnit: number | null }
  machines: MachineOee[]
}

/**
 * OEE of a machine, or of a line judged by its end-of-line machine's good output at the line's
 * ideal cycle time (KPI.md), with each machine's own OEE beside it to find the losses.
 */
export async function oee(ch: Clickhouse, q: OeeQuery): Promise<OeeResponse> {
  const now = q.now ?? Date.now()
  let machines: MachineRow[]
  if (q.machine !== undefined) {
    machines = await listMachines(ch, { machine: q.machine })
    if (machines.length === 0) throw new ApiError('SHOPFLOOR_API_NOT_FOUND', `no machine "${q.machine}": GET /api/v1/machines lists the machines`, 'machine')
  } else {
    machines = await listMachines(ch, { line: q.line as string })
    if (machines.length === 0) throw new ApiError('SHOPFLOOR_API_NOT_FOUND', `no line "${q.line}": GET /api/v1/machines lists the machines with their lines`, 'line')
  }
  const ids = machines.map((m) => m.machine)
  const [events, counts, energy] = await Promise.all([
    stateEvents(ch, ids, q.from, q.to),
    countTotals(ch, ids, q.from, q.to),
    energyTotals(ch, ids, q.from, q.to),
  ])
  const times = new Map<string, StateTime>(ids.map((id) => [id, stateTime(events.get(id) ?? [], q.from, q.to, q.microStopS * 1000, now)]))
  const perMachine: MachineOee[] = machines.map((m) => {
    const c = counts.get(m.machine) ?? NO_COUNTS
    const r = computeOee(times.get(m.machine) as StateTime, {
      produced: c.produced,
      rejected: c.rejected,
      idealProducedS: c.idealProducedS,
      idealGoodS: c.idealProducedS - c.idealRejectedS,
    })
    const kwh = energy.get(m.machine) ?? 0
    return { ...r, machine: m.machine, name: m.name, line: m.line, energy: { kwh, kwhPerGoodUnit: r.counts.good > 0 ? kwh / r.counts.good : null } }
  })
  const kwh = perMachine.reduce((a, m) => a + m.energy.kwh, 0)
  const scope = { from: new Date(q.from).toISOString(), to: new Date(q.to).toISOString(), microStopS: q.microStopS }
  if (q.machine !== undefined) {
    const m = perMachine[0] as MachineOee
    const { machine: _m, name: _n, line: _l, energy: e, ...result } = m
    return { ...result, scope: { ...scope, machine: q.machine }, energy: e, machines: [] }
  }
  const eolRow = machines.find((m) => m.end_of_line) ?? (machines.at(-1) as MachineRow)
  const lineIdeal = eolRow.line_ideal_cycle_s
  const eolCounts = counts.get(eolRow.machine) ?? NO_COUNTS
  const lineResult = computeOee(times.get(eolRow.machine) as StateTime, {
    produced: eolCounts.produced,
    rejected: eolCounts.rejected,
    idealProducedS: eolCounts.produced * lineIdeal,
    idealGoodS: (eolCounts.produced - eolCounts.rejected) * lineIdeal,
  })
  return {
    ...lineResult,
    scope: { ...scope, line: q.line as string },
    judgedBy: { machine: eolRow.machine, idealCycleS: lineIdeal },
    energy: { kwh, kwhPerGoodUnit: lineResult.counts.good > 0 ? kwh / lineResult.counts.good : null },
    machines: perMachine,
  }
}
