// Public surface of the stream module: the event contract, its codec, transports, ClickHouse and ingest.
export { MACHINE_STATES, EVENT_TYPES, eventKey } from './events.ts'
export type {
  MachineStateCode,
  EventType,
  ShopfloorEvent,
  EventOfType,
  MachineStateEvent,
  ProductionCountEvent,
  EnergyReadingEvent,
  TagSampleEvent,
  AgentHeartbeatEvent,
  MachineInfo,
} from './events.ts'
export { EventCodec, SCHEMA_DIR } from './codec.ts'
export { type EventCodecOptions, type WireFormat } from './codec.ts'
export { loadSchemaVersions, schemaFileName, type SchemaVersion } from './schema-catalog.ts'
export { checkCompatibility, checkCandidate, checkHistory, PROMISED_COMPATIBILITY, type CompatibilityMode, type EvolutionIssue } from './schema-compat.ts'
export { parseFrame, singleObjectFrame, confluentFrame, type Frame } from './framing.ts'
export { SchemaRegistryClient, schemaRegistryFromEnv, subjectFor, COMPATIBILITY_LEVELS, type SchemaRegistryOptions, type CompatibilityLevel } from './registry/client.ts'
export { RegistryError, type RegistryErrorCode } from './registry/errors.ts'
export { StreamError, type StreamErrorCode } from './errors.ts'
export { topicFor, DEFAULT_TOPIC_PREFIX } from './topics.ts'
export { parseMachinePath, isSegment, PATH_LEVELS, SEGMENT_PATTERN, type MachinePath } from './machine-path.ts'
export type { OutgoingMessage, IncomingMessage, Publisher, Subscriber, BatchHandler } from './transport/transport.ts'
export { InProcessBus, type InProcessBusOptions } from './transport/in-process.ts'
export { ensureTopics, brokersFromEnv, kafkaClient, kafkaConnectError, describeKafka, SASL_MECHANISMS, type KafkaOptions, type KafkaTlsOptions, type KafkaSaslOptions } from './transport/kafka-client.ts'
export { KafkaPublisher, type KafkaPublisherOptions } from './transport/kafka-publisher.ts'
export {
  KafkaSubscriber,
  type KafkaSubscriberOptions,
  type KafkaSubscriberStats,
  type BatchBounds,
  type PartitionHandler,
} from './transport/kafka-subscriber.ts'
export { openClickhouse, type Clickhouse, type ClickhouseOptions, type ClickHouseClient } from './clickhouse/client.ts'
export { migrate, applyRetention, MIGRATIONS, type Migration, type MigrateOptions } from './clickhouse/migrations.ts'
export { ALL_TABLES, VIEWS, ROLLUPS, STATE_COLUMNS, DEDUP_WINDOW, type TableDef, type ViewDef, type ColumnDef } from './clickhouse/schema.ts'
export { clusterSchemaSql, type ClusterOptions } from './clickhouse/cluster.ts'
export { insertEvents, insertRows, type InsertOptions } from './clickhouse/writer.ts'
export { rowsByTable, type Row } from './clickhouse/rows.ts'
export { Ingest, type IngestStats, type IngestOptions, type IngestHandler, type StoredBatch } from './ingest.ts'
export { KafkaDeadLetters, LoggedDeadLetters, deadLetterTopic, DEAD_LETTER_HEADERS, type DeadLetter, type DeadLetterSink } from './dead-letter.ts'
