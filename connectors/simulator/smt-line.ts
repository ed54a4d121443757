import type { SimMachineSpec } from './scenario.ts'

/**
 * The simulated circuit-board (SMT) line: solder-paste printer, pick-and-place (the
 * bottleneck), reflow oven, automated optical inspection (end of line; it waits for boards from
 * the pick-and-place, so its actual cycle is slower than its ideal one). Loads are typical
 * nameplate orders of magnitude: the reflow oven's heaters dominate and stay on when idle.
 */
export const SMT_LINE: readonly SimMachineSpec[] = [
  { id: 'printer', name: 'Solder paste printer', idealCycleS: 0.6, speedFactor: [1.02, 1.15], rejectRate: 0.01, kw: { RUNNING: 3.5, IDLE: 1.2, DOWN: 0.8, SETUP: 1.5, PLANNED_STOP: 0.3 } },
  { id: 'pick-place', name: 'Pick-and-place', idealCycleS: 0.9, speedFactor: [1.05, 1.3], rejectRate: 0.02, kw: { RUNNING: 6, IDLE: 2.5, DOWN: 1.5, SETUP: 2, PLANNED_STOP: 0.5 } },
  { id: 'reflow', name: 'Reflow oven', idealCycleS: 0.5, speedFactor: [1, 1.05], rejectRate: 0.005, kw: { RUNNING: 28, IDLE: 22, DOWN: 18, SETUP: 20, PLANNED_STOP: 6 } },
  { id: 'aoi', name: 'Automated optical inspection', idealCycleS: 0.7, speedFactor: [1.35, 1.7], rejectRate: 0.04, kw: { RUNNING: 1.8, IDLE: 0.9, DOWN: 0.6, SETUP: 0.8, PLANNED_STOP: 0.2 } },
]

/** Where the simulated line sits in the plant hierarchy. */
export const SMT_SITE = { region: 'hcmc', park: 'vsip-1', factory: 'saigon-pcb', area: 'smt', line: 'smt-1' } as const

/** PLC state codes of the simulated machines (what the OPC UA State variable holds). */
export const PLC_STATE_CODES = { RUNNING: 1, IDLE: 2, DOWN: 3, SETUP: 4, PLANNED_STOP: 5 } as const
