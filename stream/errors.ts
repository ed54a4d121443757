/** Errors of the stream module: event codec, transports, ClickHouse, ingest. */

export type StreamErrorCode =
  | 'SHOPFLOOR_CODEC_NOT_SINGLE_OBJECT'
  | 'SHOPFLOOR_CODEC_UNKNOWN_SCHEMA'
  | 'SHOPFLOOR_CODEC_DECODE'
  | 'SHOPFLOOR_CODEC_ENCODE'
  | 'SHOPFLOOR_CODEC_REGISTRY_NOT_READY'
  | 'SHOPFLOOR_CODEC_INCOMPATIBLE_SCHEMA'
  | 'SHOPFLOOR_SCHEMA_FILES'
  | 'SHOPFLOOR_KAFKA_CONNECT'
  | 'SHOPFLOOR_KAFKA_AUTH'
  | 'SHOPFLOOR_KAFKA_TLS'
  | 'SHOPFLOOR_KAFKA_TOPIC'
  | 'SHOPFLOOR_KAFKA_PUBLISH'
  | 'SHOPFLOOR_CLICKHOUSE_CONNECT'
  | 'SHOPFLOOR_CLICKHOUSE_MIGRATION'
  | 'SHOPFLOOR_CLICKHOUSE_INSERT'
  | 'SHOPFLOOR_CLICKHOUSE_QUERY'
  | 'SHOPFLOOR_KAFKA_DEAD_LETTER'
  | 'SHOPFLOOR_INGEST_EVENT'
  | 'SHOPFLOOR_INGEST_PARTITION_MOVED'
  | 'SHOPFLOOR_CHDB_MISSING'

export class StreamError extends Error {
  readonly code: StreamErrorCode
  /** Whether the same call may succeed if tried again later (a broker back up, a server restarted). */
  readonly canRetry: boolean

  constructor(code: StreamErrorCode, message: string, opts: { canRetry?: boolean; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'StreamError'
    this.code = code
    this.canRetry = opts.canRetry ?? false
  }
}
