import type { DayBehaviour, DayStop } from './day-timeline.ts'
import { hash32 } from './random.ts'
import type { SimMachineSpec, SimState } from './scenario.ts'
import { SMT_DAY_LINE } from './smt-line.ts'

/** The sectors of the simulated region: circuit boards (VSIC 2610), garments (1410), furniture (3100). */
export type RegionSector = 'electronics' | 'garment' | 'furniture'

/**
 * How one factory differs from its sector's typical line. Every multiplier defaults to 1.
 * Sizes are what makes one factory dominate a table cell and another not.
 */
export interface RegionProfile {
  /** Output: ideal and actual cycle times are divided by it (2 = twice the units). */
  readonly size?: number
  /** Electrical load: every state's kW is multiplied by it. */
  readonly power?: number
  /** 2 drops the line's first machine; default 3. */
  readonly machines?: 2 | 3
  /** Weight of failures (DOWN stops of two minutes or more) among the stops. */
  readonly failures?: number
  /** Weight of idle stops among the stops. */
  readonly idle?: number
  /** Reject rate of every machine. */
  readonly rejects?: number
}

/** One simulated factory of the region: where it sits, its one line, its seed. */
export interface RegionFactorySpec {
  /** `region/park/factory`, as in the API's factories seed. */
  readonly path: string
  readonly sector: RegionSector
  /** Area and line ids: the machine paths are `path/area/line/machine`. */
  readonly area: string
  readonly line: string
  /** In line order; the last is the end-of-line machine the line is judged by. */
  readonly machines: readonly SimMachineSpec[]
  /** The factory's own seed: its stops, cycle times, loads and rejects are drawn from it. */
  readonly seed: number
  readonly profile: RegionProfile
}

const smt = (id: string): SimMachineSpec => SMT_DAY_LINE.find((m) => m.id === id) as SimMachineSpec

/** A behaviour of a day: runs, then stops of the given kinds; changeovers at shift starts. */
const day = (meanRunS: number, stops: readonly DayStop[], changeover: DayBehaviour['shiftStartChangeover'], stopBeforeBreakS: [number, number] = [30, 180]): DayBehaviour => ({
  meanRunS,
  stops,
  shiftStartChangeover: changeover,
  stopBeforeBreakS,
  runIntoBreakS: [0, 0],
})

const kw = (running: number, idle: number, down: number, setup: number, plannedStop: number): Record<SimState, number> => ({
  RUNNING: running,
  IDLE: idle,
  DOWN: down,
  SETUP: setup,
  PLANNED_STOP: plannedStop,
})

/**
 * The typical line of each sector, three machines in line order (a two-machine line drops the
 * first). Circuit boards: the SMT line's pick-and-place, reflow oven and AOI (tens of seconds per
 * panel, the oven's heaters dominate the load). Garments: an automatic cutter (vacuum table),
 * the sewing line as one station (its output rate; thread breaks are its micro-stops) and
 * pressing (steam). Furniture: a CNC panel saw, an edge bander (glue pot hot when idle) and
 * drilling and packing (a minute or two per piece).
 */
