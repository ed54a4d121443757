import type { EventType } from './events.ts'

/** Default prefix of the Kafka topics: `shopfloor.machine-state`, `shopfloor.production-count`, … */
export const DEFAULT_TOPIC_PREFIX = 'shopfloor'

/** One topic per event type, so each has its own retention and consumers. */
export function topicFor(eventType: EventType, prefix: string = DEFAULT_TOPIC_PREFIX): string {
  return `${prefix}.${eventType.replaceAll('_', '-')}`
}
