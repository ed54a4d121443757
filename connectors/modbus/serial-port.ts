/**
 * Opening a serial port for Modbus RTU, through the `serialport` package. It is loaded on first
 * use only: an agent that reads Modbus TCP alone runs where its native binding is missing.
 */
import type { Duplex } from 'node:stream'
import { LinkError } from './link.ts'
import type { SerialParity } from './types.ts'

/** The line settings every unit on one RS-485 bus shares. */
export interface SerialSettings {
  /** Device path: `/dev/ttyUSB0`, `/dev/serial/by-id/...`, `COM3`. */
  readonly path: string
  readonly baudRate: number
  readonly parity: SerialParity
  readonly dataBits: 8
  readonly stopBits: 1 | 2
}

/** `9600 baud, 8E1`: the settings as device manuals write them. */
export function describeSerial(s: Omit<SerialSettings, 'path'>): string {
  return `${s.baudRate} baud, ${s.dataBits}${s.parity[0]?.toUpperCase() ?? 'N'}${s.stopBits}`
}

/** What to check, by the error code the OS gave. */
function hint(code: string | undefined): string {
  switch (code) {
    case 'ENOENT': return 'check serialPort: the device does not exist (ls /dev/serial/by-id/ lists adapters by a name that survives replugging)'
    case 'EACCES': return 'the agent\'s user may not open it: add it to the dialout group (Debian: usermod -aG dialout USER) and log in again'
    case 'EBUSY': return 'another program (or a second agent) holds the port: stop it; one process must own an RS-485 bus'
    default: return 'check serialPort and that the adapter is plugged in'
  }
}

/** Opens the port; throws {@link LinkError} `connect` with what to check. */
export async function openSerialPort(s: SerialSettings): Promise<Duplex> {
  let mod: typeof import('serialport')
  try {
    mod = await import('serialport')
  } catch (cause) {
    throw new LinkError('connect', `the serialport package cannot be loaded (${cause instanceof Error ? cause.message : String(cause)}); reinstall with npm install, which brings its prebuilt binary`, { cause })
  }
  const port = new mod.SerialPort({ path: s.path, baudRate: s.baudRate, parity: s.parity, dataBits: s.dataBits, stopBits: s.stopBits, autoOpen: false, lock: true })
  try {
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())))
  } catch (cause) {
    const text = String(cause)
    // The binding gives the OS's words, not its code.
    const code =
      (cause as { code?: string }).code ??
      (/No such file/i.test(text) ? 'ENOENT' : /Permission denied/i.test(text) ? 'EACCES' : /busy|lock|temporarily unavailable/i.test(text) ? 'EBUSY' : undefined)
    throw new LinkError('connect', `cannot open serial port ${s.path} (${cause instanceof Error ? cause.message : text}); ${hint(code)}`, { cause })
  }
  return port
}
