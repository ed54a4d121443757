import { startModbusSimulator, type ModbusSimulator } from '../modbus/index.ts'
import { startOpcuaSimulator, type OpcuaSimulator } from '../opcua/index.ts'
import { REAL_CLOCK, type SimClock } from './clock.ts'
import { machineTruth, type MachineTruth, type TruthOptions } from './ground-truth.ts'
import { Scenario, type SimMachineSpec } from './scenario.ts'
import { PLC_STATE_CODES, SMT_LINE, SMT_SITE } from './smt-line.ts'

export interface FactorySimOptions {
  /** Scenario seed. Default 1. */
  seed?: number
  /** When the scenario begins, epoch ms. Default: now. */
  startMs?: number
  /** Scenario length, ms; then every machine stays in PLANNED_STOP. Default: endless. */
  durationMs?: number
  /** Stretches state durations and cycle times (1 = seconds-long states for tests). Default 1. */
  timeScale?: number
  /** OPC UA port; 0 picks a free one. Default 0. */
  opcuaPort?: number
  /** Modbus TCP port; 0 picks a free one. Default 0. */
  modbusPort?: number
  /** Where the PLC counters start, to exercise rollover. Default 0. */
  counterOffset?: number
  /** PLC counter modulus. Default 2^32 (UInt32). */
  counterModulus?: number
  /** How often pending changes are pushed to the OPC UA server, real ms (their timestamps stay exact). Default 20. */
  tickMs?: number
  machines?: readonly SimMachineSpec[]
  /** A prepared scenario (e.g. {@link Scenario.day}); then seed, startMs, durationMs, timeScale and machines are its own. */
  scenario?: Scenario
  /**
   * The time the PLCs live in and stamp their values with. Default: real time. With an
   * accelerated clock a simulated day passes in minutes, every value stamped with its simulated time.
   */
  clock?: SimClock
  /**
   * Where the energy meters are read: `modbus` (a Modbus TCP meter per machine, polled; its values
   * carry the poll's time) or `opcua` (kWh and kW variables on the PLC's server, stamped with the
   * simulated time: what an accelerated clock needs). Default `modbus`.
   */
  meter?: 'modbus' | 'opcua'
  /** With `meter: 'opcua'`: the meter's kWh and kW are refreshed every this many simulated ms (on multiples of it) and at every state change. Default 30,000. */
  meterIntervalMs?: number
}

/** Modbus layout of the energy meters: unit 1, ten holding registers per machine. */
const METER_UNIT = 1
const METER_STRIDE = 10

const nodeBase = (m: SimMachineSpec): string => `ns=1;s=SMT1.${m.id}`

/**
 * The simulated factory: one SMT line whose machines are a real node-opcua server (state, stop
 * reason, part and reject counters) and whose energy meters are a real Modbus TCP server (kWh
 * as UINT32 in Wh, kW as FLOAT32 word-swapped, as many meters lay them out) or, with
 * `meter: 'opcua'`, kWh and kW variables on the OPC UA server. Values follow a seeded
 * {@link Scenario}; OPC UA values carry the scenario's exact timestamps, in the time of `clock`.
 */
export class FactorySim {
  readonly scenario: Scenario
  readonly opcua: OpcuaSimulator
  /** The Modbus meters; served in both meter modes, read by the agent config only with `meter: 'modbus'`. */
  readonly modbus: ModbusSimulator
  readonly clock: SimClock
  readonly #opts: Required<Pick<FactorySimOptions, 'counterOffset' | 'counterModulus' | 'meter' | 'meterIntervalMs'>>
  readonly #cursor = new Map<string, number>()
  #timer: NodeJS.Timeout | undefined

