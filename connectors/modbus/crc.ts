/**
 * CRC-16/MODBUS (polynomial 0xA001 reflected, initial 0xFFFF), which ends every RTU frame, low
 * byte first. Table-driven: a response of 125 registers is 255 bytes, checked once per read.
 */

const table = new Uint16Array(256)
for (let i = 0; i < 256; i++) {
  let c = i
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1
  table[i] = c
}

/** The CRC of `bytes[start..end)`. */
export function crc16(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffff
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ (table[(crc ^ (bytes[i] as number)) & 0xff] as number)
  return crc
}

/** Whether `bytes[start..end)` ends in the CRC of what precedes it (low byte first). */
export function crcMatches(bytes: Uint8Array, start: number, end: number): boolean {
  if (end - start < 3) return false
  const crc = crc16(bytes, start, end - 2)
  return bytes[end - 2] === (crc & 0xff) && bytes[end - 1] === crc >>> 8
}

/** Completes an RTU frame whose PDU sits from offset 1 with 2 bytes left at the end: unit id first, CRC last. */
export function sealRtuFrame(frame: Buffer, unitId: number): Buffer {
  frame[0] = unitId
  const crc = crc16(frame, 0, frame.length - 2)
  frame[frame.length - 2] = crc & 0xff
  frame[frame.length - 1] = crc >>> 8
  return frame
}
