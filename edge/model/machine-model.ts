import type { TagValue } from '../../connectors/index.ts'
import type { MachineStateCode } from '../../stream/index.ts'
import type { MachineConfig } from '../config/resolved.ts'
import { counterStep } from './counter.ts'

/** What the model emits; the agent adds ids, sequence numbers and the agent's receive time. */
export type ModelEvent =
  | { type: 'machine_state'; machine: string; ts: number; receiveTs: number; state: MachineStateCode; reason: string | null }
  | { type: 'production_count'; machine: string; ts: number; receiveTs: number; produced: number; rejected: number; idealCycleS: number }
  | { type: 'energy_reading'; machine: string; ts: number; receiveTs: number; kwh: number; kwhTotal: number; kw: number | null }
  | { type: 'tag_sample'; machine: string; ts: number; receiveTs: number; tag: string; value: number | string | null; quality: 'GOOD' | 'UNCERTAIN' | 'BAD' }

/** Something the model noticed and left out of the data, for logs and metrics. */
export interface ModelAnomaly {
  machine: string
  kind: 'counter_reset' | 'counter_rollover' | 'meter_reset' | 'unmapped_state' | 'bad_value'
  detail: string
}

export type TagRole = 'state' | 'reason' | 'total' | 'reject' | 'kwh' | 'kw' | 'sample'

const asNumber = (v: TagValue['value']): number | undefined =>
  typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : typeof v === 'boolean' ? Number(v) : undefined

/**
 * The machine model of one machine: turns tag values into state changes, count increments and
 * energy increments. Pure logic, no I/O: the agent feeds it values and publishes what it emits.
 *
 * - State: the PLC value is mapped by the configured rules; an unmapped value becomes the
 *   configured `unmapped` state with reason `PLC_STATE_<value>`. A new event is emitted when the
 *   state or its reason changes, at the PLC's timestamp, never earlier than the previous one.
 * - Counts: increments of the cumulative counters; rollovers and resets never give a negative or
 *   a spurious jump. The first reading after start only sets the baseline.
 * - Energy: increments of the kWh register; a drop without a configured rollover is a meter
 *   reset or replacement, flagged and not summed.
 * - OFFLINE: when the source of the state tag is lost, until a good state value arrives again.
 * - Samples: other values, reported when they move past their deadband or change quality.
 */
export class MachineModel {
  readonly config: MachineConfig
  readonly #emit: (e: ModelEvent) => void
  readonly #anomaly: (a: ModelAnomaly) => void
  #state: MachineStateCode | undefined
  /** The reason the PLC reports now; `#currentReason` is the one last emitted with a state. */
  #reason: string | null = null
  #currentReason: string | null = null
  #plcState: TagValue['value'] = null
  #stateTs = -Infinity
  /** A reason change on its own (state unchanged) waiting to be applied, see onValue. */
  #reasonChange: { ts: number; receiveTs: number } | undefined
  #offline = false
  #total: number | undefined
  #reject: number | undefined
  #kwh: number | undefined
  #kw: number | null = null
  /** Last reported value and quality of each sample. */
  readonly #samples = new Map<string, { value: number | string | null; quality: string }>()

  constructor(config: MachineConfig, emit: (e: ModelEvent) => void, anomaly: (a: ModelAnomaly) => void = () => {}) {
    this.config = config
    this.#emit = emit
    this.#anomaly = anomaly
  }

  get state(): MachineStateCode | undefined {
    return this.#state
  }

