// The simulated factory used by the demo, the tests and the benchmarks.
export { FactorySim, type FactorySimOptions } from './factory.ts'
export { Scenario, type SimMachineSpec, type SimState, type Segment, type ScenarioOptions, type DayScenarioOptions } from './scenario.ts'
export { DEFAULT_DAY_BEHAVIOUR, type DayBehaviour, type DayStop, type SimIncident, type RawSegment } from './day-timeline.ts'
export { checkPlan, shiftsOf, productionPieces, type SimPlanSegment, type SimPlanKind, type SimShift } from './plan.ts'
export { acceleratedClock, REAL_CLOCK, type SimClock, type AcceleratedClock, type AcceleratedClockOptions } from './clock.ts'
export { machineTruth, dayTruth, reliability, type MachineTruth, type TruthOptions, type DowntimeTruth } from './ground-truth.ts'
export { SMT_LINE, SMT_DAY_LINE, SMT_SITE, PLC_STATE_CODES } from './smt-line.ts'
