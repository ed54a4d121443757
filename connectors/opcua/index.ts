/**
 * The OPC UA connector: what the rest of shopfloor may use. Everything else in this folder is
 * internal.
 */
export { OpcuaSource, type NodeErrorListener, type ValueListener } from './source.ts'
export {
  OPCUA_SOURCE_DEFAULTS,
  resolveOpcuaSourceOptions,
  type OpcuaSecurityMode,
  type OpcuaSourceOptions,
  type ResolvedOpcuaSourceOptions,
} from './source-options.ts'
export { OPCUA_ERROR_CODES, OpcuaError, type OpcuaErrorCode, type OpcuaErrorOptions } from './errors.ts'
export {
  SIMULATOR_NAMESPACE_URI,
  startOpcuaSimulator,
  type OpcuaSimulator,
  type OpcuaSimulatorOptions,
  type SimulatedNode,
} from './simulator.ts'
export { SIMULATOR_DATA_TYPES, type SimulatedQuality, type SimulatorDataType, type StatusCodeName } from './simulator-values.ts'
export { routeNodeOpcuaLogs } from './node-opcua-logs.ts'
export { defaultPkiRoot } from './pki.ts'
export { checkOpcuaSourceConfig, OpcuaSourceConfigSchema, OpcuaTagFields, opcuaSourceOptions, opcuaTagFromConfig } from './config.ts'
export type { OpcuaSourceConfig, OpcuaTagConfig } from './config.ts'
