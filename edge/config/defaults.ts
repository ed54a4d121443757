/**
 * Every default of the agent's configuration, in one place. A source's defaults are its
 * connector's (connectors/<protocol>/defaults).
 */
export const DEFAULTS = {
  heartbeatIntervalMs: 10_000,
  stateDir: './data/edge',
  /** PLC counters are 32-bit unless the config says otherwise. */
  counterRollover: 2 ** 32,
  /** A PLC state value the map does not name shows as DOWN, so it is visible as a loss. */
  unmappedState: 'DOWN',
} as const
