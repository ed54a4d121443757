/**
 * Cuts an RTU byte stream into request frames, for the simulator's side of a line. The length
 * of a request follows from its function code (8 bytes for FC 1..6, 9 + byte count for FC 15
 * and 16); a frame whose CRC does not match is taken for noise and skipped a byte at a time
 * until a valid frame lines up again, as a device resynchronises after garbage on the bus.
 */
import { crcMatches } from './crc.ts'

/** The longest RTU frame: unit id, a 253-byte PDU, CRC. */
const maxFrame = 256

/** Called per valid request frame; `pdu` is a view valid during the call. */
export type RtuRequestHandler = (unitId: number, pdu: Buffer) => void

/** Whether a complete FC 1..6 request with a good CRC starts somewhere from `from`. */
function validReadAhead(buf: Buffer, from: number): boolean {
  for (let q = from; q + 8 <= buf.length; q++) {
    const fc = buf[q + 1] as number
    if (fc >= 1 && fc <= 6 && crcMatches(buf, q, q + 8)) return true
  }
  return false
}

export class RtuRequestReader {
  #pending: Buffer | undefined

  push(chunk: Buffer, onFrame: RtuRequestHandler): void {
    const buf = this.#pending === undefined ? chunk : Buffer.concat([this.#pending, chunk])
    this.#pending = undefined
    let pos = 0
    scan: while (buf.length - pos >= 4) {
      const fc = buf[pos + 1] as number
      let length: number
      if (fc >= 1 && fc <= 6) length = 8
      else if (fc === 15 || fc === 16) {
        if (buf.length - pos < 7) break
        length = 9 + (buf[pos + 6] as number)
      } else if (fc === 0 || fc >= 0x80) {
        // No request has these function codes: noise.
        pos++
        continue
      } else {
        // A function code the simulator does not implement: find where a CRC closes the frame.
        for (let end = pos + 4; end <= Math.min(buf.length, pos + maxFrame); end++) {
          if (crcMatches(buf, pos, end)) {
            onFrame(buf[pos] as number, buf.subarray(pos + 1, end - 2))
            pos = end
            continue scan
          }
        }
        // None yet: noise, unless no well-formed read or write follows it either.
        if (buf.length - pos < maxFrame && !validReadAhead(buf, pos + 1)) break
        pos++
        continue
      }
      if (buf.length - pos < length) break
      if (!crcMatches(buf, pos, pos + length)) {
        pos++
        continue
      }
      onFrame(buf[pos] as number, buf.subarray(pos + 1, pos + length - 2))
      pos += length
    }
    if (pos < buf.length) this.#pending = Buffer.from(buf.subarray(pos))
  }
}
