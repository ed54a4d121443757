/**
 * The Modbus application protocol's read requests and responses (function codes 1 to 4), as
 * PDUs: function code first, no unit id, no framing. The links add MBAP headers or RTU's unit id
 * and CRC; everything here is the same for every transport.
 */
import type { RegisterTable } from './types.ts'

/** Function code by table: read coils 1, discrete inputs 2, holding registers 3, input registers 4. */
export const readFunctionCodes: Readonly<Record<RegisterTable, number>> = { coil: 1, discrete: 2, holding: 3, input: 4 }

/** `read holding 0..12 (FC 3)`: how errors and logs name a read. */
export function describeRead(table: RegisterTable, address: number, count: number): string {
  return `read ${table} ${address}..${address + count - 1} (FC ${readFunctionCodes[table]})`
}

/** The request PDU reading `count` registers or bits of `table` from `address`. */
export function readRequest(table: RegisterTable, address: number, count: number): Buffer {
  const pdu = Buffer.allocUnsafe(5)
  pdu[0] = readFunctionCodes[table]
  pdu.writeUInt16BE(address, 1)
  pdu.writeUInt16BE(count, 3)
  return pdu
}

/** Data bytes of the normal response to a read: a byte per 8 bits, or 2 per register. */
export function responseDataLength(functionCode: number, count: number): number {
  return functionCode <= 2 ? (count + 7) >> 3 : count * 2
}

/**
 * The PDU length of the normal response to a request PDU, or undefined when the request is not a
 * read (an RTU link needs it to know where a response ends).
 */
export function expectedResponsePduLength(request: Uint8Array): number | undefined {
  const fc = request[0]
  if (fc === undefined || fc < 1 || fc > 4 || request.length < 5) return undefined
  return 2 + responseDataLength(fc, ((request[3] as number) << 8) | (request[4] as number))
}

/** A response that is neither the expected answer nor an exception. */
export class MalformedResponse extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'MalformedResponse'
  }
}

/**
 * Checks the response PDU to a read of `count` items with `functionCode` and returns the
 * offset of its first data byte (2), or the exception code when the device answered with one.
 * Throws {@link MalformedResponse} for anything else.
 */
export function checkReadResponse(functionCode: number, count: number, pdu: Uint8Array): { readonly exception: number } | undefined {
  const fc = pdu[0]
  if (fc === (functionCode | 0x80)) {
    if (pdu.length !== 2) throw new MalformedResponse(`exception response of ${pdu.length} bytes, expected 2`)
    return { exception: pdu[1] as number }
  }
  if (fc !== functionCode) throw new MalformedResponse(`function code ${String(fc)} in the response to FC ${functionCode}`)
  const want = responseDataLength(functionCode, count)
  if (pdu[1] !== want || pdu.length !== 2 + want) {
    throw new MalformedResponse(`byte count ${String(pdu[1])} with ${pdu.length - 2} data bytes, expected ${want} for ${count} ${functionCode <= 2 ? 'bits' : 'registers'}`)
  }
  return undefined
}
