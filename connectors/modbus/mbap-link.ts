/**
 * Modbus TCP: request PDUs in MBAP frames over a socket, answers matched by transaction id, so
 * a late answer to a request that timed out is recognised and dropped.
 */
import type { Socket } from 'node:net'
import { LinkError, QueuedLink, type Pending } from './link.ts'
import { allocFrame, MbapFrameError, MbapReader, mbapHeaderLength } from './mbap.ts'

export class MbapLink extends QueuedLink {
  readonly #reader = new MbapReader()
  #tx = 0

  /** Takes over a connected socket; `onLost` hears once when it closes or breaks. */
  constructor(socket: Socket, onLost: (err: LinkError) => void = () => {}) {
    super(socket, 0, onLost, 'the connection was closed by the device or the network')
    socket.on('data', (chunk: Buffer) => {
      try {
        this.#reader.push(chunk, (tx, _unitId, pdu) => {
          // Not the unit id: many TCP devices answer with their own (0, 255) whatever was asked.
          if (this.current?.tx === tx) this.answer(pdu)
        })
      } catch (err) {
        if (!(err instanceof MbapFrameError)) throw err
        // The stream cannot be resynchronised: start afresh.
        this.failed(new LinkError('malformed', `bad MBAP frame (${err.message})`, { cause: err }))
        socket.destroy()
      }
    })
  }

  protected transmit(p: Pending): void {
    this.#tx = (this.#tx + 1) & 0xffff
    p.tx = this.#tx
    const frame = allocFrame(p.tx, p.unitId, p.pdu.length)
    p.pdu.copy(frame, mbapHeaderLength)
    this.stream.write(frame)
  }

  protected discard(): void {
    // Transaction ids tell a late answer from the next one; nothing to forget.
  }
}
