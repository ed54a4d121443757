import { cliLogger } from '../logging.ts'
import { brokersFromEnv, ensureTopics, EVENT_TYPES, KafkaPublisher, topicFor, type Clickhouse, type KafkaOptions, type Publisher, type StreamError } from '../../../stream/index.ts'
import type { Logger } from '../../../connectors/common/logger.ts'
import { EdgeAgent } from '../../agent.ts'
import { loadEdgeConfig } from '../../config/load.ts'
import type { EdgeConfig } from '../../config/resolved.ts'
import { Readiness } from '../../health.ts'
import { HealthServer } from '../../health-server.ts'
import { AgentMetrics, agentSnapshot } from '../../metrics.ts'
import { openCodec, openStore, openTransport, startIngest } from '../pipeline.ts'
import { EXIT, type Command } from '../run.ts'
import { untilSignal } from './signals.ts'

/** How long SIGTERM waits for Kafka to take what is in the spool before exiting (systemd allows 30 s). */
const STOP_FLUSH_MS = 10_000

export const edge: Command = {
  summary:
    "Runs the edge agent. With a kafka section in the config (or KAFKA_BROKERS) it publishes to Kafka through the on-disk spool; without, it ingests in the same process into ClickHouse (CLICKHOUSE_URL, else embedded chDB under ./data). Serves /healthz and /metrics on the config's health.listen.",
  usage: 'shopfloor edge --config FILE [--topic-prefix shopfloor]',
  options: { config: { type: 'string', short: 'c' }, 'topic-prefix': { type: 'string' } },
  async run({ values }) {
    const file = values['config']
    if (typeof file !== 'string') {
      process.stderr.write('shopfloor edge: --config FILE is required\n')
      return EXIT.usage
    }
    // Validate before anything opens a socket or a file.
    const config = loadEdgeConfig(file)
    // Listen for SIGTERM from here on: a stop during start-up still shuts down cleanly.
    const stopSignal = untilSignal()
    const logger = cliLogger()
    const kafka = kafkaSettings(config, values['topic-prefix'] as string | undefined, logger)

    const topicPrefix = kafka?.topicPrefix ?? (values['topic-prefix'] as string | undefined) ?? 'shopfloor'
    const codec = await openCodec(topicPrefix, logger)
    let publisher: Publisher
    let close: () => Promise<void>
    let describe: string
    let store: Clickhouse | undefined
    if (kafka) {
      publisher = new KafkaPublisher(kafka.options)
      close = () => publisher.close()
      describe = `kafka ${kafka.options.brokers.join(',')}${kafka.options.tls ? ' (TLS)' : ''}${kafka.options.sasl ? ` (SASL ${kafka.options.sasl.mechanism})` : ''}`
      // The agent starts reading whether or not Kafka answers now: the spool keeps the events.
      void ensureTopicsInBackground(kafka.options, kafka.topicPrefix, logger)
    } else {
      const transport = await openTransport({ brokers: undefined, topicPrefix, logger })
      store = await openStore(logger)
      await startIngest({ subscriber: transport.subscriber, clickhouse: store, logger, codec })
      publisher = transport.publisher
      close = () => transport.close()
      describe = transport.describe
    }

    const agent = new EdgeAgent({
      config,
      publisher,
      topicPrefix,
      codec,
      logger,
      spoolDir: config.spool.dir,
      spool: {
        maxBytes: config.spool.maxBytes,
        maxAgeMs: config.spool.maxAgeMs,
        overflow: config.spool.onFull,
        fsync: config.spool.fsync,
        fsyncIntervalMs: config.spool.fsyncIntervalMs,
      },
    })
    let health: HealthServer | undefined
    if (config.health.listen) {
      const metrics = new AgentMetrics(() => agentSnapshot(config.agent.id, agent.stats))
      const readiness = new Readiness()
      health = new HealthServer({
        ...config.health.listen,
        health: () => readiness.check(agent.stats),
        metrics: () => metrics.render(),
        logger,
      })
      const at = await health.start()
      logger.info({ health: `http://${at.host}:${at.port}/healthz`, metrics: `http://${at.host}:${at.port}/metrics` }, 'health and metrics served')
    }
    await agent.start()
    logger.info({ transport: describe, config: file, spool: config.spool.dir }, 'edge agent running')
    const sig = await stopSignal
    logger.info({ signal: sig }, 'stopping')
    await agent.stop(STOP_FLUSH_MS)
    await health?.stop()
    await close()
    await store?.close()
    return EXIT.ok
  },
}

/** Kafka from the config file, else from KAFKA_BROKERS (development), else none (in-process). */
function kafkaSettings(config: EdgeConfig, topicPrefixFlag: string | undefined, logger: Logger): { options: KafkaOptions; topicPrefix: string } | undefined {
  if (config.kafka) {
    const k = config.kafka
    return {
      options: { brokers: [...k.brokers], clientId: k.clientId, ...(k.tls ? { tls: k.tls } : {}), ...(k.sasl ? { sasl: k.sasl } : {}), logger },
      topicPrefix: topicPrefixFlag ?? k.topicPrefix,
    }
  }
  const brokers = brokersFromEnv()
  return brokers ? { options: { brokers, clientId: config.agent.id, logger }, topicPrefix: topicPrefixFlag ?? 'shopfloor' } : undefined
}

/**
 * Creates missing topics, retrying while Kafka is unreachable. When a topic cannot be created
 * (no CREATE permission, auto-creation off), says so once, loudly: the events stay in the spool
 * until an administrator creates it.
 */
async function ensureTopicsInBackground(options: KafkaOptions, prefix: string, logger: Logger): Promise<void> {
  const topics = EVENT_TYPES.map((t) => topicFor(t, prefix))
  for (let delay = 1000; ; delay = Math.min(delay * 2, 60_000)) {
    try {
      await ensureTopics(options, topics)
      return
    } catch (e) {
      const err = e as StreamError
      if (err.code === 'SHOPFLOOR_KAFKA_TOPIC' || err.code === 'SHOPFLOOR_KAFKA_AUTH') {
        logger.error({ code: err.code }, `${err.message}; events are kept in the spool meanwhile`)
        return
      }
      logger.warn({ code: err.code, retryInMs: delay }, `${err.message}; events are kept in the spool meanwhile`)
      await new Promise((r) => setTimeout(r, delay))
    }
  }
}
