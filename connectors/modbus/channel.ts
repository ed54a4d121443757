/**
 * A source's way to its device, whatever the transport: its own Modbus TCP connection, or a
 * lease on a shared RTU line (serial port, or a converter's TCP port).
 *
 * The two differ in what a failure means. A TCP connection whose request timed out is in an
 * unknown state and is dropped and reopened (`exclusive`). A shared line stays up when one unit
 * on it is silent: the others on the bus are fine, so only that source backs off.
 */
import { LinkError } from './link.ts'
import { MbapLink } from './mbap-link.ts'
import type { SerialSettings } from './serial-port.ts'
import { leaseLine, type LineLease } from './shared-line.ts'
import { connectSocket } from './tcp-socket.ts'
import type { ModbusTransport } from './types.ts'

export interface Channel {
  /** `127.0.0.1:502`, `/dev/ttyUSB0`, `10.0.4.9:4001 rtu-over-tcp`: for messages. */
  readonly endpoint: string
  /** True when the channel is the source's own connection, dropped on a timeout or garbled answer. */
  readonly exclusive: boolean
  readonly isOpen: boolean
  /** Opens it unless open; resolves `true` when this call opened a connection or port. */
  open(connectTimeoutMs: number, signal: AbortSignal): Promise<boolean>
  /** `signal` abandons the request when the source stops (a TCP channel's close does that itself). */
  request(unitId: number, pdu: Buffer, timeoutMs: number, signal: AbortSignal): Promise<Buffer>
  /** Drops an exclusive connection (the next `open` reconnects); a shared line stays. */
  reset(): Promise<void>
  /** Done for good: closes the connection, or gives up the lease on the line. */
  release(): Promise<void>
}

export interface ChannelTarget {
  readonly transport: ModbusTransport
  /** `tcp` and `rtu-over-tcp`. */
  readonly host?: string
  readonly port?: number
  /** `rtu`. */
  readonly serial?: SerialSettings
}

export function endpointOf(t: ChannelTarget): string {
  if (t.transport === 'rtu') return t.serial?.path ?? '?'
  return `${t.host ?? '?'}:${t.port ?? '?'}${t.transport === 'rtu-over-tcp' ? ' rtu-over-tcp' : ''}`
}

/**
 * The channel of source `owner` to `target`. `onLost` hears once per connection or port that
 * goes away while open (not after `reset` or `release`). Opens nothing yet; throws
 * `SHOPFLOOR_MODBUS_CONFIG` when the target conflicts with another source's line settings.
 */
export function createChannel(target: ChannelTarget, owner: string, onLost: (err: LinkError) => void): Channel {
  const endpoint = endpointOf(target)
  if (target.transport === 'tcp') return new TcpChannel(endpoint, target.host ?? '', target.port ?? 502, onLost)
  const lease = leaseLine(
    target.transport === 'rtu' ? { kind: 'serial', serial: target.serial as SerialSettings } : { kind: 'tcp', host: target.host ?? '', port: target.port ?? 502 },
    owner,
    onLost,
  )
  return new SharedChannel(endpoint, lease)
}

class TcpChannel implements Channel {
  readonly endpoint: string
  readonly exclusive = true
  readonly #host: string
  readonly #port: number
  readonly #onLost: (err: LinkError) => void
  #link: MbapLink | undefined

  constructor(endpoint: string, host: string, port: number, onLost: (err: LinkError) => void) {
    this.endpoint = endpoint
    this.#host = host
    this.#port = port
    this.#onLost = onLost
  }

  get isOpen(): boolean {
    return this.#link?.isOpen ?? false
  }

  async open(connectTimeoutMs: number, signal: AbortSignal): Promise<boolean> {
    if (this.#link?.isOpen) return false
    const socket = await connectSocket(this.#host, this.#port, connectTimeoutMs, signal)
    const link: MbapLink = new MbapLink(socket, (err) => {
      if (this.#link !== link) return
      this.#link = undefined
      this.#onLost(err)
    })
    this.#link = link
    return true
  }

  request(unitId: number, pdu: Buffer, timeoutMs: number): Promise<Buffer> {
    // No abort signal: stop() closes the connection, which rejects the request; a listener per request would cost more.
    const link = this.#link
    if (link === undefined) return Promise.reject(new LinkError('closed', 'not connected'))
    return link.request(unitId, pdu, timeoutMs)
  }

  async reset(): Promise<void> {
    const link = this.#link
    this.#link = undefined
    await link?.close()
  }

  release(): Promise<void> {
    return this.reset()
  }
}

class SharedChannel implements Channel {
  readonly endpoint: string
  readonly exclusive = false
  readonly #lease: LineLease

  constructor(endpoint: string, lease: LineLease) {
    this.endpoint = endpoint
    this.#lease = lease
  }

  get isOpen(): boolean {
    return this.#lease.isOpen
  }

  open(connectTimeoutMs: number, signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.reject(new LinkError('closed', 'the source was stopped'))
    return this.#lease.open(connectTimeoutMs)
  }

  request(unitId: number, pdu: Buffer, timeoutMs: number, signal: AbortSignal): Promise<Buffer> {
    return this.#lease.request(unitId, pdu, timeoutMs, signal)
  }

  async reset(): Promise<void> {
    // Another unit on the line is not to blame.
  }

  release(): Promise<void> {
    return this.#lease.release()
  }
}
