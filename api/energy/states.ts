/**
 * Energy by machine state and by ISO 22400 time element. Meter readings carry no state, so the
 * energy of a rollup bucket (a quarter hour, or a minute where a calendar edge cuts the quarter) is
 * shared among the states by the milliseconds each had in that bucket: exact when the machine stays
 * in one state through it, proportional to time otherwise (docs/energy.md).
 */
import { MACHINE_STATES, type MachineStateCode } from '../../stream/index.ts'
import type { PlannedSlice } from '../kpi/slicing.ts'

/** Calendar kind of a piece of time: production, break, holiday, planned downtime, or outside every shift. */
export type TimeKind = PlannedSlice['kind']

export type KwhByState = Record<MachineStateCode, number>

export const noStateKwh = (): KwhByState => Object.fromEntries(MACHINE_STATES.map((s) => [s, 0])) as KwhByState

/**
 * Adds `kwh` of one bucket to `acc`, shared by `ms` (milliseconds per state in the bucket). A
 * bucket without state time (before the machine's first state, or a state still open) goes
 * wholly to `fallback`.
 */
export function addByState(acc: KwhByState, kwh: number, ms: Readonly<Partial<Record<MachineStateCode, number>>>, fallback: MachineStateCode): void {
  let total = 0
  for (const s of MACHINE_STATES) total += ms[s] ?? 0
  if (total <= 0) {
    acc[fallback] += kwh
    return
  }
  for (const s of MACHINE_STATES) {
    const m = ms[s] ?? 0
    if (m > 0) acc[s] += (kwh * m) / total
  }
}

/** Energy used while the machine was not RUNNING, and its share of all energy (null when none was used). */
export function idleEnergy(byState: Readonly<KwhByState>): { kwh: number; share: number | null } {
  let total = 0
  for (const s of MACHINE_STATES) total += byState[s]
  const kwh = total - byState.RUNNING
  return { kwh, share: total > 0 ? kwh / total : null }
}

/**
 * Energy per ISO 22400 time element. Inside production time: APT (RUNNING, micro-stops are in
 * DOWN and so in ADET), AUST (SETUP), ADET (DOWN), ADOT (IDLE), PDT (PLANNED_STOP). Breaks and
 * planned downtime of the calendar are PDT whatever the state; holidays and time outside any
 * shift are not planned. OFFLINE (the state is unknown) stays its own element everywhere, as in
 * the OEE time model.
 */
export interface KwhByOeeTime {
  apt: number
  aust: number
  adet: number
  adot: number
  pdt: number
  notPlanned: number
  offline: number
}

export const noOeeTimeKwh = (): KwhByOeeTime => ({ apt: 0, aust: 0, adet: 0, adot: 0, pdt: 0, notPlanned: 0, offline: 0 })

const IN_PRODUCTION: Record<MachineStateCode, keyof KwhByOeeTime> = {
  RUNNING: 'apt',
  SETUP: 'aust',
  DOWN: 'adet',
  IDLE: 'adot',
  PLANNED_STOP: 'pdt',
  OFFLINE: 'offline',
}

/** The time element that energy used in `state` during calendar time of `kind` belongs to. */
export function oeeElementOf(kind: TimeKind, state: MachineStateCode): keyof KwhByOeeTime {
  if (state === 'OFFLINE') return 'offline'
  if (kind === 'production') return IN_PRODUCTION[state]
  return kind === 'break' || kind === 'planned_downtime' ? 'pdt' : 'notPlanned'
}

/** Adds energy by state of a piece of calendar time of `kind` to `acc`. */
export function addOeeTime(acc: KwhByOeeTime, kind: TimeKind, byState: Readonly<KwhByState>): void {
  for (const s of MACHINE_STATES) {
    const kwh = byState[s]
    if (kwh !== 0) acc[oeeElementOf(kind, s)] += kwh
  }
}
