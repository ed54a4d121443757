import type { SimClock } from './clock.ts'
import type { SimIncident } from './day-timeline.ts'
import { FactorySim } from './factory.ts'
import type { SimPlanSegment } from './plan.ts'
import type { RegionFactorySpec } from './region.ts'
import { factoryPeriodTruth, type FactoryPeriodTruth, type ObservedWorld } from './region-truth.ts'
import { Scenario } from './scenario.ts'

export interface RegionSimOptions {
  readonly factories: readonly RegionFactorySpec[]
  /** Each factory's shift plan for the simulated span (the API calendar's segments), by factory path. */
  readonly plans: ReadonlyMap<string, readonly SimPlanSegment[]>
  /** The time the PLCs live in, e.g. an accelerated clock shared by every factory. */
  readonly clock: SimClock
  /**
   * When the simulated world ends, epoch ms: the servers' time stops there, so nothing changes
   * and no meter reads after it, however long the agents go on reading. Default: never.
   */
  readonly endMs?: number
  /** The meters' reading interval, simulated ms (they also read at every state change). Default 60,000. */
  readonly meterIntervalMs?: number
  /** Forced stops, by factory path. Default none. */
  readonly incidents?: ReadonlyMap<string, readonly SimIncident[]>
}

/** One running factory of the region: its spec, its plan and its simulator (a real OPC UA server with the line's PLC values and meters). */
export interface RegionFactory {
  readonly spec: RegionFactorySpec
  readonly plan: readonly SimPlanSegment[]
  readonly sim: FactorySim
}

/**
 * The simulated region: one {@link FactorySim} per factory (each its own OPC UA server, its line's
 * states, counters and meters stamped with the shared clock's time), each following its own
 * seeded {@link Scenario.day} over its own plan.
 */
export class RegionSim {
  readonly factories: readonly RegionFactory[]
  readonly clock: SimClock
  /**
   * When the servers started (their first values carry this time: start on a paused clock so it is
   * every factory's) and when the world ends: what the truth needs.
   */
  readonly world: ObservedWorld
  readonly #byPath: ReadonlyMap<string, RegionFactory>

  private constructor(factories: readonly RegionFactory[], clock: SimClock, world: ObservedWorld) {
    this.factories = factories
    this.clock = clock
    this.world = world
    this.#byPath = new Map(factories.map((f) => [f.spec.path, f]))
  }

  static async start(opts: RegionSimOptions): Promise<RegionSim> {
    const paths = new Set<string>()
    for (const f of opts.factories) {
      if (paths.has(f.path)) throw new Error(`region simulator: factory "${f.path}" is listed twice`)
      paths.add(f.path)
      if (!opts.plans.has(f.path)) throw new Error(`region simulator: no plan for factory "${f.path}"`)
    }
    for (const p of opts.incidents?.keys() ?? []) if (!paths.has(p)) throw new Error(`region simulator: incidents for unknown factory "${p}"`)
    const end = opts.endMs ?? Infinity
    const clock: SimClock = Number.isFinite(end) ? { now: () => Math.min(opts.clock.now(), end) } : opts.clock
    const meterIntervalMs = opts.meterIntervalMs ?? 60_000
    const world: ObservedWorld = { observedFrom: clock.now(), endMs: end }
    const started = await Promise.allSettled(
      opts.factories.map(async (spec): Promise<RegionFactory> => {
        const plan = opts.plans.get(spec.path) as readonly SimPlanSegment[]
        const scenario = Scenario.day(spec.machines, { seed: spec.seed, plan, incidents: opts.incidents?.get(spec.path) ?? [] })
        const sim = await FactorySim.start({ scenario, clock, meter: 'opcua', meterIntervalMs })
        return { spec, plan, sim }
      }),
    )
    const ok = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
    const failed = started.find((r) => r.status === 'rejected')
    if (failed) {
      await Promise.allSettled(ok.map((f) => f.sim.stop()))
      throw failed.reason
    }
    return new RegionSim(ok, clock, world)
  }

  factory(path: string): RegionFactory {
    const f = this.#byPath.get(path)
    if (!f) throw new Error(`region simulator: no factory "${path}"`)
    return f
  }

  /** A machine's path: `region/park/factory/area/line/machine`. */
  pathOf(factoryPath: string, machineId: string): string {
    const { spec } = this.factory(factoryPath)
    return `${spec.path}/${spec.area}/${spec.line}/${machineId}`
  }

  /** The factory's end-of-line machine, which its line is judged by. */
  endOfLine(factoryPath: string): string {
    return (this.factory(factoryPath).spec.machines.at(-1) as RegionFactorySpec['machines'][number]).id
  }

  /**
   * The agent configuration (the YAML file's content as an object) of one factory's gateway: its
   * site, its line and the OPC UA server of its PLCs and meters. Options as {@link FactorySim.edgeConfig}.
   */
  edgeConfig(factoryPath: string, opts: Parameters<FactorySim['edgeConfig']>[0] = {}): Record<string, unknown> {
    const { spec, sim } = this.factory(factoryPath)
    const [region, park, factory] = spec.path.split('/') as [string, string, string]
    const config = sim.edgeConfig({ agentId: `gw-${factory}`, ...opts }) as { lines: Array<Record<string, unknown>> }
    return { ...config, site: { region, park, factory }, lines: config.lines.map((l) => ({ ...l, id: spec.line, area: spec.area })) }
  }

  /**
   * A factory's sums over [from, to) from its simulator's timeline (see {@link factoryPeriodTruth}):
   * `plan` is its shift plan over that span, `now` the moment after which nothing has happened,
   * `offlineFrom` when its agent stopped reading.
   */
  truth(factoryPath: string, from: number, to: number, opts: { readonly plan: readonly SimPlanSegment[]; readonly now: number; readonly offlineFrom?: number }): FactoryPeriodTruth {
    return factoryPeriodTruth(factoryPath, this.factory(factoryPath).sim, from, to, { ...opts, world: this.world })
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.factories.map((f) => f.sim.stop()))
  }
}
