/**
 * Every default of the Modbus connector, in one place. The agent's config layer and the README
 * quote these; the TSDoc of each option repeats its default.
 */
export const modbusDefaults = {
  /** The IANA Modbus TCP port. */
  port: 502,
  /** Unit (slave) id; TCP devices that are not gateways mostly ignore it, 1 is the common choice. */
  unitId: 1,
  /** ms between poll starts. */
  pollIntervalMs: 1000,
  /** ms to wait for a connection or for a response. */
  timeoutMs: 2000,
  /** Registers per read request: the protocol limit of FC 3 and 4. */
  maxRegisters: 125,
  /** Bits per read request: the protocol limit of FC 1 and 2. */
  maxBits: 2000,
  /** Unused registers (bits in bit tables) one request may read across to merge two ranges. */
  maxGap: 0,
  /** ms before the first reconnect attempt; doubles after each failure. */
  reconnectDelayMs: 1000,
  /** ms, the ceiling of the reconnect delay. */
  maxReconnectDelayMs: 30_000,
} as const
