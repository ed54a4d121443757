// Public surface of the spool: the durable on-disk queue between the machine models and Kafka.
export { Spool, type SpoolStats, type SpoolBatch, type DropReason } from './spool.ts'
export { SPOOL_DEFAULTS, type SpoolOptions, type FsyncPolicy, type OverflowPolicy } from './options.ts'
export { SpoolError, type SpoolErrorCode } from './errors.ts'
export type { FrameInput as SpoolInput, SpoolRecord } from './frame.ts'