  private constructor(scenario: Scenario, opcua: OpcuaSimulator, modbus: ModbusSimulator, clock: SimClock, opts: FactorySimOptions) {
    this.scenario = scenario
    this.opcua = opcua
    this.modbus = modbus
    this.clock = clock
    this.#opts = {
      counterOffset: opts.counterOffset ?? 0,
      counterModulus: opts.counterModulus ?? 2 ** 32,
      meter: opts.meter ?? 'modbus',
      meterIntervalMs: opts.meterIntervalMs ?? 30_000,
    }
  }

  static async start(opts: FactorySimOptions = {}): Promise<FactorySim> {
    const clock = opts.clock ?? REAL_CLOCK
    const meterIntervalMs = opts.meterIntervalMs ?? 30_000
    if (!Number.isInteger(meterIntervalMs) || meterIntervalMs < 1) throw new Error(`factory simulator: meterIntervalMs must be a positive integer, got ${meterIntervalMs}`)
    const now = clock.now()
    const scenario =
      opts.scenario ??
      new Scenario(opts.machines ?? SMT_LINE, {
        seed: opts.seed ?? 1,
        startMs: opts.startMs ?? now,
        timeScale: opts.timeScale ?? 1,
        ...(opts.durationMs === undefined ? {} : { durationMs: opts.durationMs }),
      })
    const machines = scenario.machines
    const offset = opts.counterOffset ?? 0
    const modulus = opts.counterModulus ?? 2 ** 32
    const opcuaMeter = opts.meter === 'opcua'
    const nodes = machines.flatMap((m) => {
      const seg = scenario.segmentAt(m.id, now)
      const c = scenario.countsAt(m.id, now)
      return [
        { nodeId: `${nodeBase(m)}.State`, dataType: 'Int32' as const, initial: PLC_STATE_CODES[seg.state] },
        { nodeId: `${nodeBase(m)}.Reason`, dataType: 'String' as const, initial: seg.reason ?? '' },
        { nodeId: `${nodeBase(m)}.PartCount`, dataType: 'UInt32' as const, initial: (offset + c.produced) % modulus },
        { nodeId: `${nodeBase(m)}.RejectCount`, dataType: 'UInt32' as const, initial: (offset + c.rejected) % modulus },
        ...(opcuaMeter
          ? [
              { nodeId: `${nodeBase(m)}.EnergyKwh`, dataType: 'Double' as const, initial: scenario.kwhAt(m.id, now) },
              { nodeId: `${nodeBase(m)}.PowerKw`, dataType: 'Double' as const, initial: scenario.kwAt(m.id, now) },
            ]
          : []),
      ]
    })
    const opcua = await startOpcuaSimulator({ port: opts.opcuaPort ?? 0, nodes })
    // The server stamps initial values with the real time it started: restamp them with the
    // simulated time, or the first values a client reads would lie outside the simulated day.
    for (const n of nodes) opcua.setValue(n.nodeId, n.initial, now)
    let modbus: ModbusSimulator
    try {
      modbus = await startModbusSimulator({
        port: opts.modbusPort ?? 0,
        units: { [METER_UNIT]: { holding: machines.length * METER_STRIDE } },
        beforeRead: () => sim.#refreshMeters(clock.now()),
      })
    } catch (e) {
      await opcua.stop()
      throw e
    }
    const sim: FactorySim = new FactorySim(scenario, opcua, modbus, clock, opts)
    sim.#refreshMeters(now)
    for (const m of machines) sim.#cursor.set(m.id, now)
    sim.#timer = setInterval(() => sim.#tick(clock.now()), opts.tickMs ?? 20)
    return sim
  }

  get machines(): readonly SimMachineSpec[] {
    return this.scenario.machines
  }

  /** Machine path as the agent config below names it. */
  pathOf(machineId: string): string {
    const s = SMT_SITE
    return `${s.region}/${s.park}/${s.factory}/${s.area}/${s.line}/${machineId}`
  }

  get linePath(): string {
    const s = SMT_SITE
    return `${s.region}/${s.park}/${s.factory}/${s.area}/${s.line}`
  }

  /** Ground truth of one machine in [from, to); with `plan`, only its production time is planned busy time. */
  truth(machineId: string, from: number, to: number, opts: TruthOptions = {}): MachineTruth {
    return machineTruth(this.scenario, machineId, from, to, opts)
  }

  /** Ground truth of the line: its end-of-line machine judged at the line's (bottleneck's) ideal cycle time. */
  lineTruth(from: number, to: number, opts: Omit<TruthOptions, 'idealCycleS'> = {}): MachineTruth {
    const eol = this.machines.at(-1) as SimMachineSpec
    const lineIdeal = Math.max(...this.machines.map((m) => m.idealCycleS)) * this.scenario.timeScale
    return machineTruth(this.scenario, eol.id, from, to, { ...opts, idealCycleS: lineIdeal })
  }

  /**
   * When the energy meter of a machine last read at or before `t` (`meter: 'opcua'`: on the
   * multiples of `meterIntervalMs` and at every state change).
   */
  lastMeterReading(machineId: string, t: number): number {
    if (this.#opts.meter !== 'opcua') throw new RangeError(`lastMeterReading: a Modbus meter is read when the agent polls it; only meter 'opcua' reads at known times`)
    const periodic = Math.floor(t / this.#opts.meterIntervalMs) * this.#opts.meterIntervalMs
    const change = this.scenario.segmentAt(machineId, t).start
    return Math.max(periodic, Number.isFinite(change) ? change : -Infinity)
  }

  /**
   * The energy truth as a meter books it: kWh of the readings taken in `(from, to]`, each holding
   * the energy used since the reading before, so the interval that ends at it. Equal to the load's
   * energy in [from, to) (`truth().kwh`) when the meter reads at both edges.
   */
  meteredKwh(machineId: string, from: number, to: number): number {
    return this.scenario.kwhAt(machineId, this.lastMeterReading(machineId, to)) - this.scenario.kwhAt(machineId, this.lastMeterReading(machineId, from))
  }

  /**
   * An agent configuration (the YAML file's content as an object) that reads this factory.
   * `samplingIntervalMs` 0 reports every change of a PLC value (what an accelerated clock needs);
   * `queueSize` is how many changes per value the server keeps between two publishes.
   */
  edgeConfig(
    opts: { agentId?: string; stateDir?: string; samplingIntervalMs?: number; publishingIntervalMs?: number; queueSize?: number; pollIntervalMs?: number } = {},
  ): Record<string, unknown> {
    const s = SMT_SITE
    const stateMap = (): Record<string, string> => Object.fromEntries(Object.entries(PLC_STATE_CODES).map(([state, code]) => [String(code), state]))
    const rollover = this.#opts.counterModulus === 2 ** 32 ? {} : { rollover: this.#opts.counterModulus }
    const opcuaMeter = this.#opts.meter === 'opcua'
    return {
      agent: { id: opts.agentId ?? 'gw-smt-1', ...(opts.stateDir ? { stateDir: opts.stateDir } : {}) },
      site: { region: s.region, park: s.park, factory: s.factory },
      sources: [
        {
          id: 'plc-smt1',
          protocol: 'opcua',
          endpoint: this.opcua.endpoint,
          samplingInterval: opts.samplingIntervalMs ?? 50,
          publishingInterval: opts.publishingIntervalMs ?? 200,
          ...(opts.queueSize === undefined ? {} : { queueSize: opts.queueSize }),
        },
        ...(opcuaMeter ? [] : [{ id: 'meters', protocol: 'modbus', host: '127.0.0.1', port: this.modbus.port, unitId: METER_UNIT, pollInterval: opts.pollIntervalMs ?? 1000 }]),
      ],
      lines: [
        {
          id: s.line,
          area: s.area,
          machines: this.machines.map((m, i) => ({
            id: m.id,
            name: m.name,
            idealCycleTime: m.idealCycleS * this.scenario.timeScale,
            state: {
              tag: { source: 'plc-smt1', node: `${nodeBase(m)}.State` },
              map: stateMap(),
              reason: { source: 'plc-smt1', node: `${nodeBase(m)}.Reason` },
            },
            counts: {
              total: { source: 'plc-smt1', node: `${nodeBase(m)}.PartCount` },
              reject: { source: 'plc-smt1', node: `${nodeBase(m)}.RejectCount` },
              ...rollover,
            },
            energy: opcuaMeter
              ? { kwh: { source: 'plc-smt1', node: `${nodeBase(m)}.EnergyKwh` }, kw: { source: 'plc-smt1', node: `${nodeBase(m)}.PowerKw` } }
              : {
                  kwh: { source: 'meters', table: 'holding', address: i * METER_STRIDE, type: 'UINT32', scale: 0.001, byteOrder: 'ABCD' },
                  kw: { source: 'meters', table: 'holding', address: i * METER_STRIDE + 2, type: 'FLOAT32', byteOrder: 'CDAB' },
                  rollover: 2 ** 32 / 1000,
                },
          })),
        },
      ],
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer)
    await Promise.allSettled([this.opcua.stop(), this.modbus.stop()])
  }

  #refreshMeters(t: number): void {
    for (const [i, m] of this.machines.entries()) {
      const wh = Math.floor(this.scenario.kwhAt(m.id, t) * 1000) % 2 ** 32
      this.modbus.setValue(METER_UNIT, 'holding', i * METER_STRIDE, wh, 'UINT32', 'ABCD')
      this.modbus.setValue(METER_UNIT, 'holding', i * METER_STRIDE + 2, this.scenario.kwAt(m.id, t), 'FLOAT32', 'CDAB')
    }
  }

  /** Pushes every change in (cursor, now] to the OPC UA server, in time order, at its own timestamp. */
  #tick(now: number): void {
    const { counterOffset, counterModulus, meter, meterIntervalMs } = this.#opts
    for (const m of this.machines) {
      const from = this.#cursor.get(m.id) ?? now
      if (now <= from) continue
      const changes: Array<{ t: number; apply: () => void }> = []
      const meterReading = (t: number): { t: number; apply: () => void } => ({
        t,
        apply: () => {
          this.opcua.setValue(`${nodeBase(m)}.EnergyKwh`, this.scenario.kwhAt(m.id, t), t)
          this.opcua.setValue(`${nodeBase(m)}.PowerKw`, this.scenario.kwAt(m.id, t), t)
        },
      })
      if (meter === 'opcua') {
        for (let t = (Math.floor(from / meterIntervalMs) + 1) * meterIntervalMs; t <= now; t += meterIntervalMs) changes.push(meterReading(t))
      }
      for (const seg of this.scenario.segments(m.id, from + 1, now + 1)) {
        if (seg.start > from && seg.start <= now) {
          // A reading at each state change: the energy between two readings is then one state's.
          if (meter === 'opcua' && seg.start % meterIntervalMs !== 0) changes.push(meterReading(seg.start))
          changes.push({
            t: seg.start,
            apply: () => {
              // Reason first: a client that sees the new state already has the reason that goes with it.
              this.opcua.setValue(`${nodeBase(m)}.Reason`, seg.reason ?? '', seg.start)
              this.opcua.setValue(`${nodeBase(m)}.State`, PLC_STATE_CODES[seg.state], seg.start)
            },
          })
        }
        let produced = seg.producedBefore
        let rejected = seg.rejectedBefore
        for (const u of this.scenario.unitsOf(m.id, seg)) {
          produced++
          if (u.rejected) rejected++
          if (u.t <= from || u.t > now) continue
          const p = produced
          const r = rejected
          const isReject = u.rejected
          changes.push({
            t: u.t,
            apply: () => {
              if (isReject) this.opcua.setValue(`${nodeBase(m)}.RejectCount`, (counterOffset + r) % counterModulus, u.t)
              this.opcua.setValue(`${nodeBase(m)}.PartCount`, (counterOffset + p) % counterModulus, u.t)
            },
          })
        }
      }
      changes.sort((a, b) => a.t - b.t)
      for (const c of changes) c.apply()
      this.#cursor.set(m.id, now)
    }
  }
}
