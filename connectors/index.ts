// Public surface of the connectors module: what the edge agent and the tools may use.
// Connectors know nothing of events, Kafka or ClickHouse: they read PLCs and hand back TagValues.
export type { TagValue, TagScalar, Quality, ConnectionListener } from './common/tag-value.ts'
export { createLogger, silentLogger, type Logger } from './common/logger.ts'
export * from './modbus/index.ts'
export * from './opcua/index.ts'
export * from './simulator/index.ts'
export { ConfigKeyProblem, SourceIdSchema, SOURCE_ID_PATTERN } from './common/config.ts'
export { formatPath, showValue, describeSchemaError, pickSchemaError, firstSchemaProblem, type SchemaProblem } from './common/schema-problem.ts'
export { parseYamlDocument, type YamlDocument } from './common/yaml-document.ts'
export { formatFileProblem, FileProblemError } from './common/file-problem.ts'