  onValue(role: TagRole, v: TagValue): void {
    switch (role) {
      case 'state':
        // A reason change stamped with this state's time is the reason of this state, not an
        // update of the one before (the PLC wrote both at once): the state event carries it.
        if (this.#reasonChange !== undefined && this.#reasonChange.ts < v.sourceTs) this.#applyReasonChange()
        this.#reasonChange = undefined
        if (v.quality === 'bad' || v.value === null) return this.#setState('OFFLINE', `BAD_QUALITY${v.status ? `:${v.status}` : ''}`, v.receiveTs, v.receiveTs)
        this.#offline = false
        this.#plcState = v.value
        return this.#applyPlcState(v.sourceTs, v.receiveTs)
      case 'reason': {
        if (v.quality === 'bad') return
        const r = v.value === null || v.value === '' || v.value === 0 ? null : String(v.value)
        if (r === this.#reason) return
        if (this.#reasonChange !== undefined && this.#reasonChange.ts < v.sourceTs) this.#applyReasonChange()
        this.#reason = r
        if (this.#state !== undefined && !this.#offline) {
          // Applied once the values delivered together have been seen (a microtask), unless a
          // state value with the same timestamp comes first.
          if (this.#reasonChange === undefined) queueMicrotask(() => this.#applyReasonChange())
          this.#reasonChange = { ts: v.sourceTs, receiveTs: v.receiveTs }
        }
        return
      }
      case 'total':
      case 'reject':
        return this.#onCounter(role, v)
      case 'kw': {
        const n = asNumber(v.value)
        this.#kw = v.quality === 'bad' || n === undefined ? null : n
        return
      }
      case 'kwh':
        return this.#onKwh(v)
    }
  }

  /** A value of the sample `name`: reported if it moved past the deadband or its quality changed. */
  onSample(name: string, v: TagValue): void {
    const cfg = this.config.samples.find((s) => s.name === name)
    if (!cfg) return
    const quality = v.quality === 'good' ? 'GOOD' : v.quality === 'uncertain' ? 'UNCERTAIN' : 'BAD'
    const value: number | string | null =
      v.value === null || v.value === undefined ? null : typeof v.value === 'string' ? v.value : (asNumber(v.value) ?? String(v.value))
    const last = this.#samples.get(name)
    if (last && last.quality === quality) {
      if (typeof value === 'number' && typeof last.value === 'number') {
        const band = cfg.deadband.kind === 'absolute' ? cfg.deadband.value : (Math.abs(last.value) * cfg.deadband.value) / 100
        if (value === last.value || Math.abs(value - last.value) < band) return
      } else if (value === last.value) {
        return
      }
    }
    this.#samples.set(name, { value, quality })
    this.#emit({ type: 'tag_sample', machine: this.config.path, ts: v.sourceTs, receiveTs: v.receiveTs, tag: name, value, quality })
  }

  /** The source behind the state tag was lost (`connected` false) or is back. */
  onConnection(connected: boolean, ts: number): void {
    if (!connected) {
      this.#applyReasonChange()
      this.#offline = true
      this.#setState('OFFLINE', 'NO_CONNECTION', ts, ts)
    }
    // On reconnect the source re-delivers current values; the state tag's value ends OFFLINE.
  }

  /**
   * The agent starts after a run that ended without a clean stop, last alive at `since`: the
   * machine was not observed from then until `now`, so it is OFFLINE (reason AGENT_DOWN) from
   * `since`, and the first state read now counts from `now` even if the PLC stamped it earlier.
   */
  agentWasDown(since: number, now: number): void {
    this.#applyReasonChange()
    this.#setState('OFFLINE', 'AGENT_DOWN', since, now)
    this.#stateTs = Math.max(this.#stateTs, now)
  }

  /** The agent is stopping: the machine is no longer observed from now on. */
  stop(ts: number): void {
    this.#applyReasonChange()
    this.#offline = true
    this.#setState('OFFLINE', 'AGENT_STOPPED', ts, ts)
  }

  #applyReasonChange(): void {
    const change = this.#reasonChange
    this.#reasonChange = undefined
    if (change !== undefined && this.#state !== undefined && !this.#offline) this.#applyPlcState(change.ts, change.receiveTs)
  }

  #applyPlcState(ts: number, receiveTs: number): void {
    const raw = this.#plcState
    if (raw === null) return
    const word = typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0 ? BigInt(raw) : typeof raw === 'bigint' && raw >= 0n ? raw : undefined
    if (word !== undefined) {
      for (const rule of this.config.state.bits) {
        if ((word & BigInt(rule.mask)) === BigInt(rule.equals)) {
          return this.#setState(rule.state, rule.state === 'RUNNING' ? null : (rule.reason ?? this.#reason), ts, receiveTs)
        }
      }
    }
    const key = String(raw)
    const mapped = this.config.state.map.get(key)
    if (mapped === undefined) {
      this.#anomaly({ machine: this.config.path, kind: 'unmapped_state', detail: `PLC state value ${key} is not in the state map` })
      return this.#setState(this.config.state.unmapped, `PLC_STATE_${key}`, ts, receiveTs)
    }
    this.#setState(mapped, mapped === 'RUNNING' ? null : this.#reason, ts, receiveTs)
  }

  #setState(state: MachineStateCode, reason: string | null, ts: number, receiveTs: number): void {
    if (state === this.#state && reason === this.#currentReason) return
    // A state cannot begin before the one it follows: a value re-read after an outage keeps its
    // old source timestamp, but it is only known again from now.
    const at = Math.max(ts, this.#stateTs)
    this.#state = state
    this.#currentReason = reason
    this.#stateTs = at
    this.#emit({ type: 'machine_state', machine: this.config.path, ts: at, receiveTs, state, reason })
  }

  #onCounter(role: 'total' | 'reject', v: TagValue): void {
    const counts = this.config.counts
    const n = asNumber(v.value)
    if (!counts || v.quality === 'bad' || n === undefined || !Number.isFinite(n) || n < 0) {
      if (v.quality !== 'bad') this.#anomaly({ machine: this.config.path, kind: 'bad_value', detail: `${role} counter value ${String(v.value)} ignored` })
      return
    }
    const prev = role === 'total' ? this.#total : this.#reject
    if (role === 'total') this.#total = n
    else this.#reject = n
    if (prev === undefined) return
    const step = counterStep(prev, n, counts.rollover)
    if (step.kind !== 'increase') {
      this.#anomaly({ machine: this.config.path, kind: step.kind === 'reset' ? 'counter_reset' : 'counter_rollover', detail: `${role} counter ${prev} -> ${n}, counted ${step.delta}` })
    }
    if (step.delta === 0) return
    this.#emit({
      type: 'production_count',
      machine: this.config.path,
      ts: v.sourceTs,
      receiveTs: v.receiveTs,
      produced: role === 'total' ? step.delta : 0,
      rejected: role === 'reject' ? step.delta : 0,
      idealCycleS: this.config.idealCycleS,
    })
  }

  #onKwh(v: TagValue): void {
    const n = asNumber(v.value)
    if (v.quality === 'bad' || n === undefined || !Number.isFinite(n)) return
    const prev = this.#kwh
    this.#kwh = n
    let delta = 0
    if (prev !== undefined) {
      const rollover = this.config.energy?.rollover
      if (n >= prev) delta = n - prev
      else if (rollover !== undefined) {
        const step = counterStep(prev, n, rollover)
        delta = step.kind === 'rollover' ? step.delta : 0
        if (step.kind === 'reset') this.#anomaly({ machine: this.config.path, kind: 'meter_reset', detail: `kWh register ${prev} -> ${n}: not summed` })
      } else {
        this.#anomaly({ machine: this.config.path, kind: 'meter_reset', detail: `kWh register ${prev} -> ${n}: not summed` })
      }
    }
    this.#emit({ type: 'energy_reading', machine: this.config.path, ts: v.sourceTs, receiveTs: v.receiveTs, kwh: delta, kwhTotal: n, kw: this.#kw })
  }
}
