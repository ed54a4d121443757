/**
 * The OPC UA connector: what the rest of shopfloor may use. Everything else in this folder is
 * internal.
 */
export { OpcuaSource, type NodeErrorListener, type ValueListener } from './source.ts'
export type { OpcuaTag } from './source-tags.ts'
export type { OpcuaSourceStats } from './source-stats.ts'
export {
  OPCUA_SECURITY_MODES,
  OPCUA_SECURITY_POLICIES,
  OPCUA_SOURCE_DEFAULTS,
  resolveOpcuaSourceOptions,
  type OpcuaSecurityMode,
  type OpcuaSecurityPolicy,
  type OpcuaSourceOptions,
  type ResolvedOpcuaSourceOptions,
} from './source-options.ts'
export { DEFAULT_GROUP, DEFAULT_POLL_INTERVAL_MS, type OpcuaDeadband, type OpcuaTagGroup } from './tag-groups.ts'
export { OPCUA_ERROR_CODES, OpcuaError, type OpcuaErrorCode, type OpcuaErrorOptions } from './errors.ts'
export {
  SIMULATOR_NAMESPACE_URI,
  startOpcuaSimulator,
  type OpcuaSimulator,
  type OpcuaSimulatorOptions,
  type SimulatedNode,
  type SimulatorUser,
} from './simulator.ts'
export { SIMULATOR_DATA_TYPES, type SimulatedQuality, type SimulatorDataType, type StatusCodeName } from './simulator-values.ts'
export { routeNodeOpcuaLogs } from './node-opcua-logs.ts'
export { defaultPkiRoot } from './pki.ts'
export { formatFingerprint, tofuRecordFile } from './server-trust.ts'
export { readPassword, type PasswordSource } from './login.ts'
export { discoverOpcua, type DiscoverOptions, type DiscoveredVariable, type Discovery } from './discover.ts'
export { discoveryFragment, sourceIdFor, type FragmentOptions } from './discover-fragment.ts'
export { checkOpcuaSourceConfig, OpcuaSourceConfigSchema, OpcuaTagFields, opcuaSourceOptions, opcuaTagFromConfig } from './config.ts'
export type { OpcuaSourceConfig, OpcuaSourceContext, OpcuaTagConfig } from './config.ts'