export const SECTOR_LINES: Readonly<Record<RegionSector, readonly SimMachineSpec[]>> = {
  electronics: [smt('pick-place'), smt('reflow'), smt('aoi')],
  garment: [
    {
      id: 'cutter',
      name: 'Automatic fabric cutter',
      idealCycleS: 30,
      speedFactor: [1.05, 1.2],
      rejectRate: 0.004,
      kw: kw(14, 4, 2, 3, 0.5),
      day: day(
        40 * 60,
        [
          { state: 'DOWN', weight: 0.35, durS: [10, 90], reasons: ['VACUUM_DROP', 'KNIFE_SENSOR'] },
          { state: 'DOWN', weight: 0.15, durS: [300, 1200], reasons: ['KNIFE_CHANGE', 'VACUUM_FAULT'] },
          { state: 'IDLE', weight: 0.3, durS: [300, 900], reasons: ['NO_FABRIC', 'WAIT_MARKER'] },
          { state: 'SETUP', weight: 0.2, durS: [600, 1200], reasons: ['MARKER_CHANGE'] },
        ],
        { p: 0.3, durS: [600, 1200], reason: 'MARKER_CHANGE' },
      ),
    },
    {
      id: 'sewing',
      name: 'Sewing line',
      idealCycleS: 45,
      speedFactor: [1.1, 1.35],
      rejectRate: 0.02,
      kw: kw(6, 2, 1.5, 1.5, 0.3),
      day: day(
        15 * 60,
        [
          { state: 'DOWN', weight: 0.55, durS: [10, 60], reasons: ['THREAD_BREAK', 'NEEDLE_BREAK'] },
          { state: 'DOWN', weight: 0.15, durS: [180, 900], reasons: ['MACHINE_FAULT', 'OPERATOR_ABSENT'] },
          { state: 'IDLE', weight: 0.2, durS: [120, 600], reasons: ['WAIT_CUT_PARTS'] },
          { state: 'SETUP', weight: 0.1, durS: [1200, 2400], reasons: ['STYLE_CHANGE'] },
        ],
        { p: 0.4, durS: [900, 1800], reason: 'STYLE_CHANGE' },
      ),
    },
    {
      id: 'pressing',
      name: 'Pressing and finishing',
      idealCycleS: 40,
      speedFactor: [1.05, 1.3],
      rejectRate: 0.015,
      kw: kw(9, 5, 3, 3, 1),
      day: day(
        30 * 60,
        [
          { state: 'DOWN', weight: 0.4, durS: [10, 60], reasons: ['STEAM_LOW'] },
          { state: 'DOWN', weight: 0.15, durS: [180, 900], reasons: ['BOILER_FAULT'] },
          { state: 'IDLE', weight: 0.4, durS: [120, 600], reasons: ['WAIT_UPSTREAM'] },
          { state: 'SETUP', weight: 0.05, durS: [300, 600], reasons: ['STYLE_CHANGE'] },
        ],
        { p: 0.3, durS: [300, 600], reason: 'STYLE_CHANGE' },
      ),
    },
  ],
  furniture: [
    {
      id: 'panel-saw',
      name: 'CNC panel saw',
      idealCycleS: 75,
      speedFactor: [1.05, 1.25],
      rejectRate: 0.01,
      kw: kw(22, 6, 3, 4, 1),
      day: day(
        35 * 60,
        [
          { state: 'DOWN', weight: 0.35, durS: [10, 100], reasons: ['DUST_ALARM', 'BOARD_SKEW'] },
          { state: 'DOWN', weight: 0.2, durS: [600, 2400], reasons: ['BLADE_BREAK', 'SPINDLE_FAULT'] },
          { state: 'IDLE', weight: 0.3, durS: [300, 1200], reasons: ['NO_BOARDS'] },
          { state: 'SETUP', weight: 0.15, durS: [900, 1800], reasons: ['BLADE_CHANGE'] },
        ],
        { p: 0.3, durS: [900, 1800], reason: 'CUTTING_PLAN_CHANGE' },
      ),
    },
    {
      id: 'edge-bander',
      name: 'Edge bander',
      idealCycleS: 60,
      speedFactor: [1.05, 1.3],
      rejectRate: 0.02,
      kw: kw(12, 7, 5, 5, 1.5),
      day: day(
        30 * 60,
        [
          { state: 'DOWN', weight: 0.4, durS: [10, 90], reasons: ['GLUE_STRING', 'TAPE_FEED'] },
          { state: 'DOWN', weight: 0.2, durS: [300, 1800], reasons: ['GLUE_POT_FAULT', 'TRIMMER_FAULT'] },
          { state: 'IDLE', weight: 0.3, durS: [180, 900], reasons: ['WAIT_UPSTREAM'] },
          { state: 'SETUP', weight: 0.1, durS: [600, 1200], reasons: ['TAPE_CHANGE'] },
        ],
        { p: 0.3, durS: [600, 1200], reason: 'TAPE_CHANGE' },
      ),
    },
    {
      id: 'packing',
      name: 'Drilling and packing',
      idealCycleS: 90,
      speedFactor: [1.05, 1.2],
      rejectRate: 0.008,
      kw: kw(3, 1.2, 0.8, 1, 0.3),
      day: day(
        45 * 60,
        [
          { state: 'DOWN', weight: 0.3, durS: [10, 60], reasons: ['DRILL_JAM'] },
          { state: 'DOWN', weight: 0.1, durS: [180, 900], reasons: ['WRAPPER_FAULT'] },
          { state: 'IDLE', weight: 0.5, durS: [120, 900], reasons: ['WAIT_UPSTREAM', 'NO_CARTONS'] },
          { state: 'SETUP', weight: 0.1, durS: [300, 900], reasons: ['PRODUCT_CHANGE'] },
        ],
        { p: 0.2, durS: [300, 900], reason: 'PRODUCT_CHANGE' },
      ),
    },
  ],
}

