import { startModbusSimulator, type ModbusSimulator } from '../modbus/index.ts'
import { startOpcuaSimulator, type OpcuaSimulator } from '../opcua/index.ts'
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
  /** How often pending changes are pushed to the OPC UA server, ms (their timestamps stay exact). Default 20. */
  tickMs?: number
  machines?: readonly SimMachineSpec[]
}

/** Modbus layout of the energy meters: unit 1, ten holding registers per machine. */
const METER_UNIT = 1
const METER_STRIDE = 10

const nodeBase = (m: SimMachineSpec): string => `ns=1;s=SMT1.${m.id}`

/**
 * The simulated factory: one SMT line whose machines are a real node-opcua server (state, stop
 * reason, part and reject counters) and whose energy meters are a real Modbus TCP server (kWh
 * as UINT32 in Wh, kW as FLOAT32 word-swapped, as many meters lay them out). Values follow a
 * seeded {@link Scenario}; OPC UA values carry the scenario's exact timestamps.
 */
export class FactorySim {
  readonly scenario: Scenario
  readonly opcua: OpcuaSimulator
  readonly modbus: ModbusSimulator
  readonly #opts: Required<Pick<FactorySimOptions, 'counterOffset' | 'counterModulus'>>
  readonly #cursor = new Map<string, number>()
  #timer: NodeJS.Timeout | undefined

  private constructor(scenario: Scenario, opcua: OpcuaSimulator, modbus: ModbusSimulator, opts: FactorySimOptions) {
    this.scenario = scenario
    this.opcua = opcua
    this.modbus = modbus
    this.#opts = { counterOffset: opts.counterOffset ?? 0, counterModulus: opts.counterModulus ?? 2 ** 32 }
  }

  static async start(opts: FactorySimOptions = {}): Promise<FactorySim> {
    const machines = opts.machines ?? SMT_LINE
    const now = Date.now()
    const scenario = new Scenario(machines, {
      seed: opts.seed ?? 1,
      startMs: opts.startMs ?? now,
      timeScale: opts.timeScale ?? 1,
      ...(opts.durationMs === undefined ? {} : { durationMs: opts.durationMs }),
    })
    const offset = opts.counterOffset ?? 0
    const modulus = opts.counterModulus ?? 2 ** 32
    const nodes = machines.flatMap((m) => {
      const seg = scenario.segmentAt(m.id, now)
      const c = scenario.countsAt(m.id, now)
      return [
        { nodeId: `${nodeBase(m)}.State`, dataType: 'Int32' as const, initial: PLC_STATE_CODES[seg.state] },
        { nodeId: `${nodeBase(m)}.Reason`, dataType: 'String' as const, initial: seg.reason ?? '' },
        { nodeId: `${nodeBase(m)}.PartCount`, dataType: 'UInt32' as const, initial: (offset + c.produced) % modulus },
        { nodeId: `${nodeBase(m)}.RejectCount`, dataType: 'UInt32' as const, initial: (offset + c.rejected) % modulus },
      ]
    })
    const opcua = await startOpcuaSimulator({ port: opts.opcuaPort ?? 0, nodes })
    let modbus: ModbusSimulator
    try {
      modbus = await startModbusSimulator({
        port: opts.modbusPort ?? 0,
        units: { [METER_UNIT]: { holding: machines.length * METER_STRIDE } },
        beforeRead: () => sim.#refreshMeters(Date.now()),
      })
    } catch (e) {
      await opcua.stop()
      throw e
    }
    const sim: FactorySim = new FactorySim(scenario, opcua, modbus, opts)
    sim.#refreshMeters(now)
    for (const m of machines) sim.#cursor.set(m.id, now)
    sim.#timer = setInterval(() => sim.#tick(Date.now()), opts.tickMs ?? 20)
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

  /** Ground truth of one machine in [from, to). */
  truth(machineId: string, from: number, to: number, opts: TruthOptions = {}): MachineTruth {
    return machineTruth(this.scenario, machineId, from, to, opts)
  }

  /** Ground truth of the line: its end-of-line machine judged at the line's (bottleneck's) ideal cycle time. */
  lineTruth(from: number, to: number, opts: Omit<TruthOptions, 'idealCycleS'> = {}): MachineTruth {
    const eol = this.machines.at(-1) as SimMachineSpec
    const lineIdeal = Math.max(...this.machines.map((m) => m.idealCycleS)) * this.scenario.timeScale
    return machineTruth(this.scenario, eol.id, from, to, { ...opts, idealCycleS: lineIdeal })
  }

  /** An agent configuration (the YAML file's content as an object) that reads this factory. */
  edgeConfig(opts: { agentId?: string; stateDir?: string; samplingIntervalMs?: number; pollIntervalMs?: number } = {}): Record<string, unknown> {
    const s = SMT_SITE
    const stateMap = (): Record<string, string> => Object.fromEntries(Object.entries(PLC_STATE_CODES).map(([state, code]) => [String(code), state]))
    const rollover = this.#opts.counterModulus === 2 ** 32 ? {} : { rollover: this.#opts.counterModulus }
    return {
      agent: { id: opts.agentId ?? 'gw-smt-1', ...(opts.stateDir ? { stateDir: opts.stateDir } : {}) },
      site: { region: s.region, park: s.park, factory: s.factory },
      sources: [
        { id: 'plc-smt1', protocol: 'opcua', endpoint: this.opcua.endpoint, samplingInterval: opts.samplingIntervalMs ?? 50, publishingInterval: 200 },
        { id: 'meters', protocol: 'modbus', host: '127.0.0.1', port: this.modbus.port, unitId: METER_UNIT, pollInterval: opts.pollIntervalMs ?? 1000 },
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
            energy: {
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
    const { counterOffset, counterModulus } = this.#opts
    for (const m of this.machines) {
      const from = this.#cursor.get(m.id) ?? now
      if (now <= from) continue
      const changes: Array<{ t: number; apply: () => void }> = []
      for (const seg of this.scenario.segments(m.id, from + 1, now + 1)) {
        if (seg.start > from && seg.start <= now) {
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
