/**
 * Modbus TCP framing (MBAP header): cuts a TCP byte stream into frames.
 *
 * TCP keeps no message boundaries: one `data` chunk can hold several frames (a client that
 * pipelines, or Nagle coalescing writes) and one frame can arrive split over chunks. The reader
 * parses frames in place from the chunk and only copies the tail of a split frame.
 */

/** Transaction id (2) + protocol id (2) + length (2) + unit id (1). */
export const mbapHeaderLength = 7

/** The MBAP length field counts the unit id and the PDU; a PDU is at most 253 bytes. */
const maxLengthField = 254

/** Called once per complete frame; `pdu` is a view into the received bytes, valid during the call. */
export type FrameHandler = (transactionId: number, unitId: number, pdu: Buffer) => void

export class MbapFrameError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'MbapFrameError'
  }
}

export class MbapReader {
  #pending: Buffer | undefined

  /**
   * Feeds received bytes and calls `onFrame` for each complete frame. Frames with a protocol id
   * other than 0 are not Modbus and are dropped, as the spec asks. Throws `MbapFrameError` when
   * a length field is impossible: the stream cannot be resynchronised, so the caller should
   * close the connection.
   */
  push(chunk: Buffer, onFrame: FrameHandler): void {
    let buf = chunk
    if (this.#pending !== undefined) {
      buf = Buffer.concat([this.#pending, chunk])
      this.#pending = undefined
    }
    let pos = 0
    while (buf.length - pos >= mbapHeaderLength) {
      const length = buf.readUInt16BE(pos + 4)
      if (length < 2 || length > maxLengthField) {
        throw new MbapFrameError(`MBAP length field ${length} is outside 2..${maxLengthField}`)
      }
      const end = pos + 6 + length
      if (end > buf.length) break
      if (buf.readUInt16BE(pos + 2) === 0) {
        onFrame(buf.readUInt16BE(pos), buf[pos + 6] ?? 0, buf.subarray(pos + mbapHeaderLength, end))
      }
      pos = end
    }
    // Copy, not slice: a view would pin the whole chunk in memory until the frame completes.
    if (pos < buf.length) this.#pending = Buffer.from(buf.subarray(pos))
  }
}

/** Writes the MBAP header of a frame whose PDU fills the rest of it from offset 7. */
export function writeMbapHeader(frame: Buffer, transactionId: number, unitId: number): Buffer {
  frame.writeUInt16BE(transactionId, 0)
  frame.writeUInt16BE(0, 2)
  frame.writeUInt16BE(frame.length - 6, 4)
  frame[6] = unitId
  return frame
}

/** Allocates a frame with its MBAP header written; the caller fills the PDU from offset 7. */
export function allocFrame(transactionId: number, unitId: number, pduLength: number): Buffer {
  return writeMbapHeader(Buffer.allocUnsafe(mbapHeaderLength + pduLength), transactionId, unitId)
}
