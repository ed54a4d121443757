/**
 * Where a source's requests go, from its options: checked for the chosen transport (a serial
 * port for `rtu`, a host for the others, no stray keys of another transport) before anything is
 * opened.
 */
import type { ChannelTarget } from './channel.ts'
import { modbusDefaults } from './defaults.ts'
import { ModbusError } from './errors.ts'
import { modbusTransports, serialParities, type ModbusTransport, type SerialParity } from './types.ts'

export interface TargetOptions {
  /** `tcp`, `rtu` (a serial port) or `rtu-over-tcp` (a serial-to-Ethernet converter). Default `tcp`. */
  readonly transport?: ModbusTransport
  /** Host name or IP address of the device, gateway or converter (`tcp`, `rtu-over-tcp`). */
  readonly host?: string
  /** TCP port (`tcp`, `rtu-over-tcp`). Default 502. */
  readonly port?: number
  /** Serial device (`rtu`): `/dev/ttyUSB0`, `/dev/serial/by-id/...`, `COM3`. */
  readonly serialPort?: string
  /** Baud rate (`rtu`). Default 9600. */
  readonly baudRate?: number
  /** Parity (`rtu`): `none`, `even`, `odd`. Default `even`, the Modbus serial line default. */
  readonly parity?: SerialParity
  /** Data bits (`rtu`): 8, as RTU framing requires. Default 8. */
  readonly dataBits?: 8
  /** Stop bits (`rtu`): 1 or 2. Default 1. */
  readonly stopBits?: 1 | 2
}

const serialKeys = ['serialPort', 'baudRate', 'parity', 'dataBits', 'stopBits'] as const
const tcpKeys = ['host', 'port'] as const

/** Throws `SHOPFLOOR_MODBUS_CONFIG` naming the option. */
export function resolveTarget(where: string, o: TargetOptions): ChannelTarget {
  const fail = (message: string): never => {
    throw new ModbusError('SHOPFLOOR_MODBUS_CONFIG', `${where}: ${message}`)
  }
  const transport = o.transport ?? modbusDefaults.transport
  if (!modbusTransports.includes(transport)) fail(`transport must be one of ${modbusTransports.join(', ')}, got ${JSON.stringify(transport)}`)
  if (transport === 'rtu') {
    for (const k of tcpKeys) if (o[k] !== undefined) fail(`${k} applies to transport tcp and rtu-over-tcp, not rtu (a serial port)`)
    if (typeof o.serialPort !== 'string' || o.serialPort === '') fail('serialPort is required for transport rtu (e.g. /dev/ttyUSB0)')
    const baudRate = o.baudRate ?? modbusDefaults.baudRate
    if (!Number.isInteger(baudRate) || baudRate < 50 || baudRate > 4_000_000) fail(`baudRate must be an integer 50..4000000, got ${String(baudRate)}`)
    const parity = o.parity ?? modbusDefaults.parity
    if (!serialParities.includes(parity)) fail(`parity must be one of ${serialParities.join(', ')}, got ${JSON.stringify(parity)}`)
    const dataBits = o.dataBits ?? modbusDefaults.dataBits
    if (dataBits !== 8) fail(`dataBits must be 8: RTU frames are 8-bit (7 data bits is Modbus ASCII), got ${String(dataBits)}`)
    const stopBits = o.stopBits ?? modbusDefaults.stopBits
    if (stopBits !== 1 && stopBits !== 2) fail(`stopBits must be 1 or 2, got ${String(stopBits)}`)
    return { transport, serial: { path: o.serialPort as string, baudRate, parity, dataBits: 8, stopBits } }
  }
  for (const k of serialKeys) if (o[k] !== undefined) fail(`${k} applies to transport rtu (a serial port), not ${transport}`)
  if (typeof o.host !== 'string' || o.host === '') fail(`host is required for transport ${transport}: the device's host name or IP address`)
  const port = o.port ?? modbusDefaults.port
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`port must be an integer 1..65535, got ${String(port)}`)
  return { transport, host: o.host as string, port }
}
