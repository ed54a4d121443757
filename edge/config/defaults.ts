/**
 * Every default of the agent's configuration, in one place. A source's defaults are its
 * connector's (connectors/<protocol>/defaults).
 */
export const DEFAULTS = {
  heartbeatIntervalMs: 10_000,
  stateDir: './data/edge',
  topicPrefix: 'shopfloor',
  spool: {
    /** Relative to agent.stateDir. */
    dir: 'spool',
    maxBytes: 2 ** 30,
    maxAgeMs: 7 * 86_400_000,
    onFull: 'drop-oldest',
    fsync: 'interval',
    fsyncIntervalMs: 1000,
  },
  /** 9464 is the port OpenTelemetry's Prometheus exporter uses; loopback only unless the config opens it. */
  healthListen: { host: '127.0.0.1', port: 9464 },
  /** PLC counters are 32-bit unless the config says otherwise. */
  counterRollover: 2 ** 32,
  /** A PLC state value the map does not name shows as DOWN, so it is visible as a loss. */
  unmappedState: 'DOWN',
} as const
