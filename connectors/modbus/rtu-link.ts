/**
 * Modbus RTU over a byte stream: a serial port, or a TCP socket to a serial-to-Ethernet
 * converter. A frame is unit id, PDU, CRC-16; nothing marks where it ends but silence, which
 * Node's timers cannot time to the 1.75 ms the spec asks at high baud rates. So the link reads
 * by expectation instead: it knows the unit and function code it asked, and how long the answer
 * or an exception is, and takes the first CRC-correct frame of that shape. Bytes before it (line
 * noise, a late answer from a unit that had timed out, a wrong baud rate's garbage) are skipped
 * and counted, so a timeout can say "wrong baud rate?" rather than only "no answer".
 */
import type { Duplex } from 'node:stream'
import { crcMatches, sealRtuFrame } from './crc.ts'
import { LinkError, QueuedLink, type Pending } from './link.ts'
import { expectedResponsePduLength } from './pdu.ts'

/** Exception frame: unit, function code | 0x80, exception code, CRC (2). */
const exceptionFrameLength = 5

/**
 * The silence the spec asks between two frames: 3.5 characters of 11 bits, and a fixed 1.75 ms
 * above 19,200 baud. Rounded up to whole ms, the resolution of Node's timers.
 */
export function interFrameMs(baudRate: number): number {
  return baudRate > 19_200 ? 2 : Math.ceil((3.5 * 11 * 1000) / baudRate)
}

export class RtuLink extends QueuedLink {
  #buffer: Buffer | undefined
  /** Bytes received for the current request that were not its answer. */
  #skipped = 0
  /** Normal-response frame length of the current request. */
  #expected = 0

  /**
   * Takes over an open stream. `quietMs` is the silence kept between two exchanges (see
   * {@link interFrameMs}; 0 over TCP, where the converter times the line itself).
   */
  constructor(stream: Duplex, quietMs: number, onLost: (err: LinkError) => void = () => {}) {
    super(stream, quietMs, onLost, 'the line was closed (port unplugged or connection dropped)')
    stream.on('data', (chunk: Buffer) => this.#receive(chunk))
  }

  protected override timeoutDetail(): string {
    const n = this.#skipped + (this.#buffer?.length ?? 0)
    return n === 0 ? '' : `, and ${n} byte(s) that were not the answer arrived (wrong baudRate, parity or stopBits, or a second master on the line?)`
  }

  protected transmit(p: Pending): void {
    const pduLength = expectedResponsePduLength(p.pdu)
    if (pduLength === undefined) throw new Error(`RTU link sends reads (FC 1..4) only, got FC ${String(p.pdu[0])}`)
    this.#expected = 1 + pduLength + 2
    this.#skipped = 0
    this.#buffer = undefined
    const frame = Buffer.allocUnsafe(1 + p.pdu.length + 2)
    p.pdu.copy(frame, 1)
    this.stream.write(sealRtuFrame(frame, p.unitId))
  }

  protected discard(): void {
    this.#buffer = undefined
  }


  #receive(chunk: Buffer): void {
    const p = this.current
    // Nothing asked: noise, or the answer to a request that already timed out.
    if (p === undefined) return
    const buf = this.#buffer === undefined ? chunk : Buffer.concat([this.#buffer, chunk])
    const fc = p.pdu[0] as number
    let pos = 0
    while (buf.length - pos >= exceptionFrameLength) {
      const code = buf[pos + 1]
      if (buf[pos] !== p.unitId || (code !== fc && code !== (fc | 0x80))) {
        pos++
        continue
      }
      const length = code === fc ? this.#expected : exceptionFrameLength
      if (buf.length - pos < length) break
      if (!crcMatches(buf, pos, pos + length)) {
        pos++
        continue
      }
      this.#skipped += pos
      this.#buffer = undefined
      this.answer(buf.subarray(pos + 1, pos + length - 2))
      return
    }
    this.#skipped += pos
    // Copy, not a view: a view would pin the whole chunk until the frame completes.
    this.#buffer = pos < buf.length ? Buffer.from(buf.subarray(pos)) : undefined
  }
}
