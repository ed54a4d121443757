// The simulated factory used by the demo, the tests and the benchmarks.
export { FactorySim, type FactorySimOptions } from './factory.ts'
export { Scenario, type SimMachineSpec, type SimState, type Segment, type ScenarioOptions } from './scenario.ts'
export { machineTruth, type MachineTruth, type TruthOptions } from './ground-truth.ts'
export { SMT_LINE, SMT_SITE, PLC_STATE_CODES } from './smt-line.ts'
