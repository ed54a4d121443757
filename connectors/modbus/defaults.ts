/**
 * Every default of the Modbus connector, in one place. The config schema's TSDoc, the README and
 * the TSDoc of each option quote these.
 */
export const modbusDefaults = {
  /** How requests travel: Modbus TCP. */
  transport: 'tcp',
  /** The IANA Modbus TCP port (also the usual port of serial-to-Ethernet converters in RTU mode). */
  port: 502,
  /** Unit (slave) id; TCP devices that are not gateways mostly ignore it, 1 is the common choice. */
  unitId: 1,
  /** Serial line speed, baud. */
  baudRate: 9600,
  /** The Modbus serial line spec's default parity. */
  parity: 'even',
  /** RTU frames are 8-bit. */
  dataBits: 8,
  /** Stop bits. */
  stopBits: 1,
  /** ms between poll starts. */
  pollIntervalMs: 1000,
  /** ms to wait for a connection or for a response. */
  timeoutMs: 2000,
  /** Extra attempts of a request after a timeout or a busy answer. */
  retries: 1,
  /** ms before the first retry; doubles for each further one. */
  retryDelayMs: 100,
  /** Registers per read request: the protocol limit of FC 3 and 4. */
  maxRegisters: 125,
  /** Bits per read request: the protocol limit of FC 1 and 2. */
  maxBits: 2000,
  /** Unused registers (bits in bit tables) one request may read across to merge two ranges. */
  maxGap: 0,
  /** Read each tag with a request of its own (for devices that refuse multi-register reads). */
  oneRequestPerTag: false,
  /** ms to wait after connecting before the first request (for devices that drop early requests). */
  pauseAfterConnectMs: 0,
  /** Tag addresses as the protocol numbers them (0) or as manuals often do (1). */
  addressBase: 0,
  /** ms before the first reconnect attempt; doubles after each failure. */
  reconnectDelayMs: 1000,
  /** ms, the ceiling of the reconnect delay. */
  maxReconnectDelayMs: 30_000,
} as const
