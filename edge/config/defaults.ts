/** Every default of the agent's configuration, in one place. */
export const DEFAULTS = {
  heartbeatIntervalMs: 10_000,
  stateDir: './data/edge',
  opcua: {
    samplingIntervalMs: 250,
    publishingIntervalMs: 500,
  },
  modbus: {
    port: 502,
    unitId: 1,
    pollIntervalMs: 1000,
    timeoutMs: 2000,
    byteOrder: 'ABCD',
    scale: 1,
    offset: 0,
  },
  /** PLC counters are 32-bit unless the config says otherwise. */
  counterRollover: 2 ** 32,
  /** A PLC state value the map does not name shows as DOWN, so it is visible as a loss. */
  unmappedState: 'DOWN',
} as const
