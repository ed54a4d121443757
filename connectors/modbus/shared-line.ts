/**
 * Shared RTU lines: an RS-485 bus (a serial port) or the TCP connection to a serial-to-Ethernet
 * converter, used by every source that reads a unit on it.
 *
 * A bus has exactly one owner in the process: two masters writing to one RS-485 pair garble each
 * other's frames, and most converters pass bytes from all their TCP clients onto the line as
 * they come. So sources naming the same port (or converter) lease one line, whose link takes
 * their requests in turn, one on the wire at a time, each with its own timeout. A unit that does
 * not answer costs the bus only its own timeouts; the others' requests wait at most for that.
 */
import type { Duplex } from 'node:stream'
import { ModbusError } from './errors.ts'
import { LinkError } from './link.ts'
import { interFrameMs, RtuLink } from './rtu-link.ts'
import { describeSerial, openSerialPort, type SerialSettings } from './serial-port.ts'
import { connectSocket } from './tcp-socket.ts'

/** Where a shared line goes: a serial port, or a converter's TCP port. */
export type LineTarget =
  | { readonly kind: 'serial'; readonly serial: SerialSettings }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }

/** One source's use of a line. */
export interface LineLease {
  readonly isOpen: boolean
  /** Opens the line unless open; resolves `true` when this call opened it. */
  open(connectTimeoutMs: number): Promise<boolean>
  request(unitId: number, pdu: Buffer, timeoutMs: number, signal?: AbortSignal): Promise<Buffer>
  /** Gives the line up; the last lease closes it. */
  release(): Promise<void>
}

function keyOf(t: LineTarget): string {
  return t.kind === 'serial' ? `serial:${t.serial.path}` : `tcp:${t.host}:${t.port}`
}

class SharedLine {
  readonly target: LineTarget
  readonly #leases = new Map<object, { owner: string; onLost: (err: LinkError) => void }>()
  #link: RtuLink | undefined
  #opening: Promise<boolean> | undefined
  #abort = new AbortController()
  readonly #onEmpty: () => void

  constructor(target: LineTarget, onEmpty: () => void) {
    this.target = target
    this.#onEmpty = onEmpty
  }

  get owners(): string[] {
    return [...this.#leases.values()].map((l) => l.owner)
  }

  get isOpen(): boolean {
    return this.#link?.isOpen ?? false
  }

  lease(owner: string, onLost: (err: LinkError) => void): LineLease {
    const token = {}
    this.#leases.set(token, { owner, onLost })
    let released = false
    const isOpen = (): boolean => !released && this.isOpen
    return {
      get isOpen() {
        return isOpen()
      },
      open: (ms) => (released ? Promise.reject(new LinkError('closed', 'the source released the line')) : this.open(ms)),
      request: (unitId, pdu, timeoutMs, signal) => {
        const link = this.#link
        if (released || link === undefined || !link.isOpen) return Promise.reject(new LinkError('closed', 'the line is not open'))
        return link.request(unitId, pdu, timeoutMs, signal)
      },
      release: async () => {
        if (released) return
        released = true
        this.#leases.delete(token)
        if (this.#leases.size === 0) await this.#close()
      },
    }
  }

  open(connectTimeoutMs: number): Promise<boolean> {
    if (this.#link?.isOpen) return Promise.resolve(false)
    this.#opening ??= (async () => {
      try {
        const t = this.target
        const stream: Duplex = t.kind === 'serial' ? await openSerialPort(t.serial) : await connectSocket(t.host, t.port, connectTimeoutMs, this.#abort.signal)
        if (this.#leases.size === 0) {
          stream.destroy()
          throw new LinkError('closed', 'every source released the line while it opened')
        }
        const link: RtuLink = new RtuLink(stream, t.kind === 'serial' ? interFrameMs(t.serial.baudRate) : 0, (err) => {
          if (this.#link !== link) return
          this.#link = undefined
          for (const l of [...this.#leases.values()]) l.onLost(err)
        })
        this.#link = link
        return true
      } finally {
        this.#opening = undefined
      }
    })()
    return this.#opening
  }

  async #close(): Promise<void> {
    this.#onEmpty()
    this.#abort.abort()
    this.#abort = new AbortController()
    const link = this.#link
    this.#link = undefined
    await link?.close()
  }
}

const lines = new Map<string, SharedLine>()

function sameSerial(a: SerialSettings, b: SerialSettings): boolean {
  return a.baudRate === b.baudRate && a.parity === b.parity && a.dataBits === b.dataBits && a.stopBits === b.stopBits
}

/**
 * Leases the process's line to `target`, opening nothing yet. Throws `SHOPFLOOR_MODBUS_CONFIG`
 * when a source already uses the same serial port with other line settings: one bus has one
 * baud rate.
 */
export function leaseLine(target: LineTarget, owner: string, onLost: (err: LinkError) => void): LineLease {
  const key = keyOf(target)
  let shared = lines.get(key)
  if (shared !== undefined && target.kind === 'serial' && shared.target.kind === 'serial' && !sameSerial(target.serial, shared.target.serial)) {
    throw new ModbusError(
      'SHOPFLOOR_MODBUS_CONFIG',
      `modbus source "${owner}": serial port ${target.serial.path} is already used by source(s) ${shared.owners.map((o) => `"${o}"`).join(', ')} at ${describeSerial(shared.target.serial)}, ` +
        `not ${describeSerial(target.serial)}: every unit on one bus must use the same baudRate, parity, dataBits and stopBits`,
    )
  }
  if (shared === undefined) {
    const created: SharedLine = new SharedLine(target, () => {
      if (lines.get(key) === created) lines.delete(key)
    })
    shared = created
    lines.set(key, shared)
  }
  return shared.lease(owner, onLost)
}

/** Keys of the lines open or leased now, for tests: `serial:/dev/pts/3`, `tcp:127.0.0.1:4001`. */
export function leasedLines(): string[] {
  return [...lines.keys()]
}
