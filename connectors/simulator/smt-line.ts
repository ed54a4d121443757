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

/**
 * The same line over a day of shifts ({@link Scenario.day}): cycle times of tens of seconds per
 * board panel, runs of tens of minutes, micro-stops of seconds, failures of minutes, changeovers
 * of a quarter to half an hour. The reflow oven empties its conveyor into each break; the crews
 * of the other machines stop them a little before it.
 */
export const SMT_DAY_LINE: readonly SimMachineSpec[] = [
  {
    id: 'printer',
    name: 'Solder paste printer',
    idealCycleS: 18,
    speedFactor: [1.02, 1.12],
    rejectRate: 0.008,
    kw: { RUNNING: 3.5, IDLE: 1.2, DOWN: 0.8, SETUP: 1.5, PLANNED_STOP: 0.3 },
    day: {
      meanRunS: 30 * 60,
      stops: [
        { state: 'DOWN', weight: 0.45, durS: [10, 90], reasons: ['BOARD_JAM', 'VISION_RETRY'] },
        { state: 'DOWN', weight: 0.2, durS: [180, 1200], reasons: ['STENCIL_CLOG', 'PASTE_EMPTY'] },
        { state: 'IDLE', weight: 0.15, durS: [120, 600], reasons: ['NO_BOARDS'] },
        { state: 'SETUP', weight: 0.1, durS: [900, 1800], reasons: ['STENCIL_CHANGE'] },
        { state: 'PLANNED_STOP', weight: 0.1, durS: [300, 600], reasons: ['STENCIL_CLEANING'] },
      ],
      shiftStartChangeover: { p: 0.5, durS: [900, 1800], reason: 'STENCIL_CHANGE' },
      stopBeforeBreakS: [30, 180],
      runIntoBreakS: [0, 0],
    },
  },
  {
    id: 'pick-place',
    name: 'Pick-and-place',
    idealCycleS: 28,
    speedFactor: [1.04, 1.15],
    rejectRate: 0.015,
    kw: { RUNNING: 6, IDLE: 2.5, DOWN: 1.5, SETUP: 2, PLANNED_STOP: 0.5 },
    day: {
      meanRunS: 20 * 60,
      stops: [
        { state: 'DOWN', weight: 0.5, durS: [10, 100], reasons: ['PICKUP_ERROR', 'NOZZLE_RETRY'] },
        { state: 'DOWN', weight: 0.2, durS: [180, 2400], reasons: ['NOZZLE_CLOG', 'FEEDER_JAM', 'FEEDER_EMPTY'] },
        { state: 'IDLE', weight: 0.15, durS: [120, 720], reasons: ['WAIT_UPSTREAM', 'NO_COMPONENTS'] },
        { state: 'SETUP', weight: 0.1, durS: [1200, 2400], reasons: ['CHANGEOVER'] },
        { state: 'PLANNED_STOP', weight: 0.05, durS: [600, 900], reasons: ['MEETING'] },
      ],
      shiftStartChangeover: { p: 0.5, durS: [1200, 2400], reason: 'CHANGEOVER' },
      stopBeforeBreakS: [30, 180],
      runIntoBreakS: [0, 0],
    },
  },
  {
    id: 'reflow',
    name: 'Reflow oven',
    idealCycleS: 20,
    speedFactor: [1, 1.04],
    rejectRate: 0.004,
    kw: { RUNNING: 28, IDLE: 22, DOWN: 18, SETUP: 20, PLANNED_STOP: 6 },
    day: {
      meanRunS: 60 * 60,
      stops: [
        { state: 'DOWN', weight: 0.3, durS: [10, 60], reasons: ['CONVEYOR_STALL'] },
        { state: 'DOWN', weight: 0.2, durS: [600, 2700], reasons: ['HEATER_FAULT', 'CONVEYOR_FAULT'] },
        { state: 'IDLE', weight: 0.4, durS: [120, 600], reasons: ['WAIT_UPSTREAM'] },
        { state: 'SETUP', weight: 0.1, durS: [600, 1200], reasons: ['PROFILE_CHANGE'] },
      ],
      shiftStartChangeover: { p: 0.3, durS: [600, 1200], reason: 'PROFILE_CHANGE' },
      stopBeforeBreakS: [0, 0],
      runIntoBreakS: [60, 300],
    },
  },
  {
    id: 'aoi',
    name: 'Automated optical inspection',
    idealCycleS: 22,
    speedFactor: [1.25, 1.4],
    rejectRate: 0.03,
    kw: { RUNNING: 1.8, IDLE: 0.9, DOWN: 0.6, SETUP: 0.8, PLANNED_STOP: 0.2 },
    day: {
      meanRunS: 25 * 60,
      stops: [
        { state: 'DOWN', weight: 0.45, durS: [10, 80], reasons: ['CAMERA_RETRY', 'BOARD_JAM'] },
        { state: 'DOWN', weight: 0.15, durS: [180, 1500], reasons: ['CAMERA_FAULT', 'CONVEYOR_JAM'] },
        { state: 'IDLE', weight: 0.3, durS: [120, 600], reasons: ['WAIT_UPSTREAM'] },
        { state: 'SETUP', weight: 0.1, durS: [300, 900], reasons: ['PROGRAM_CHANGE'] },
      ],
      shiftStartChangeover: { p: 0.3, durS: [300, 900], reason: 'PROGRAM_CHANGE' },
      stopBeforeBreakS: [0, 120],
      runIntoBreakS: [0, 0],
    },
  },
]

/** Where the simulated line sits in the plant hierarchy. */
export const SMT_SITE = { region: 'hcmc', park: 'vsip-1', factory: 'saigon-pcb', area: 'smt', line: 'smt-1' } as const

/** PLC state codes of the simulated machines (what the OPC UA State variable holds). */
export const PLC_STATE_CODES = { RUNNING: 1, IDLE: 2, DOWN: 3, SETUP: 4, PLANNED_STOP: 5 } as const
