/**
 * What the agent and ingest need of a message transport. Kafka is the real one; the in-process
 * bus lets one process run the whole pipeline. Both keep the same guarantees towards callers.
 */

export interface OutgoingMessage {
  readonly topic: string
  /** Partitioning key: the machine path, so events of one machine stay in order. */
  readonly key: string
  readonly value: Buffer
}

export interface IncomingMessage {
  readonly topic: string
  readonly key: string | null
  readonly value: Buffer
  readonly partition: number
  readonly offset: string
}

export interface Publisher {
  /**
   * Resolves once the transport holds every message (for Kafka: acknowledged by all in-sync
   * replicas); rejects when it cannot, and the caller keeps the messages to try again.
   */
  send(messages: readonly OutgoingMessage[]): Promise<void>
  close(): Promise<void>
}

/**
 * Called with each batch; it must resolve only once the batch is stored. The subscriber then
 * commits it. If it rejects, the same batch is offered again after a pause: nothing is skipped.
 */
export type BatchHandler = (messages: readonly IncomingMessage[]) => Promise<void>

export interface Subscriber {
  /** Starts consuming; resolves once consumption has begun. */
  run(onBatch: BatchHandler): Promise<void>
  close(): Promise<void>
}