const AREA: Readonly<Record<RegionSector, string>> = { electronics: 'smt', garment: 'sewing', furniture: 'woodshop' }

const round = (x: number, step: number): number => Math.round(x / step) * step

/** A machine of the sector's line as the profile changes it. Cycle times stay whole tenths of a second. */
function profiled(m: SimMachineSpec, p: Required<RegionProfile>): SimMachineSpec {
  const b = m.day as DayBehaviour
  // A failure is a DOWN stop of two minutes or more: it cannot be a micro-stop.
  const weight = (s: DayStop): number => s.weight * (s.state === 'DOWN' && s.durS[0] >= 120 ? p.failures : s.state === 'IDLE' ? p.idle : 1)
  return {
    ...m,
    idealCycleS: round(m.idealCycleS / p.size, 0.1),
    rejectRate: Math.min(0.5, m.rejectRate * p.rejects),
    kw: Object.fromEntries(Object.entries(m.kw).map(([state, v]) => [state, round(v * p.power, 0.01)])) as Record<SimState, number>,
    day: { ...b, stops: b.stops.map((s) => ({ ...s, weight: weight(s) })) },
  }
}

/** A factory of the region: its sector's line as its profile changes it, seeded from its path. */
export function regionFactory(path: string, sector: RegionSector, profile: RegionProfile = {}): RegionFactorySpec {
  if (path.split('/').length !== 3 || path.split('/').some((s) => s === '')) throw new Error(`region factory: path must be region/park/factory, got "${path}"`)
  const p: Required<RegionProfile> = { size: 1, power: 1, machines: 3, failures: 1, idle: 1, rejects: 1, ...profile }
  for (const k of ['size', 'power', 'failures', 'idle', 'rejects'] as const) {
    if (!(p[k] > 0) || !Number.isFinite(p[k])) throw new Error(`region factory ${path}: profile.${k} must be a positive number, got ${p[k]}`)
  }
  const line = SECTOR_LINES[sector].slice(p.machines === 2 ? 1 : 0)
  return { path, sector, area: AREA[sector], line: `${AREA[sector]}-1`, machines: line.map((m) => profiled(m, p)), seed: hash32(`region|${path}`), profile }
}

/**
 * The dozen simulated factories of the analysts' tables (api/seed/factories.yaml): three parks
 * (VSIP I, My Phuoc 3, Song Than 2), each with four factories, and three sectors, each with four;
 * every park × sector cell has one or two factories. Sizes are chosen so that one factory
 * dominates some cells and none dominates the others, each by a clear margin: My Phuoc 3's wood
 * factory uses two thirds of its park's energy and most of its sector's; the other parks' four,
 * the garment factories and the circuit-board ones are of a size (no one above 45 %, no two
 * above 63 % of planned time, good units or kWh over the simulated hours).
 */
export const REGION_FACTORIES: readonly RegionFactorySpec[] = [
  regionFactory('hcmc/vsip-1/saigon-pcb', 'electronics', { power: 0.9 }),
  regionFactory('hcmc/vsip-1/binh-hoa-smt', 'electronics', { size: 0.8, power: 0.8, failures: 2 }),
  regionFactory('hcmc/vsip-1/thuan-an-garment', 'garment', { size: 1.5, power: 1.1, idle: 2 }),
  regionFactory('hcmc/vsip-1/lai-thieu-furniture', 'furniture', { size: 2 }),
  regionFactory('hcmc/my-phuoc-3/ben-cat-electronics', 'electronics', { size: 0.8, power: 0.6, machines: 2 }),
  regionFactory('hcmc/my-phuoc-3/my-phuoc-apparel', 'garment', { size: 1.1, power: 0.9, rejects: 2 }),
  regionFactory('hcmc/my-phuoc-3/rach-bap-garment', 'garment', { size: 0.9, power: 0.8, machines: 2 }),
  regionFactory('hcmc/my-phuoc-3/song-be-wood', 'furniture', { size: 4, power: 3, failures: 0.5 }),
  regionFactory('hcmc/song-than-2/di-an-boards', 'electronics', { size: 0.8, power: 0.7, idle: 1.5 }),
  regionFactory('hcmc/song-than-2/dong-hoa-fashion', 'garment', { size: 1.2, power: 1, failures: 2 }),
  regionFactory('hcmc/song-than-2/tan-dong-furniture', 'furniture', { size: 2.5, power: 0.8 }),
  regionFactory('hcmc/song-than-2/sai-gon-oak', 'furniture', { machines: 2, rejects: 3 }),
]
